//! Copying an issued certificate to the user's install targets (acme.sh `--install-cert`:
//! `Le_RealCertPath`, `Le_RealCACertPath`, `Le_RealKeyPath`, `Le_RealFullChainPath`).
//!
//! acme.sh copies with `cat src > target`, in the order cert, CA, key, full chain. acmers
//! keeps that order and acme.sh's visible results, but:
//!
//! - **Validate first.** Every target is resolved and checked and every needed source is read
//!   before the first write, so a bad path (a missing directory, a directory in the way, a
//!   target root must not write) leaves no half install. A write that fails midway (disk full)
//!   can still leave earlier targets replaced: several files cannot be replaced at once.
//! - **Opened, not looked up again.** A target's directory is opened with
//!   [`Policy::open_dir`] (one component at a time with `O_NOFOLLOW` when running as root) and
//!   everything after is relative to that descriptor: the final name is examined with
//!   `fstatat(AT_SYMLINK_NOFOLLOW)` and replaced with [`write_atomic_in`] (temp file created
//!   `O_CREAT|O_EXCL|O_NOFOLLOW`, write, `fsync`, `renameat`, directory `fsync`), so a service
//!   never reads a half-written file and what was checked is what is written.
//! - **Root writes only where no other user has a say** ([`store::trust`], the strict
//!   policy). Running as root, a target is refused ([`InstallError::Untrusted`]) when a
//!   directory on its path is owned by another user or writable by group or others (a sticky
//!   world-writable directory such as `/tmp` is accepted above the target's directory, never
//!   as it), when a symlink on the way is owned by another user, or when the existing target
//!   is owned by another user, whatever the kind. So another user can neither redirect root's
//!   write (`/tmp/cert.pem -> /etc/shadow`) nor receive the key (a pre-created `/tmp/k.pem`).
//!   The existing target's mode is not judged: the file is replaced, never written into, and
//!   its mode carries over as below. Running as anyone else nothing is judged (the system's
//!   permissions apply); the code path is the same.
//! - **Modes and owners.** A new key file is created 0600, a new cert, CA or full-chain file
//!   0644. An existing target keeps its permission bits and its owner and group (acme.sh keeps
//!   them by writing in place); the new file gets them before it holds any data. Only root can
//!   give a file to someone else, and root refuses another user's target (above), so as root
//!   the owner stays root and only the group carries over; without that privilege a target
//!   owned by another user (or group we are not in) is an error rather than a silent change of
//!   owner. One exception (docs/security.md): a key file never keeps world permission
//!   bits; they are dropped and [`Installed::tightened_from`] reports the old mode so the
//!   caller can warn.
//! - **CA = cert.** When the CA target is the cert target, the file gets the cert, an empty
//!   line and the CA (acme.sh writes the cert, then `echo "" >>` and appends the CA), in one
//!   atomic write.
//! - **Symlinks are kept.** A target that is a symlink (or a chain of at most 40) is followed:
//!   the file it points to is replaced and the link stays as it is, so `live/cert.pem ->
//!   ../archive/cert1.pem` layouts keep working. A relative link is read relative to its
//!   directory. As root a link is followed only when root owns it, and the path it points to
//!   is judged by the same rules. A dangling link creates the file it names (its directory
//!   must exist).
//! - **Sources are never overwritten.** A target that is the very file it would be copied from
//!   (same device and inode, e.g. `--cert-file` pointing into the acme.sh home, or a hard link
//!   to it) is skipped. A target that is one of the *other* issued files is refused: writing
//!   the key over `fullchain.cer` would destroy the lineage.
//! - A missing parent directory is an error ([`InstallError::NoParent`]); nothing is created.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use rustix::fs::Stat;
use rustix::io::Errno;

use crate::store::files::{Files, Kind};
use crate::store::trust::{Policy, Why};
use crate::store::{self, atomic::write_atomic_in};

/// Mode of a new key file.
const NEW_KEY_MODE: u32 = 0o600;

/// Mode of a new cert, CA or full-chain file.
const NEW_CERT_MODE: u32 = 0o644;

/// The install targets as the domain record saves them; `None` installs nothing of that kind.
pub type Targets = store::record::InstallFiles;

/// What was done for one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The target was replaced with the source's content.
    Written,
    /// The CA target is the cert target: the CA was written after the cert, in the cert's
    /// write.
    AppendedToCert,
    /// The target is the source file itself; nothing was written.
    SameFile,
}

/// One installed target, in acme.sh's order (cert, CA, key, full chain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    /// Which file.
    pub kind: Kind,
    /// The target as configured (when it is a symlink, the file it points to was replaced).
    pub path: PathBuf,
    /// What was done.
    pub action: Action,
    /// The old mode of an existing key file that was world-accessible (the new file has the
    /// same mode without the world bits).
    pub tightened_from: Option<u32>,
}

/// Why the install did not happen, or stopped. Every variant but [`InstallError::Write`] is
/// found before anything is written.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The directory that would hold the target does not exist (or is not a directory).
    #[error("the directory of the {kind} target `{}` does not exist", path.display())]
    NoParent {
        /// Which file.
        kind: Kind,
        /// The target as configured.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The target exists and is not a regular file (a directory, a device, a FIFO), or names
    /// no file (`/`, `..`).
    #[error("the {kind} target `{}` is not a regular file", path.display())]
    NotAFile {
        /// Which file.
        kind: Kind,
        /// The target as configured.
        path: PathBuf,
    },
    /// The target is another issued file of the lineage.
    #[error("the {kind} target `{}` is the issued {other} file", path.display())]
    IsSource {
        /// Which file.
        kind: Kind,
        /// The target as configured.
        path: PathBuf,
        /// The issued file it is.
        other: Kind,
    },
    /// Running as root, the target, a directory on its path or a symlink on the way is owned
    /// or writable by another user (see the module documentation).
    #[error("refusing to write the {kind} target `{}` as root", path.display())]
    Untrusted {
        /// Which file.
        kind: Kind,
        /// The target as configured.
        path: PathBuf,
        /// [`store::Error::Untrusted`], naming the file, directory or link and why.
        #[source]
        source: store::Error,
    },
    /// The target could not be examined (permission denied, a symlink loop).
    #[error("failed to resolve the {kind} target `{}`", path.display())]
    Resolve {
        /// Which file.
        kind: Kind,
        /// The target as configured.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// An issued file could not be read.
    #[error("failed to read the issued {kind} `{}`", path.display())]
    ReadSource {
        /// Which file.
        kind: Kind,
        /// The source file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Replacing the target failed; targets before it in the order are already installed.
    #[error("failed to install the {kind} to `{}`", path.display())]
    Write {
        /// Which file.
        kind: Kind,
        /// The target as configured.
        path: PathBuf,
        /// The store error (names the resolved file).
        #[source]
        source: store::Error,
    },
}

/// Where a target's content goes: a name in an opened directory.
struct Dest {
    /// The directory, opened under the trust policy.
    dir: OwnedFd,
    /// The path `dir` was opened by, for messages.
    dir_path: PathBuf,
    /// Device and inode of `dir`.
    dir_id: (u64, u64),
    /// The final name in `dir` (no symlink).
    name: OsString,
    /// The file there now, if any.
    existing: Option<Stat>,
}

impl Dest {
    fn new(
        dir: OwnedFd,
        dir_path: PathBuf,
        name: OsString,
        existing: Option<Stat>,
    ) -> io::Result<Self> {
        let dir_id = file_id(&rustix::fs::fstat(&dir)?);
        Ok(Self {
            dir,
            dir_path,
            dir_id,
            name,
            existing,
        })
    }
}

/// One target, checked and ready to write.
struct Plan<'a> {
    kind: Kind,
    target: &'a Path,
    dest: Dest,
    source: &'a Path,
    action: Action,
}

/// Copies the issued files to the targets; see the module documentation for the rules.
///
/// # Errors
///
/// Any [`InstallError`]; all but [`InstallError::Write`] leave every target untouched.
pub fn install(
    sources: &Files<impl AsRef<Path>>,
    targets: &Targets,
) -> Result<Vec<Installed>, InstallError> {
    let policy = Policy::current();
    let all: Vec<(Kind, &Path, Option<&Path>)> = sources
        .iter()
        .map(|(kind, source)| (kind, source.as_ref(), targets.get(kind).as_deref()))
        .collect();
    // The identity of every source: a needed one must exist, the others only guard targets.
    let mut source_ids = Vec::new();
    for &(kind, source, target) in &all {
        match fs::metadata(source) {
            Ok(meta) => source_ids.push((kind, (meta.dev(), meta.ino()))),
            Err(e) if target.is_some() => {
                return Err(InstallError::ReadSource {
                    kind,
                    path: source.to_owned(),
                    source: e,
                });
            }
            Err(_) => {}
        }
    }

    let mut plans = Vec::new();
    for (kind, source, target) in all {
        let Some(target) = target else { continue };
        let dest = resolve(policy, kind, target)?;
        let mut action = Action::Written;
        if let Some(stat) = &dest.existing {
            match source_ids.iter().find(|(_, id)| *id == file_id(stat)) {
                Some(&(other, _)) if other == kind => action = Action::SameFile,
                Some(&(other, _)) => {
                    return Err(InstallError::IsSource {
                        kind,
                        path: target.to_owned(),
                        other,
                    });
                }
                None => {}
            }
        }
        let on_cert = |p: &Plan<'_>| {
            p.kind == Kind::Cert
                && p.action == Action::Written
                && (p.dest.dir_id, &p.dest.name) == (dest.dir_id, &dest.name)
        };
        if kind == Kind::Ca && plans.iter().any(on_cert) {
            action = Action::AppendedToCert;
        }
        plans.push(Plan {
            kind,
            target,
            dest,
            source,
            action,
        });
    }

    // Read everything before writing anything.
    let mut contents = Vec::with_capacity(plans.len());
    for plan in &plans {
        let data = match plan.action {
            Action::SameFile => Vec::new(),
            Action::Written | Action::AppendedToCert => {
                fs::read(plan.source).map_err(|source| InstallError::ReadSource {
                    kind: plan.kind,
                    path: plan.source.to_owned(),
                    source,
                })?
            }
        };
        contents.push(data);
    }
    let ca_index = plans
        .iter()
        .position(|p| p.action == Action::AppendedToCert);
    let cert_index = plans.iter().position(|p| p.kind == Kind::Cert);
    if let (Some(ca_index), Some(cert_index)) = (ca_index, cert_index) {
        let ca = std::mem::take(&mut contents[ca_index]);
        contents[cert_index].push(b'\n');
        contents[cert_index].extend_from_slice(&ca);
    }

    let mut installed = Vec::with_capacity(plans.len());
    for (plan, data) in plans.iter().zip(&contents) {
        let dest = &plan.dest;
        let (mode, tightened_from) = mode_for(plan.kind, dest.existing.as_ref());
        if plan.action == Action::Written {
            let owner = dest.existing.as_ref().map(|s| (s.st_uid, s.st_gid));
            write_atomic_in(&dest.dir, &dest.dir_path, &dest.name, data, mode, owner).map_err(
                |source| InstallError::Write {
                    kind: plan.kind,
                    path: plan.target.to_owned(),
                    source,
                },
            )?;
        }
        installed.push(Installed {
            kind: plan.kind,
            path: plan.target.to_owned(),
            action: plan.action,
            tightened_from: tightened_from.filter(|_| plan.action == Action::Written),
        });
    }
    Ok(installed)
}

/// Device and inode.
fn file_id(stat: &Stat) -> (u64, u64) {
    (stat.st_dev, stat.st_ino)
}

/// The mode of the new file, and the old mode when world bits were dropped from a key.
fn mode_for(kind: Kind, existing: Option<&Stat>) -> (u32, Option<u32>) {
    match existing {
        None if kind == Kind::Key => (NEW_KEY_MODE, None),
        None => (NEW_CERT_MODE, None),
        Some(stat) => {
            let old = stat.st_mode & 0o777;
            if kind == Kind::Key && old & 0o007 != 0 {
                (old & !0o007, Some(old))
            } else {
                (old, None)
            }
        }
    }
}

/// The file `target` stands for ([`Policy::locate`]: its directory opened under `policy`, its
/// name there with every symlink followed and each link's owner judged, and the file when it
/// exists, its owner judged).
fn resolve(policy: Policy, kind: Kind, target: &Path) -> Result<Dest, InstallError> {
    let located = policy
        .locate(target)
        .map_err(|e| locate_error(kind, target, e))?;
    Dest::new(
        located.dir,
        located.dir_path,
        located.name,
        located.existing,
    )
    .map_err(|source| InstallError::Resolve {
        kind,
        path: target.to_owned(),
        source,
    })
}

/// The error for a target [`Policy::locate`] refused or could not find.
fn locate_error(kind: Kind, target: &Path, error: store::Error) -> InstallError {
    let path = target.to_owned();
    match error {
        store::Error::Read { source, .. }
            if matches!(
                source.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            InstallError::NoParent { kind, path, source }
        }
        // A file where a directory should be: the directory does not exist.
        store::Error::Untrusted {
            why: Why::WrongType,
            ..
        } => InstallError::NoParent {
            kind,
            path,
            source: Errno::NOTDIR.into(),
        },
        store::Error::NotRegular { .. } => InstallError::NotAFile { kind, path },
        store::Error::Read { source, .. } => InstallError::Resolve { kind, path, source },
        source => InstallError::Untrusted { kind, path, source },
    }
}

#[cfg(test)]
#[path = "install_tests.rs"]
mod tests;
