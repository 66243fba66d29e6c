//! The local key and format commands (docs/keys.md): `--create-account-key`,
//! `--create-domain-key`, `--create-csr`, `--to-pkcs12` (read back by `openssl pkcs12`, and
//! exported again by a renewal) and `--to-pkcs8`, with acme.sh's lines and exit codes.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::support::acmers::{Acmers, Output};
use crate::support::conf::{read_conf, set_conf};
use crate::support::home::{read, site};
use crate::support::lineage::{ecc_dir, issue, renew_forced};
use crate::support::pebble::{Pebble, PebbleOpts};

/// `openssl <args>`; panics with its stderr when it fails. Its stdout.
fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// A private key file as openssl prints it back (PKCS#8 PEM), whatever its format.
fn key_as_pkcs8(path: &Path) -> String {
    openssl(&["pkey", "-in", path_str(path)])
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).expect("stat").permissions().mode() & 0o7777
}

/// The PEM blocks labelled `label` in `text`, each with its BEGIN and END lines.
fn blocks(text: &str, label: &str) -> Vec<String> {
    let (begin, end) = (
        format!("-----BEGIN {label}-----"),
        format!("-----END {label}-----"),
    );
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let stop = rest[start..].find(&end).expect("END line") + start + end.len();
        out.push(rest[start..stop].to_owned());
        rest = &rest[stop..];
    }
    out
}

/// What `openssl pkcs12 -nodes` reads from `pfx` with `password`: (key, certificates).
fn read_pfx(pfx: &Path, password: &str) -> (Vec<String>, Vec<String>) {
    let pass = format!("pass:{password}");
    let out = openssl(&["pkcs12", "-in", path_str(pfx), "-passin", &pass, "-nodes"]);
    (blocks(&out, "PRIVATE KEY"), blocks(&out, "CERTIFICATE"))
}

fn home_cmd(home: &Path) -> Acmers {
    Acmers::new(home)
}

#[test]
fn missing_domain_prints_usage() {
    let site = site();
    for (flag, usage) in [
        (
            "--create-domain-key",
            "--create-domain-key --domain <domain.tld>",
        ),
        ("--create-csr", "--create-csr --domain <domain.tld>"),
        ("--to-pkcs12", "--to-pkcs12 --domain <domain.tld>"),
        ("--to-pkcs8", "--to-pkcs8 --domain <domain.tld>"),
    ] {
        home_cmd(&site.home)
            .arg(flag)
            .run()
            .assert_code(1)
            .assert_stderr_has("Usage: acmers ")
            .assert_stderr_has(usage);
    }
}

#[test]
fn unknown_domain_is_an_error_with_a_hint() {
    let site = site();
    for flag in ["--to-pkcs12", "--to-pkcs8"] {
        home_cmd(&site.home)
            .args([flag, "-d", "nothing.example.test"])
            .run()
            .assert_code(1)
            .assert_stderr_has("no certificate folder for `nothing.example.test`")
            .assert_stderr_has("hint: create its key with `acmers --create-domain-key");
    }
}

/// `-cdk`: the key in the `_ecc` folder for EC types (0600, acme.sh's SEC1 format) with
/// `Le_Keylength`; an existing key is kept without `--force` (exit 1, acme.sh's lines) and
/// replaced with it; an RSA type goes to the plain folder.
#[test]
fn create_domain_key_writes_once_and_replaces_with_force() {
    let site = site();
    let name = "cdk.example.test";
    let key = ecc_dir(&site.home, name).join(format!("{name}.key"));
    let out = home_cmd(&site.home).args(["-cdk", "-d", name]).run();
    out.assert_code(0)
        .assert_stdout_has("] Creating domain key")
        .assert_stdout_has(&format!("] The domain key is here: {}", key.display()));
    let first = read(&key);
    assert!(
        first.starts_with("-----BEGIN EC PRIVATE KEY-----"),
        "{first}"
    );
    assert_eq!(mode_of(&key), 0o600);
    let conf = ecc_dir(&site.home, name).join(format!("{name}.conf"));
    assert_eq!(read_conf(&conf)["Le_Keylength"], "ec-256");

    home_cmd(&site.home)
        .args(["--create-domain-key", "-d", name])
        .run()
        .assert_code(1)
        .assert_stderr_has("Domain key exists, do you want to overwrite it?")
        .assert_stderr_has("If so, add '--force' and try again.");
    assert_eq!(read(&key), first);

    home_cmd(&site.home)
        .args(["--createDomainKey", "-d", name, "-k", "ec-384", "--force"])
        .run()
        .assert_code(0);
    assert_ne!(read(&key), first);
    assert_eq!(read_conf(&conf)["Le_Keylength"], "ec-384");
    assert!(openssl(&["ec", "-in", path_str(&key), "-noout", "-text"]).contains("P-384"));

    home_cmd(&site.home)
        .args(["-cdk", "-d", name, "-k", "2048"])
        .run()
        .assert_code(0);
    let rsa = site.home.join(name).join(format!("{name}.key"));
    assert!(read(&rsa).starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert_eq!(
        read_conf(&site.home.join(name).join(format!("{name}.conf")))["Le_Keylength"],
        "2048"
    );
}

/// `-ccr` signs `<d>.csr` with the existing key, every `-d` name a SAN, and prints the
/// names as issuance does; without a key it says to create one (exit 1).
#[test]
fn create_csr_uses_the_domain_key() {
    let site = site();
    let name = "csr.example.test";
    home_cmd(&site.home)
        .args(["-ccr", "-d", name])
        .run()
        .assert_code(1)
        .assert_stdout_has("] Creating CSR")
        .assert_stderr_has(&format!(
            "This key file was not found: {}",
            site.home.join(name).join(format!("{name}.key")).display()
        ))
        .assert_stderr_has("Please create it first");

    home_cmd(&site.home)
        .args(["-cdk", "-d", name])
        .run()
        .assert_code(0);
    let dir = ecc_dir(&site.home, name);
    home_cmd(&site.home)
        .args([
            "--create-csr",
            "-d",
            name,
            "-d",
            "www.csr.example.test",
            "--ecc",
        ])
        .run()
        .assert_code(0)
        .assert_stdout_has("] Multi domain='DNS:csr.example.test,DNS:www.csr.example.test'");
    let csr = dir.join(format!("{name}.csr"));
    let text = openssl(&["req", "-in", path_str(&csr), "-noout", "-text", "-verify"]);
    assert!(
        text.contains("DNS:csr.example.test, DNS:www.csr.example.test"),
        "{text}"
    );
    assert!(text.contains(&format!("CN = {name}")), "{text}");
    let csr_key = openssl(&["req", "-in", path_str(&csr), "-noout", "-pubkey"]);
    let key_pub = openssl(&[
        "pkey",
        "-in",
        path_str(&dir.join(format!("{name}.key"))),
        "-pubout",
    ]);
    assert_eq!(csr_key, key_pub);

    // One name, the EC folder found without `--ecc`.
    home_cmd(&site.home)
        .args(["--createCSR", "-d", name])
        .run()
        .assert_code(0)
        .assert_stdout_has(&format!("] Single domain='{name}'"));
}

/// `--to-pkcs8` writes the domain key as unencrypted PKCS#8 (0600), the same key.
#[test]
fn to_pkcs8_writes_the_same_key() {
    let site = site();
    let name = "p8.example.test";
    home_cmd(&site.home)
        .args(["-cdk", "-d", name, "-k", "2048"])
        .run()
        .assert_code(0);
    let dir = site.home.join(name);
    let pkcs8 = dir.join(format!("{name}.pkcs8"));
    home_cmd(&site.home)
        .args(["--toPkcs8", "-d", name])
        .run()
        .assert_code(0)
        .assert_stdout_has(&format!("] Success, {}", pkcs8.display()));
    let text = read(&pkcs8);
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
    assert_eq!(mode_of(&pkcs8), 0o600);
    assert_eq!(
        key_as_pkcs8(&pkcs8),
        key_as_pkcs8(&dir.join(format!("{name}.key")))
    );
}

/// `-cak` makes the account key where `--issue` uses it (and `--issue` then registers that
/// key instead of making one); a second run skips; `-ak` picks the type.
#[test]
fn create_account_key_is_the_key_issue_uses() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let cak = || {
        home_cmd(&site.home)
            .args(["-cak", "-ak", "2048", "--server", &pebble.directory_url()])
            .run()
    };
    cak()
        .assert_code(0)
        .assert_stdout_has("] Creating account key")
        .assert_stdout_has("] Account key creation OK.");
    let key = site.home.join("ca/127.0.0.1/dir/account.key");
    let made = read(&key);
    assert!(
        made.starts_with("-----BEGIN RSA PRIVATE KEY-----"),
        "{made}"
    );
    assert_eq!(mode_of(&key), 0o600);
    cak()
        .assert_code(0)
        .assert_stdout_has("] Creating account key")
        .assert_stdout_has("] Account key exists, skipping");
    assert_eq!(read(&key), made);

    let out = issue(&site.home, &pebble, "cak.example.test", &[]);
    out.assert_code(0)
        .assert_stdout_lacks("Creating account key")
        .assert_stdout_has("Registered");
    assert_eq!(read(&key), made);
}

/// A key replaced with `--force` over an issued certificate: the next renewal check finds
/// the pair damaged and renews at once, with the new key. (The certificate counts as issued
/// an hour ago: the check reads files changed after the issuance wrote them.)
#[test]
fn a_replaced_domain_key_is_renewed_at_the_next_check() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "rekey.example.test";
    issue(&site.home, &pebble, name, &[]).assert_code(0);
    let dir = ecc_dir(&site.home, name);
    let hour_ago = jiff::Timestamp::now().as_second() - 3600;
    set_conf(
        &dir.join(format!("{name}.conf")),
        "Le_CertCreateTime",
        &hour_ago.to_string(),
    );
    home_cmd(&site.home)
        .args(["-cdk", "-d", name, "--force"])
        .run()
        .assert_code(0);
    let out = home_cmd(&site.home)
        .args(["--renew", "-d", name, "--ca-bundle"])
        .arg(pebble.ca_bundle_path())
        .run();
    out.assert_code(0)
        .assert_stdout_has("Renewing rekey.example.test now");
    let cert_pub = openssl(&[
        "x509",
        "-in",
        path_str(&dir.join(format!("{name}.cer"))),
        "-noout",
        "-pubkey",
    ]);
    let key_pub = openssl(&[
        "pkey",
        "-in",
        path_str(&dir.join(format!("{name}.key"))),
        "-pubout",
    ]);
    assert_eq!(cert_pub, key_pub);
}

/// The PFX's key and certificates as openssl reads them must be the lineage's.
fn assert_pfx_holds_lineage(dir: &Path, name: &str, password: &str) {
    let pfx = dir.join(format!("{name}.pfx"));
    let (keys, certs) = read_pfx(&pfx, password);
    assert_eq!(
        keys,
        blocks(
            &key_as_pkcs8(&dir.join(format!("{name}.key"))),
            "PRIVATE KEY"
        )
    );
    let mut expected = blocks(&read(&dir.join(format!("{name}.cer"))), "CERTIFICATE");
    expected.extend(blocks(&read(&dir.join("ca.cer")), "CERTIFICATE"));
    assert_eq!(certs, expected, "leaf then ca.cer");
    assert_eq!(mode_of(&pfx), 0o600);
}

/// `--to-pkcs12` with a password, read back by OpenSSL 3 (no legacy provider); the password
/// saved base64-wrapped; `--renew --force` exports the new certificate again; the same with
/// the empty password (acme.sh's openssl would prompt for one and would not re-export).
#[test]
fn to_pkcs12_exports_and_renewals_export_again() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "pfx.example.test";
    issue(&site.home, &pebble, name, &[]).assert_code(0);
    let dir = ecc_dir(&site.home, name);
    let pfx = dir.join(format!("{name}.pfx"));
    let conf = dir.join(format!("{name}.conf"));

    let out: Output = home_cmd(&site.home)
        .args(["--to-pkcs12", "-d", name, "--password", "pfx pässword"])
        .run();
    out.assert_code(0).assert_stdout_has(&format!(
        "] Success, PFX has been exported to: {}",
        pfx.display()
    ));
    assert_pfx_holds_lineage(&dir, name, "pfx pässword");
    assert_eq!(
        read_conf(&conf)["Le_PFXPassword"],
        format!(
            "__ACME_BASE64__START_{}__ACME_BASE64__END_",
            STANDARD.encode("pfx pässword")
        )
    );

    let old_cer = read(&dir.join(format!("{name}.cer")));
    renew_forced(&site.home, &pebble, name, &pebble.directory_url())
        .assert_code(0)
        .assert_stdout_has("The PFX file was exported again")
        .assert_stderr_lacks("Le_PFXPassword");
    assert_ne!(read(&dir.join(format!("{name}.cer"))), old_cer);
    assert_pfx_holds_lineage(&dir, name, "pfx pässword");

    home_cmd(&site.home)
        .args(["--toPkcs", "-d", name, "--ecc"])
        .run()
        .assert_code(0);
    assert_pfx_holds_lineage(&dir, name, "");
    assert_eq!(read_conf(&conf)["Le_PFXPassword"], "");
    let old_cer = read(&dir.join(format!("{name}.cer")));
    renew_forced(&site.home, &pebble, name, &pebble.directory_url()).assert_code(0);
    assert_ne!(read(&dir.join(format!("{name}.cer"))), old_cer);
    assert_pfx_holds_lineage(&dir, name, "");
}
