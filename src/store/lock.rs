//! Advisory locks that die with the process (docs/renewal.md, "Locks"): `flock` on a lock file,
//! released by the kernel on exit, `kill -9` included, so a lock is never stale.
//!
//! One lock per lineage (`<lineage>/.acmers.lock`), held for a whole issuance or renewal, one
//! per CA account (`ca/<host>/<path>/.acmers.lock`), held while the account is registered, and
//! one per conf edited in place (`.<name>.lock`, [`super::edit`]), held for one edit.
//! The leading dot keeps the files out of acme.sh's `*.*` folder globs. On NFS such locks
//! are not reliable: the file store is single-host.

use std::fs::{File, OpenOptions, TryLockError};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Error;

/// The lock file's name inside the folder it protects.
pub const LOCK_FILE: &str = ".acmers.lock";

/// A held lock; dropping it releases the lock (the file stays).
#[derive(Debug)]
pub struct Lock {
    _file: File,
    path: PathBuf,
}

impl Lock {
    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The lock file `path`, opened (created 0600 when missing, never through a symlink).
fn open(path: PathBuf) -> Result<(File, PathBuf), Error> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(&path)
        .map_err(|source| Error::Lock {
            path: path.clone(),
            source,
        })?;
    Ok((file, path))
}

/// Take the lock of the lock file `path` (another name than [`LOCK_FILE`]: a conf's lock,
/// [`super::edit`]), waiting as long as another process holds it.
pub(super) fn hold(path: PathBuf) -> Result<Lock, Error> {
    let (file, path) = open(path)?;
    match file.lock() {
        Ok(()) => Ok(Lock { _file: file, path }),
        Err(source) => Err(Error::Lock { path, source }),
    }
}

/// Take the lock of `dir` if it is free: `Ok(None)` when another process holds it.
pub fn try_lock(dir: &Path) -> Result<Option<Lock>, Error> {
    let (file, path) = open(dir.join(LOCK_FILE))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(Lock { _file: file, path })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(source)) => Err(Error::Lock { path, source }),
    }
}

/// Take the lock of `dir`, waiting up to `timeout` for another process to release it:
/// `Ok(None)` when it is still held then. Re-checks with a growing step (20 ms … 1 s).
pub async fn lock(dir: &Path, timeout: Duration) -> Result<Option<Lock>, Error> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut step = Duration::from_millis(20);
    loop {
        if let Some(lock) = try_lock(dir)? {
            return Ok(Some(lock));
        }
        let now = tokio::time::Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        tokio::time::sleep(step.min(deadline - now)).await;
        step = (step * 2).min(Duration::from_secs(1));
    }
}

#[cfg(test)]
#[path = "lock_tests.rs"]
mod tests;
