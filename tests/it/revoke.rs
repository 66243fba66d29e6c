//! `acmers --revoke` against a real Pebble: the account key, a reason code (and one the CA
//! refuses), the fallback to the domain key when the account is another one or there is
//! none, and what the lineage folder looks like afterwards. Pebble's management interface
//! (`/cert-status-by-serial/<hex>`) says whether the CA really revoked the certificate.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::acmers::{Acmers, Output};
use crate::support::certs::pem_certs;
use crate::support::home::{read, site};
use crate::support::pebble::{Pebble, PebbleOpts};

/// `--issue -d <name> --standalone` on Pebble's http-01 port; exit 0.
fn issue(home: &Path, pebble: &Pebble, name: &str) {
    crate::support::lineage::issue(home, pebble, name, &[]).assert_code(0);
}

/// The serial of the leaf in `<home>/<name>_ecc/<name>.cer`, as hex.
fn serial(home: &Path, name: &str) -> String {
    let pem = read(&home.join(format!("{name}_ecc/{name}.cer")));
    let certs = pem_certs(&pem);
    let (_, cert) = x509_parser::parse_x509_certificate(&certs[0]).expect("parse leaf");
    cert.raw_serial()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn revoke_cmd(home: &Path, name: &str, extra: &[&str]) -> Acmers {
    Acmers::new(home).args(["--revoke", "-d", name]).args(extra)
}

fn revoke(home: &Path, name: &str, extra: &[&str]) -> Output {
    revoke_cmd(home, name, extra).run()
}

fn assert_line(stream: &str, line: &str) {
    assert!(
        stream.lines().any(|l| l.ends_with(&format!("] {line}"))),
        "no line {line:?} in:\n{stream}"
    );
}

/// The lineage after a successful revoke: `.cer` gone, key and CSR copied to `.revoked`,
/// the conf kept.
fn assert_revoked_files(home: &Path, name: &str) {
    let dir = home.join(format!("{name}_ecc"));
    assert!(!dir.join(format!("{name}.cer")).exists(), "{name}.cer kept");
    for file in ["key", "csr"] {
        assert_eq!(
            read(&dir.join(format!("{name}.{file}.revoked"))),
            read(&dir.join(format!("{name}.{file}"))),
            "{name}.{file}.revoked"
        );
    }
    assert!(dir.join(format!("{name}.conf")).is_file(), "conf removed");
    assert!(dir.join("fullchain.cer").is_file());
}

#[test]
fn account_key_revokes_and_the_files_are_moved() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "revoke.example.test";
    issue(&site.home, &pebble, name);
    let serial = serial(&site.home, name);
    assert_eq!(pebble.cert_status(&serial)["Status"], "Valid");

    // No --server and no --ca-bundle: Le_API and account.conf's CA_BUNDLE are used.
    let out = revoke(&site.home, name, &[]);
    out.assert_code(0);
    assert_line(&out.stdout, "Trying account key first.");
    assert_line(&out.stdout, "Successfully revoked.");
    out.assert_stdout_lacks("Trying domain key.");
    assert_eq!(out.stderr, "");
    let status = pebble.cert_status(&serial);
    assert_eq!(status["Status"], "Revoked", "{status}");
    assert_eq!(
        status["Reason"], 0,
        "acme.sh sends reason 0 by default: {status}"
    );
    assert_revoked_files(&site.home, name);
    let mode = |p: &str| {
        use std::os::unix::fs::PermissionsExt as _;
        let path = site.home.join(format!("{name}_ecc/{p}"));
        fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    };
    assert_eq!(mode(&format!("{name}.key.revoked")), 0o600);

    // Nothing left to revoke: acme.sh's message, exit 1.
    let again = revoke(&site.home, name, &[]);
    again.assert_code(1);
    again.assert_stderr_has("was not found, skipping.");

    let unknown = revoke(&site.home, "never.example.test", &[]);
    unknown.assert_code(1);
    unknown.assert_stderr_has("never.example.test is not an issued domain");
}

#[test]
fn reason_code_is_sent_and_a_refused_one_changes_nothing() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "reason.example.test";
    issue(&site.home, &pebble, name);
    let serial = serial(&site.home, name);
    let lineage = site.home.join(format!("{name}_ecc"));
    let before = read(&lineage.join(format!("{name}.cer")));

    // 7 is not a reason (RFC 5280 leaves it unused): both keys are refused.
    let out = revoke(&site.home, name, &["--revoke-reason", "7"]);
    out.assert_code(1);
    assert_line(&out.stdout, "Trying domain key.");
    out.assert_stderr_has("badRevocationReason");
    assert_eq!(pebble.cert_status(&serial)["Status"], "Valid");
    assert_eq!(read(&lineage.join(format!("{name}.cer"))), before);
    assert!(!lineage.join(format!("{name}.key.revoked")).exists());

    let out = revoke(&site.home, name, &["--revoke-reason", "4", "--ecc"]);
    out.assert_code(0);
    let status = pebble.cert_status(&serial);
    assert_eq!(status["Status"], "Revoked", "{status}");
    assert_eq!(status["Reason"], 4, "{status}");
    assert_revoked_files(&site.home, name);
}

/// Copy `<from>/<name>_ecc` into `<to>`.
fn copy_lineage(from: &Path, to: &Path, name: &str) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from.join(format!("{name}_ecc")))
        .arg(to)
        .status()
        .expect("cp");
    assert!(status.success(), "copy the lineage");
}

#[test]
fn domain_key_is_used_when_the_account_cannot_revoke() {
    let pebble = Pebble::start(PebbleOpts::default());
    let first = site();
    let (a, b) = ("first.example.test", "second.example.test");
    issue(&first.home, &pebble, a);
    issue(&first.home, &pebble, b);

    // Another home with its own account: Pebble refuses that account (`unauthorized`).
    let other = site();
    issue(&other.home, &pebble, "other.example.test");
    copy_lineage(&first.home, &other.home, a);
    let serial_a = serial(&other.home, a);
    let out = revoke(&other.home, a, &[]);
    out.assert_code(0);
    assert_line(&out.stdout, "Trying account key first.");
    assert_line(&out.stderr, "Error revoking.");
    out.assert_stderr_has("unauthorized");
    assert_line(&out.stdout, "Trying domain key.");
    assert_line(&out.stdout, "Successfully revoked.");
    assert_eq!(pebble.cert_status(&serial_a)["Status"], "Revoked");
    assert_revoked_files(&other.home, a);

    // A home with no account at all for this CA: no registration, the domain key revokes.
    let bare = site();
    copy_lineage(&first.home, &bare.home, b);
    let serial_b = serial(&bare.home, b);
    let out = revoke_cmd(&bare.home, b, &[])
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path().as_os_str())
        .run();
    out.assert_code(0);
    out.assert_stderr_has("no account for this CA");
    assert_line(&out.stdout, "Successfully revoked.");
    assert_eq!(pebble.cert_status(&serial_b)["Status"], "Revoked");
    assert!(
        !bare.home.join("ca").exists(),
        "a revocation registered an account"
    );
    assert_revoked_files(&bare.home, b);

    // Revoked already (e.g. a run interrupted before the files were moved): finishing counts
    // as success.
    let cer = first.home.join(format!("{a}_ecc/{a}.cer"));
    assert!(cer.is_file());
    let out = revoke(&first.home, a, &[]);
    out.assert_code(0);
    assert_line(&out.stdout, "The certificate was revoked already.");
    assert_revoked_files(&first.home, a);
}
