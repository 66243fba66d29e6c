use super::*;

#[test]
fn secrets_are_keys_pfx_and_account_conf() {
    assert!(is_secret("a.key", b"-----BEGIN EC PRIVATE KEY-----\n"));
    assert!(is_secret(
        ".a.key.acmers-next",
        b"-----BEGIN PRIVATE KEY-----\n"
    ));
    assert!(is_secret(
        "account.key",
        b"-----BEGIN RSA PRIVATE KEY-----\n"
    ));
    assert!(is_secret("a.pfx", b"\x30\x82"));
    assert!(is_secret("account.conf", b"SAVED_CF_Token='x'\n"));
    assert!(!is_secret("a.cer", b"-----BEGIN CERTIFICATE-----\n"));
    assert!(!is_secret("a.conf", b"Le_Domain='a'\n"));
}

#[test]
fn a_folder_round_trips_without_its_lock_and_temp_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("a.conf"), b"Le_Domain='a'\n").expect("write");
    std::fs::write(d.join("a.key"), b"-----BEGIN EC PRIVATE KEY-----\n").expect("write");
    std::fs::write(d.join("a.cer"), b"cert").expect("write");
    std::fs::write(d.join(crate::store::lock::LOCK_FILE), b"").expect("write");
    std::fs::write(d.join(".a.conf.x1y2z3.tmp"), b"half").expect("write");
    std::fs::create_dir(d.join("backup")).expect("mkdir");
    std::os::unix::fs::symlink("/etc/passwd", d.join("link.cer")).expect("symlink");
    let files = Files::from_dir(d).expect("read");
    let names: Vec<&str> = files.0.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["a.cer", "a.conf", "a.key"]);
    let out = d.join("out");
    files.write_dir(&out).expect("write");
    assert_eq!(Files::from_dir(&out).expect("read back"), files);
    let mode = |n: &str| {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(out.join(n))
            .expect("stat")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(
        (mode("a.key"), mode("a.conf"), mode("a.cer")),
        (0o600, 0o600, 0o644)
    );
}
