//! acme.sh's `-w/--webroot DIR`: the key authorization goes into
//! `DIR/.well-known/acme-challenge/<token>` for the web server that serves `DIR` to find.
//!
//! The webroot is usually writable by the web server's user while acmers runs as root, so
//! nothing under it is trusted (docs/security.md):
//!
//! - each component is opened relative to its parent's directory handle with `O_NOFOLLOW`;
//!   a symbolic link anywhere below the webroot is refused, never followed;
//! - only missing directories are created (mode 0755 exactly, so a web server running as
//!   another user can traverse them), and this instance remembers which ones it made;
//! - the token file is created with `O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0644 exactly;
//! - cleanup unlinks only the file this instance created (same device and inode), then
//!   removes the directories it created once its last token is gone and they are empty;
//! - nothing is ever chowned or chmodded recursively; pre-existing entries are never touched.
//!
//! The file system work runs in [`tokio::task::spawn_blocking`], serialized per instance by
//! one lock, so several challenges can share a webroot (multi-SAN orders).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write as _};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;
use tracing::Instrument as _;

use super::{BoxFuture, Challenge, Error, Solver};
use crate::acme::types::ChallengeType;

const WELL_KNOWN: &str = ".well-known";
const ACME_CHALLENGE: &str = "acme-challenge";
const DIR_MODE: u32 = 0o755;
const FILE_MODE: u32 = 0o644;

/// An http-01 solver writing token files under a directory another web server serves. See
/// the [module docs](self).
#[derive(Debug)]
pub struct Webroot {
    root: PathBuf,
    state: Arc<Mutex<State>>,
}

/// What this instance holds open and what it created.
#[derive(Debug, Default)]
struct State {
    /// Directory handles, kept from the first `present` until the last `cleanup`.
    dirs: Option<Dirs>,
    /// Token files this instance created, by token, with their identity at creation.
    files: HashMap<String, FileId>,
    /// Test-only fault injection: fail `present` after the directories, before the file.
    #[cfg(test)]
    fail_before_file: bool,
}

#[derive(Debug)]
struct Dirs {
    root: OwnedFd,
    well_known: Option<Dir>,
    acme_challenge: Option<Dir>,
}

#[derive(Debug)]
struct Dir {
    fd: OwnedFd,
    /// Set when this instance made the directory.
    created: Option<FileId>,
}

/// A file's identity (device and inode), to delete only the exact entry that was created.
///
/// Best effort: a freed inode number can be reused at once, so an entry deleted and
/// recreated by someone else may look like ours. Removing it is still confined to the
/// no-follow handle of a directory under the webroot, so nothing outside can be affected.
#[derive(Clone, Copy, Debug)]
struct FileId(Stat);

impl FileId {
    fn of(fd: &OwnedFd) -> io::Result<Self> {
        Ok(Self(rustix::fs::fstat(fd)?))
    }

    fn is(&self, other: &Stat) -> bool {
        self.0.st_dev == other.st_dev && self.0.st_ino == other.st_ino
    }
}

impl Webroot {
    /// A solver for the webroot `root` (acme.sh's `-w`). Nothing is checked until `present`.
    pub fn new(root: PathBuf) -> Self {
        Self {
            root,
            state: Arc::default(),
        }
    }

    /// Run `f` on this instance's state in the blocking pool.
    async fn blocking<F>(&self, f: F) -> Result<(), Error>
    where
        F: FnOnce(&Path, &mut State) -> Result<(), Error> + Send + 'static,
    {
        let root = self.root.clone();
        let state = Arc::clone(&self.state);
        let task = tokio::task::spawn_blocking(move || {
            // Every update leaves the state consistent, so a poisoned lock is safe to reuse.
            let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
            f(&root, &mut state)
        });
        match task.await {
            Ok(result) => result,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(_) => Err(Error::Cancelled),
        }
    }
}

impl Solver for Webroot {
    fn kind(&self) -> ChallengeType {
        ChallengeType::Http01
    }

    /// Writes the token files in order and stops at the first failure.
    fn present<'a>(&'a self, batch: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>> {
        let files = token_files(batch);
        Box::pin(
            self.blocking(move |root, state| {
                files.iter().try_for_each(|(token, content)| {
                    present(root, state, token, content.as_bytes())
                })
            })
            .instrument(tracing::debug_span!("webroot present", root = %self.root.display())),
        )
    }

    /// Removes every token file of the batch it created, and returns the first failure.
    fn cleanup<'a>(&'a self, batch: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>> {
        let files = token_files(batch);
        Box::pin(
            self.blocking(move |root, state| {
                // Every file is tried; the first failure is reported.
                let mut result = Ok(());
                for (token, _) in &files {
                    let removed = cleanup(root, state, token);
                    result = result.and(removed);
                }
                result
            })
            .instrument(tracing::debug_span!("webroot cleanup", root = %self.root.display())),
        )
    }
}

/// Token and content of each challenge's file, owned for the blocking task.
fn token_files(batch: &[Challenge]) -> Vec<(String, String)> {
    batch
        .iter()
        .map(|c| {
            let content = c.key_authorization.as_str().to_owned();
            (c.token.as_str().to_owned(), content)
        })
        .collect()
}

/// Take the value in `slot`, or make one with `make`, and leave it in `slot`.
fn get_or_try_insert<T>(
    slot: &mut Option<T>,
    make: impl FnOnce() -> Result<T, Error>,
) -> Result<&mut T, Error> {
    let value = match slot.take() {
        Some(value) => value,
        None => make()?,
    };
    Ok(slot.insert(value))
}

fn present(root: &Path, state: &mut State, token: &str, content: &[u8]) -> Result<(), Error> {
    let well_known_path = root.join(WELL_KNOWN);
    let challenge_path = well_known_path.join(ACME_CHALLENGE);
    let file_path = challenge_path.join(token);

    // Each step is stored as soon as it succeeds, so a later failure still lets `cleanup`
    // remove what was made.
    let dirs = get_or_try_insert(&mut state.dirs, || {
        Ok(Dirs {
            root: open_root(root)?,
            well_known: None,
            acme_challenge: None,
        })
    })?;
    let parent = &dirs.root;
    let well_known = get_or_try_insert(&mut dirs.well_known, || {
        open_or_create_dir(parent, WELL_KNOWN, &well_known_path)
    })?;
    let parent = &well_known.fd;
    let challenge_dir = get_or_try_insert(&mut dirs.acme_challenge, || {
        open_or_create_dir(parent, ACME_CHALLENGE, &challenge_path)
    })?;

    #[cfg(test)]
    if state.fail_before_file {
        return Err(Error::Webroot {
            op: "create",
            path: file_path,
            source: io::Error::other("injected failure"),
        });
    }

    let fd = create_file(&challenge_dir.fd, token, &file_path)?;
    let id = match FileId::of(&fd) {
        Ok(id) => id,
        Err(source) => {
            // Not recorded, so remove it now; a failure here leaves only an empty file.
            let _ = rustix::fs::unlinkat(&challenge_dir.fd, token, AtFlags::empty());
            return Err(io_error("inspect", &file_path, source));
        }
    };
    state.files.insert(token.to_owned(), id);

    let result = rustix::fs::fchmod(&fd, Mode::from_raw_mode(FILE_MODE))
        .map_err(io::Error::from)
        .and_then(|()| File::from(fd).write_all(content));
    result.map_err(|source| io_error("write", &file_path, source))?;
    tracing::debug!(path = %file_path.display(), "challenge file written");
    Ok(())
}

fn cleanup(root: &Path, state: &mut State, token: &str) -> Result<(), Error> {
    let well_known_path = root.join(WELL_KNOWN);
    let challenge_path = well_known_path.join(ACME_CHALLENGE);
    let mut result = Ok(());

    if let Some(id) = state.files.remove(token)
        && let Some(dir) = state.dirs.as_ref().and_then(|d| d.acme_challenge.as_ref())
    {
        result = remove_entry(&dir.fd, token, id, &challenge_path.join(token));
    }
    if !state.files.is_empty() {
        return result;
    }
    // The last token of this instance is gone: remove the directories it made, innermost
    // first, if they are empty; then forget the handles.
    if let Some(dirs) = state.dirs.take()
        && let Some(well_known) = dirs.well_known
    {
        if let Some(challenge_dir) = dirs.acme_challenge
            && let Some(id) = challenge_dir.created
        {
            drop(challenge_dir.fd);
            let removed = remove_entry(&well_known.fd, ACME_CHALLENGE, id, &challenge_path);
            result = result.and(removed);
        }
        if let Some(id) = well_known.created {
            drop(well_known.fd);
            let removed = remove_entry(&dirs.root, WELL_KNOWN, id, &well_known_path);
            result = result.and(removed);
        }
    }
    result
}

fn io_error(op: &'static str, path: &Path, source: impl Into<io::Error>) -> Error {
    Error::Webroot {
        op,
        path: path.to_owned(),
        source: source.into(),
    }
}

/// Open the webroot itself. It is the user's own configuration, so a symbolic link here is
/// followed; everything below it is not.
fn open_root(root: &Path) -> Result<OwnedFd, Error> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    rustix::fs::open(root, flags, Mode::empty()).map_err(|errno| match errno {
        Errno::NOTDIR => Error::NotADirectory {
            path: root.to_owned(),
        },
        _ => io_error("open the webroot", root, errno),
    })
}

fn open_dir_at(parent: &OwnedFd, name: &str) -> rustix::io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::openat(parent, name, flags, Mode::empty())
}

/// Explain a failed no-follow open of `name`: a symbolic link, something that is not a
/// directory, or another error.
fn open_error(parent: &OwnedFd, name: &str, path: &Path, errno: Errno) -> Error {
    if errno == Errno::LOOP || errno == Errno::NOTDIR {
        match rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Symlink => {
                return Error::Symlink {
                    path: path.to_owned(),
                };
            }
            Ok(st) if FileType::from_raw_mode(st.st_mode) != FileType::Directory => {
                return Error::NotADirectory {
                    path: path.to_owned(),
                };
            }
            _ => {}
        }
    }
    io_error("open", path, errno)
}

/// Open the directory `name` under `parent` without following links, creating it (0755) if
/// it is missing.
fn open_or_create_dir(parent: &OwnedFd, name: &str, path: &Path) -> Result<Dir, Error> {
    match open_dir_at(parent, name) {
        Ok(fd) => return Ok(Dir { fd, created: None }),
        Err(Errno::NOENT) => {}
        Err(errno) => return Err(open_error(parent, name, path, errno)),
    }
    match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(DIR_MODE)) {
        Ok(()) => {}
        // Created by someone else meanwhile: use it as a pre-existing directory.
        Err(Errno::EXIST) => {
            return open_dir_at(parent, name)
                .map(|fd| Dir { fd, created: None })
                .map_err(|errno| open_error(parent, name, path, errno));
        }
        Err(errno) => return Err(io_error("create", path, errno)),
    }
    tracing::debug!(path = %path.display(), "created directory");
    // The umask may have stripped bits; set the mode exactly, on the handle.
    let made = open_dir_at(parent, name)
        .map_err(|errno| open_error(parent, name, path, errno))
        .and_then(|fd| {
            let id = FileId::of(&fd).map_err(|source| io_error("inspect", path, source))?;
            rustix::fs::fchmod(&fd, Mode::from_raw_mode(DIR_MODE))
                .map_err(|errno| io_error("set the mode of", path, errno))?;
            Ok(Dir {
                fd,
                created: Some(id),
            })
        });
    if made.is_err() {
        // Not recorded, so undo the mkdir now (rmdir only removes an empty directory and does
        // not follow a link that may have replaced it).
        let _ = rustix::fs::unlinkat(parent, name, AtFlags::REMOVEDIR);
    }
    made
}

/// Create the token file `name` in `dir` (`O_EXCL`, no-follow). An existing regular file is
/// unlinked first (never truncated: it might be a hard link to something else).
fn create_file(dir: &OwnedFd, name: &str, path: &Path) -> Result<OwnedFd, Error> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mode = Mode::from_raw_mode(FILE_MODE);
    match rustix::fs::openat(dir, name, flags, mode) {
        Ok(fd) => return Ok(fd),
        Err(Errno::EXIST) => {}
        Err(errno) => return Err(io_error("create", path, errno)),
    }
    let st = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
        .map_err(|errno| io_error("inspect", path, errno))?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile => {}
        FileType::Symlink => {
            return Err(Error::Symlink {
                path: path.to_owned(),
            });
        }
        _ => {
            return Err(Error::NotAFile {
                path: path.to_owned(),
            });
        }
    }
    tracing::debug!(path = %path.display(), "replacing an existing challenge file");
    rustix::fs::unlinkat(dir, name, AtFlags::empty())
        .map_err(|errno| io_error("remove", path, errno))?;
    rustix::fs::openat(dir, name, flags, mode).map_err(|errno| io_error("create", path, errno))
}

/// Remove `name` from `dir` if it is still the entry this instance created (`id`). A
/// directory that is not empty is left alone, and so is an entry that was replaced.
fn remove_entry(dir: &OwnedFd, name: &str, id: FileId, path: &Path) -> Result<(), Error> {
    let st = match rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(Errno::NOENT) => return Ok(()),
        Err(errno) => return Err(io_error("inspect", path, errno)),
    };
    if !id.is(&st) {
        tracing::warn!(path = %path.display(), "replaced since it was created; leaving it");
        return Ok(());
    }
    let is_dir = FileType::from_raw_mode(st.st_mode) == FileType::Directory;
    let flags = if is_dir {
        AtFlags::REMOVEDIR
    } else {
        AtFlags::empty()
    };
    match rustix::fs::unlinkat(dir, name, flags) {
        Ok(()) | Err(Errno::NOENT) => Ok(()),
        Err(Errno::NOTEMPTY | Errno::EXIST) if is_dir => {
            tracing::debug!(path = %path.display(), "not empty; leaving it");
            Ok(())
        }
        Err(errno) => Err(io_error("remove", path, errno)),
    }
}

#[cfg(test)]
#[path = "webroot_tests.rs"]
mod tests;
