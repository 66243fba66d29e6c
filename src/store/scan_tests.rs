use super::*;

fn mkdirs(root: &Path, names: &[&str]) {
    for name in names {
        fs::create_dir(root.join(name)).unwrap();
    }
}

fn names(found: &[Found]) -> Vec<(&str, bool)> {
    found
        .iter()
        .map(|f| (f.main_domain.as_str(), f.ecc))
        .collect()
}

#[test]
fn finds_acmesh_globs_in_glob_order() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    mkdirs(
        root,
        &[
            "c.example.test",
            "a.example.test_ecc",
            "B.example.test",
            "ca",
            "backup",
            ".hidden.example",
            "2001:db8::1",
            "10.0.0.1",
            "_acme.example.test_ecc",
            "x_ecc",
        ],
    );
    fs::write(root.join("file.example.test"), "not a dir").unwrap();
    fs::write(root.join("account.conf"), "").unwrap();
    let found = lineages(root).unwrap();
    assert_eq!(
        names(&found),
        [
            ("10.0.0.1", false),
            ("B.example.test", false),
            ("_acme.example.test", true),
            ("a.example.test", true),
            ("c.example.test", false),
            ("2001:db8::1", false),
        ]
    );
    let a = &found[3];
    assert_eq!(a.lineage.dir, root.join("a.example.test_ecc"));
    assert_eq!(
        a.lineage.conf(),
        root.join("a.example.test_ecc/a.example.test.conf")
    );
    assert_eq!(
        (a.lineage.domain.as_str(), a.lineage.ecc),
        ("a.example.test", true)
    );
}

#[test]
fn symlinks_count_when_they_point_at_a_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    mkdirs(root, &["real.example.test"]);
    fs::write(root.join("plain"), "").unwrap();
    std::os::unix::fs::symlink(root.join("real.example.test"), root.join("l.example.test"))
        .unwrap();
    std::os::unix::fs::symlink(root.join("plain"), root.join("f.example.test")).unwrap();
    std::os::unix::fs::symlink(root.join("missing"), root.join("m.example.test")).unwrap();
    let found = lineages(root).unwrap();
    assert_eq!(
        names(&found),
        [("l.example.test", false), ("real.example.test", false)]
    );
}

#[test]
fn missing_home_is_empty_and_a_file_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(lineages(&tmp.path().join("nope")).unwrap().is_empty());
    let file = tmp.path().join("f");
    fs::write(&file, "").unwrap();
    let err = lineages(&file).unwrap_err();
    assert!(
        matches!(&err, Error::Read { path, .. } if path == &file),
        "{err:?}"
    );
}

#[test]
fn resolve_falls_back_to_ecc_like_initpath() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    mkdirs(
        root,
        &[
            "e.example.test_ecc",
            "both.example.test",
            "both.example.test_ecc",
        ],
    );
    let pick = |d: &str, ecc: bool| {
        let l = resolve(root, d, ecc).unwrap();
        (l.dir.strip_prefix(root).unwrap().to_owned(), l.ecc)
    };
    assert_eq!(
        pick("e.example.test", false),
        ("e.example.test_ecc".into(), true)
    );
    assert_eq!(
        pick("e.example.test", true),
        ("e.example.test_ecc".into(), true)
    );
    assert_eq!(
        pick("both.example.test", false),
        ("both.example.test".into(), false)
    );
    assert_eq!(
        pick("both.example.test", true),
        ("both.example.test_ecc".into(), true)
    );
    assert_eq!(
        pick("none.example.test", false),
        ("none.example.test".into(), false)
    );
    assert!(matches!(
        resolve(root, "../x", false),
        Err(Error::BadDomainDir { .. })
    ));
}
