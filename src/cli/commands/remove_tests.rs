use std::fs;

use super::*;

#[test]
fn rename_replaces_an_older_removed_conf() {
    let tmp = tempfile::tempdir().unwrap();
    let (from, to) = (tmp.path().join("d.conf"), tmp.path().join("d.conf.removed"));
    fs::write(&from, "new").unwrap();
    fs::write(&to, "old").unwrap();
    rename_durably(&from, &to).unwrap();
    assert!(!from.exists());
    assert_eq!(fs::read_to_string(&to).unwrap(), "new");
    let err = rename_durably(&from, &to).unwrap_err();
    assert!(matches!(err, store::Error::Write { .. }), "{err:?}");
}

#[test]
fn hints_name_the_other_key_type() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let rsa = Lineage::at(home, "r.example.test", false).unwrap();
    fs::create_dir(&rsa.dir).unwrap();
    fs::write(rsa.conf(), "").unwrap();
    let ecc = Lineage::at(home, "r.example.test", true).unwrap();
    let f = not_issued("r.example.test", &ecc, home, true);
    assert!(
        f.error
            .to_string()
            .starts_with("'r.example.test' is not an issued domain")
    );
    assert!(f.hint.unwrap().contains("without `--ecc`"));

    fs::rename(rsa.conf(), rsa.conf_removed()).unwrap();
    let f = not_issued("r.example.test", &rsa, home, false);
    assert_eq!(
        f.error.to_string(),
        "`r.example.test` has already been removed"
    );

    let none = Lineage::at(home, "n.example.test", false).unwrap();
    let f = not_issued("n.example.test", &none, home, false);
    assert!(f.hint.unwrap().contains("acmers --list"));
}
