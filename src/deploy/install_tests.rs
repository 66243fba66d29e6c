//! Tests of [`super::install`] in temp directories. The temp directories are private folders
//! under the system's sticky temp folder, which root's strict policy accepts; the tests of
//! that policy (named `…_as_root`) need root and skip, saying so, without it.

use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _, symlink};

use tempfile::TempDir;

use super::*;
use rustix::fs::AtFlags;

use crate::store::Lineage;
use crate::store::trust::Why;

/// A lineage folder with the four issued files, and an empty output folder.
struct Fixture {
    _tmp: TempDir,
    lineage: Lineage,
    out: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let lineage = Lineage::at(tmp.path(), "example.test", false).unwrap();
        let out = tmp.path().join("out");
        mkdir(&lineage.dir);
        mkdir(&out);
        for (name, data) in [
            ("example.test.cer", "CERT\n"),
            ("ca.cer", "CA\n"),
            ("example.test.key", "KEY\n"),
            ("fullchain.cer", "CERT\nCA\n"),
        ] {
            fs::write(lineage.dir.join(name), data).unwrap();
        }
        Self {
            _tmp: tmp,
            lineage,
            out,
        }
    }

    fn src(&self, name: &str) -> PathBuf {
        self.lineage.dir.join(name)
    }

    fn install(&self, targets: &Targets) -> Result<Vec<Installed>, InstallError> {
        install(&Files::issued(&self.lineage), targets)
    }

    /// Every target in `out/` under its usual name.
    fn all_targets(&self) -> Targets {
        Targets {
            cert: Some(self.out.join("cert.pem")),
            ca: Some(self.out.join("chain.pem")),
            key: Some(self.out.join("key.pem")),
            fullchain: Some(self.out.join("fullchain.pem")),
        }
    }
}

/// The uid (and gid) of `nobody`, the "other user" of the root tests.
const NOBODY: u32 = 65_534;

/// Whether the test runs as root; says on stderr that it is skipped when not.
fn root_or_skip(test: &str) -> bool {
    let root = rustix::process::geteuid().is_root();
    if !root {
        eprintln!("{test}: skipped, root's rules apply only to root (CI runs as root)");
    }
    root
}

/// Give `path` (a link itself, not its target) to `nobody`; only root can.
fn give_to_nobody(path: &Path) {
    let nobody = Some(rustix::fs::Uid::from_raw(NOBODY));
    let group = Some(rustix::fs::Gid::from_raw(NOBODY));
    rustix::fs::chownat(
        rustix::fs::CWD,
        path,
        nobody,
        group,
        AtFlags::SYMLINK_NOFOLLOW,
    )
    .unwrap();
}

/// A folder closed to group and others whatever the umask (it can only remove bits).
fn mkdir(path: &Path) {
    fs::DirBuilder::new().mode(0o755).create(path).unwrap();
}

/// The `store::Error::Untrusted` inside an [`InstallError::Untrusted`] for `kind` at `target`.
fn refusal(err: InstallError, kind: Kind, target: &Path) -> (PathBuf, Why) {
    match err {
        InstallError::Untrusted {
            kind: k,
            path,
            source: store::Error::Untrusted { path: what, why },
        } if k == kind && path == target => (what, why),
        other => panic!("expected a refusal of the {kind} target, got {other:?}"),
    }
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().mode() & 0o7777
}

fn set_mode(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
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

fn summary(installed: &[Installed]) -> Vec<(Kind, Action)> {
    installed.iter().map(|i| (i.kind, i.action)).collect()
}

#[test]
fn new_files_in_acme_sh_order_with_default_modes() {
    let fx = Fixture::new();
    let targets = fx.all_targets();
    let installed = fx.install(&targets).unwrap();
    assert_eq!(
        summary(&installed),
        [
            (Kind::Cert, Action::Written),
            (Kind::Ca, Action::Written),
            (Kind::Key, Action::Written),
            (Kind::Fullchain, Action::Written),
        ]
    );
    assert_eq!(installed[2].path, fx.out.join("key.pem"));
    assert!(installed.iter().all(|i| i.tightened_from.is_none()));
    for (name, data, mode) in [
        ("cert.pem", "CERT\n", 0o644),
        ("chain.pem", "CA\n", 0o644),
        ("key.pem", "KEY\n", 0o600),
        ("fullchain.pem", "CERT\nCA\n", 0o644),
    ] {
        let path = fx.out.join(name);
        assert_eq!(
            (read(&path).as_str(), mode_of(&path)),
            (data, mode),
            "{name}"
        );
    }
    assert_eq!(
        names(&fx.out),
        ["cert.pem", "chain.pem", "fullchain.pem", "key.pem"],
        "temp files left behind"
    );
}

#[test]
fn no_targets_installs_nothing() {
    let fx = Fixture::new();
    assert!(fx.install(&Targets::default()).unwrap().is_empty());
}

#[test]
fn existing_targets_keep_mode_owner_and_group() {
    let fx = Fixture::new();
    let targets = fx.all_targets();
    for name in ["cert.pem", "key.pem", "fullchain.pem"] {
        fs::write(fx.out.join(name), "old").unwrap();
        set_mode(&fx.out.join(name), 0o640);
    }
    // As root, a target of root's with another group keeps that group.
    let root = rustix::process::geteuid().is_root();
    let group = 54_322;
    if root {
        std::os::unix::fs::chown(fx.out.join("fullchain.pem"), None, Some(group)).unwrap();
    }
    let before = fs::metadata(fx.out.join("cert.pem")).unwrap();
    fx.install(&targets).unwrap();
    for name in ["cert.pem", "key.pem", "fullchain.pem"] {
        assert_eq!(mode_of(&fx.out.join(name)), 0o640, "{name}");
    }
    let after = fs::metadata(fx.out.join("cert.pem")).unwrap();
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    assert_ne!(after.ino(), before.ino(), "replaced, not written in place");
    assert_eq!(read(&fx.out.join("key.pem")), "KEY\n");
    if root {
        let meta = fs::metadata(fx.out.join("fullchain.pem")).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (0, group));
    }
}

#[test]
fn an_existing_key_loses_only_its_world_bits() {
    let fx = Fixture::new();
    let key = fx.out.join("key.pem");
    fs::write(&key, "old").unwrap();
    set_mode(&key, 0o644);
    let cert = fx.out.join("cert.pem");
    fs::write(&cert, "old").unwrap();
    set_mode(&cert, 0o666);
    let targets = Targets {
        key: Some(key.clone()),
        cert: Some(cert.clone()),
        ..Targets::default()
    };
    let installed = fx.install(&targets).unwrap();
    assert_eq!(mode_of(&key), 0o640);
    assert_eq!(mode_of(&cert), 0o666, "only keys are tightened");
    let tightened: Vec<_> = installed.iter().map(|i| i.tightened_from).collect();
    assert_eq!(tightened, [None, Some(0o644)]);
}

#[test]
fn ca_on_the_cert_target_is_appended_after_an_empty_line() {
    let fx = Fixture::new();
    mkdir(&fx.out.join("sub"));
    let targets = Targets {
        cert: Some(fx.out.join("cert.pem")),
        // Another spelling of the same file.
        ca: Some(fx.out.join("sub/../cert.pem")),
        ..Targets::default()
    };
    let installed = fx.install(&targets).unwrap();
    assert_eq!(
        summary(&installed),
        [
            (Kind::Cert, Action::Written),
            (Kind::Ca, Action::AppendedToCert)
        ]
    );
    assert_eq!(installed[1].path, fx.out.join("sub/../cert.pem"));
    assert_eq!(read(&fx.out.join("cert.pem")), "CERT\n\nCA\n");
    assert_eq!(mode_of(&fx.out.join("cert.pem")), 0o644);
}

#[test]
fn a_target_that_is_its_own_source_is_skipped() {
    let fx = Fixture::new();
    // The source itself, a hard link to it, and a symlink to it.
    let hard = fx.out.join("key.pem");
    fs::hard_link(fx.src("example.test.key"), &hard).unwrap();
    let soft = fx.out.join("fullchain.pem");
    symlink(fx.src("fullchain.cer"), &soft).unwrap();
    let targets = Targets {
        cert: Some(fx.src("example.test.cer")),
        key: Some(hard.clone()),
        fullchain: Some(soft.clone()),
        ..Targets::default()
    };
    let installed = fx.install(&targets).unwrap();
    assert_eq!(
        summary(&installed),
        [
            (Kind::Cert, Action::SameFile),
            (Kind::Key, Action::SameFile),
            (Kind::Fullchain, Action::SameFile),
        ]
    );
    assert_eq!(read(&fx.src("example.test.cer")), "CERT\n");
    assert_eq!(
        fs::metadata(&hard).unwrap().nlink(),
        2,
        "hard link replaced"
    );
    assert!(fs::symlink_metadata(&soft).unwrap().is_symlink());
    assert_eq!(names(&fx.lineage.dir).len(), 4);
}

#[test]
fn a_target_that_is_another_source_is_refused_before_any_write() {
    let fx = Fixture::new();
    let targets = Targets {
        cert: Some(fx.out.join("cert.pem")),
        key: Some(fx.src("fullchain.cer")),
        ..Targets::default()
    };
    let err = fx.install(&targets).unwrap_err();
    assert!(
        matches!(
            &err,
            InstallError::IsSource { kind: Kind::Key, other: Kind::Fullchain, path }
                if *path == fx.src("fullchain.cer")
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the key target `{}` is the issued full chain file",
            fx.src("fullchain.cer").display()
        )
    );
    assert_eq!(read(&fx.src("fullchain.cer")), "CERT\nCA\n");
    assert!(names(&fx.out).is_empty());
}

#[test]
fn a_symlinked_target_is_kept_and_the_file_it_points_to_replaced() {
    let fx = Fixture::new();
    let archive = fx.out.join("archive");
    let live = fx.out.join("live");
    mkdir(&archive);
    mkdir(&live);
    fs::write(archive.join("cert1.pem"), "old").unwrap();
    set_mode(&archive.join("cert1.pem"), 0o640);
    // Relative link; a chain of two links; a dangling link.
    symlink("../archive/cert1.pem", live.join("cert.pem")).unwrap();
    symlink("middle.pem", live.join("fullchain.pem")).unwrap();
    symlink(archive.join("fullchain1.pem"), live.join("middle.pem")).unwrap();
    fs::write(archive.join("fullchain1.pem"), "old").unwrap();
    symlink("../archive/new-key.pem", live.join("key.pem")).unwrap();
    let targets = Targets {
        cert: Some(live.join("cert.pem")),
        key: Some(live.join("key.pem")),
        fullchain: Some(live.join("fullchain.pem")),
        ..Targets::default()
    };
    fx.install(&targets).unwrap();
    assert_eq!(
        fs::read_link(live.join("cert.pem")).unwrap(),
        Path::new("../archive/cert1.pem")
    );
    assert_eq!(read(&archive.join("cert1.pem")), "CERT\n");
    assert_eq!(mode_of(&archive.join("cert1.pem")), 0o640);
    assert!(
        fs::symlink_metadata(live.join("middle.pem"))
            .unwrap()
            .is_symlink()
    );
    assert_eq!(read(&archive.join("fullchain1.pem")), "CERT\nCA\n");
    assert_eq!(read(&archive.join("new-key.pem")), "KEY\n");
    assert_eq!(mode_of(&archive.join("new-key.pem")), 0o600);
    assert_eq!(
        names(&live),
        ["cert.pem", "fullchain.pem", "key.pem", "middle.pem"]
    );
    assert_eq!(
        names(&archive),
        ["cert1.pem", "fullchain1.pem", "new-key.pem"]
    );
}

#[test]
fn a_missing_directory_fails_before_any_write() {
    let fx = Fixture::new();
    let mut targets = fx.all_targets();
    targets.fullchain = Some(fx.out.join("missing/fullchain.pem"));
    let err = fx.install(&targets).unwrap_err();
    assert!(
        matches!(&err, InstallError::NoParent { kind: Kind::Fullchain, path, .. }
            if *path == fx.out.join("missing/fullchain.pem")),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the directory of the full chain target `{}` does not exist",
            fx.out.join("missing/fullchain.pem").display()
        )
    );
    assert!(names(&fx.out).is_empty(), "{:?}", names(&fx.out));
}

#[test]
fn a_file_in_the_place_of_the_directory_is_no_parent() {
    let fx = Fixture::new();
    fs::write(fx.out.join("file"), "x").unwrap();
    let targets = Targets {
        cert: Some(fx.out.join("file/cert.pem")),
        ..Targets::default()
    };
    let err = fx.install(&targets).unwrap_err();
    assert!(matches!(err, InstallError::NoParent { .. }), "{err:?}");
}

#[test]
fn a_directory_in_the_way_fails_before_any_write() {
    let fx = Fixture::new();
    mkdir(&fx.out.join("key.pem"));
    let err = fx.install(&fx.all_targets()).unwrap_err();
    assert!(
        matches!(
            err,
            InstallError::NotAFile {
                kind: Kind::Key,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(names(&fx.out), ["key.pem"]);
}

#[test]
fn a_symlink_loop_is_an_error() {
    let fx = Fixture::new();
    symlink("b", fx.out.join("a")).unwrap();
    symlink("a", fx.out.join("b")).unwrap();
    let targets = Targets {
        ca: Some(fx.out.join("a")),
        ..Targets::default()
    };
    let err = fx.install(&targets).unwrap_err();
    assert!(
        matches!(err, InstallError::Resolve { kind: Kind::Ca, .. }),
        "{err:?}"
    );
}

#[test]
fn a_missing_source_fails_only_when_it_is_needed() {
    let fx = Fixture::new();
    fs::remove_file(fx.src("ca.cer")).unwrap();
    let mut targets = fx.all_targets();
    targets.ca = None;
    assert_eq!(fx.install(&targets).unwrap().len(), 3);

    let fx = Fixture::new();
    fs::remove_file(fx.src("ca.cer")).unwrap();
    let err = fx.install(&fx.all_targets()).unwrap_err();
    assert!(
        matches!(&err, InstallError::ReadSource { kind: Kind::Ca, path, .. }
            if *path == fx.src("ca.cer")),
        "{err:?}"
    );
    assert!(names(&fx.out).is_empty());
}

#[test]
fn ca_onto_a_cert_target_that_is_the_issued_cert_is_refused() {
    let fx = Fixture::new();
    let cert = fx.src("example.test.cer");
    let targets = Targets {
        cert: Some(cert.clone()),
        ca: Some(cert.clone()),
        ..Targets::default()
    };
    let err = fx.install(&targets).unwrap_err();
    assert!(
        matches!(
            err,
            InstallError::IsSource {
                kind: Kind::Ca,
                other: Kind::Cert,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(read(&cert), "CERT\n");
}

/// A user's symlink in a world-writable sticky folder (`/tmp/cert.pem -> /etc/shadow`) must
/// not make root overwrite the file it names.
#[test]
fn a_users_symlink_in_a_sticky_folder_is_refused_as_root() {
    if !root_or_skip("a_users_symlink_in_a_sticky_folder_is_refused_as_root") {
        return;
    }
    let fx = Fixture::new();
    let victim = fx.out.join("shadow");
    fs::write(&victim, "precious").unwrap();
    set_mode(&victim, 0o640);
    let tmp = fx.out.join("tmp");
    mkdir(&tmp);
    set_mode(&tmp, 0o1777);
    let link = tmp.join("cert.pem");
    symlink(&victim, &link).unwrap();
    give_to_nobody(&link);
    let targets = Targets {
        cert: Some(link.clone()),
        ..Targets::default()
    };
    let err = fx.install(&targets).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "refusing to write the cert target `{}` as root",
            link.display()
        )
    );
    let (path, why) = refusal(err, Kind::Cert, &link);
    assert_eq!((path, why), (tmp.clone(), Why::Writable(0o41777)));
    assert_eq!(read(&victim), "precious");
    assert_eq!(mode_of(&victim), 0o640);
    assert_eq!(names(&tmp), ["cert.pem"]);
}

/// A sticky world-writable folder is refused as the folder that holds a target (`/tmp/k.pem`),
/// and accepted above a private folder of root's.
#[test]
fn a_sticky_folder_may_be_above_a_target_but_not_hold_it_as_root() {
    if !root_or_skip("a_sticky_folder_may_be_above_a_target_but_not_hold_it_as_root") {
        return;
    }
    let fx = Fixture::new();
    let tmp = fx.out.join("tmp");
    mkdir(&tmp);
    set_mode(&tmp, 0o1777);
    let key = tmp.join("k.pem");
    let targets = Targets {
        key: Some(key.clone()),
        ..Targets::default()
    };
    let (path, why) = refusal(fx.install(&targets).unwrap_err(), Kind::Key, &key);
    assert_eq!((path, why), (tmp.clone(), Why::Writable(0o41777)));
    assert!(names(&tmp).is_empty());

    let private = tmp.join("private");
    fs::DirBuilder::new().mode(0o700).create(&private).unwrap();
    let key = private.join("k.pem");
    let targets = Targets {
        key: Some(key.clone()),
        ..Targets::default()
    };
    fx.install(&targets).unwrap();
    assert_eq!((read(&key).as_str(), mode_of(&key)), ("KEY\n", 0o600));
}

/// A target that another user created first (to receive the key) is refused, for every kind;
/// nothing is written and the file stays theirs.
#[test]
fn a_target_of_another_user_is_refused_as_root() {
    if !root_or_skip("a_target_of_another_user_is_refused_as_root") {
        return;
    }
    for (kind, name) in [
        (Kind::Cert, "cert.pem"),
        (Kind::Ca, "chain.pem"),
        (Kind::Key, "key.pem"),
        (Kind::Fullchain, "fullchain.pem"),
    ] {
        let fx = Fixture::new();
        let theirs = fx.out.join(name);
        fs::write(&theirs, "theirs").unwrap();
        set_mode(&theirs, 0o600);
        give_to_nobody(&theirs);
        let err = fx.install(&fx.all_targets()).unwrap_err();
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(
            source,
            Some(format!(
                "refusing `{}` as root: it is owned by another user (uid 65534)",
                theirs.display()
            )),
            "{kind}"
        );
        let (path, why) = refusal(err, kind, &theirs);
        assert_eq!((path, why), (theirs.clone(), Why::Owner(NOBODY)), "{kind}");
        assert_eq!(read(&theirs), "theirs", "{kind}");
        let meta = fs::metadata(&theirs).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (NOBODY, NOBODY), "{kind}");
        assert_eq!(names(&fx.out), [name], "{kind}: nothing else written");
    }
}

/// A target whose folder (or a folder above it) another user owns or can write is refused.
#[test]
fn a_target_in_a_folder_of_another_user_or_open_to_others_is_refused_as_root() {
    if !root_or_skip("a_target_in_a_folder_of_another_user_or_open_to_others_is_refused_as_root") {
        return;
    }
    // (folder mode, given to nobody, where the target is below the folder)
    for (mode, theirs, below) in [
        (0o755, true, "cert.pem"),
        (0o755, true, "inner/cert.pem"),
        (0o775, false, "cert.pem"),
        (0o757, false, "cert.pem"),
        (0o777, false, "inner/cert.pem"),
    ] {
        let fx = Fixture::new();
        let dir = fx.out.join("dir");
        mkdir(&dir);
        mkdir(&dir.join("inner"));
        set_mode(&dir, mode);
        if theirs {
            give_to_nobody(&dir);
        }
        let target = dir.join(below);
        let targets = Targets {
            cert: Some(target.clone()),
            ..Targets::default()
        };
        let case = format!("{mode:o} theirs={theirs} {below}");
        let (path, why) = refusal(fx.install(&targets).unwrap_err(), Kind::Cert, &target);
        assert_eq!(path, dir, "{case}");
        if theirs {
            assert_eq!(why, Why::Owner(NOBODY), "{case}");
        } else {
            assert!(matches!(why, Why::Writable(_)), "{case}: {why:?}");
        }
        assert!(!target.exists(), "{case}");
    }
}

/// A symlink that another user owns is not followed, even in root's folder; a link of root's
/// is followed, and where it points is judged by the same rules.
#[test]
fn links_of_another_user_or_to_untrusted_folders_are_refused_as_root() {
    if !root_or_skip("links_of_another_user_or_to_untrusted_folders_are_refused_as_root") {
        return;
    }
    let fx = Fixture::new();
    let archive = fx.out.join("archive");
    mkdir(&archive);
    let victim = archive.join("cert1.pem");
    fs::write(&victim, "precious").unwrap();
    let link = fx.out.join("cert.pem");
    symlink("archive/cert1.pem", &link).unwrap();
    give_to_nobody(&link);
    let targets = Targets {
        cert: Some(link.clone()),
        ..Targets::default()
    };
    let (path, why) = refusal(fx.install(&targets).unwrap_err(), Kind::Cert, &link);
    assert_eq!((path, why), (link.clone(), Why::LinkOwner(NOBODY)));
    assert_eq!(read(&victim), "precious");

    // Root's link into a folder others can write.
    let open = fx.out.join("open");
    mkdir(&open);
    set_mode(&open, 0o777);
    let to_open = fx.out.join("key.pem");
    symlink("open/key1.pem", &to_open).unwrap();
    let targets = Targets {
        key: Some(to_open.clone()),
        ..Targets::default()
    };
    let (path, why) = refusal(fx.install(&targets).unwrap_err(), Kind::Key, &to_open);
    assert_eq!((path, why), (open.clone(), Why::Writable(0o40777)));
    assert!(names(&open).is_empty());
}
