//! account.conf and the CA account against a real Pebble: the default CA saved by
//! `--set-default-ca`, an account the CA has forgotten (registered again with the same key),
//! and acme.sh's own fixture home whose account lives on a Pebble that no longer exists.

use std::fs;
use std::path::Path;

use crate::support::acmers::Acmers;
use crate::support::certs::{leaf_sans, verify_chain_against_root};
use crate::support::conf::read_conf;
use crate::support::home::{copy_fixture_home, read, site, snapshot};
use crate::support::lineage::{Expect, check_issued, now};
use crate::support::pebble::{Pebble, PebbleOpts};

/// `--issue -d <names> --standalone` on Pebble's http-01 port, without `--server`.
fn standalone(home: &Path, pebble: &Pebble, names: &[&str]) -> Acmers {
    let mut cmd = Acmers::new(home).arg("--issue");
    for name in names {
        cmd = cmd.args(["-d", name]);
    }
    cmd.args(["--standalone", "--httpport"])
        .arg(pebble.http_port().to_string())
        .args(["--local-address", "127.0.0.1", "--ca-bundle"])
        .arg(pebble.ca_bundle_path().as_os_str())
}

#[test]
fn default_ca_from_account_conf_is_used_without_server() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let out = Acmers::new(&site.home)
        .args(["--set-default-ca", "--server", &pebble.directory_url()])
        .run();
    out.assert_code(0);
    let account_conf = read_conf(&site.home.join("account.conf"));
    assert_eq!(account_conf["DEFAULT_ACME_SERVER"], pebble.directory_url());

    let names = ["default-ca.example.test"];
    let started = now();
    let out = standalone(&site.home, &pebble, &names).run();
    out.assert_code(0);
    let expect = Expect::standalone(&names, started);
    // Checks `Le_API` is the Pebble URL and the account lives in `ca/127.0.0.1/dir`.
    check_issued(&site, &pebble, &out, &expect);
    assert_eq!(pebble.orders_created(), 1);
    let account_conf = read_conf(&site.home.join("account.conf"));
    assert_eq!(
        account_conf["DEFAULT_ACME_SERVER"],
        pebble.directory_url(),
        "issuing keeps the default CA"
    );
}

#[test]
fn forgotten_account_is_registered_again_with_the_same_key() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let names = ["forgotten.example.test"];
    let issue =
        || standalone(&site.home, &pebble, &names).args(["--server", &pebble.directory_url()]);
    issue().run().assert_code(0);

    let ca_dir = site.home.join("ca/127.0.0.1/dir");
    let ca_conf_path = ca_dir.join("ca.conf");
    let key_before = read(&ca_dir.join("account.key"));
    let conf_text = read(&ca_conf_path);
    let real_url = read_conf(&ca_conf_path)["ACCOUNT_URL"].clone();
    let (base, _id) = real_url.rsplit_once('/').expect("account URL has a path");
    let fake_url = format!("{base}/0000000000000000");
    assert_ne!(fake_url, real_url);
    fs::write(&ca_conf_path, conf_text.replace(&real_url, &fake_url)).expect("rewrite ca.conf");
    assert_eq!(read_conf(&ca_conf_path)["ACCOUNT_URL"], fake_url);

    let started = now();
    let out = issue().arg("-f").run();
    out.assert_code(0);
    let lower = out.stdout.to_lowercase();
    assert!(
        lower.contains("registered") && lower.contains("again"),
        "stdout does not say the account was registered again:\n{}",
        out.stdout
    );
    let ca_conf = read_conf(&ca_conf_path);
    let url = &ca_conf["ACCOUNT_URL"];
    assert_ne!(url, &fake_url, "the unknown account URL was kept");
    let origin = pebble.directory_url().replace("/dir", "/");
    assert!(url.starts_with(&origin), "ACCOUNT_URL={url}");
    assert_eq!(
        read(&ca_dir.join("account.key")),
        key_before,
        "the account key is kept"
    );
    let expect = Expect::standalone(&names, started);
    check_issued(&site, &pebble, &out, &expect);
    assert_eq!(pebble.orders_created(), 2);
}

/// acme.sh's home (made by acme.sh 3.1.4 against a Pebble on `localhost:14000`, now gone):
/// acmers issues a new name from a new Pebble at `https://localhost:<port>/dir`, which maps to
/// the same account folder `ca/localhost/dir`. The saved account URL points at the old Pebble,
/// so the same key is registered again; nothing of the other lineages changes.
#[test]
fn acmesh_fixture_home_account_moves_to_a_new_ca() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    copy_fixture_home(&site.home);
    let before = snapshot(&site.home);
    let account_conf_before = read(&site.home.join("account.conf"));
    let ca_dir = site.home.join("ca/localhost/dir");
    let ca_conf_before = read_conf(&ca_dir.join("ca.conf"));
    assert!(ca_conf_before["ACCOUNT_URL"].starts_with("https://localhost:14000/"));

    let server = pebble.directory_url().replace("127.0.0.1", "localhost");
    let names = ["fresh.example.test"];
    let out = standalone(&site.home, &pebble, &names)
        .args(["--server", &server])
        .run();
    out.assert_code(0);

    let ca_conf = read_conf(&ca_dir.join("ca.conf"));
    let origin = server.replace("/dir", "/");
    assert!(
        ca_conf["ACCOUNT_URL"].starts_with(&origin),
        "ca.conf still names the old CA: {ca_conf:?}"
    );
    assert_eq!(
        ca_conf["CA_KEY_HASH"], ca_conf_before["CA_KEY_HASH"],
        "acmers computes acme.sh's CA_KEY_HASH for the same key"
    );
    assert_eq!(ca_conf["CA_EMAIL"], ca_conf_before["CA_EMAIL"]);
    assert!(
        !site.home.join("ca/127.0.0.1").exists() && !site.home.join("ca/localhost:").exists(),
        "a second account folder was made"
    );

    let lineage = site.home.join("fresh.example.test_ecc");
    let fullchain = read(&lineage.join("fullchain.cer"));
    assert_eq!(leaf_sans(&fullchain), names);
    verify_chain_against_root(&fullchain, &pebble.root_pem(), &names);
    assert_eq!(
        read_conf(&lineage.join("fresh.example.test.conf"))["Le_API"],
        server
    );

    // Everything acme.sh wrote is untouched, except the account's ca.conf and account.json
    // (the registration) and account.conf (checked below).
    let after = snapshot(&site.home);
    let changed = [
        "account.conf",
        "ca/localhost/dir/ca.conf",
        "ca/localhost/dir/account.json",
    ];
    for (path, bytes) in &before {
        if changed.iter().any(|c| path == Path::new(c)) {
            continue;
        }
        assert!(
            after.get(path) == Some(bytes),
            "{} changed or vanished",
            path.display()
        );
    }
    assert_eq!(
        after.get(Path::new("ca/localhost/dir/account.key")),
        before.get(Path::new("ca/localhost/dir/account.key")),
        "the account key is kept"
    );

    // account.conf: acmers replaces CA_BUNDLE in place with the bundle that worked and
    // USER_PATH with the run's PATH (as acme.sh does) and keeps every other line byte for byte.
    let bundle = pebble.ca_bundle_path().display().to_string();
    let path = std::env::var("PATH").expect("PATH");
    let expected: String = account_conf_before
        .lines()
        .map(|line| {
            if line.starts_with("CA_BUNDLE=") {
                format!("CA_BUNDLE='{bundle}'\n")
            } else if line.starts_with("USER_PATH=") {
                format!("USER_PATH='{path}'\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    let account_conf = read(&site.home.join("account.conf"));
    assert_eq!(account_conf, expected);
    assert!(account_conf.contains("SAVED_CF_Token='fixture-token'\n"));
}
