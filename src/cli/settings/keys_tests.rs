use super::*;
use crate::cli::args::parse;

fn resolve(line: &str) -> Result<KeyFileSettings, Failure> {
    let parsed = parse(
        std::iter::once("acmers")
            .chain(line.split_whitespace())
            .map(std::ffi::OsString::from),
    )
    .unwrap();
    KeyFileSettings::resolve(parsed.command.unwrap(), &parsed.args)
}

#[test]
fn missing_domain_prints_the_commands_usage() {
    for (line, usage) in [
        (
            "--create-domain-key",
            "--create-domain-key --domain <domain.tld> [--keylength",
        ),
        (
            "--create-csr",
            "--create-csr --domain <domain.tld> [--domain <domain2.tld> ...]",
        ),
        (
            "--to-pkcs12",
            "--to-pkcs12 --domain <domain.tld> [--password <password>] [--ecc]",
        ),
        (
            "--to-pkcs8 --ecc",
            "--to-pkcs8 --domain <domain.tld> [--ecc]",
        ),
    ] {
        let err = resolve(line).unwrap_err().error.to_string();
        assert!(
            err.starts_with("Usage: acmers ") && err.contains(usage),
            "{line}: {err}"
        );
    }
}

#[test]
fn names_key_type_and_password() {
    let s = resolve("--create-csr -d a.test -d www.a.test --ecc").unwrap();
    assert_eq!(s.main, "a.test");
    assert_eq!(s.identifiers.len(), 2);
    assert!(s.ecc);
    assert_eq!((s.key_type, s.password.as_str()), (KeyType::Ec256, ""));
    let s = resolve("--create-domain-key -d a.test -k 2048 --force").unwrap();
    assert_eq!(s.key_type, KeyType::Rsa(2048));
    assert!(s.force);
    assert_eq!(
        resolve("--to-pkcs12 -d a.test --password pw")
            .unwrap()
            .password,
        "pw"
    );
    assert!(resolve("--create-domain-key -d a.test -k 1024").is_err());
}
