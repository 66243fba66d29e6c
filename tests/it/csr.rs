//! `--sign-csr` and `--show-csr` (docs/csr.md) against a real Pebble, with CSRs `openssl req`
//! makes from keys acmers never sees: EC and RSA issuance into the CSR's folder, the
//! certificate carrying the CSR's key, renewal from the saved CSR, the refused `--key-file`,
//! a lineage acme.sh's `signcsr` made, and `--show-csr`'s lines; then `--deactivate`
//! (docs/accounts.md) against a Pebble that reuses valid authorizations.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::support::acmers::{Acmers, Output};
use crate::support::certs::verify_chain_against_root;
use crate::support::conf::read_conf;
use crate::support::home::{read, site};
use crate::support::lineage::{ecc_dir, issue, now};
use crate::support::pebble::{Pebble, PebbleOpts};

/// A private key and a CSR made by `openssl req` outside the acmers home.
struct OpensslCsr {
    _dir: TempDir,
    key: PathBuf,
    csr: PathBuf,
}

/// `openssl req -new` with a new key (`-newkey` argument), `-subj` and, when `sans` is not
/// empty, a subjectAltName extension.
fn openssl_csr(newkey: &[&str], subject: &str, sans: &str) -> OpensslCsr {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("private.pem");
    let csr = dir.path().join("request.csr");
    let mut cmd = Command::new("openssl");
    cmd.args(["req", "-new", "-nodes"])
        .args(newkey)
        .arg("-keyout")
        .arg(&key)
        .args(["-subj", subject])
        .arg("-out")
        .arg(&csr);
    if !sans.is_empty() {
        cmd.args(["-addext", &format!("subjectAltName={sans}")]);
    }
    let status = cmd.status().expect("run openssl");
    assert!(status.success(), "openssl req failed");
    OpensslCsr {
        _dir: dir,
        key,
        csr,
    }
}

const EC_P256: &[&str] = &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
const RSA_2048: &[&str] = &["-newkey", "rsa:2048"];

/// The PEM public key of a private key or of a certificate, as openssl prints it.
fn public_key(path: &Path, certificate: bool) -> String {
    let mut cmd = Command::new("openssl");
    if certificate {
        cmd.args(["x509", "-noout", "-pubkey", "-in"]);
    } else {
        cmd.args(["pkey", "-pubout", "-in"]);
    }
    let out = cmd.arg(path).output().expect("run openssl");
    assert!(out.status.success(), "openssl failed on {}", path.display());
    String::from_utf8(out.stdout).expect("utf-8")
}

/// acmers with `--server` and `--ca-bundle` of `pebble`.
fn at(home: &Path, pebble: &Pebble) -> Acmers {
    Acmers::new(home)
        .args(["--server", &pebble.directory_url(), "--ca-bundle"])
        .arg(pebble.ca_bundle_path().as_os_str())
}

/// `--sign-csr --csr <csr>` validated by the standalone server on Pebble's http-01 port.
fn sign(home: &Path, pebble: &Pebble, csr: &Path) -> Output {
    at(home, pebble)
        .args(["--signcsr", "--csr"])
        .arg(csr)
        .args(["--standalone", "--local-address", "127.0.0.1", "--httpport"])
        .arg(pebble.http_port().to_string())
        .run()
}

/// The lines printed on stdout without acme.sh's `[date] ` prefix.
fn lines(out: &Output) -> Vec<String> {
    out.stdout
        .lines()
        .map(|l| l.split_once("] ").map_or(l, |(_, text)| text).to_owned())
        .collect()
}

#[test]
fn sign_csr_ec_and_rsa_issue_for_the_csr_key_and_renew_from_the_saved_csr() {
    for (newkey, name, ecc, keylength) in [
        (EC_P256, "csr-ec.example.test", true, "prime256v1"),
        (RSA_2048, "csr-rsa.example.test", false, "2048"),
    ] {
        let pebble = Pebble::start(PebbleOpts::default());
        let site = site();
        let www = format!("www.{name}");
        let given = openssl_csr(
            newkey,
            &format!("/CN={name}"),
            &format!("DNS:{name},DNS:{www}"),
        );
        let out = sign(&site.home, &pebble, &given.csr);
        out.assert_code(0);
        let dir = if ecc {
            ecc_dir(&site.home, name)
        } else {
            site.home.join(name)
        };
        let saved_csr = dir.join(format!("{name}.csr"));
        let cer = dir.join(format!("{name}.cer"));
        out.assert_stdout_has(&format!("Copying CSR to: {}", saved_csr.display()))
            .assert_stdout_has("Signing from existing CSR.")
            .assert_stdout_lacks("Your cert key is in");
        assert!(!dir.join(format!("{name}.key")).exists(), "{name}: no key");
        assert_eq!(
            read(&saved_csr),
            read(&given.csr),
            "{name}: the CSR as given"
        );
        assert_eq!(
            public_key(&cer, true),
            public_key(&given.key, false),
            "{name}: the certificate carries the CSR's key"
        );
        let fullchain = read(&dir.join("fullchain.cer"));
        verify_chain_against_root(&fullchain, &pebble.root_pem(), &[name, &www]);
        let conf = read_conf(&dir.join(format!("{name}.conf")));
        assert_eq!(conf["Le_Domain"], name);
        assert_eq!(conf["Le_Alt"], www);
        assert_eq!(
            conf["Le_Keylength"], keylength,
            "as acme.sh's signcsr saves it"
        );

        // A renewal signs the saved CSR again: a new certificate for the same key.
        let first = read(&cer);
        let mut renew = at(&site.home, &pebble).args(["--renew", "-d", name, "--force"]);
        if ecc {
            renew = renew.arg("--ecc");
        }
        renew
            .run()
            .assert_code(0)
            .assert_stdout_has("Signing from existing CSR.");
        assert_ne!(read(&cer), first, "{name}: renewed");
        assert_eq!(public_key(&cer, true), public_key(&given.key, false));
        assert!(
            !dir.join(format!("{name}.key")).exists(),
            "{name}: still no key"
        );

        // There is no key to install; the other files install.
        let target = site.home.join("installed");
        let install = |option: &str, file: &str| {
            let mut cmd = Acmers::new(&site.home)
                .args(["--install-cert", "-d", name, option])
                .arg(target.join(file));
            if ecc {
                cmd = cmd.arg("--ecc");
            }
            cmd.run()
        };
        fs::create_dir(&target).expect("mkdir");
        install("--key-file", "key.pem")
            .assert_code(1)
            .assert_stderr_has("was issued from a CSR (`--signcsr`): acmers has no private key");
        assert!(!target.join("key.pem").exists());
        install("--fullchain-file", "fullchain.pem").assert_code(0);
        assert_eq!(
            read(&target.join("fullchain.pem")),
            read(&dir.join("fullchain.cer"))
        );
        assert_eq!(pebble.orders_created(), 2);
    }
}

#[test]
fn a_lineage_acmesh_signcsr_made_renews_from_its_csr() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "made-by-acmesh.example.test";
    let given = openssl_csr(EC_P256, &format!("/CN={name}"), &format!("DNS:{name}"));
    // What acme.sh's `signcsr` leaves: `<d>.csr` without `<d>.key`, `Le_Keylength` as
    // openssl names the curve, and a renewal time that has passed.
    let dir = ecc_dir(&site.home, name);
    fs::create_dir_all(&dir).expect("mkdir");
    fs::copy(&given.csr, dir.join(format!("{name}.csr"))).expect("copy CSR");
    let issued = now() - 80 * 86400;
    let conf = [
        format!("Le_Domain='{name}'"),
        "Le_Alt='no'".into(),
        "Le_Webroot='no'".into(),
        "Le_PreHook=''".into(),
        "Le_PostHook=''".into(),
        "Le_RenewHook=''".into(),
        format!("Le_API='{}'", pebble.directory_url()),
        "Le_Keylength='prime256v1'".into(),
        "Le_ChallengeAlias=''".into(),
        format!("Le_HTTPPort='{}'", pebble.http_port()),
        "Le_LocalAddress='127.0.0.1'".into(),
        "Le_LinkCert='https://ca.invalid/cert/1'".into(),
        format!("Le_CertCreateTime='{issued}'"),
        "Le_CertCreateTimeStr='2026-01-01T00:00:00Z'".into(),
        "Le_NextRenewTimeStr='2026-03-01T00:00:00Z'".into(),
        format!("Le_NextRenewTime='{}'", issued + 60 * 86400),
    ];
    fs::write(dir.join(format!("{name}.conf")), conf.join("\n") + "\n").expect("conf");

    let out = Acmers::new(&site.home)
        .arg("--cron")
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path().as_os_str())
        .run();
    out.assert_code(0)
        .assert_stdout_has("Signing from existing CSR.");
    let cer = dir.join(format!("{name}.cer"));
    assert_eq!(public_key(&cer, true), public_key(&given.key, false));
    assert!(!dir.join(format!("{name}.key")).exists());
    let conf = read_conf(&dir.join(format!("{name}.conf")));
    assert_eq!(
        conf["Le_Keylength"], "prime256v1",
        "kept as acme.sh wrote it"
    );

    // Issued and untouched: the next pass skips it (the certificate matches the CSR's key).
    let out = Acmers::new(&site.home)
        .arg("--cron")
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path().as_os_str())
        .run();
    out.assert_code(0)
        .assert_stdout_has(&format!("Skipped {name}"));
    assert_eq!(pebble.orders_created(), 1);
}

#[test]
fn show_csr_prints_acmesh_lines() {
    let top = tempfile::tempdir().expect("tempdir");
    let home = top.path().join("home");
    let named = openssl_csr(
        EC_P256,
        "/CN=show.example.test",
        "DNS:show.example.test,DNS:www.show.example.test,DNS:api.show.example.test",
    );
    let out = Acmers::new(&home)
        .args(["--showcsr", "--csr"])
        .arg(&named.csr)
        .run();
    out.assert_code(0);
    assert_eq!(
        lines(&out),
        [
            "Subject=show.example.test",
            "SubjectAltNames=www.show.example.test,api.show.example.test",
            "KeyLength=prime256v1",
        ]
    );

    let anonymous = openssl_csr(RSA_2048, "/O=Example", "DNS:a.example.test");
    let out = Acmers::new(&home)
        .args(["--show-csr", "--csr"])
        .arg(&anonymous.csr)
        .run();
    out.assert_code(0);
    assert_eq!(
        lines(&out),
        [
            "The subject is empty",
            "Subject=",
            "SubjectAltNames=a.example.test",
            "KeyLength=2048",
        ]
    );

    // Not a CSR (the key file), and no file at all.
    for path in [named.key.clone(), top.path().join("missing.csr")] {
        Acmers::new(&home)
            .args(["--showcsr", "--csr"])
            .arg(&path)
            .run()
            .assert_code(1)
            .assert_stderr_has(&format!("Cannot read subject from CSR: {}", path.display()));
    }
}

#[test]
fn deactivate_makes_the_next_order_validate_again() {
    let pebble = Pebble::start(PebbleOpts {
        authz_reuse: 100,
        ..PebbleOpts::default()
    });
    let site = site();
    let name = "deactivate.example.test";
    issue(&site.home, &pebble, name, &[]).assert_code(0);
    // Pebble reuses the valid authorization: nothing is validated again.
    issue(&site.home, &pebble, name, &["--force"])
        .assert_code(0)
        .assert_stdout_lacks(&format!("Verifying: {name}"));

    let out = at(&site.home, &pebble)
        .args(["--deactivate", "-d", name])
        .run();
    out.assert_code(0);
    let printed: Vec<String> = lines(&out)
        .into_iter()
        .filter(|l| !l.starts_with("ACCOUNT_THUMBPRINT="))
        .collect();
    assert_eq!(
        printed,
        [
            format!("Deactivating {name}"),
            "Found http-01".into(),
            "Deactivating http-01".into(),
            "Successfully deactivated http-01.".into(),
            "Successfully deactivated!".into(),
        ]
    );

    // The next order gets a new authorization: nothing valid to deactivate any more.
    at(&site.home, &pebble)
        .args(["--deactivate", "-d", name])
        .run()
        .assert_code(0)
        .assert_stdout_has("No valid entries found.")
        .assert_stdout_has(&format!(
            "Nothing to deactivate for {name}: its authorization is 'pending'"
        ));
    // And an issuance has to validate again.
    issue(&site.home, &pebble, name, &["--force"])
        .assert_code(0)
        .assert_stdout_has(&format!("Verifying: {name}"));

    // A CA that cannot deactivate: acme.sh's last line on stderr, exit 1.
    Acmers::new(&site.home)
        .args(["--deactivate", "-d", "other.example.test", "--server"])
        .arg(format!("https://127.0.0.1:{}/dir", pebble.http_port()))
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path().as_os_str())
        .run()
        .assert_code(1)
        .assert_stderr_has("Deactivation failed.");
}
