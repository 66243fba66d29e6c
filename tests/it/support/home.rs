//! Test homes: a temp dir with an empty acme.sh home, acme.sh's fixture home, and reading
//! what a run left in them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// acme.sh's own home made by acme.sh 3.1.4 (tests/fixtures/README.md).
pub(crate) const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/acmesh-home-basic"
);

/// Copy the fixture home's contents into `home` (created when missing), keeping nothing
/// read-only.
pub(crate) fn copy_fixture_home(home: &Path) {
    fn copy_tree(from: &Path, to: &Path) {
        use std::os::unix::fs::PermissionsExt as _;
        fs::create_dir_all(to).expect("mkdir");
        // Fixed modes whatever the umask: acmers refuses, as root, to run hooks saved in a
        // conf that others can write.
        fs::set_permissions(to, fs::Permissions::from_mode(0o755)).expect("chmod dir");
        for entry in fs::read_dir(from).expect("read_dir fixture") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("file type").is_dir() {
                copy_tree(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), &target).expect("copy fixture file");
                fs::set_permissions(&target, fs::Permissions::from_mode(0o644))
                    .expect("chmod file");
            }
        }
    }
    copy_tree(Path::new(FIXTURE), home);
}

/// Every file under `dir`, relative path → bytes.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root").to_owned();
                out.insert(rel, fs::read(&path).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A temp dir holding the acme.sh home (`<tmp>/home`) and the fake `$HOME` beside it.
pub(crate) struct Site {
    _top: TempDir,
    pub(crate) home: PathBuf,
}

/// A fresh [`Site`] with an empty home.
pub(crate) fn site() -> Site {
    let top = tempfile::tempdir().expect("tempdir");
    let home = top.path().join("home");
    fs::create_dir(&home).expect("mkdir home");
    Site { _top: top, home }
}

/// The file at `path` as text; panics naming the path.
pub(crate) fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
