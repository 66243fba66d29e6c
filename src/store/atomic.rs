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
mod tests {
    use std::os::unix::fs::{MetadataExt as _, symlink};
    use std::process::Command;

    use super::*;

    /// [`write_atomic_in`] with an owner, for `path` in its folder.
    fn owned_write(path: &Path, data: &[u8], mode: u32, owner: (u32, u32)) -> Result<(), Error> {
        let dir = path.parent().unwrap();
        let fd = rustix::fs::open(dir, OFlags::PATH | OFlags::DIRECTORY, Mode::empty()).unwrap();
        write_atomic_in(&fd, dir, path.file_name().unwrap(), data, mode, Some(owner))
    }

    fn mode_of(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn creates_file_with_exact_mode_and_no_temp_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("account.conf");
        write_atomic(&path, b"A='1'\n", 0o600).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"A='1'\n");
        assert_eq!(mode_of(&path), 0o600);
        assert_eq!(names(dir.path()), ["account.conf"]);
    }

    #[test]
    fn replaces_existing_file_and_sets_new_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fullchain.cer");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o666)).unwrap();
        write_atomic(&path, b"new", 0o644).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(mode_of(&path), 0o644);
        assert_eq!(names(dir.path()), ["fullchain.cer"]);
    }

    #[test]
    fn long_file_name_still_works() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x".repeat(250));
        write_atomic(&path, b"data", 0o600).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"data");
        assert_eq!(names(dir.path()).len(), 1);
    }

    #[test]
    fn target_is_a_directory_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.example.test.conf");
        fs::create_dir(&path).unwrap();
        fs::write(path.join("inside"), b"old").unwrap();
        let err = write_atomic(&path, b"new", 0o600).unwrap_err();
        assert!(
            matches!(&err, Error::Write { path: p, .. } if *p == path),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            format!("failed to write `{}`", path.display())
        );
        assert!(path.is_dir());
        assert_eq!(fs::read(path.join("inside")).unwrap(), b"old");
        assert_eq!(
            names(dir.path()),
            ["c.example.test.conf"],
            "temp file left behind"
        );
    }

    #[test]
    fn missing_parent_fails_and_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("a.conf");
        let err = write_atomic(&path, b"x", 0o600).unwrap_err();
        assert!(matches!(err, Error::Write { .. }), "{err:?}");
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn a_symlink_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, b"precious").unwrap();
        let link = dir.path().join("a.key");
        symlink(&victim, &link).unwrap();
        write_atomic(&link, b"key", 0o600).unwrap();
        assert_eq!(fs::read(&victim).unwrap(), b"precious");
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_file());
        assert_eq!(fs::read(&link).unwrap(), b"key");
    }

    #[test]
    fn owned_write_keeps_our_own_owner_without_privilege() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cert.pem");
        fs::write(&path, b"old").unwrap();
        let meta = fs::metadata(&path).unwrap();
        let owner = (meta.uid(), meta.gid());
        owned_write(&path, b"new", 0o640, owner).unwrap();
        let meta = fs::metadata(&path).unwrap();
        assert_eq!((meta.uid(), meta.gid()), owner);
        assert_eq!(mode_of(&path), 0o640);
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(names(dir.path()), ["cert.pem"]);
    }

    /// As root the foreign owner is applied; as anyone else the write fails cleanly.
    #[test]
    fn owned_write_to_a_foreign_owner() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        fs::write(&path, b"old").unwrap();
        let foreign = (54_321, 54_321);
        let result = owned_write(&path, b"new", 0o600, foreign);
        if rustix::process::geteuid().is_root() {
            result.unwrap();
            let meta = fs::metadata(&path).unwrap();
            assert_eq!((meta.uid(), meta.gid()), foreign);
            assert_eq!(mode_of(&path), 0o600);
            assert_eq!(fs::read(&path).unwrap(), b"new");
        } else {
            let err = result.unwrap_err();
            assert!(
                matches!(&err, Error::Chown { path: p, uid: 54_321, gid: 54_321, .. } if *p == path),
                "{err:?}"
            );
            assert_eq!(fs::read(&path).unwrap(), b"old");
        }
        assert_eq!(names(dir.path()), ["key.pem"]);
    }

    #[test]
    fn private_dirs_are_0700_and_existing_ones_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("home");
        fs::create_dir(&existing).unwrap();
        fs::set_permissions(&existing, Permissions::from_mode(0o755)).unwrap();
        let deep = existing.join("ca").join("localhost").join("dir");
        create_private_dir_all(&deep).unwrap();
        assert_eq!(mode_of(&existing), 0o755);
        for p in [
            existing.join("ca"),
            existing.join("ca/localhost"),
            deep.clone(),
        ] {
            assert_eq!(mode_of(&p), 0o700, "{}", p.display());
        }
        // Idempotent.
        create_private_dir_all(&deep).unwrap();
    }

    #[test]
    fn private_dir_over_a_file_fails() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, b"").unwrap();
        for target in [file.clone(), file.join("sub")] {
            let err = create_private_dir_all(&target).unwrap_err();
            assert!(
                matches!(&err, Error::CreateDir { path, .. } if *path == file),
                "{err:?}"
            );
        }
    }

    /// The umask is per process, so each umask runs in a child copy of this test binary (a
    /// `umask` here would race with every other test creating files).
    #[test]
    fn modes_are_exact_under_any_umask() {
        let exe = std::env::current_exe().unwrap();
        for umask in ["077", "022"] {
            let dir = tempfile::tempdir().unwrap();
            let out = Command::new("/bin/sh")
                .arg("-c")
                .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
                .arg(&exe)
                .args([
                    "--exact",
                    "store::atomic::tests::umask_probe",
                    "--include-ignored",
                ])
                .args(["--test-threads=1", "--nocapture"])
                .env("ACMERS_UMASK_PROBE_DIR", dir.path())
                .env("ACMERS_UMASK_PROBE_EXPECT", format!("0{umask}"))
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "umask {umask}: {stdout}\n{stderr}");
            assert!(
                stdout.contains("1 passed"),
                "umask {umask}: probe did not run: {stdout}"
            );
            assert!(stderr.contains("umask probe ok"), "umask {umask}: {stderr}");
        }
    }

    #[test]
    #[ignore = "run in a child process under a set umask by modes_are_exact_under_any_umask"]
    fn umask_probe() {
        let (Some(dir), Some(expect)) = (
            std::env::var_os("ACMERS_UMASK_PROBE_DIR"),
            std::env::var("ACMERS_UMASK_PROBE_EXPECT").ok(),
        ) else {
            return;
        };
        let status = fs::read_to_string("/proc/self/status").unwrap();
        let umask = status
            .lines()
            .find_map(|l| l.strip_prefix("Umask:"))
            .unwrap();
        assert_eq!(
            umask.trim(),
            expect,
            "the child runs under the requested umask"
        );
        let dir = Path::new(&dir);
        for mode in [0o600, 0o644, 0o666, 0o400] {
            let path = dir.join(format!("f{mode:o}"));
            write_atomic(&path, b"x", mode).unwrap();
            assert_eq!(format!("{:o}", mode_of(&path)), format!("{mode:o}"));
            assert_eq!(fs::read(&path).unwrap(), b"x");
        }
        let deep = dir.join("a/b");
        create_private_dir_all(&deep).unwrap();
        assert_eq!((mode_of(&dir.join("a")), mode_of(&deep)), (0o700, 0o700));
        eprintln!("umask probe ok");
    }
}
