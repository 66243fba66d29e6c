use std::fs;
use std::os::unix::fs::{PermissionsExt as _, symlink};

use super::*;

/// The uid of `nobody`, the "other user" of these tests.
const NOBODY: u32 = 65_534;

fn strict() -> Policy {
    Policy {
        euid: rustix::process::geteuid().as_raw(),
        strict: true,
    }
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Give `path` (not following a link) to `nobody`; only root can.
fn give_away(path: &Path) {
    rustix::fs::chownat(
        rustix::fs::CWD,
        path,
        Some(rustix::fs::Uid::from_raw(NOBODY)),
        None,
        AtFlags::SYMLINK_NOFOLLOW,
    )
    .expect("chown to nobody");
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

fn refused(result: Result<(), Error>) -> (PathBuf, Why) {
    match result {
        Err(Error::Untrusted { path, why }) => (path, why),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn private_folders_under_a_sticky_tmp_are_trusted() {
    let top = tempfile::tempdir().expect("tempdir");
    let dir = top.path().join("home/a");
    fs::create_dir_all(&dir).expect("mkdir");
    strict().check_dir(&dir).expect("trusted");
    strict().open_dir(&dir).expect("opened");
    // A missing tail is fine for a check (it will be created), not for an open.
    strict()
        .check_dir(&dir.join("new/deeper"))
        .expect("missing tail");
    assert!(matches!(
        strict().open_dir(&dir.join("new")),
        Err(Error::Read { .. })
    ));
}

#[test]
fn a_sticky_world_writable_folder_never_holds_what_is_used() {
    let top = tempfile::tempdir().expect("tempdir");
    let tmp = top.path().join("tmp");
    fs::create_dir(&tmp).expect("mkdir");
    chmod(&tmp, 0o1777);
    let (path, why) = refused(strict().check_dir(&tmp));
    assert_eq!((path, why), (tmp.clone(), Why::Writable(0o41777)));
    // Above a private folder it is accepted, as `/tmp` is.
    let inner = tmp.join("private");
    fs::create_dir(&inner).expect("mkdir");
    chmod(&inner, 0o700);
    strict()
        .check_dir(&inner)
        .expect("trusted below a sticky folder");
}

#[test]
fn folders_others_can_write_are_refused_wherever_they_are() {
    for mode in [0o777, 0o775, 0o757] {
        let top = tempfile::tempdir().expect("tempdir");
        let open = top.path().join("open");
        let inner = open.join("inner");
        fs::create_dir_all(&inner).expect("mkdir");
        chmod(&open, mode);
        let (path, why) = refused(strict().check_dir(&inner));
        assert_eq!(path, open, "{mode:o}");
        assert!(matches!(why, Why::Writable(_)), "{mode:o}: {why:?}");
        assert!(strict().open_dir(&inner).is_err());
    }
}

#[test]
fn the_permissive_policy_checks_nothing() {
    let top = tempfile::tempdir().expect("tempdir");
    let open = top.path().join("open");
    fs::create_dir(&open).expect("mkdir");
    chmod(&open, 0o777);
    let permissive = Policy {
        euid: 1000,
        strict: false,
    };
    permissive.check_dir(&open).expect("not judged");
    permissive.open_dir(&open).expect("opened");
    assert_eq!(
        permissive.file(Origin {
            uid: 4242,
            mode: 0o100_666
        }),
        None
    );
}

#[test]
fn file_rule() {
    let policy = strict();
    let me = policy.euid;
    assert_eq!(
        policy.file(Origin {
            uid: me,
            mode: 0o100_600
        }),
        None
    );
    assert_eq!(
        policy.file(Origin {
            uid: 0,
            mode: 0o100_644
        }),
        None
    );
    assert_eq!(
        policy.file(Origin {
            uid: me,
            mode: 0o100_620
        }),
        Some(Why::Writable(0o100_620))
    );
    assert_eq!(
        policy.file(Origin {
            uid: me,
            mode: 0o100_606
        }),
        Some(Why::Writable(0o100_606))
    );
    let other = if me == NOBODY { NOBODY - 1 } else { NOBODY };
    assert_eq!(
        policy.file(Origin {
            uid: other,
            mode: 0o100_600
        }),
        Some(Why::Owner(other))
    );
    // A folder, a FIFO or a device where a file is expected.
    for mode in [0o040_700, 0o010_600, 0o020_600] {
        assert_eq!(policy.file(Origin { uid: me, mode }), Some(Why::WrongType));
    }
}

#[test]
fn symlinks_are_followed_only_when_trusted() {
    let top = tempfile::tempdir().expect("tempdir");
    let real = top.path().join("real");
    fs::create_dir(&real).expect("mkdir");
    let link = top.path().join("link");
    symlink("real", &link).expect("symlink");
    strict()
        .check_dir(&link)
        .expect("a link we own to a trusted folder");
    strict()
        .check_dir(&link.join("missing"))
        .expect("missing below a link");
    // `..` after a link is the link target's parent, as the kernel resolves it.
    let up = top.path().join("real/sub");
    fs::create_dir(&up).expect("mkdir");
    let back = top.path().join("back");
    symlink("real/sub/..", &back).expect("symlink");
    strict().open_dir(&back).expect("through ..");

    // A link to an untrusted folder is judged by its target.
    let open = top.path().join("open");
    fs::create_dir(&open).expect("mkdir");
    chmod(&open, 0o777);
    let to_open = top.path().join("to-open");
    symlink(&open, &to_open).expect("symlink");
    let (path, _) = refused(strict().check_dir(&to_open));
    assert_eq!(path, open);

    // A loop ends.
    let a = top.path().join("loop-a");
    symlink("loop-b", &a).expect("symlink");
    symlink("loop-a", top.path().join("loop-b")).expect("symlink");
    let err = strict().check_dir(&a).unwrap_err();
    assert!(
        matches!(&err, Error::Read { source, .. } if source.raw_os_error() == Some(Errno::LOOP.raw_os_error())),
        "{err:?}"
    );
}

/// Root's view: a folder or link that another user owns. Needs root to give files away;
/// CI runs as root.
#[test]
fn folders_and_links_of_another_user_are_refused_as_root() {
    if !is_root() {
        eprintln!("skipped: giving files to another user needs root (CI runs as root)");
        return;
    }
    let top = tempfile::tempdir().expect("tempdir");
    let theirs = top.path().join("theirs");
    let inner = theirs.join("inner");
    fs::create_dir_all(&inner).expect("mkdir");
    give_away(&theirs);
    let (path, why) = refused(Policy::current().check_dir(&inner));
    assert_eq!((path, why), (theirs, Why::Owner(NOBODY)));

    let real = top.path().join("real");
    fs::create_dir(&real).expect("mkdir");
    let link = top.path().join("link");
    symlink(&real, &link).expect("symlink");
    Policy::current().check_dir(&link).expect("root's own link");
    give_away(&link);
    let (path, why) = refused(Policy::current().check_dir(&link.join("x")));
    assert_eq!((path, why), (link, Why::LinkOwner(NOBODY)));
}

#[test]
fn a_file_in_the_way_of_a_folder_is_refused() {
    let top = tempfile::tempdir().expect("tempdir");
    let file = top.path().join("file");
    fs::write(&file, b"").expect("write");
    let (path, why) = refused(strict().check_dir(&file.join("below")));
    assert_eq!((path, why), (file, Why::WrongType));
}

#[test]
fn files_are_located_through_trusted_links_and_read_as_opened() {
    let top = tempfile::tempdir().expect("tempdir");
    let real = top.path().join("real.pem");
    fs::write(&real, b"bundle").expect("write");
    chmod(&real, 0o644);
    let link = top.path().join("link.pem");
    symlink("real.pem", &link).expect("symlink");
    let located = strict().locate(&link).expect("located");
    assert_eq!(located.path(), real);
    assert!(located.existing.is_some());
    let loaded = strict()
        .read_file(&link, 100)
        .expect("read")
        .expect("exists");
    assert_eq!(loaded.bytes, b"bundle");
    assert!(
        strict()
            .read_file(&top.path().join("none"), 100)
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        strict().read_file(&real, 3),
        Err(Error::TooLarge { .. })
    ));
    // A file others can write is refused for reading, as read.
    chmod(&real, 0o666);
    let (path, why) = refused(strict().read_file(&link, 100).map(drop));
    assert_eq!((path, why), (real.clone(), Why::Writable(0o100_666)));
    // A folder where a file is expected.
    let folder = top.path().join("folder");
    fs::create_dir(&folder).expect("mkdir");
    assert!(matches!(
        strict().read_file(&folder, 100),
        Err(Error::NotRegular { .. })
    ));
}

#[test]
fn a_log_is_appended_to_only_where_no_one_else_has_a_say() {
    use std::io::Write as _;
    let top = tempfile::tempdir().expect("tempdir");
    let log = top.path().join("acme.log");
    let mut file = strict().open_append(&log).expect("created");
    file.write_all(b"one\n").expect("write");
    let mut file = strict().open_append(&log).expect("appended");
    file.write_all(b"two\n").expect("write");
    assert_eq!(fs::read(&log).expect("log"), b"one\ntwo\n");
    assert_eq!(
        fs::metadata(&log).expect("log").permissions().mode() & 0o777,
        0o600
    );
    // In a folder others can write, nothing is created.
    let open = top.path().join("open");
    fs::create_dir(&open).expect("mkdir");
    chmod(&open, 0o1777);
    let (path, _) = refused(strict().open_append(&open.join("acme.log")).map(drop));
    assert_eq!(path, open);
    assert!(!open.join("acme.log").exists());
}

/// A user's link to root's file, or a user's file: never written through as root.
#[test]
fn links_and_files_of_another_user_are_refused_as_root() {
    if !is_root() {
        eprintln!("skipped: giving files to another user needs root (CI runs as root)");
        return;
    }
    let top = tempfile::tempdir().expect("tempdir");
    let victim = top.path().join("shadow");
    fs::write(&victim, b"secret").expect("write");
    let link = top.path().join("acme.log");
    symlink(&victim, &link).expect("symlink");
    give_away(&link);
    let (path, why) = refused(Policy::current().open_append(&link).map(drop));
    assert_eq!((path, why), (link.clone(), Why::LinkOwner(NOBODY)));
    assert_eq!(fs::read(&victim).expect("victim"), b"secret");
    let theirs = top.path().join("theirs.log");
    fs::write(&theirs, b"").expect("write");
    give_away(&theirs);
    let (path, why) = refused(Policy::current().open_append(&theirs).map(drop));
    assert_eq!((path, why), (theirs, Why::Owner(NOBODY)));
}
