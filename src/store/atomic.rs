//! Durable, atomic file replacement and private directories (docs/renewal.md, "Crash safety").

use std::ffi::{OsStr, OsString};
use std::fs::{self, DirBuilder, File, Permissions};
use std::io::{self, Write as _};
use std::os::fd::OwnedFd;
use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
use std::path::Path;

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use super::Error;

/// File names longer than this get a generic temp-file prefix so the temp name stays under the
/// usual 255-byte limit.
const MAX_PREFIX_NAME: usize = 200;

/// Replaces `path` with `data`, atomically and durably, leaving the file with exactly `mode`.
///
/// A temp file `.<name>.XXXXXX.tmp` is created in the same directory with `O_CREAT|O_EXCL` (so
/// it never follows a symlink) and `mode` at open time, then `fchmod`ed to exactly `mode` (the
/// umask may have cleared bits) before any data is written. Then: write, `fsync` the file,
/// `rename` it over `path`, `fsync` the directory. The leading dot keeps temp files out of
/// acme.sh's `*.*` globs. If `path` is a symlink, the link itself is replaced.
///
/// # Errors
///
/// [`Error::Write`] when any step up to and including the rename fails; the temp file is
/// removed and the old `path` is untouched. [`Error::SyncDir`] when the final directory
/// `fsync` fails; the new content is then already in place.
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<(), Error> {
    let write_err = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    let name = path.file_name().ok_or_else(|| {
        write_err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "path has no file name",
        ))
    })?;
    let dir = parent_dir(path);
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let dir_fd = rustix::fs::open(dir, flags, Mode::empty()).map_err(|e| write_err(e.into()))?;
    write_atomic_in(&dir_fd, dir, name, data, mode, None)
}

/// [`write_atomic`] for the file `name` of an already opened folder (an `O_PATH` descriptor
/// is enough): the temp file is created relative to `dir` with `O_CREAT|O_EXCL|O_NOFOLLOW`
/// and renamed over `name` inside it, so nothing on the folder's path is looked up again.
/// `dir_path` only names the folder in errors.
///
/// With an `owner` `(uid, gid)` the new file gets it: the temp file is `fchown`ed before its
/// mode is set and before any data is written, so the file never holds the data under another
/// owner, and the `fchmod` after the `fchown` restores any bit the `fchown` cleared. No
/// `fchown` is attempted when the temp file already has that owner, so an unprivileged caller
/// can keep a file it owns (with one of its groups); changing to an owner it cannot give away
/// fails with [`Error::Chown`].
///
/// # Errors
///
/// As [`write_atomic`], plus [`Error::Chown`] (nothing replaced, no temp file left).
pub fn write_atomic_in(
    dir: &OwnedFd,
    dir_path: &Path,
    name: &OsStr,
    data: &[u8],
    mode: u32,
    owner: Option<(u32, u32)>,
) -> Result<(), Error> {
    let path = dir_path.join(name);
    let write_err = |source: io::Error| Error::Write {
        path: path.clone(),
        source,
    };
    let mode = mode & 0o7777;
    let tmp = TempFile::create(dir, name, mode).map_err(write_err)?;
    // Every error below drops `tmp`, which deletes the temp file.
    if let Some((uid, gid)) = owner {
        let stat = rustix::fs::fstat(&tmp.fd).map_err(|e| write_err(e.into()))?;
        if (stat.st_uid, stat.st_gid) != (uid, gid) {
            rustix::fs::fchown(
                &tmp.fd,
                Some(rustix::fs::Uid::from_raw(uid)),
                Some(rustix::fs::Gid::from_raw(gid)),
            )
            .map_err(|e| Error::Chown {
                path: path.clone(),
                uid,
                gid,
                source: e.into(),
            })?;
        }
    }
    rustix::fs::fchmod(&tmp.fd, Mode::from_raw_mode(mode)).map_err(|e| write_err(e.into()))?;
    let mut file = File::from(tmp.fd.try_clone().map_err(write_err)?);
    file.write_all(data).map_err(write_err)?;
    file.sync_all().map_err(write_err)?;
    rustix::fs::renameat(dir, &tmp.name, dir, name).map_err(|e| write_err(e.into()))?;
    tmp.keep();

    rustix::fs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .and_then(|d| rustix::fs::fsync(&d))
    .map_err(|e| Error::SyncDir {
        path: dir_path.to_owned(),
        source: e.into(),
    })
}

/// A temp file `.<name>.XXXXXXXX.tmp` in an opened folder, deleted on drop unless kept.
/// The leading dot keeps it out of acme.sh's `*.*` globs.
struct TempFile<'a> {
    dir: &'a OwnedFd,
    name: OsString,
    fd: OwnedFd,
    keep: bool,
}

impl<'a> TempFile<'a> {
    /// Create it with `O_CREAT|O_EXCL|O_NOFOLLOW` (never through a link) and `mode` at open.
    fn create(dir: &'a OwnedFd, target: &OsStr, mode: u32) -> io::Result<Self> {
        use aws_lc_rs::rand::SecureRandom as _;
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let rng = aws_lc_rs::rand::SystemRandom::new();
        for _ in 0..16 {
            let mut random = [0u8; 6];
            rng.fill(&mut random)
                .map_err(|_| io::Error::other("no random bytes for a temp file name"))?;
            let mut name = OsString::from(".");
            if target.len() <= MAX_PREFIX_NAME {
                name.push(target);
                name.push(".");
            } else {
                name.push("acmers-tmp.");
            }
            for b in random {
                name.push(format!("{b:02x}"));
            }
            name.push(".tmp");
            match rustix::fs::openat(dir, &name, flags, Mode::from_raw_mode(mode)) {
                Ok(fd) => {
                    return Ok(Self {
                        dir,
                        name,
                        fd,
                        keep: false,
                    });
                }
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free temp file name",
        ))
    }

    fn keep(mut self) {
        self.keep = true;
    }
}

impl Drop for TempFile<'_> {
    fn drop(&mut self) {
        if !self.keep {
            let _ = rustix::fs::unlinkat(self.dir, &self.name, rustix::fs::AtFlags::empty());
        }
    }
}

/// Creates `path` and any missing parents with mode exactly 0700; directories that already
/// exist are left alone (their mode is not changed).
///
/// # Errors
///
/// [`Error::CreateDir`] naming the first directory that could not be created, or `path` itself
/// when it exists but is not a directory.
pub fn create_private_dir_all(path: &Path) -> Result<(), Error> {
    let mut missing: Vec<&Path> = Vec::new();
    for dir in path.ancestors().filter(|p| !p.as_os_str().is_empty()) {
        match fs::metadata(dir) {
            Ok(meta) if meta.is_dir() => break,
            Ok(_) => {
                return Err(Error::CreateDir {
                    path: dir.to_owned(),
                    source: io::Error::new(io::ErrorKind::AlreadyExists, "not a directory"),
                });
            }
            // `a/file/b` gives ENOTDIR: keep walking up to name `a/file` in the error.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                missing.push(dir);
            }
            Err(source) => {
                return Err(Error::CreateDir {
                    path: dir.to_owned(),
                    source,
                });
            }
        }
    }
    for dir in missing.into_iter().rev() {
        create_private_dir(dir).map_err(|source| Error::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    }
    Ok(())
}

/// `mkdir(dir, 0700)`, then `chmod 0700` to undo the umask (the directory is never more open
/// than 0700 in between). A directory created concurrently by someone else is accepted as is.
fn create_private_dir(dir: &Path) -> io::Result<()> {
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => fs::set_permissions(dir, Permissions::from_mode(0o700)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(e),
    }
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
#[path = "atomic_tests.rs"]
mod tests;
