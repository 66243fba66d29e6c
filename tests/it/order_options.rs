//! The order options (docs/order-options.md), saved under acme.sh's keys and honoured on
//! renewal: `--preferred-chain` and `--set-default-chain` against Pebble's alternate chains
//! (`PEBBLE_ALTERNATE_ROOTS`), `--ocsp-must-staple` and `--extended-key-usage` in the CSR,
//! `--always-force-new-domain-key` through the key staging, and `--cert-profile`,
//! `--list-profiles`, `--valid-from` / `--valid-to` against the fake CA (Pebble 2.4 has no
//! profiles), whose recorded newOrder payloads are compared whole.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::json;
use x509_parser::certificate::X509Certificate;
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::FromDer as _;

use crate::support::acmers::{Acmers, Output};
use crate::support::certs::{
    KeyKind, assert_key_matches_leaf, pem_certs, verify_chain_against_root,
};
use crate::support::conf::read_conf;
use crate::support::fake_acme::FakeAcme;
use crate::support::home::{read, site};
use crate::support::lineage::{ecc_dir, issue, now};
use crate::support::net::free_port;
use crate::support::pebble::{Pebble, PebbleOpts};

/// The TLS feature extension (RFC 7633) that carries must-staple.
const TLS_FEATURE: &str = "1.3.6.1.5.5.7.1.24";

fn with_cert<T>(der: &[u8], f: impl FnOnce(&X509Certificate<'_>) -> T) -> T {
    let (_, cert) = x509_parser::parse_x509_certificate(der).expect("parse certificate");
    f(&cert)
}

fn common_name(name: &x509_parser::x509::X509Name<'_>) -> String {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .expect("a common name")
        .to_owned()
}

/// The subject common name of the first certificate in `pem`.
fn subject_cn(pem: &str) -> String {
    with_cert(&pem_certs(pem)[0], |c| common_name(c.subject()))
}

/// The issuer common name of the last certificate in `pem`: the root the chain leads to.
fn top_issuer(pem: &str) -> String {
    let certs = pem_certs(pem);
    with_cert(certs.last().expect("a certificate"), |c| {
        common_name(c.issuer())
    })
}

/// A lineage folder and its files by name.
fn file(home: &Path, name: &str, suffix: &str) -> PathBuf {
    ecc_dir(home, name).join(format!("{name}{suffix}"))
}

fn renew(home: &Path, pebble_or_fake_bundle: &Path, name: &str) -> Output {
    Acmers::new(home)
        .args(["--renew", "-d", name, "--force", "--ca-bundle"])
        .arg(pebble_or_fake_bundle)
        .run()
}

#[test]
fn preferred_chain_is_followed_kept_on_renewal_and_the_default_stays_without_a_match() {
    let pebble = Pebble::start(PebbleOpts {
        alternate_roots: 1,
        ..PebbleOpts::default()
    });
    let site = site();
    let (default_root, alternate_root) = (pebble.root_pem_at(0), pebble.root_pem_at(1));
    let alternate_cn = subject_cn(&alternate_root);
    assert_ne!(alternate_cn, subject_cn(&default_root));
    // Part of the name in another case: acme.sh's `_match_issuer` is a substring match that
    // ignores case.
    let wanted = alternate_cn
        .strip_prefix("Pebble Root CA ")
        .expect("Pebble's root name")
        .to_uppercase();
    let name = "chain.example.test";
    issue(&site.home, &pebble, name, &["--preferred-chain", &wanted])
        .assert_code(0)
        .assert_stdout_has("Trying rel: ")
        .assert_stdout_has("Matched issuer in: ");
    let fullchain = read(&ecc_dir(&site.home, name).join("fullchain.cer"));
    assert_eq!(top_issuer(&fullchain), alternate_cn);
    verify_chain_against_root(&fullchain, &alternate_root, &[name]);
    let ca = read(&ecc_dir(&site.home, name).join("ca.cer"));
    assert!(
        fullchain.ends_with(&ca),
        "ca.cer holds the alternate's issuers"
    );
    let conf_text = read(&file(&site.home, name, ".conf"));
    assert!(
        conf_text.contains("Le_Preferred_Chain='__ACME_BASE64__START_"),
        "saved base64-wrapped as acme.sh does:\n{conf_text}"
    );

    renew(&site.home, pebble.ca_bundle_path(), name)
        .assert_code(0)
        .assert_stdout_has("Matched issuer in: ");
    let renewed = read(&ecc_dir(&site.home, name).join("fullchain.cer"));
    assert_ne!(renewed, fullchain, "a new certificate");
    assert_eq!(
        top_issuer(&renewed),
        alternate_cn,
        "the renewal keeps the chain"
    );

    let other = "nomatch.example.test";
    issue(
        &site.home,
        &pebble,
        other,
        &["--preferred-chain", "No Such Root"],
    )
    .assert_code(0)
    .assert_stdout_has("Trying rel: ")
    .assert_stdout_lacks("Matched issuer in: ");
    let fullchain = read(&ecc_dir(&site.home, other).join("fullchain.cer"));
    assert_eq!(top_issuer(&fullchain), subject_cn(&default_root));
    verify_chain_against_root(&fullchain, &default_root, &[other]);
}

#[test]
fn set_default_chain_is_used_by_lineages_without_a_chain_of_their_own() {
    let pebble = Pebble::start(PebbleOpts {
        alternate_roots: 1,
        ..PebbleOpts::default()
    });
    let site = site();
    let alternate_root = pebble.root_pem_at(1);
    let alternate_cn = subject_cn(&alternate_root);
    let set_default = |chain: Option<&str>| {
        let mut cmd = Acmers::new(&site.home)
            .args(["--set-default-chain", "--server"])
            .arg(pebble.directory_url());
        if let Some(chain) = chain {
            cmd = cmd.args(["--preferred-chain", chain]);
        }
        cmd.run()
    };
    set_default(None)
        .assert_code(1)
        .assert_stderr_has("Please provide a value for '--preferred-chain'.");
    set_default(Some(&alternate_cn)).assert_code(0);
    let ca_conf = site.home.join("ca/127.0.0.1/dir/ca.conf");
    assert_eq!(read_conf(&ca_conf)["DEFAULT_PREFERRED_CHAIN"], alternate_cn);

    let name = "default-chain.example.test";
    issue(&site.home, &pebble, name, &[]).assert_code(0);
    let fullchain = read(&ecc_dir(&site.home, name).join("fullchain.cer"));
    assert_eq!(top_issuer(&fullchain), alternate_cn);
    verify_chain_against_root(&fullchain, &alternate_root, &[name]);
    let conf = read_conf(&file(&site.home, name, ".conf"));
    assert!(
        conf.get("Le_Preferred_Chain").is_none(),
        "the default is not copied"
    );
    // The account is still the one registered for the CA.
    assert!(read_conf(&ca_conf).get("ACCOUNT_URL").is_some());
}

/// The requested extensions of a PEM CSR: (EKU server, client, other count), TLS feature.
fn csr_extensions(csr_pem: &str) -> ((bool, bool, usize), bool) {
    let der = pem::parse(csr_pem).expect("CSR PEM").into_contents();
    let (_, req) = X509CertificationRequest::from_der(&der).expect("parse CSR");
    let (mut eku, mut feature) = (None, false);
    for ext in req.requested_extensions().into_iter().flatten() {
        match ext {
            ParsedExtension::ExtendedKeyUsage(e) => {
                eku = Some((e.server_auth, e.client_auth, e.other.len()));
            }
            ParsedExtension::UnsupportedExtension { oid } => {
                feature |= oid.to_id_string() == TLS_FEATURE;
            }
            _ => {}
        }
    }
    (eku.expect("an EKU extension"), feature)
}

#[test]
fn must_staple_and_key_usage_are_requested_saved_and_kept_on_renewal() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "staple.example.test";
    let extra = ["--ocsp-must-staple", "--extended-key-usage", "serverAuth"];
    issue(&site.home, &pebble, name, &extra).assert_code(0);
    let conf = read_conf(&file(&site.home, name, ".conf"));
    assert_eq!(conf["Le_OCSP_Staple"], "1");
    assert_eq!(conf["Le_ExtKeyUse"], "serverAuth");
    let csr = read(&file(&site.home, name, ".csr"));
    assert_eq!(csr_extensions(&csr), ((true, false, 0), true));
    // Pebble 2.4 leaves the TLS feature out of the certificate it issues, so only the CSR
    // (what acmers controls) is checked.

    renew(&site.home, pebble.ca_bundle_path(), name).assert_code(0);
    let renewed = read(&file(&site.home, name, ".csr"));
    assert_ne!(renewed, csr, "a new CSR");
    assert_eq!(csr_extensions(&renewed), ((true, false, 0), true));

    // Without the options: acme.sh's serverAuth,clientAuth and no must-staple, and `--issue`
    // clears what was saved.
    issue(&site.home, &pebble, name, &["--force"]).assert_code(0);
    let conf = read_conf(&file(&site.home, name, ".conf"));
    assert!(conf.get("Le_OCSP_Staple").is_none() && conf.get("Le_ExtKeyUse").is_none());
    let csr = read(&file(&site.home, name, ".csr"));
    assert_eq!(csr_extensions(&csr), ((true, true, 0), false));

    // `--create-csr` takes `--extended-key-usage` too (acme.sh's `createCSR`).
    Acmers::new(&site.home)
        .args([
            "--create-csr",
            "-d",
            name,
            "--extended-key-usage",
            "clientAuth",
        ])
        .run()
        .assert_code(0);
    let csr = read(&file(&site.home, name, ".csr"));
    assert_eq!(csr_extensions(&csr), ((false, true, 0), false));
}

#[test]
fn always_force_new_domain_key_makes_a_new_key_at_every_renewal_through_the_staging() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "newkey.example.test";
    let (key, cer) = (
        file(&site.home, name, ".key"),
        file(&site.home, name, ".cer"),
    );
    let staged = ecc_dir(&site.home, name).join(format!(".{name}.key.acmers-next"));
    issue(
        &site.home,
        &pebble,
        name,
        &["--always-force-new-domain-key"],
    )
    .assert_code(0);
    assert_eq!(
        read_conf(&file(&site.home, name, ".conf"))["Le_ForceNewDomainKey"],
        "1"
    );
    let first = read(&key);

    renew(&site.home, pebble.ca_bundle_path(), name).assert_code(0);
    let second = read(&key);
    assert_ne!(second, first, "a new key at the renewal");
    assert_key_matches_leaf(&second, &read(&cer), KeyKind::Ec(256));
    assert!(
        !staged.exists(),
        "the staged key is switched in and removed"
    );

    // A key staged by a run that was killed before its certificate was written is the one
    // the next run finishes with (crash-safe staging, docs/renewal.md).
    fs::write(&staged, &first).expect("stage a key");
    renew(&site.home, pebble.ca_bundle_path(), name).assert_code(0);
    assert_eq!(read(&key), first, "the staged key is used");
    assert_key_matches_leaf(&first, &read(&cer), KeyKind::Ec(256));
    // A staged key that is already the current one (killed after the switch) is not reused.
    fs::write(&staged, &first).expect("stage the current key");
    renew(&site.home, pebble.ca_bundle_path(), name).assert_code(0);
    let fourth = read(&key);
    assert_ne!(fourth, first);
    assert_key_matches_leaf(&fourth, &read(&cer), KeyKind::Ec(256));

    // `0` turns it off: the key stays.
    issue(
        &site.home,
        &pebble,
        name,
        &["--force", "--always-force-new-domain-key", "0"],
    )
    .assert_code(0);
    assert!(
        read_conf(&file(&site.home, name, ".conf"))
            .get("Le_ForceNewDomainKey")
            .is_none()
    );
    assert_eq!(read(&key), fourth);
}

fn fake_issue(home: &Path, fake: &FakeAcme, name: &str, extra: &[&str]) -> Output {
    Acmers::new(home)
        .args(["--issue", "-d", name, "--standalone", "--httpport"])
        .arg(free_port().to_string())
        .args(["--local-address", "127.0.0.1", "--server"])
        .arg(fake.directory_url())
        .arg("--ca-bundle")
        .arg(fake.ca_bundle_path())
        .args(extra)
        .run()
}

fn epoch(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().expect("a time").as_second()
}

#[test]
fn profile_and_fixed_validity_are_sent_in_every_new_order_and_saved() {
    let fake = FakeAcme::start();
    let site = site();
    let name = "profile.example.test";
    let extra = [
        "--cert-profile",
        "shortlived",
        "--valid-from",
        "2099-01-01T00:00:00Z",
        "--valid-to",
        "2099-02-01",
    ];
    fake_issue(&site.home, &fake, name, &extra)
        .assert_code(0)
        .assert_stdout_has("The domain is set to be valid until: 2099-02-01")
        .assert_stdout_has("It cannot be renewed automatically");
    let expected = json!({
        "identifiers": [{"type": "dns", "value": name}],
        "notBefore": "2099-01-01T00:00:00Z",
        "notAfter": "2099-02-01T00:00:00Z",
        "profile": "shortlived",
    });
    assert_eq!(fake.new_orders(), std::slice::from_ref(&expected));
    let conf = read_conf(&file(&site.home, name, ".conf"));
    assert_eq!(conf["Le_Certificate_Profile"], "shortlived");
    assert_eq!(conf["Le_Valid_From"], "2099-01-01T00:00:00Z");
    assert_eq!(conf["Le_Valid_To"], "2099-02-01");
    assert_eq!(
        conf["Le_NextRenewTime"],
        epoch("2099-02-01T00:00:00Z").to_string()
    );
    assert_eq!(conf["Le_NextRenewTimeStr"], "2099-02-01T00:00:00Z");

    Acmers::new(&site.home)
        .args(["--renew", "-d", name])
        .run()
        .assert_code(2)
        .assert_stdout_has("The domain is set to be valid to: 2099-02-01")
        .assert_stdout_has("It cannot be renewed automatically")
        .assert_stdout_lacks("Skipping.");

    renew(&site.home, fake.ca_bundle_path(), name).assert_code(0);
    assert_eq!(fake.new_orders(), [expected.clone(), expected]);
}

#[test]
fn relative_validity_counts_from_the_order_and_renews_a_day_before_the_end() {
    let fake = FakeAcme::start();
    let site = site();
    let name = "relative.example.test";
    let before = now();
    fake_issue(&site.home, &fake, name, &["--valid-to", "+3d"]).assert_code(0);
    let after = now();
    let orders = fake.new_orders();
    assert_eq!(orders.len(), 1);
    assert!(orders[0].get("notBefore").is_none() && orders[0].get("profile").is_none());
    let not_after = epoch(orders[0]["notAfter"].as_str().expect("notAfter"));
    let day = 24 * 3600;
    assert!((before + 3 * day..=after + 3 * day).contains(&not_after));
    let conf = read_conf(&file(&site.home, name, ".conf"));
    assert_eq!(conf["Le_Valid_To"], "+3d");
    assert_eq!(conf["Le_NextRenewTime"], (not_after - day).to_string());
}

#[test]
fn profiles_are_listed_and_an_unknown_one_is_refused_before_any_order() {
    let fake = FakeAcme::start();
    let site = site();
    Acmers::new(&site.home)
        .args(["--list-profiles", "--server"])
        .arg(fake.directory_url())
        .arg("--ca-bundle")
        .arg(fake.ca_bundle_path())
        .run()
        .assert_code(0)
        .assert_stdout_has(&format!(
            "Fetching profiles from {0} ({0})...",
            fake.directory_url()
        ))
        .assert_stdout_has(&format!("\nname            info\n{}\n", "-".repeat(68)))
        .assert_stdout_has("classic         https://fake.invalid/profiles/classic\n")
        .assert_stdout_has("shortlived      https://fake.invalid/profiles/shortlived");

    fake_issue(
        &site.home,
        &fake,
        "nope.example.test",
        &["--cert-profile", "nope"],
    )
    .assert_code(1)
    .assert_stderr_has("has no certificate profile `nope`; it offers: classic, shortlived");
    assert_eq!(fake.hits("new-order"), 0);
    fake_issue(
        &site.home,
        &fake,
        "bad.example.test",
        &["--valid-to", "+2w"],
    )
    .assert_code(1)
    .assert_stderr_has("`+2w` is not a validity time");
    fake_issue(
        &site.home,
        &fake,
        "bad.example.test",
        &["--extended-key-usage", "nope"],
    )
    .assert_code(1)
    .assert_stderr_has("`nope` is not an extended key usage");
    assert_eq!(fake.hits("new-order"), 0);
}
