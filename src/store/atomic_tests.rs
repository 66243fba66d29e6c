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
