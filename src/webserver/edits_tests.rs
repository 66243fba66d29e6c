use std::fs;
use std::os::unix::fs::PermissionsExt as _;

use super::*;

const ORIGINAL: &[u8] = b"server {\n\tserver_name a.test;\n}\n";

/// A lineage folder and a config file (mode 0640) in a temp dir.
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let top = tempfile::tempdir().unwrap();
    let lineage = top.path().join("a.test_ecc");
    fs::create_dir(&lineage).unwrap();
    let conf = top.path().join("site.conf");
    fs::write(&conf, ORIGINAL).unwrap();
    fs::set_permissions(&conf, fs::Permissions::from_mode(0o640)).unwrap();
    (top, lineage, conf)
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

fn changed(text: &[u8]) -> Option<Vec<u8>> {
    Some([text, b"# acmers\n"].concat())
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn a_change_is_backed_up_first_and_restored_byte_for_byte() {
    let (_top, lineage, conf) = setup();
    let mut edits = Edits::new(&lineage, Server::Apache);
    assert!(edits.change(&conf, changed).unwrap());
    assert!(
        edits.change(&conf, changed).unwrap(),
        "a second change of the same file"
    );
    assert_eq!(
        fs::read(&conf).unwrap(),
        [ORIGINAL, b"# acmers\n# acmers\n"].concat()
    );
    assert_eq!(mode(&conf), 0o640);
    assert_eq!(
        names(&lineage),
        [".acmers-webserver.0.bak", ".acmers-webserver.1.bak", MARKER]
    );
    edits.restore().unwrap();
    assert_eq!(fs::read(&conf).unwrap(), ORIGINAL);
    assert_eq!(mode(&conf), 0o640);
    assert!(names(&lineage).is_empty(), "{:?}", names(&lineage));
}

#[test]
fn the_marker_a_killed_run_left_restores_the_config() {
    let (_top, lineage, conf) = setup();
    let main = PathBuf::from("/etc/nginx/nginx.conf");
    let mut edits = Edits::new(&lineage, Server::Nginx(main.clone()));
    edits.change(&conf, changed).unwrap();
    drop(edits);
    let mut left = Edits::left_in(&lineage).unwrap().expect("a marker");
    assert_eq!(left.server(), &Server::Nginx(main));
    assert_eq!(left.paths(), std::slice::from_ref(&conf));
    left.restore().unwrap();
    assert_eq!(fs::read(&conf).unwrap(), ORIGINAL);
    assert!(Edits::left_in(&lineage).unwrap().is_none());
}

#[test]
fn a_config_that_already_holds_the_original_is_left_as_is() {
    let (_top, lineage, conf) = setup();
    let mut edits = Edits::new(&lineage, Server::Apache);
    edits.change(&conf, changed).unwrap();
    // As if the run died after the marker, before the config was written.
    fs::write(&conf, ORIGINAL).unwrap();
    Edits::left_in(&lineage)
        .unwrap()
        .unwrap()
        .restore()
        .unwrap();
    assert_eq!(fs::read(&conf).unwrap(), ORIGINAL);
    assert!(names(&lineage).is_empty());
}

#[test]
fn a_config_someone_changed_since_is_not_overwritten() {
    let (_top, lineage, conf) = setup();
    let mut edits = Edits::new(&lineage, Server::Apache);
    edits.change(&conf, changed).unwrap();
    fs::write(&conf, b"the admin's new config\n").unwrap();
    let err = edits.restore().unwrap_err();
    assert!(matches!(err, Error::ChangedSince { .. }), "{err}");
    assert_eq!(fs::read(&conf).unwrap(), b"the admin's new config\n");
    assert_eq!(names(&lineage), [".acmers-webserver.0.bak", MARKER]);
}

#[test]
fn no_change_writes_nothing() {
    let (_top, lineage, conf) = setup();
    let mut edits = Edits::new(&lineage, Server::Apache);
    assert!(!edits.change(&conf, |_| None).unwrap());
    assert!(edits.is_empty());
    assert!(names(&lineage).is_empty());
}

#[test]
fn a_marker_acmers_did_not_write_is_refused() {
    let (_top, lineage, _conf) = setup();
    for text in [
        "something else\n",
        "acmers-webserver-v1\napache\n../../etc/passwd 644 0 0 x /etc/passwd\n",
        "acmers-webserver-v1\napache\n.acmers-webserver.0.bak 644 0 0 x relative/path\n",
    ] {
        fs::write(lineage.join(MARKER), text).unwrap();
        assert!(
            matches!(Edits::left_in(&lineage), Err(Error::BadMarker(_))),
            "{text}"
        );
    }
}

#[test]
fn as_root_a_config_others_can_write_is_refused() {
    if !rustix::process::geteuid().is_root() {
        return;
    }
    let (_top, lineage, conf) = setup();
    fs::set_permissions(&conf, fs::Permissions::from_mode(0o664)).unwrap();
    let mut edits = Edits::new(&lineage, Server::Apache);
    assert!(matches!(edits.change(&conf, changed), Err(Error::Store(_))));
    assert_eq!(fs::read(&conf).unwrap(), ORIGINAL);
    assert!(names(&lineage).is_empty());
}
