//! `acmers --issue` against a real Pebble: standalone and webroot (real nginx), EC and RSA
//! keys, several SANs, skip/force on a second run, `badNonce` recovery, and the refusal of a
//! wildcard over http-01. Each test has its own Pebble and its own home.

use std::fs;
use std::path::PathBuf;

use tempfile::TempDir;

use crate::support::acmers::Acmers;
use crate::support::certs::KeyKind;
use crate::support::conf::read_conf;
use crate::support::home::{Site, read, site};
use crate::support::lineage::{Expect, Lineage, Mode, check_issued, now};
use crate::support::nginx::{Nginx, open_up};
use crate::support::pebble::{Pebble, PebbleOpts};

/// A webroot nginx serves on Pebble's http-01 port.
struct Webroot {
    _top: TempDir,
    path: PathBuf,
    _nginx: Nginx,
}

fn webroot(pebble: &Pebble) -> Webroot {
    let top = tempfile::tempdir().expect("tempdir");
    open_up(top.path());
    let path = top.path().join("www");
    fs::create_dir(&path).expect("mkdir webroot");
    open_up(&path);
    let nginx = Nginx::serve(&path, pebble.http_port());
    Webroot {
        _top: top,
        path,
        _nginx: nginx,
    }
}

fn issue_cmd(site: &Site, pebble: &Pebble, names: &[&str], mode: &Mode<'_>) -> Acmers {
    let mut cmd = Acmers::new(&site.home).arg("--issue");
    for name in names {
        cmd = cmd.args(["-d", name]);
    }
    cmd = match mode {
        Mode::Standalone => cmd.args(["--standalone", "--httpport"]).args([
            pebble.http_port().to_string(),
            "--local-address".into(),
            "127.0.0.1".into(),
        ]),
        Mode::Webroot(path) => cmd.arg("-w").arg(path.as_os_str()),
        Mode::Dns(entry) => cmd.args(["--dns", entry]),
    };
    cmd.args(["--server", &pebble.directory_url()])
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path().as_os_str())
}

#[test]
fn standalone_single_name_default_key_then_skip_then_force() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let names = ["single.example.test"];
    let expect = Expect::standalone(&names, now());
    let cmd = issue_cmd(&site, &pebble, &names, &Mode::Standalone);
    let out = cmd.run();
    out.assert_code(0);
    let lineage = check_issued(&site, &pebble, &out, &expect);
    let user_home = fs::read_dir(cmd.user_home()).expect("user home").count();
    assert_eq!(
        user_home, 0,
        "acmers wrote into $HOME although --home was given"
    );

    let account_key = site.home.join("ca/127.0.0.1/dir/account.key");
    let ca_conf = site.home.join("ca/127.0.0.1/dir/ca.conf");
    let account_url = read_conf(&ca_conf)["ACCOUNT_URL"].clone();
    let files = [
        &lineage.key,
        &lineage.fullchain,
        &lineage.conf,
        &account_key,
        &ca_conf,
    ];
    let before = files.map(|p| read(p));

    cmd.run().assert_code(2);
    assert_eq!(
        before,
        files.map(|p| read(p)),
        "a skipped run changes nothing"
    );

    let expect = Expect {
        started: now(),
        ..expect
    };
    let out = issue_cmd(&site, &pebble, &names, &Mode::Standalone)
        .arg("-f")
        .run();
    out.assert_code(0);
    check_issued(&site, &pebble, &out, &expect);
    assert_eq!(read(&lineage.key), before[0], "-f reuses the domain key");
    assert_ne!(
        read(&lineage.fullchain),
        before[1],
        "-f issues a new certificate"
    );
    assert_eq!(read(&account_key), before[3], "-f reuses the account key");
    let url_after = &read_conf(&ca_conf)["ACCOUNT_URL"];
    assert_eq!(url_after, &account_url, "-f reuses the account");
    assert_eq!(pebble.orders_created(), 2);
}

#[test]
fn standalone_three_names() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let names = [
        "multi.example.test",
        "www.multi.example.test",
        "api.multi.example.test",
    ];
    let started = now();
    let out = issue_cmd(&site, &pebble, &names, &Mode::Standalone).run();
    out.assert_code(0);
    let expect = Expect::standalone(&names, started);
    check_issued(&site, &pebble, &out, &expect);
}

#[test]
fn standalone_rsa_2048() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let names = ["rsa.example.test"];
    let started = now();
    let cmd = issue_cmd(&site, &pebble, &names, &Mode::Standalone).args(["-k", "2048"]);
    let out = cmd.run();
    out.assert_code(0);
    let expect = Expect {
        names: &names,
        kind: KeyKind::Rsa(2048),
        mode: Mode::Standalone,
        started,
    };
    check_issued(&site, &pebble, &out, &expect);
    assert!(!site.home.join("rsa.example.test_ecc").exists());
}

/// Issue through nginx and check the webroot is left as it was found (empty).
fn webroot_case(names: &[&str], kind: KeyKind, key_arg: Option<&str>) {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let www = webroot(&pebble);
    let mode = Mode::Webroot(&www.path);
    let started = now();
    let mut cmd = issue_cmd(&site, &pebble, names, &mode);
    if let Some(k) = key_arg {
        cmd = cmd.args(["-k", k]);
    }
    let out = cmd.run();
    out.assert_code(0);
    let expect = Expect {
        names,
        kind,
        mode,
        started,
    };
    check_issued(&site, &pebble, &out, &expect);
    let left: Vec<_> = fs::read_dir(&www.path)
        .expect("read webroot")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "webroot not cleaned up: {left:?}");
}

#[test]
fn webroot_nginx_two_names() {
    webroot_case(
        &["web.example.test", "www.web.example.test"],
        KeyKind::Ec(256),
        None,
    );
}

#[test]
fn webroot_nginx_ec384() {
    webroot_case(&["web384.example.test"], KeyKind::Ec(384), Some("ec-384"));
}

/// Pebble rejects 30 % of good nonces; acmers must retry `badNonce` and still issue.
#[test]
fn bad_nonce_recovery_with_30_percent_rejection() {
    let pebble = Pebble::start(PebbleOpts {
        nonce_reject: 30,
        ..PebbleOpts::default()
    });
    let site = site();
    for (names, kind, key_arg) in [
        (
            &["nonce1.example.test", "www.nonce1.example.test"][..],
            KeyKind::Ec(256),
            "ec-256",
        ),
        (&["nonce2.example.test"][..], KeyKind::Ec(384), "ec-384"),
    ] {
        let started = now();
        let cmd = issue_cmd(&site, &pebble, names, &Mode::Standalone).args(["-k", key_arg]);
        let out = cmd.run();
        out.assert_code(0);
        let expect = Expect {
            names,
            kind,
            mode: Mode::Standalone,
            started,
        };
        check_issued(&site, &pebble, &out, &expect);
    }
}

/// A wildcard needs dns-01: refused before any order is placed.
#[test]
fn wildcard_with_standalone_is_refused() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let out = issue_cmd(&site, &pebble, &["*.example.test"], &Mode::Standalone).run();
    out.assert_code(1);
    let stderr = out.stderr.to_lowercase();
    assert!(
        stderr.contains("dns-01") || stderr.contains("wildcard"),
        "stderr should explain that a wildcard needs dns-01:\n{}",
        out.stderr
    );
    assert_eq!(pebble.orders_created(), 0, "no order may reach the CA");
    let lineage = Lineage::new(&site.home, "*.example.test", KeyKind::Ec(256));
    assert!(
        !lineage.conf.exists(),
        "no lineage conf for a refused wildcard"
    );
    assert!(!lineage.cer.exists());
}

/// An internationalized name keeps the form it was typed in, as acme.sh keeps it: the folder
/// and `Le_Domain` are in Unicode, the order and the certificate carry the A-label, and a
/// renewal of that lineage stays in its folder.
#[test]
fn idn_lineage_is_named_as_typed_and_renews_in_place() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "bücher.example.test";
    crate::support::lineage::issue(&site.home, &pebble, name, &[]).assert_code(0);
    let dir = site.home.join(format!("{name}_ecc"));
    let conf = read_conf(&dir.join(format!("{name}.conf")));
    assert_eq!(conf["Le_Domain"], name);
    let leaf = read(&dir.join(format!("{name}.cer")));
    assert_eq!(
        crate::support::certs::leaf_sans(&leaf),
        ["xn--bcher-kva.example.test"]
    );
    assert!(!site.home.join("xn--bcher-kva.example.test_ecc").exists());

    Acmers::new(&site.home)
        .args(["--renew", "-d", name, "--force"])
        .run()
        .assert_code(0)
        .assert_stdout_has(&format!("Your cert is in: {}", dir.display()));
    assert!(!site.home.join("xn--bcher-kva.example.test_ecc").exists());
    assert_ne!(read(&dir.join(format!("{name}.cer"))), leaf, "renewed");
}
