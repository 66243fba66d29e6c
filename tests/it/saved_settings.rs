//! Settings acme.sh saved in a lineage's conf are honoured by a renewal under acmers: the
//! order options end up in the new CSR (docs/compat.md); a lineage whose saved deploy hooks
//! cannot be found is renewed and saved but exits 1; a cron pass with nothing due says
//! nothing (cron mails stderr).

use std::fs;
use std::path::Path;

use crate::support::acmers::{Acmers, Output};
use crate::support::conf::read_conf;
use crate::support::home::{copy_fixture_home, read, site};
use crate::support::lineage::renew_forced;
use crate::support::pebble::{Pebble, PebbleOpts};

/// Add `extra` lines to a conf of the fixture home, and point the lineage at Pebble's
/// validation port.
fn add_to_conf(path: &Path, port: u16, extra: &str) {
    let text = read(path).replace("Le_HTTPPort='5002'", &format!("Le_HTTPPort='{port}'"));
    fs::write(path, text + extra).expect("write conf");
}

fn renew_a(home: &Path, pebble: &Pebble) -> Output {
    let server = pebble.directory_url().replace("127.0.0.1", "localhost");
    renew_forced(home, pebble, "a.example.test", &server)
}

#[test]
fn renewal_honours_saved_settings_and_fails_for_missing_deploy_hooks() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    copy_fixture_home(&site.home);
    let dir = site.home.join("a.example.test_ecc");
    let conf = dir.join("a.example.test.conf");
    add_to_conf(
        &conf,
        pebble.http_port(),
        "Le_DeployHook='haproxy,ssh,'\nLe_OCSP_Staple='1'\n\
         Le_Preferred_Chain='ISRG Root X1'\nLe_LocalAddress='127.0.0.1,127.0.0.2'\n",
    );
    let account = site.home.join("account.conf");
    fs::write(&account, read(&account) + "NOTIFY_HOOK='mail'\n").expect("write account.conf");
    let cert_before = read(&dir.join("a.example.test.cer"));

    let out = renew_a(&site.home, &pebble);
    out.assert_code(1)
        // The saved notify hook is honoured too (here: not installed, so a warning).
        .assert_stderr_has("warning: notify hook `mail` failed")
        .assert_stderr_has("Error deploying for domain: a.example.test (deploy hook `haproxy`)")
        .assert_stderr_has("cannot find the deploy plugin `haproxy`")
        .assert_stdout_has("Cert success.");
    // The new certificate is saved all the same, and the settings are kept for later.
    assert_ne!(read(&dir.join("a.example.test.cer")), cert_before);
    let saved = read_conf(&conf);
    assert_eq!(saved["Le_DeployHook"], "haproxy,ssh,");
    assert_eq!(
        saved["Acmers_DeployPending"], "1",
        "retried by the next run"
    );
    assert_eq!(saved["Le_OCSP_Staple"], "1");
    // Must-staple asked for in the CSR (the TLS feature extension, RFC 7633).
    let csr = csr_text(&dir.join("a.example.test.csr"));
    assert!(csr.contains("TLS Feature"), "{csr}");
}

/// `openssl req -text` of a CSR.
fn csr_text(path: &Path) -> String {
    let out = std::process::Command::new("openssl")
        .args(["req", "-noout", "-text", "-in"])
        .arg(path)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn saved_key_usage_is_honoured_and_a_skip_stays_quiet() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    copy_fixture_home(&site.home);
    let conf = site
        .home
        .join("a.example.test_ecc")
        .join("a.example.test.conf");
    add_to_conf(&conf, pebble.http_port(), "Le_ExtKeyUse='serverAuth'\n");

    renew_a(&site.home, &pebble)
        .assert_code(0)
        .assert_stderr_lacks("warning")
        .assert_stderr_lacks("deploy hook");
    let csr = csr_text(&site.home.join("a.example.test_ecc/a.example.test.csr"));
    assert!(csr.contains("TLS Web Server Authentication"), "{csr}");
    assert!(!csr.contains("TLS Web Client Authentication"), "{csr}");

    // Nothing due: the cron pass does nothing with those settings and says nothing of them
    // (cron mails stderr). Only the lineage just renewed is left.
    for other in ["b.example.test_ecc", "c.example.test", "d.example.test_ecc"] {
        fs::remove_dir_all(site.home.join(other)).expect("remove lineage");
    }
    Acmers::new(&site.home)
        .args(["--cron"])
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path())
        .run()
        .assert_code(0)
        .assert_stderr_lacks("warning");
}
