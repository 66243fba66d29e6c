//! Whom a file can be trusted to come from, when acmers runs as root (docs/security.md).
//!
//! Root runs acmers from cron, so every other local user is a possible attacker: a conf,
//! log, CA bundle, install target or folder that another user owns or can write is hostile
//! input, however it is named. [`Policy::current`] is strict for root and permissive for
//! anyone else (a user's own run over their own files is not second-guessed).
//!
//! Under the strict policy a file or folder is trusted when root owns it and neither its
//! group nor other users can write it. Above the folder that holds the file, a folder that
//! everyone can write is accepted only with the sticky bit (`/tmp`): nobody but root can then
//! rename or replace root's entry below it. A symbolic link on the way is followed only when
//! root owns it (it sits in a trusted folder, so nobody else can replace it), and its target
//! is checked by the same rules. Folders are opened one component at a time relative to the
//! previous one with `O_NOFOLLOW`, and judged by `fstat` of what was opened, so what is checked
//! is what is used.

use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use super::Error;
use super::file::Loaded;

/// Symbolic links followed for one path before giving up (Linux's own limit).
const MAX_SYMLINKS: usize = 40;

/// Why a file or folder is not trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// Another user owns it.
    Owner(u32),
    /// Its group or other users can write it.
    Writable(u32),
    /// A symbolic link that another user owns.
    LinkOwner(u32),
    /// Not what was expected there (a folder on the way, a regular file at the end).
    WrongType,
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Owner(uid) => write!(f, "it is owned by another user (uid {uid})"),
            Self::Writable(mode) => {
                write!(f, "other users can write to it (mode {:o})", mode & 0o7777)
            }
            Self::LinkOwner(uid) => {
                write!(f, "it is a symbolic link owned by another user (uid {uid})")
            }
            Self::WrongType => f.write_str("it is not a regular file or folder"),
        }
    }
}

/// A file's place: see [`Policy::locate`].
#[derive(Debug)]
pub struct Located {
    /// Its folder, opened (`O_PATH`).
    pub dir: OwnedFd,
    /// The path the folder was opened by, for messages.
    pub dir_path: PathBuf,
    /// Its name in the folder (not a symbolic link).
    pub name: OsString,
    /// The file, when it exists.
    pub existing: Option<Stat>,
}

impl Located {
    /// `dir_path/name`, for messages.
    pub fn path(&self) -> PathBuf {
        self.dir_path.join(&self.name)
    }
}

/// Owner and mode (file type bits included) of a file or folder, from `fstat` of the handle
/// it was read through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The owner's uid.
    pub uid: u32,
    /// `st_mode`.
    pub mode: u32,
}

impl Origin {
    /// The owner and mode of a `stat` result.
    pub fn of(stat: &Stat) -> Self {
        Self {
            uid: stat.st_uid,
            mode: stat.st_mode,
        }
    }
}

/// Where a file or folder stands on its path: the folder that holds what is used (or the
/// file itself) must be closed to other users; a folder above it may be a sticky `/tmp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Above,
    Holder,
}

/// The trust rules of this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    euid: u32,
    strict: bool,
}

impl Policy {
    /// Strict when running as root, permissive otherwise.
    pub fn current() -> Self {
        let euid = rustix::process::geteuid().as_raw();
        Self {
            euid,
            strict: euid == 0,
        }
    }

    /// Why a file whose handle had this owner and mode must not be used, if so: it must be a
    /// regular file that root (or the running user) owns and that neither its group nor others
    /// can write.
    fn file(self, origin: Origin) -> Option<Why> {
        if !self.strict {
            return None;
        }
        if FileType::from_raw_mode(origin.mode) != FileType::RegularFile {
            return Some(Why::WrongType);
        }
        self.owner_and_mode(origin, Place::Holder)
    }

    /// Whether a file or symbolic link that `uid` owns may be used: always under the
    /// permissive policy, otherwise when root (or the running user) owns it. Unlike
    /// [`check_file`](Self::check_file) this does not judge the mode, for what acmers
    /// replaces rather than reads (an install target).
    pub fn trusts_owner(self, uid: u32) -> bool {
        !self.strict || uid == 0 || uid == self.euid
    }

    /// Refuse a file whose handle had this owner and mode unless it is a regular file that
    /// root (or the running user) owns and that neither its group nor others can write.
    ///
    /// # Errors
    ///
    /// [`Error::Untrusted`].
    pub fn check_file(self, path: &Path, origin: Origin) -> Result<(), Error> {
        match self.file(origin) {
            Some(why) => Err(Error::Untrusted {
                path: path.to_owned(),
                why,
            }),
            None => Ok(()),
        }
    }

    fn owner_and_mode(self, origin: Origin, place: Place) -> Option<Why> {
        if !self.strict {
            return None;
        }
        let Origin { uid, mode } = origin;
        if !self.trusts_owner(uid) {
            return Some(Why::Owner(uid));
        }
        let sticky_tmp = place == Place::Above && mode & 0o1000 != 0;
        if mode & 0o022 != 0 && !sticky_tmp {
            return Some(Why::Writable(mode));
        }
        None
    }

    /// Check the folder `path` and every folder above it, following only trusted symbolic
    /// links. A missing tail is accepted (acmers creates it, 0700); what exists must pass.
    ///
    /// # Errors
    ///
    /// [`Error::Untrusted`] naming the first folder or link that fails, or [`Error::Read`]
    /// when a folder cannot be examined.
    pub fn check_dir(self, path: &Path) -> Result<(), Error> {
        if !self.strict {
            return Ok(());
        }
        self.walk(path, true).map(drop)
    }

    /// Open the folder `path` for `*at` calls (an `O_PATH` descriptor), checking it and every
    /// folder above it as [`check_dir`](Self::check_dir) does; it must exist. Under the
    /// permissive policy the path is opened as the system resolves it.
    ///
    /// # Errors
    ///
    /// As [`check_dir`](Self::check_dir), and [`Error::Read`] when the folder is missing.
    pub fn open_dir(self, path: &Path) -> Result<OwnedFd, Error> {
        if !self.strict {
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            return rustix::fs::open(path, flags, Mode::empty()).map_err(|e| read_err(path, e));
        }
        match self.walk(path, false)? {
            Some(fd) => Ok(fd),
            None => Err(read_err(path, Errno::NOENT)),
        }
    }

    /// Where the file `path` stands for is: its folder opened by [`open_dir`](Self::open_dir),
    /// its name there after following symbolic links (relative ones from their own folder, at
    /// most 40; under the strict policy only links root owns, each target judged again), and
    /// the file's `stat` when it exists. An existing file must be a regular file whose owner
    /// [`trusts_owner`](Self::trusts_owner) accepts; its mode is left to the caller.
    ///
    /// # Errors
    ///
    /// As [`open_dir`](Self::open_dir) for the folder (a missing one is [`Error::Read`] with
    /// `NotFound`); [`Error::Untrusted`] for a link or file of another user;
    /// [`Error::NotRegular`] for a folder, device or pipe, or a path without a file name.
    pub fn locate(self, path: &Path) -> Result<Located, Error> {
        let mut path = path.to_owned();
        for _ in 0..=MAX_SYMLINKS {
            let Some(name) = path.file_name().map(OsStr::to_owned) else {
                return Err(Error::NotRegular { path });
            };
            let dir_path = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                _ => PathBuf::from("."),
            };
            let dir = self.open_dir(&dir_path)?;
            let here = dir_path.join(&name);
            let stat = match rustix::fs::statat(&dir, &name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => Some(stat),
                Err(Errno::NOENT) => None,
                Err(e) => return Err(read_err(&here, e)),
            };
            let kind = stat.map(|s| FileType::from_raw_mode(s.st_mode));
            let untrusted = |why| Error::Untrusted {
                path: here.clone(),
                why,
            };
            match (kind, stat) {
                (Some(FileType::Symlink), Some(s)) if !self.trusts_owner(s.st_uid) => {
                    return Err(untrusted(Why::LinkOwner(s.st_uid)));
                }
                (Some(FileType::Symlink), _) => {
                    let to = rustix::fs::readlinkat(&dir, &name, Vec::new())
                        .map_err(|e| read_err(&here, e))?;
                    // A relative link is relative to its folder; an absolute one replaces it.
                    path = dir_path.join(OsStr::from_bytes(to.as_bytes()));
                }
                (Some(FileType::RegularFile), Some(s)) if !self.trusts_owner(s.st_uid) => {
                    return Err(untrusted(Why::Owner(s.st_uid)));
                }
                (None | Some(FileType::RegularFile), _) => {
                    return Ok(Located {
                        dir,
                        dir_path,
                        name,
                        existing: stat,
                    });
                }
                _ => return Err(Error::NotRegular { path: here }),
            }
        }
        Err(read_err(&path, Errno::LOOP))
    }

    /// Read the file `path` as [`file::read`](super::file::read) does, reached through
    /// [`locate`](Self::locate) (root's own links are followed) and judged by
    /// [`check_file`](Self::check_file) as opened; `Ok(None)` when it does not exist (its folder must).
    ///
    /// # Errors
    ///
    /// As [`locate`](Self::locate) and [`file::read`](super::file::read), and
    /// [`Error::Untrusted`] for a file others can write.
    pub fn read_file(self, path: &Path, limit: u64) -> Result<Option<Loaded>, Error> {
        let located = self.locate(path)?;
        if located.existing.is_none() {
            return Ok(None);
        }
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let at = located.path();
        let fd = rustix::fs::openat(&located.dir, &located.name, flags, Mode::empty())
            .map_err(|e| read_err(&at, e))?;
        let loaded = super::file::read_opened(std::fs::File::from(fd), &at, limit)?;
        self.check_file(&at, loaded.origin)?;
        Ok(Some(loaded))
    }

    /// Open the file `path` for appending (a log), created 0600 when missing, reached through
    /// [`locate`](Self::locate) and judged by [`check_file`](Self::check_file) as opened.
    ///
    /// # Errors
    ///
    /// As [`locate`](Self::locate); [`Error::Write`] when it cannot be opened or created;
    /// [`Error::Untrusted`] for a file others can write.
    pub fn open_append(self, path: &Path) -> Result<std::fs::File, Error> {
        let located = self.locate(path)?;
        let at = located.path();
        let flags = OFlags::WRONLY
            | OFlags::APPEND
            | OFlags::CREATE
            | OFlags::NOFOLLOW
            | OFlags::NONBLOCK
            | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(
            &located.dir,
            &located.name,
            flags,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| Error::Write {
            path: at.clone(),
            source: e.into(),
        })?;
        let stat = rustix::fs::fstat(&fd).map_err(|e| read_err(&at, e))?;
        self.check_file(&at, Origin::of(&stat))?;
        Ok(std::fs::File::from(fd))
    }

    /// The walk behind [`check_dir`](Self::check_dir) and [`open_dir`](Self::open_dir):
    /// `Some(fd)` of the folder, or `None` when a tail is missing and `missing_ok`.
    fn walk(self, path: &Path, missing_ok: bool) -> Result<Option<OwnedFd>, Error> {
        let absolute = std::path::absolute(path).map_err(|source| Error::Read {
            path: path.to_owned(),
            source,
        })?;
        let untrusted = |shown: &Path, why| Error::Untrusted {
            path: shown.to_owned(),
            why,
        };
        let root_flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let open_root = || rustix::fs::open("/", root_flags, Mode::empty());
        let mut fd = open_root().map_err(|e| read_err(Path::new("/"), e))?;
        let mut shown = PathBuf::from("/");
        // Components still to walk, front first; symbolic links push their target's.
        let mut todo: Vec<OsString> = Vec::new();
        push_components(&mut todo, &absolute);
        let mut links = 0;
        self.check_opened(&fd, &shown, todo.is_empty())?;
        while let Some(name) = todo.pop() {
            let last = todo.is_empty();
            if name == "/" {
                fd = open_root().map_err(|e| read_err(Path::new("/"), e))?;
                shown = PathBuf::from("/");
                self.check_opened(&fd, &shown, last)?;
                continue;
            }
            let here = if name == ".." {
                shown.pop();
                shown.clone()
            } else {
                shown.join(&name)
            };
            let stat = match rustix::fs::statat(&fd, name.as_os_str(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => stat,
                Err(Errno::NOENT) if missing_ok => return Ok(None),
                Err(e) => return Err(read_err(&here, e)),
            };
            if FileType::from_raw_mode(stat.st_mode) == FileType::Symlink {
                if !self.trusts_owner(stat.st_uid) {
                    return Err(untrusted(&here, Why::LinkOwner(stat.st_uid)));
                }
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(read_err(&here, Errno::LOOP));
                }
                let target = rustix::fs::readlinkat(&fd, name.as_os_str(), Vec::new())
                    .map_err(|e| read_err(&here, e))?;
                push_components(&mut todo, Path::new(OsStr::from_bytes(target.as_bytes())));
                continue;
            }
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            fd = match rustix::fs::openat(&fd, name.as_os_str(), flags, Mode::empty()) {
                Ok(next) => next,
                Err(Errno::NOTDIR) => return Err(untrusted(&here, Why::WrongType)),
                Err(e) => return Err(read_err(&here, e)),
            };
            shown = here;
            self.check_opened(&fd, &shown, last)?;
        }
        Ok(Some(fd))
    }

    fn check_opened(self, fd: &OwnedFd, shown: &Path, last: bool) -> Result<(), Error> {
        let stat = rustix::fs::fstat(fd).map_err(|e| read_err(shown, e))?;
        let place = if last { Place::Holder } else { Place::Above };
        match self.owner_and_mode(Origin::of(&stat), place) {
            Some(why) => Err(Error::Untrusted {
                path: shown.to_owned(),
                why,
            }),
            None => Ok(()),
        }
    }
}

/// Push the components of `path` so that the first one is popped first (`/` for a root).
fn push_components(todo: &mut Vec<OsString>, path: &Path) {
    let mut parts: Vec<OsString> = Vec::new();
    for component in path.components() {
        match component {
            Component::RootDir | Component::Prefix(_) => parts.push("/".into()),
            Component::CurDir => {}
            Component::ParentDir => parts.push("..".into()),
            Component::Normal(name) => parts.push(name.to_owned()),
        }
    }
    todo.extend(parts.into_iter().rev());
}

fn read_err(path: &Path, errno: Errno) -> Error {
    Error::Read {
        path: path.to_owned(),
        source: errno.into(),
    }
}

#[cfg(test)]
#[path = "trust_tests.rs"]
mod tests;
