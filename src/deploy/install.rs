//! Copying an issued certificate to the user's install targets (acme.sh `--install-cert`:
//! `Le_RealCertPath`, `Le_RealCACertPath`, `Le_RealKeyPath`, `Le_RealFullChainPath`).
//!
//! acme.sh copies with `cat src > target`, in the order cert, CA, key, full chain. acmers
//! keeps that order and acme.sh's visible results, but:
//!
//! - **Validate first.** Every target is resolved and checked and every needed source is read
//!   before the first write, so a bad path (a missing directory, a directory in the way) leaves
//!   no half install. A write that fails midway (disk full) can still leave earlier targets
//!   replaced: several files cannot be replaced at once.
//! - **Atomic replace.** Each target is replaced through a temp file in its own directory
//!   (`O_CREAT|O_EXCL`, write, `fsync`, `rename`, directory `fsync`; see
//!   [`write_atomic_owned`]), so a service never reads a half-written file.
//! - **Modes and owners.** A new key file is created 0600, a new cert, CA or full-chain file
//!   0644. An existing target keeps its permission bits and its owner and group (acme.sh keeps
//!   them by writing in place); the new file gets them before it holds any data. Only root can
//!   give a file to someone else: without that privilege a target owned by another user (or
//!   group we are not in) is an error rather than a silent change of owner. One exception,
//!   `reliability.md` §A1.4: a key file never keeps world permission bits; they are dropped
//!   and [`Installed::tightened_from`] reports the old mode so the caller can warn.
//! - **CA = cert.** When the CA target is the cert target, the file gets the cert, an empty
//!   line and the CA (acme.sh writes the cert, then `echo "" >>` and appends the CA), in one
//!   atomic write.
//! - **Symlinks are kept.** A target that is a symlink (or a chain of them) is followed: the
//!   file it points to is replaced and the link stays as it is, so `live/cert.pem ->
//!   ../archive/cert1.pem` layouts keep working. A dangling link creates the file it names
//!   (its directory must exist).
//! - **Sources are never overwritten.** A target that is the very file it would be copied from
//!   (same device and inode, e.g. `--cert-file` pointing into the acme.sh home, or a hard link
//!   to it) is skipped. A target that is one of the *other* issued files is refused: writing
//!   the key over `fullchain.cer` would destroy the lineage.
//! - A missing parent directory is an error ([`InstallError::NoParent`]); nothing is created.

use std::fmt;
use std::fs::{self, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use rustix::io::Errno;

use crate::store::{self, atomic::write_atomic_owned};

/// Symlinks followed for one target before giving up (Linux's own limit).
const MAX_SYMLINKS: usize = 40;

/// Mode of a new key file.
const NEW_KEY_MODE: u32 = 0o600;

/// Mode of a new cert, CA or full-chain file.
const NEW_CERT_MODE: u32 = 0o644;

/// Which issued file a target receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The leaf certificate (`<d>.cer`).
    Cert,
    /// The intermediates (`ca.cer`).
    Ca,
    /// The private key (`<d>.key`).
    Key,
    /// Leaf and intermediates (`fullchain.cer`).
    Fullchain,
}

impl Kind {
    /// acme.sh's word in `Installing <word> to: <path>`: `cert`, `CA`, `key`, `full chain`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Cert => "cert",
            Self::Ca => "CA",
            Self::Key => "key",
            Self::Fullchain => "full chain",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The install targets; `None` installs nothing of that kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    /// `--cert-file` (`Le_RealCertPath`).
    pub cert: Option<PathBuf>,
    /// `--ca-file` (`Le_RealCACertPath`).
    pub ca: Option<PathBuf>,
    /// `--key-file` (`Le_RealKeyPath`).
    pub key: Option<PathBuf>,
    /// `--fullchain-file` (`Le_RealFullChainPath`).
    pub fullchain: Option<PathBuf>,
}

/// The issued files in the lineage folder. Only those with a target need to exist.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// `<d>.cer`.
    pub cert: &'a Path,
    /// `ca.cer`.
    pub ca: &'a Path,
    /// `<d>.key`.
    pub key: &'a Path,
    /// `fullchain.cer`.
    pub fullchain: &'a Path,
}

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

/// One target, checked and ready to write.
struct Plan<'a> {
    kind: Kind,
    target: &'a Path,
    /// The file to replace: the target with every symlink resolved.
    dest: PathBuf,
    existing: Option<Metadata>,
    source: &'a Path,
    action: Action,
}

/// Copies the issued files to the targets; see the module documentation for the rules.
///
/// # Errors
///
/// Any [`InstallError`]; all but [`InstallError::Write`] leave every target untouched.
pub fn install(sources: &Sources<'_>, targets: &Targets) -> Result<Vec<Installed>, InstallError> {
    let all = [
        (Kind::Cert, sources.cert, targets.cert.as_deref()),
        (Kind::Ca, sources.ca, targets.ca.as_deref()),
        (Kind::Key, sources.key, targets.key.as_deref()),
        (
            Kind::Fullchain,
            sources.fullchain,
            targets.fullchain.as_deref(),
        ),
    ];
    // The identity of every source: a needed one must exist, the others only guard targets.
    let mut source_ids = Vec::new();
    for &(kind, source, target) in &all {
        match fs::metadata(source) {
            Ok(meta) => source_ids.push((kind, file_id(&meta))),
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
        let (dest, existing) = resolve(kind, target)?;
        let mut action = Action::Written;
        if let Some(meta) = &existing {
            match source_ids.iter().find(|(_, id)| *id == file_id(meta)) {
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
        plans.push(Plan {
            kind,
            target,
            dest,
            existing,
            source,
            action,
        });
    }
    let cert_dest = plans
        .iter()
        .find(|p| p.kind == Kind::Cert && p.action == Action::Written)
        .map(|p| p.dest.clone());
    if let Some(cert_dest) = cert_dest {
        for plan in &mut plans {
            if plan.kind == Kind::Ca && plan.dest == cert_dest {
                plan.action = Action::AppendedToCert;
            }
        }
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
        let (mode, tightened_from) = mode_for(plan.kind, plan.existing.as_ref());
        if plan.action == Action::Written {
            let owner = plan.existing.as_ref().map(|m| (m.uid(), m.gid()));
            write_atomic_owned(&plan.dest, data, mode, owner).map_err(|source| {
                InstallError::Write {
                    kind: plan.kind,
                    path: plan.target.to_owned(),
                    source,
                }
            })?;
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
fn file_id(meta: &Metadata) -> (u64, u64) {
    (meta.dev(), meta.ino())
}

/// The mode of the new file, and the old mode when world bits were dropped from a key.
fn mode_for(kind: Kind, existing: Option<&Metadata>) -> (u32, Option<u32>) {
    match existing {
        None if kind == Kind::Key => (NEW_KEY_MODE, None),
        None => (NEW_CERT_MODE, None),
        Some(meta) => {
            let old = meta.mode() & 0o777;
            if kind == Kind::Key && old & 0o007 != 0 {
                (old & !0o007, Some(old))
            } else {
                (old, None)
            }
        }
    }
}

/// The file `target` stands for, with every symlink resolved (its directory canonical), and
/// its metadata when it exists.
fn resolve(kind: Kind, target: &Path) -> Result<(PathBuf, Option<Metadata>), InstallError> {
    let no_parent = |source| InstallError::NoParent {
        kind,
        path: target.to_owned(),
        source,
    };
    let resolve_err = |source| InstallError::Resolve {
        kind,
        path: target.to_owned(),
        source,
    };
    let mut path = target.to_owned();
    for _ in 0..=MAX_SYMLINKS {
        let Some(name) = path.file_name() else {
            return Err(InstallError::NotAFile {
                kind,
                path: target.to_owned(),
            });
        };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let dir = fs::canonicalize(dir).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => no_parent(e),
            _ => resolve_err(e),
        })?;
        let full = dir.join(name);
        match fs::symlink_metadata(&full) {
            Ok(meta) if meta.file_type().is_symlink() => {
                // A relative link is relative to its directory; an absolute one replaces it.
                path = dir.join(fs::read_link(&full).map_err(resolve_err)?);
            }
            Ok(meta) if meta.is_file() => return Ok((full, Some(meta))),
            Ok(_) => {
                return Err(InstallError::NotAFile {
                    kind,
                    path: target.to_owned(),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((full, None)),
            // The "directory" is a file.
            Err(e) if e.kind() == io::ErrorKind::NotADirectory => return Err(no_parent(e)),
            Err(e) => return Err(resolve_err(e)),
        }
    }
    Err(resolve_err(Errno::LOOP.into()))
}

#[cfg(test)]
#[path = "install_tests.rs"]
mod tests;
