use super::*;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/acmesh-home-basic"
);

#[test]
fn derived_columns_come_from_the_files() {
    let dir = std::path::Path::new(FIXTURE).join("b.example.test_ecc");
    let files = Files::from_dir(&dir).expect("fixture");
    let d = derive("b.example.test_ecc", &files, true);
    let record = record("b.example.test_ecc", &files);
    assert_eq!(d.main_domain, "b.example.test");
    assert!(d.ecc);
    assert_eq!(d.domains, "b.example.test,www.b.example.test");
    assert_eq!(d.server.as_deref(), Some("https://localhost:14000/dir"));
    assert_eq!(d.key_length.as_deref(), Some("ec-384"));
    assert_eq!(d.created, record.cert_create_time());
    assert_eq!(d.next_due, renew::next_due(&record, true));
    let leaf = crate::cert::read_leaf(files.get("b.example.test.cer").expect("cer")).expect("leaf");
    assert_eq!(d.not_after, Some(leaf.not_after));
    assert_eq!((d.failed_attempts, d.last_error), (0, None));
    // A removed lineage (only `.conf.removed`) is never due.
    let removed = Files::from_dir(&std::path::Path::new(FIXTURE).join("d.example.test_ecc"))
        .expect("fixture");
    assert_eq!(derive("d.example.test_ecc", &removed, true).next_due, None);
}

#[test]
fn file_names_of_a_folder() {
    assert_eq!(conf_name("a.example_ecc"), "a.example.conf");
    assert_eq!(cer_name("a.example"), "a.example.cer");
}
