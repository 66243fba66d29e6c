use std::ffi::OsString;

use super::*;
use crate::cli::args::parse;

fn resolve(line: &str, account_conf: &str) -> RevokeSettings {
    let parsed = parse(
        std::iter::once("acmers")
            .chain(line.split_whitespace())
            .map(OsString::from),
    )
    .unwrap();
    let globals = Globals {
        home: Home::new("/h".into(), None, None),
        account_conf: crate::store::record::AccountConf::parse(account_conf),
        debug: 0,
        run: crate::cli::settings::RunEnv::default(),
    };
    RevokeSettings::resolve(&parsed.args, &globals).unwrap()
}

#[test]
fn defaults_follow_acmesh() {
    let s = resolve("--revoke -d Example.COM", "");
    assert_eq!(s.domain, "example.com");
    assert!(!s.ecc && !s.rsa_asked);
    assert_eq!(s.server, None);
    assert_eq!(s.reason, 0);
    assert_eq!(s.ca_bundle, None);
}

#[test]
fn options_are_taken() {
    let s = resolve(
        "--revoke -d a.test --ecc --revoke-reason 4 --server letsencrypt_test",
        "CA_BUNDLE='/etc/ca.pem'\n",
    );
    assert!(s.ecc);
    assert_eq!(s.reason, 4);
    assert_eq!(
        s.server.as_deref(),
        Some("https://acme-staging-v02.api.letsencrypt.org/directory")
    );
    assert_eq!(s.ca_bundle, Some(std::path::PathBuf::from("/etc/ca.pem")));
    let s = resolve(
        "--revoke -d a.test -k 2048 --ca-bundle /x.pem",
        "CA_BUNDLE='/y'\n",
    );
    assert!(s.rsa_asked && !s.ecc);
    assert_eq!(s.ca_bundle, Some(std::path::PathBuf::from("/x.pem")));
}

#[test]
fn missing_domain_prints_usage() {
    let parsed = parse(["acmers", "--revoke"].map(OsString::from)).unwrap();
    let globals = Globals {
        home: Home::new("/h".into(), None, None),
        account_conf: Default::default(),
        debug: 0,
        run: crate::cli::settings::RunEnv::default(),
    };
    let err = RevokeSettings::resolve(&parsed.args, &globals).unwrap_err();
    assert!(err.error.to_string().starts_with("Usage:"), "{}", err.error);
}

#[test]
fn finish_keeps_copies_then_deletes_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path().into(), None, None);
    let lineage = home.lineage("a.test", true).unwrap();
    std::fs::create_dir_all(&lineage.dir).unwrap();
    std::fs::write(lineage.key(), "KEY").unwrap();
    std::fs::write(lineage.csr(), "CSR").unwrap();
    std::fs::write(lineage.cer(), "CER").unwrap();
    std::fs::write(lineage.conf(), "Le_Domain='a.test'\n").unwrap();
    finish(&lineage, &Printer::default(), false).unwrap();
    let read = |name: &str| std::fs::read_to_string(lineage.dir.join(name)).unwrap();
    assert_eq!(read("a.test.key.revoked"), "KEY");
    assert_eq!(read("a.test.csr.revoked"), "CSR");
    assert_eq!(read("a.test.key"), "KEY");
    assert!(!lineage.cer().exists());
    assert!(lineage.conf().exists());
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |name: &str| {
        std::fs::metadata(lineage.dir.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("a.test.key.revoked"), 0o600);
    assert_eq!(mode("a.test.csr.revoked"), 0o644);
    // A second finish (after an interruption) is harmless.
    finish(&lineage, &Printer::default(), true).unwrap();
}
