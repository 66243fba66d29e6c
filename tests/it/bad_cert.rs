//! Certificates the CA sends that must not be installed (RFC 8555 §11.4): a chain
//! carrying a `PRIVATE KEY` block, a leaf for another key, a leaf missing the name ordered,
//! an expired leaf, and a leaf its chain did not sign. Nothing is written on a fresh
//! home, and on a home with an earlier certificate the old files stay byte-identical.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::acmers::{Acmers, Output};
use crate::support::certs::{leaf_sans, verify_chain_against_root};
use crate::support::fake_acme::{FakeAcme, Fault};
use crate::support::net::free_port;

const NAME: &str = "badcert.example.test";

fn issue_cmd(home: &Path, fake: &FakeAcme) -> Acmers {
    Acmers::new(home)
        .args(["--issue", "-d", NAME, "--standalone", "--httpport"])
        .arg(free_port().to_string())
        .args(["--local-address", "127.0.0.1", "--server"])
        .arg(fake.directory_url())
        .arg("--ca-bundle")
        .arg(fake.ca_bundle_path().as_os_str())
        .timeout(Duration::from_secs(60))
}

/// The files a successful issuance installs, in the lineage folder.
fn installed(home: &Path) -> [PathBuf; 4] {
    let dir = home.join(format!("{NAME}_ecc"));
    [
        dir.join(format!("{NAME}.cer")),
        dir.join("ca.cer"),
        dir.join("fullchain.cer"),
        dir.join(format!("{NAME}.key")),
    ]
}

fn home() -> (tempfile::TempDir, PathBuf) {
    let top = tempfile::tempdir().expect("tempdir");
    let home = top.path().join("home");
    fs::create_dir(&home).expect("mkdir home");
    (top, home)
}

fn assert_refused(out: &Output, needle: &str) {
    out.assert_code(1)
        .assert_stderr_has(needle)
        .assert_stderr_has("nothing was replaced");
}

#[test]
fn private_key_in_chain_on_a_fresh_home_writes_no_certificate() {
    let fake = FakeAcme::start_with(Fault::PrivateKeyInChain);
    let (_top, home) = home();
    let out = issue_cmd(&home, &fake).run();
    assert_refused(&out, "PRIVATE KEY");
    assert_eq!(fake.hits("cert"), 1, "the chain was downloaded");
    let [cer, ca, fullchain, _key] = installed(&home);
    for file in [cer, ca, fullchain] {
        assert!(!file.exists(), "{} written", file.display());
    }
    // The CA's private key block is not echoed.
    out.assert_stdout_lacks("BEGIN PRIVATE KEY")
        .assert_stderr_lacks("BEGIN PRIVATE KEY");
}

/// Issue once from a well-behaved fake, then switch the fault on and force a renewal: the
/// run fails and the installed files are byte-identical.
fn old_files_survive(fault: Fault, needle: &str) {
    let fake = FakeAcme::start();
    let (_top, home) = home();
    issue_cmd(&home, &fake).run().assert_code(0);
    let files = installed(&home);
    let fullchain = fs::read_to_string(&files[2]).expect("fullchain.cer");
    assert_eq!(leaf_sans(&fullchain), [NAME]);
    verify_chain_against_root(&fullchain, fake.root_pem(), &[NAME]);
    let before = files.clone().map(|f| fs::read(f).expect("installed file"));

    fake.set_fault(fault);
    let out = issue_cmd(&home, &fake).arg("-f").run();
    assert_refused(&out, needle);
    assert_eq!(
        (fake.hits("new-order"), fake.hits("cert")),
        (2, 2),
        "the second run got as far as the download"
    );
    let after = files.map(|f| fs::read(f).expect("installed file"));
    assert!(before == after, "an installed file changed");
}

#[test]
fn private_key_in_chain_keeps_the_old_certificate() {
    old_files_survive(Fault::PrivateKeyInChain, "PRIVATE KEY");
}

#[test]
fn certificate_for_another_key_keeps_the_old_certificate() {
    old_files_survive(Fault::WrongKey, "not the domain key");
}

#[test]
fn certificate_missing_the_name_keeps_the_old_certificate() {
    old_files_survive(Fault::MissingSan, NAME);
}

#[test]
fn expired_certificate_keeps_the_old_certificate() {
    old_files_survive(Fault::Expired, "expired");
}

#[test]
fn certificate_not_signed_by_its_chain_keeps_the_old_certificate() {
    old_files_survive(Fault::NotChaining, "was issued by `CN=stranger`");
}
