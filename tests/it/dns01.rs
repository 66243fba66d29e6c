//! dns-01 end to end: real BIND 9 and PowerDNS as the authoritative servers of `acme.test`,
//! Pebble asking them (`-dnsserver`), acmers issuing `acme.test` + `*.acme.test` through
//! `dns_nsupdate` and `dns_pdns` with its authoritative propagation check, then renewing from
//! the saved conf with an empty environment; manual mode (exit 3, then `--renew`); and the
//! records removed on every path (success, failed validation, a signal).

use std::time::Duration;

use crate::support::acmers::{Acmers, Output};
use crate::support::bind::Bind;
use crate::support::certs::{KeyKind, leaf_sans};
use crate::support::conf::read_conf;
use crate::support::home::{Site, read, site};
use crate::support::lineage::{Expect, Lineage, Mode, check_issued, now};
use crate::support::pdns::PowerDns;
use crate::support::pebble::{Pebble, PebbleOpts};

const APEX: &str = "acme.test";
const WILD: &str = "*.acme.test";
const TXT_NAME: &str = "_acme-challenge.acme.test";

fn pebble_asking(dns: std::net::SocketAddr) -> Pebble {
    Pebble::start(PebbleOpts {
        dns_server: Some(dns),
        ..PebbleOpts::default()
    })
}

/// `acmers` against `pebble`, with a hang guard well above a normal run.
fn acmers(site: &Site, pebble: &Pebble) -> Acmers {
    Acmers::new(&site.home)
        .args(["--server", &pebble.directory_url()])
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path().as_os_str())
        .timeout(Duration::from_secs(120))
}

fn nsupdate_env(cmd: Acmers, bind: &Bind) -> Acmers {
    cmd.env("NSUPDATE_SERVER", "127.0.0.1")
        .env("NSUPDATE_SERVER_PORT", &bind.addr().port().to_string())
        .env("NSUPDATE_KEY", &bind.key_path().display().to_string())
        .env("NSUPDATE_ZONE", APEX)
}

fn expect_apex_and_wildcard<'a>(names: &'a [&'a str], entry: &'a str) -> Expect<'a> {
    Expect {
        names,
        kind: KeyKind::Ec(256),
        mode: Mode::Dns(entry),
        started: now(),
    }
}

/// The `[date] TXT value: '<v>'` and `Domain: '<d>'` pairs manual mode printed, in order.
fn manual_records(out: &Output) -> Vec<(String, String)> {
    let quoted = |line: &str, prefix: &str| {
        let start = line.find(prefix)? + prefix.len();
        line[start..].strip_suffix('\'').map(str::to_owned)
    };
    let domains = out.stdout.lines().filter_map(|l| quoted(l, "] Domain: '"));
    let values = out
        .stdout
        .lines()
        .filter_map(|l| quoted(l, "] TXT value: '"));
    domains.zip(values).collect()
}

#[test]
fn nsupdate_apex_and_wildcard_then_renewal_from_the_saved_conf_alone() {
    let bind = Bind::start();
    let pebble = pebble_asking(bind.addr());
    let site = site();
    let names = [APEX, WILD];
    let expect = expect_apex_and_wildcard(&names, "dns_nsupdate");
    let resolver = bind.addr().to_string();
    let out = nsupdate_env(acmers(&site, &pebble), &bind)
        .args(["--issue", "-d", APEX, "-d", WILD, "--dns", "dns_nsupdate"])
        .args(["--dns-resolver", &resolver])
        .run();
    out.assert_code(0)
        .assert_stdout_has("Adding TXT value: ")
        .assert_stdout_has(&format!("for domain: {TXT_NAME}"))
        .assert_stdout_has("Removing DNS records.");
    let lineage = check_issued(&site, &pebble, &out, &expect);
    assert!(bind.txt(TXT_NAME).is_empty(), "records left behind");
    // The check asked BIND itself, without recursion, before Pebble validated.
    let log = bind.log();
    let asked = Bind::queries(&log, TXT_NAME);
    assert!(
        asked.iter().any(|q| q.contains(" TXT -")),
        "no non-recursive TXT query from acmers:\n{log}"
    );
    let account = read_conf(&site.home.join("account.conf"));
    assert_eq!(
        account["SAVED_NSUPDATE_SERVER_PORT"],
        bind.addr().port().to_string()
    );
    assert_eq!(
        account["SAVED_NSUPDATE_KEY"],
        bind.key_path().display().to_string()
    );
    let conf = read_conf(&lineage.conf);
    assert_eq!(conf["Acmers_DNSResolver"], resolver);

    // No NSUPDATE_* in the environment: the saved variables and resolver are used.
    let before = read(&lineage.cer);
    let out = acmers(&site, &pebble)
        .args(["--renew", "-d", APEX, "--force"])
        .run();
    out.assert_code(0).assert_stdout_has("Adding TXT value: ");
    assert_ne!(read(&lineage.cer), before, "a new certificate");
    let mut sans = leaf_sans(&read(&lineage.fullchain));
    sans.sort();
    assert_eq!(sans, ["*.acme.test", "acme.test"]);
    assert!(
        bind.txt(TXT_NAME).is_empty(),
        "records left after the renewal"
    );
}

#[test]
fn pdns_apex_and_wildcard_then_renewal_from_the_saved_conf_alone() {
    let pdns = PowerDns::start();
    let pebble = pebble_asking(pdns.dns_addr());
    let site = site();
    let names = [APEX, WILD];
    let expect = expect_apex_and_wildcard(&names, "dns_pdns");
    let out = acmers(&site, &pebble)
        .env("PDNS_Url", &pdns.api_url())
        .env("PDNS_ServerId", "localhost")
        .env("PDNS_Token", pdns.api_key())
        .args(["--issue", "-d", APEX, "-d", WILD, "--dns", "dns_pdns"])
        .args(["--dns-resolver", &pdns.dns_addr().to_string()])
        .run();
    out.assert_code(0);
    let lineage = check_issued(&site, &pebble, &out, &expect);
    assert!(pdns.txt(TXT_NAME).is_empty(), "records left behind");
    let account = read_conf(&site.home.join("account.conf"));
    assert_eq!(account["SAVED_PDNS_Token"], pdns.api_key());

    let before = read(&lineage.cer);
    acmers(&site, &pebble)
        .args(["--renew", "-d", APEX, "--force"])
        .run()
        .assert_code(0);
    assert_ne!(read(&lineage.cer), before, "a new certificate");
    assert!(
        pdns.txt(TXT_NAME).is_empty(),
        "records left after the renewal"
    );
}

/// Copy the test plugin `tests/fixtures/plugins/<name>.sh` to `dir` (0700 folder, 0600 file
/// as root wants them).
fn install_plugin(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(dir).expect("plugin folder");
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let to = dir.join(format!("{name}.sh"));
    let from = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/plugins");
    std::fs::copy(format!("{from}/{name}.sh"), &to).expect("copy plugin");
    std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    to
}

#[test]
fn an_acmesh_style_plugin_issues_and_renews_from_its_saved_settings() {
    let bind = Bind::start();
    let pebble = pebble_asking(bind.addr());
    let site = site();
    // Found by acme.sh's lookup order: `<home>/dnsapi/dns_bindtest.sh`.
    install_plugin(&site.home.join("dnsapi"), "dns_bindtest");
    let names = [APEX, WILD];
    let expect = expect_apex_and_wildcard(&names, "dns_bindtest");
    let out = acmers(&site, &pebble)
        .env("BINDTEST_PORT", &bind.addr().port().to_string())
        .env("BINDTEST_KEY", &bind.key_path().display().to_string())
        .args(["--issue", "-d", APEX, "-d", WILD, "--dns", "dns_bindtest"])
        .args(["--dns-resolver", &bind.addr().to_string()])
        .run();
    out.assert_code(0);
    let lineage = check_issued(&site, &pebble, &out, &expect);
    assert!(bind.txt(TXT_NAME).is_empty(), "records left behind");
    let account = read_conf(&site.home.join("account.conf"));
    assert_eq!(
        account["SAVED_BINDTEST_PORT"],
        bind.addr().port().to_string()
    );

    // A plugin given by path, with nothing in the environment: its saved settings are used.
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let path = install_plugin(&elsewhere.path().join("plugins"), "dns_bindtest");
    std::fs::remove_file(site.home.join("dnsapi/dns_bindtest.sh")).expect("rm");
    let before = read(&lineage.cer);
    let out = acmers(&site, &pebble)
        .args(["--issue", "-d", APEX, "-d", WILD, "--force", "--dns"])
        .arg(path.as_os_str())
        .args(["--dns-resolver", &bind.addr().to_string()])
        .run();
    out.assert_code(0);
    assert_ne!(read(&lineage.cer), before, "a new certificate");
    assert_eq!(
        read_conf(&lineage.conf)["Le_Webroot"],
        path.display().to_string()
    );
    let before = read(&lineage.cer);
    acmers(&site, &pebble)
        .args(["--renew", "-d", APEX, "--force"])
        .run()
        .assert_code(0);
    assert_ne!(
        read(&lineage.cer),
        before,
        "renewed through the saved plugin path"
    );
    assert!(
        bind.txt(TXT_NAME).is_empty(),
        "records left after the renewal"
    );
}

#[test]
fn dns_and_standalone_mix_per_name() {
    // BIND's wildcard A record sends Pebble's http-01 check for www to 127.0.0.1.
    let bind = Bind::start();
    let pebble = pebble_asking(bind.addr());
    let site = site();
    let out = nsupdate_env(acmers(&site, &pebble), &bind)
        .args(["--issue", "-d", APEX, "--dns", "dns_nsupdate"])
        .args(["-d", "www.acme.test", "--standalone", "--httpport"])
        .arg(pebble.http_port().to_string())
        .args(["--local-address", "127.0.0.1"])
        .args(["--dns-resolver", &bind.addr().to_string()])
        .run();
    out.assert_code(0)
        .assert_stdout_has(&format!("for domain: {TXT_NAME}"));
    let lineage = Lineage::new(&site.home, APEX, KeyKind::Ec(256));
    assert_eq!(read_conf(&lineage.conf)["Le_Webroot"], "dns_nsupdate,no");
    let mut sans = leaf_sans(&read(&lineage.fullchain));
    sans.sort();
    assert_eq!(sans, ["acme.test", "www.acme.test"]);
    assert!(
        bind.txt("_acme-challenge.www.acme.test").is_empty(),
        "www was validated over http-01"
    );
}

#[test]
fn a_challenge_alias_validates_through_the_cname_target() {
    let bind = Bind::start();
    // The user's delegation: _acme-challenge.acme.test is a CNAME to the alias's name.
    bind.nsupdate(&format!(
        "update add {TXT_NAME}. 60 IN CNAME _acme-challenge.alias.acme.test."
    ));
    let pebble = pebble_asking(bind.addr());
    let site = site();
    let out = nsupdate_env(acmers(&site, &pebble), &bind)
        .args(["--issue", "-d", APEX, "--dns", "dns_nsupdate"])
        .args(["--challenge-alias", "alias.acme.test"])
        .args(["--dns-resolver", &bind.addr().to_string()])
        .run();
    out.assert_code(0)
        .assert_stdout_has("for domain: _acme-challenge.alias.acme.test");
    let lineage = Lineage::new(&site.home, APEX, KeyKind::Ec(256));
    assert_eq!(
        read_conf(&lineage.conf)["Le_ChallengeAlias"],
        "alias.acme.test,"
    );
    assert!(bind.txt("_acme-challenge.alias.acme.test").is_empty());
}

#[test]
fn manual_mode_prints_the_records_exits_3_and_renew_finishes_the_same_order() {
    let bind = Bind::start();
    let pebble = pebble_asking(bind.addr());
    let site = site();
    let resolver = bind.addr().to_string();
    let issue = || {
        acmers(&site, &pebble)
            .args(["--issue", "-d", APEX, "-d", WILD, "--dns"])
            .args(["--dns-resolver", &resolver])
    };
    issue()
        .run()
        .assert_code(1)
        .assert_stderr_has("It seems that you are using dns manual mode.");
    assert_eq!(pebble.orders_created(), 0, "refused before any order");

    let out = issue()
        .arg("--yes-I-know-dns-manual-mode-enough-go-ahead-please")
        .run();
    out.assert_code(3)
        .assert_stdout_has("Add the following TXT record:")
        .assert_stdout_has(&format!("so that the resulting subdomain is: {TXT_NAME}"))
        .assert_stderr_has("Please add the TXT records to the domains, and re-run with --renew.");
    let records = manual_records(&out);
    assert_eq!(records.len(), 2, "{}", out.stdout);
    let lineage = Lineage::new(&site.home, APEX, KeyKind::Ec(256));
    let conf = read_conf(&lineage.conf);
    assert!(conf["Le_Vlist"].contains("#dns-01#dns#"), "{conf:?}");
    assert_eq!(conf["Le_Webroot"], "dns");
    assert!(!lineage.cer.exists());

    // The user adds the records, then renews.
    let adds: Vec<String> = records
        .iter()
        .map(|(name, value)| format!("update add {name}. 60 IN TXT \"{value}\""))
        .collect();
    bind.nsupdate(&adds.join("\n"));
    let names = [APEX, WILD];
    let expect = expect_apex_and_wildcard(&names, "dns");
    let out = acmers(&site, &pebble)
        .args(["--renew", "-d", APEX])
        .arg("--yes-I-know-dns-manual-mode-enough-go-ahead-please")
        .run();
    out.assert_code(0)
        .assert_stdout_lacks("Add the following TXT record:");
    check_issued(&site, &pebble, &out, &expect);
    assert_eq!(pebble.orders_created(), 1, "the saved order was finished");
    assert_eq!(read_conf(&lineage.conf).get("Le_Vlist"), None);
}

#[test]
fn records_are_removed_when_validation_fails() {
    // Pebble asks its own mock DNS, which never sees the records added to BIND: the
    // authorizations fail, and the records must still go.
    let bind = Bind::start();
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let out = nsupdate_env(acmers(&site, &pebble), &bind)
        .args(["--issue", "-d", APEX, "-d", WILD, "--dns", "dns_nsupdate"])
        .args(["--dns-resolver", &bind.addr().to_string()])
        .run();
    out.assert_code(1)
        .assert_stdout_has("Removing DNS records.");
    assert!(
        bind.txt(TXT_NAME).is_empty(),
        "records left after a failure"
    );
    let account = std::fs::read_to_string(site.home.join("account.conf")).unwrap_or_default();
    assert!(
        !account.contains("SAVED_NSUPDATE"),
        "variables are saved only after success"
    );
}

#[test]
fn a_missing_variable_or_plugin_fails_before_any_order() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    acmers(&site, &pebble)
        .args(["--issue", "-d", APEX, "--dns", "dns_cf"])
        .run()
        .assert_code(1)
        .assert_stderr_has("`CF_Token` is not set");
    acmers(&site, &pebble)
        .args(["--issue", "-d", APEX, "--dns", "dns_nosuchprovider"])
        .run()
        .assert_code(1)
        .assert_stderr_has("cannot find the dnsapi plugin `dns_nosuchprovider`");
    assert_eq!(
        pebble.orders_created(),
        0,
        "no order the run could not validate"
    );
}

#[test]
fn records_are_removed_when_a_signal_stops_the_propagation_wait() {
    let bind = Bind::start();
    let pebble = pebble_asking(bind.addr());
    let site = site();
    // The check asks a port where nothing answers, so it waits until the signal.
    let silent = crate::support::net::free_port();
    let running = nsupdate_env(acmers(&site, &pebble), &bind)
        .args(["--issue", "-d", APEX, "--dns", "dns_nsupdate"])
        .args(["--dns-resolver", &format!("127.0.0.1:{silent}")])
        .spawn();
    let added = || bind.txt(TXT_NAME).len() == 1;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !added() {
        assert!(
            std::time::Instant::now() < deadline,
            "the record never appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    running.signal("TERM");
    let out = running.wait();
    assert_eq!(out.code, 128 + 15, "{out:?}");
    assert!(bind.txt(TXT_NAME).is_empty(), "records left after a signal");
}
