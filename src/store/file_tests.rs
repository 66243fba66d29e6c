use std::fs;

use super::*;

#[test]
fn an_absent_file_is_none_and_removing_it_is_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.conf");
    assert!(read(&path, MAX_FILE).unwrap().is_none());
    remove(&path).unwrap();
    fs::write(&path, "A='1'\n").unwrap();
    assert_eq!(read(&path, MAX_FILE).unwrap().unwrap().bytes, b"A='1'\n");
    remove(&path).unwrap();
    assert!(!path.exists());
}

#[test]
fn a_failed_remove_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let err = remove(dir.path()).unwrap_err();
    assert!(
        matches!(&err, Error::Remove { path, .. } if path == dir.path()),
        "{err:?}"
    );
    assert!(dir.path().is_dir());
}
