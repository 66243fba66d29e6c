//! Crash safety (docs/renewal.md, "Crash safety"): `kill -9` at many moments of a renewal against
//! a real Pebble. After every kill the lineage's key, certificate and conf (and the installed
//! copies) are whole files that parse, and the key and certificate belong together unless a
//! journal records a switch in progress; the next run then completes the work and leaves
//! everything consistent.
//!
//! Half of the renewals change the key type (`--force -k`), so the new key is staged beside
//! the old one and switched in with its certificate through the journal; the others reuse the
//! key, where the pair is consistent at every moment.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use aws_lc_rs::signature::{self, KeyPair as _};

use crate::support::acmers::Acmers;
use crate::support::conf::read_conf;
use crate::support::home::{read, site};
use crate::support::lineage::{ecc_dir, issue};
use crate::support::pebble::{Pebble, PebbleOpts};

/// The public key of an EC key file (P-256 or P-384, SEC 1 PEM), if it is one.
fn ec_public(key_pem: &str) -> Option<Vec<u8>> {
    let block = pem::parse(key_pem).ok()?;
    [
        &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
    ]
    .into_iter()
    .find_map(|alg| signature::EcdsaKeyPair::from_private_key_der(alg, block.contents()).ok())
    .map(|k| k.public_key().as_ref().to_vec())
}

/// The public key in the first certificate of a PEM file.
fn cert_public(cert_pem: &str) -> Option<Vec<u8>> {
    let block = pem::parse(cert_pem).ok()?;
    let (_, cert) = x509_parser::parse_x509_certificate(block.contents()).ok()?;
    Some(
        cert.tbs_certificate
            .subject_pki
            .subject_public_key
            .data
            .to_vec(),
    )
}

/// Both files parse and belong together.
fn pair_matches(key: &Path, cert: &Path) -> bool {
    let (Ok(key), Ok(cert)) = (fs::read_to_string(key), fs::read_to_string(cert)) else {
        return false;
    };
    matches!((ec_public(&key), cert_public(&cert)), (Some(k), Some(c)) if k == c)
}

fn assert_whole(path: &Path) {
    let text = read(path);
    if path.extension().is_some_and(|e| e == "conf") {
        assert!(
            text.contains("Le_Domain='"),
            "{} is not a whole conf:\n{text}",
            path.display()
        );
    } else {
        assert!(
            pem::parse_many(&text).is_ok_and(|b| !b.is_empty()),
            "{} is not whole PEM:\n{text}",
            path.display()
        );
    }
}

/// Start a forced re-issue of `name` with key type `key_type` (a new key when it differs).
fn start_reissue(home: &Path, pebble: &Pebble, name: &str, key_type: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_acmers"))
        .args([
            "--issue",
            "-d",
            name,
            "--standalone",
            "--force",
            "-k",
            key_type,
        ])
        .args(["--httpport", &pebble.http_port().to_string()])
        .args([
            "--local-address",
            "127.0.0.1",
            "--server",
            &pebble.directory_url(),
        ])
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path())
        .arg("--home")
        .arg(home)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn acmers")
}

#[test]
fn kill_at_many_points_of_a_renewal_loses_nothing() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "crash.example.test";
    let dir = ecc_dir(&site.home, name);
    let target = site.home.parent().expect("top").join("installed");
    fs::create_dir(&target).expect("mkdir");
    let (t_cert, t_key) = (target.join("cert.pem"), target.join("key.pem"));
    issue(&site.home, &pebble, name, &[]).assert_code(0);
    Acmers::new(&site.home)
        .args(["--install-cert", "-d", name, "--reloadcmd", "true"])
        .arg("--fullchain-file")
        .arg(&t_cert)
        .arg("--key-file")
        .arg(&t_key)
        .run()
        .assert_code(0);
    let (key, cer, conf) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.cer")),
        dir.join(format!("{name}.conf")),
    );
    let journal = dir.join(".acmers.journal");

    let mut kills = 0;
    // How many kills landed in each interesting phase (proof that the kills hit mid-work).
    let (mut in_flight, mut next_key_seen) = (0, 0);
    let next_key = dir.join(format!(".{name}.key.acmers-next"));
    // Spread the kills over the time one renewal takes on this machine.
    let started = Instant::now();
    let status = start_reissue(&site.home, &pebble, name, "ec-384")
        .wait()
        .expect("wait");
    assert!(status.success(), "an uninterrupted renewal works");
    let duration = started.elapsed();
    for step in 0..24_u32 {
        let delay = duration * step / 24;
        let key_type = if step % 2 == 0 { "ec-384" } else { "ec-256" };
        let mut child = start_reissue(&site.home, &pebble, name, key_type);
        std::thread::sleep(delay);
        if child.try_wait().expect("try_wait").is_none() {
            kills += 1;
        }
        let _ = child.kill();
        child.wait().expect("wait");

        // Right after the kill: whole files; the pair matches or a journal is mid-switch.
        for path in [&key, &cer, &conf, &t_cert, &t_key] {
            assert_whole(path);
        }
        assert!(
            pair_matches(&key, &cer) || journal.exists(),
            "step {step}: key and certificate disagree without a journal"
        );
        let saved = read_conf(&conf);
        let install_pending = saved.get("Acmers_InstallPending").is_some();
        if saved.get("Le_LinkOrder").is_some()
            && saved.get("Le_LinkCert").is_none_or(|c| c.is_empty())
        {
            in_flight += 1;
        }
        if next_key.exists() {
            next_key_seen += 1;
        }
        assert!(
            pair_matches(&t_key, &t_cert) || install_pending || journal.exists(),
            "step {step}: installed key and certificate disagree and no install is pending"
        );

        // The next run completes whatever was interrupted.
        let out = Acmers::new(&site.home)
            .args(["--renew", "-d", name, "--ca-bundle"])
            .arg(pebble.ca_bundle_path())
            .run();
        assert!(
            out.code == 0 || out.code == 2,
            "step {step}: completing run failed\n{}\n{}",
            out.stdout,
            out.stderr
        );
        assert!(!journal.exists(), "step {step}: journal left behind");
        assert!(
            pair_matches(&key, &cer),
            "step {step}: lineage pair inconsistent"
        );
        assert!(
            pair_matches(&t_key, &t_cert),
            "step {step}: installed pair inconsistent"
        );
        assert!(
            read_conf(&conf).get("Acmers_InstallPending").is_none(),
            "step {step}: install still pending"
        );
    }
    eprintln!(
        "kills: {kills}, with an order in flight: {in_flight}, with a staged key: {next_key_seen}"
    );
    assert!(
        kills >= 12,
        "most runs must have been killed mid-way (killed {kills})"
    );
    assert!(
        in_flight > 0 && next_key_seen > 0,
        "no kill landed with an order in flight ({in_flight}) or a staged key ({next_key_seen})"
    );
    assert!(!next_key.exists(), "the staged key is cleaned up");
}

/// A next key that a `--force` run staged before it was stopped, with no order saved, is
/// removed by the next run even when that run finds nothing due (it never pairs with a
/// certificate).
#[test]
fn a_staged_key_no_order_uses_is_removed_by_a_skipping_run() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "staged.example.test";
    issue(&site.home, &pebble, name, &[]).assert_code(0);
    let dir = ecc_dir(&site.home, name);
    let next_key = dir.join(format!(".{name}.key.acmers-next"));
    fs::write(&next_key, read(&dir.join(format!("{name}.key")))).expect("stage a key");
    Acmers::new(&site.home)
        .args(["--renew", "-d", name])
        .run()
        .assert_code(2)
        .assert_stdout_has("Skipping. Next renewal time is:");
    assert!(!next_key.exists(), "the unused staged key is removed");
}
