//! The certificate lifecycle against a real Pebble: `--renew`, `--renew-all` and `--cron`
//! with due, not-due, never-issued and broken lineages; `--install-cert` with a reload
//! command that records its environment; each hook; the lineage lock under two concurrent
//! forced renewals.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::support::acmers::{Acmers, Output};
use crate::support::certs::leaf_sans;
use crate::support::conf::{read_conf, set_conf};
use crate::support::home::{read, site};
use crate::support::lineage::{ecc_dir, issue};
use crate::support::pebble::{Pebble, PebbleOpts};

/// Make a lineage due now.
fn make_due(home: &Path, name: &str) {
    set_conf(
        &ecc_dir(home, name).join(format!("{name}.conf")),
        "Le_NextRenewTime",
        "1",
    );
}

fn cert(home: &Path, name: &str) -> String {
    read(&ecc_dir(home, name).join(format!("{name}.cer")))
}

#[test]
fn renew_one_forced_not_due_and_unknown() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "renew.example.test";
    issue(&site.home, &pebble, name, &[]).assert_code(0);
    let first = cert(&site.home, name);
    let key = read(&ecc_dir(&site.home, name).join(format!("{name}.key")));

    // Not due: exit 2, nothing changes, no request (the CA is not even asked).
    let out = Acmers::new(&site.home).args(["--renew", "-d", name]).run();
    out.assert_code(2);
    out.assert_stdout_has("Skipping. Next renewal time is: ");
    assert_eq!(cert(&site.home, name), first);
    assert_eq!(pebble.orders_created(), 1);

    // --force renews from the saved conf; validation modes on the command line are ignored
    // (a webroot that does not exist would fail).
    let out = Acmers::new(&site.home)
        .args(["--renew", "-d", name, "--force", "-w", "/nonexistent"])
        .run();
    out.assert_code(0);
    out.assert_stdout_has(&format!("Renewing: '{name}'"));
    assert_ne!(cert(&site.home, name), first, "a new certificate");
    assert_eq!(
        read(&ecc_dir(&site.home, name).join(format!("{name}.key"))),
        key,
        "the domain key is reused"
    );
    assert_eq!(pebble.orders_created(), 2);

    // Unknown domain: exit 2, as acme.sh.
    let out = Acmers::new(&site.home)
        .args(["--renew", "-d", "unknown.example.test"])
        .run();
    out.assert_code(2);
    out.assert_stdout_has("is not an issued domain");
}

#[test]
fn renew_all_mixed_fleet_and_cron() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let (due, fresh, broken) = (
        "due.example.test",
        "fresh.example.test",
        "broken.example.test",
    );
    for name in [due, fresh, broken] {
        issue(&site.home, &pebble, name, &[]).assert_code(0);
    }
    make_due(&site.home, due);
    make_due(&site.home, broken);
    // A lineage whose CA is gone: its renewal fails, the others go on.
    set_conf(
        &ecc_dir(&site.home, broken).join(format!("{broken}.conf")),
        "Le_API",
        "https://127.0.0.1:9/dir",
    );
    // A lineage that was never issued (no Le_CertCreateTime): cron skips it.
    let never = site.home.join("never.example.test_ecc");
    fs::create_dir(&never).expect("mkdir");
    fs::write(
        never.join("never.example.test.conf"),
        "Le_Domain='never.example.test'\nLe_Alt='no'\nLe_Webroot='no'\nLe_API='https://127.0.0.1:9/dir'\nLe_Keylength='ec-256'\n",
    )
    .expect("write conf");
    let before = [due, fresh, broken].map(|n| cert(&site.home, n));
    let orders = pebble.orders_created();

    let out = Acmers::new(&site.home).args(["--cron"]).run();
    out.assert_code(1);
    out.assert_stdout_has("===Starting cron===");
    out.assert_stdout_has("===End cron===");
    out.assert_stderr_has(&format!("Error renewing {broken}."));
    out.assert_stdout_has("Skipping invalid cert never.example.test");
    out.assert_stdout_has(&format!("Skipped {fresh}"));
    assert_ne!(
        cert(&site.home, due),
        before[0],
        "the due lineage is renewed"
    );
    assert_eq!(cert(&site.home, fresh), before[1], "not due: untouched");
    assert_eq!(
        cert(&site.home, broken),
        before[2],
        "failed: old files kept"
    );
    assert_eq!(pebble.orders_created(), orders + 1);
    let broken_conf = read_conf(&ecc_dir(&site.home, broken).join(format!("{broken}.conf")));
    assert!(
        broken_conf.get("Acmers_LastError").is_some(),
        "the failure is recorded"
    );

    // Everything succeeded or was skipped: 0 (never 2). (Outside cron the never-issued
    // lineage would be tried, as in acme.sh.)
    fs::remove_dir_all(ecc_dir(&site.home, broken)).expect("rm broken");
    fs::remove_dir_all(&never).expect("rm never");
    let out = Acmers::new(&site.home).args(["--renew-all"]).run();
    out.assert_code(0);
    assert_eq!(pebble.orders_created(), orders + 1, "nothing due: no order");
}

#[test]
fn renew_all_in_parallel_shares_the_standalone_server() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let names = ["p1.example.test", "p2.example.test", "p3.example.test"];
    for name in names {
        issue(&site.home, &pebble, name, &[]).assert_code(0);
        make_due(&site.home, name);
    }
    let before = names.map(|n| cert(&site.home, n));
    let out = Acmers::new(&site.home)
        .args(["--renew-all", "--parallel", "3"])
        .run();
    out.assert_code(0);
    for (name, old) in names.iter().zip(before) {
        let new = cert(&site.home, name);
        assert_ne!(new, old, "{name} renewed");
        assert_eq!(leaf_sans(&new), [*name]);
        out.assert_stdout_has(&format!("[{name}] Renewing: '{name}'"));
    }
}

/// A shell script that appends its name and acme.sh's variables to `log`.
fn recorder(dir: &Path, name: &str, log: &Path) -> String {
    let script = dir.join(format!("{name}.sh"));
    fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"{name} domain=$Le_Domain cert=$CERT_PATH key=$CERT_KEY_PATH ca=$CA_CERT_PATH full=$CERT_FULLCHAIN_PATH pwd=$(pwd)\" >> '{}'\n",
            log.display()
        ),
    )
    .expect("write script");
    format!("sh '{}'", script.display())
}

#[test]
fn install_cert_reload_and_hooks() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "hooks.example.test";
    let work = site.home.parent().expect("top").join("work");
    fs::create_dir(&work).expect("mkdir");
    let log = work.join("log");
    let (pre, post, renew, reload) = (
        recorder(&work, "pre", &log),
        recorder(&work, "post", &log),
        recorder(&work, "renew", &log),
        recorder(&work, "reload", &log),
    );
    issue(
        &site.home,
        &pebble,
        name,
        &[
            "--pre-hook",
            &pre,
            "--post-hook",
            &post,
            "--renew-hook",
            &renew,
        ],
    )
    .assert_code(0);
    let lines = read(&log);
    let order: Vec<&str> = lines
        .lines()
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(order, ["pre", "post"], "issue runs pre and post, not renew");
    let dir = ecc_dir(&site.home, name);
    assert!(
        lines.contains(&format!(
            "domain={name} cert={}",
            dir.join(format!("{name}.cer")).display()
        )),
        "{lines}"
    );
    assert!(lines.contains(&format!("pwd={}", dir.display())), "{lines}");
    let conf = read(&dir.join(format!("{name}.conf")));
    assert!(conf.contains("Le_PreHook='__ACME_BASE64__START_"), "{conf}");

    // install-cert: targets + reload; an existing target keeps its mode; a new key is 0600.
    let target = work.join("target");
    fs::create_dir(&target).expect("mkdir");
    fs::write(target.join("cert.pem"), "old").expect("write");
    fs::set_permissions(
        target.join("cert.pem"),
        std::os::unix::fs::PermissionsExt::from_mode(0o640),
    )
    .expect("chmod");
    fs::write(&log, "").expect("truncate");
    let install_all = || {
        Acmers::new(&site.home)
            .args(["--install-cert", "-d", name, "--reloadcmd", &reload])
            .arg("--cert-file")
            .arg(target.join("cert.pem"))
            .arg("--key-file")
            .arg(target.join("key.pem"))
            .arg("--ca-file")
            .arg(target.join("ca.pem"))
            .arg("--fullchain-file")
            .arg(target.join("fullchain.pem"))
            .run()
    };
    let out = install_all();
    out.assert_code(0);
    out.assert_stdout_has("Reload successful");
    for (file, source) in [
        ("cert.pem", format!("{name}.cer")),
        ("key.pem", format!("{name}.key")),
        ("ca.pem", "ca.cer".into()),
        ("fullchain.pem", "fullchain.cer".into()),
    ] {
        assert_eq!(read(&target.join(file)), read(&dir.join(source)), "{file}");
    }
    let mode = |f: &str| {
        std::os::unix::fs::PermissionsExt::mode(
            &fs::metadata(target.join(f)).expect("stat").permissions(),
        ) & 0o777
    };
    assert_eq!(mode("cert.pem"), 0o640);
    assert_eq!(mode("key.pem"), 0o600);
    assert!(read(&log).starts_with("reload "), "{}", read(&log));
    let conf = read_conf(&dir.join(format!("{name}.conf")));
    assert_eq!(
        conf["Le_RealCertPath"],
        target.join("cert.pem").display().to_string()
    );
    assert!(
        conf["Le_ReloadCmd"].starts_with("__ACME_BASE64__START_"),
        "acme.sh's base64 wrapper"
    );

    // A key target that every user could read loses those bits, with a warning.
    fs::set_permissions(
        target.join("key.pem"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .expect("chmod");
    let out = Acmers::new(&site.home)
        .args(["--install-cert", "-d", name, "--key-file"])
        .arg(target.join("key.pem"))
        .run();
    out.assert_code(0);
    assert_eq!(mode("key.pem"), 0o640);
    out.assert_stderr_has("was readable by every user (mode 644)");

    // A renewal: pre, install + reload, post, renew — in acme.sh's order.
    install_all().assert_code(0);
    fs::write(&log, "").expect("truncate");
    Acmers::new(&site.home)
        .args(["--renew", "-d", name, "--force"])
        .run()
        .assert_code(0);
    let lines = read(&log);
    let order: Vec<&str> = lines
        .lines()
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(order, ["pre", "reload", "post", "renew"]);
    assert_eq!(
        read(&target.join("cert.pem")),
        read(&dir.join(format!("{name}.cer")))
    );

    // A failing reload command fails the run (exit 1) and is reported; the next run
    // installs again although nothing is due.
    let conf_path = dir.join(format!("{name}.conf"));
    let out = Acmers::new(&site.home)
        .args(["--install-cert", "-d", name, "--reloadcmd", "exit 3"])
        .arg("--cert-file")
        .arg(target.join("cert.pem"))
        .run();
    out.assert_code(1);
    out.assert_stderr_has(&format!("Reload error for: {name}"));
    assert!(read_conf(&conf_path).get("Acmers_InstallPending").is_some());

    // A hanging reload command is killed at --hook-timeout.
    let out = Acmers::new(&site.home)
        .args([
            "--install-cert",
            "-d",
            name,
            "--reloadcmd",
            "sleep 60",
            "--hook-timeout",
            "1",
        ])
        .arg("--cert-file")
        .arg(target.join("cert.pem"))
        .timeout(Duration::from_secs(30))
        .run();
    out.assert_code(1);
    out.assert_stderr_has("Reload error");
}

#[test]
fn two_forced_renewals_at_once_make_one_order() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "race.example.test";
    // The pre hook keeps the winner inside its lock long enough for the other to arrive.
    issue(&site.home, &pebble, name, &["--pre-hook", "sleep 2"]).assert_code(0);
    let orders = pebble.orders_created();
    let run = || {
        Acmers::new(&site.home)
            .args(["--renew", "-d", name, "--force"])
            .run()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(run);
        let b = s.spawn(run);
        (a.join().expect("a"), b.join().expect("b"))
    });
    let mut codes = [a.code, b.code];
    codes.sort_unstable();
    assert_eq!(
        codes,
        [0, 2],
        "one renews, the other skips\n{}\n{}\n{}\n{}",
        a.stdout,
        a.stderr,
        b.stdout,
        b.stderr
    );
    assert_eq!(pebble.orders_created(), orders + 1, "exactly one new order");
    let skipped = if a.code == 2 { &a } else { &b };
    skipped.assert_stdout_has("another acmers process");
}

#[test]
fn two_first_runs_on_a_fresh_home_register_one_account() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    // Webroot (real nginx), so both runs can answer http-01 at the same time.
    let top = site.home.parent().expect("top").to_owned();
    crate::support::nginx::open_up(&top);
    let www = top.join("www");
    fs::create_dir(&www).expect("mkdir www");
    crate::support::nginx::open_up(&www);
    let _nginx = crate::support::nginx::Nginx::serve(&www, pebble.http_port());
    let run = |name: &str| {
        Acmers::new(&site.home)
            .args(["--issue", "-d", name, "-w"])
            .arg(&www)
            .args(["--server", &pebble.directory_url(), "--ca-bundle"])
            .arg(pebble.ca_bundle_path())
            .run()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| run("first-a.example.test"));
        let b = s.spawn(|| run("first-b.example.test"));
        (a.join().expect("a"), b.join().expect("b"))
    });
    a.assert_code(0);
    b.assert_code(0);
    let registered = [&a, &b]
        .iter()
        .filter(|o| o.stdout.contains("Registering account"))
        .count();
    assert_eq!(registered, 1, "exactly one run registers the account");
    let thumbprint = |o: &Output| {
        o.stdout
            .lines()
            .find_map(|l| {
                l.split_once("ACCOUNT_THUMBPRINT=")
                    .map(|(_, t)| t.to_owned())
            })
            .expect("thumbprint line")
    };
    assert_eq!(
        thumbprint(&a),
        thumbprint(&b),
        "both use the same account key"
    );
}

#[test]
fn stop_renew_on_error_starts_nothing_after_a_failure() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    // Lineages are visited in name order: the broken one comes first.
    let (broken, due) = ("a-broken.example.test", "b-due.example.test");
    for name in [broken, due] {
        issue(&site.home, &pebble, name, &[]).assert_code(0);
        make_due(&site.home, name);
    }
    set_conf(
        &ecc_dir(&site.home, broken).join(format!("{broken}.conf")),
        "Le_Webroot",
        "dns_cf",
    );
    let before = cert(&site.home, due);
    let out = Acmers::new(&site.home)
        .args(["--renew-all", "-se", "--parallel", "1"])
        .run();
    out.assert_code(1);
    out.assert_stderr_has("dns_cf");
    assert_eq!(
        cert(&site.home, due),
        before,
        "nothing renewed after the failure"
    );
    // Without -se the other lineage is renewed and the failure still sets the exit code (two
    // minutes later: the broken one waits a minute after its failure, docs/renewal.md).
    let out = Acmers::new(&site.home)
        .args(["--renew-all", "--parallel", "1"])
        .env("ACMERS_TEST_CLOCK_SHIFT", "120")
        .run();
    out.assert_code(1);
    assert_ne!(cert(&site.home, due), before);
}

#[test]
fn a_locked_lineage_is_waited_for_then_skipped_and_cron_skips_it_at_once() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "locked.example.test";
    let top = site.home.parent().expect("top").to_owned();
    let started = top.join("started");
    // The pre hook signals that the first run holds the lock, then keeps it for a while.
    let hook = format!("touch '{}'; sleep 6", started.display());
    issue(&site.home, &pebble, name, &["--pre-hook", &hook]).assert_code(0);
    fs::remove_file(&started).expect("rm marker");

    std::thread::scope(|s| {
        let holder = s.spawn(|| {
            Acmers::new(&site.home)
                .args(["--renew", "-d", name, "--force"])
                .run()
        });
        while !started.exists() {
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = Acmers::new(&site.home)
            .args(["--renew", "-d", name, "--force", "--lock-timeout", "1"])
            .run();
        out.assert_code(2);
        out.assert_stdout_has("waiting up to 1 s");
        out.assert_stdout_has(&format!(
            "Skipping {name}: another acmers process is working on it"
        ));
        let out = Acmers::new(&site.home).args(["--cron", "--force"]).run();
        out.assert_code(0);
        out.assert_stdout_lacks("waiting up to");
        out.assert_stdout_has("another acmers process is working on it");
        holder.join().expect("holder").assert_code(0);
    });
}

#[test]
fn install_options_on_issue_are_saved_and_performed() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "onissue.example.test";
    let target = site.home.parent().expect("top").join("fullchain.pem");
    let marker = site.home.parent().expect("top").join("reloaded");
    let reload = format!("touch '{}'", marker.display());
    let out = issue(
        &site.home,
        &pebble,
        name,
        &[
            "--fullchain-file",
            &target.display().to_string(),
            "--reloadcmd",
            &reload,
        ],
    );
    out.assert_code(0);
    out.assert_stdout_has("Installing full chain to: ");
    assert_eq!(
        read(&target),
        read(&ecc_dir(&site.home, name).join("fullchain.cer"))
    );
    assert!(marker.exists(), "the reload command ran");
    let conf = read_conf(&ecc_dir(&site.home, name).join(format!("{name}.conf")));
    assert_eq!(conf["Le_RealFullChainPath"], target.display().to_string());
    assert_eq!(conf["Le_RealCertPath"], "");
    assert!(conf.get("Acmers_InstallPending").is_none());
}
