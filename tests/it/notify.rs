//! Notifications (docs/deploy-notify.md, "Notifications"): `--set-notify` saves the settings
//! and sends acme.sh's test message; a `--cron` pass against a real Pebble, where one lineage
//! renews, one fails and one is skipped, notifies at each level and in both modes; `--renew`
//! notifies for its one certificate; a failing hook never changes the exit code; the native
//! `webhook` POSTs JSON to a local HTTPS server. The hooks are written for these tests
//! (`tests/fixtures/notify/`): `record` appends its arguments to a file, `mailtest` pipes to the
//! `sendmail` on PATH (a fake one here that records its stdin).

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::support::acmers::{Acmers, Output};
use crate::support::certs::LocalTls;
use crate::support::conf::{read_conf, set_conf};
use crate::support::home::{read, site};
use crate::support::https_server::HttpsServer;
use crate::support::lineage::{ecc_dir, issue};
use crate::support::pebble::{Pebble, PebbleOpts};

const HOOKS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/notify");

/// acme.sh's test message subject with `--notify-source testhost`.
const TEST_SUBJECT: &str = "Hello, this is a notification from acme.sh by testhost";

/// One call of the `record` hook.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Call {
    subject: String,
    code: String,
    content: String,
}

/// The calls recorded in `file` (none when it does not exist); the file is emptied.
fn take_calls(file: &Path) -> Vec<Call> {
    let text = fs::read_to_string(file).unwrap_or_default();
    let _ = fs::remove_file(file);
    text.split("==end==\n")
        .filter(|c| !c.is_empty())
        .map(|call| {
            let field = |name: &str| {
                let start = call.find(&format!("{name}=")).expect(name) + name.len() + 1;
                let rest = &call[start..];
                if name == "content" {
                    rest.strip_suffix('\n').unwrap_or(rest).to_owned()
                } else {
                    rest.lines().next().unwrap_or_default().to_owned()
                }
            };
            Call {
                subject: field("subject"),
                code: field("code"),
                content: field("content"),
            }
        })
        .collect()
}

/// The test hooks installed as `<home>/notify/*.sh`, a fake `sendmail` in `<top>/bin` that
/// appends its arguments and stdin to `<top>/mail.log`; returns (record file, mail log, PATH).
fn install_hooks(home: &Path) -> (PathBuf, PathBuf, String) {
    let top = home.parent().expect("home has a parent");
    let dir = home.join("notify");
    fs::create_dir_all(&dir).expect("mkdir notify");
    for hook in ["record.sh", "mailtest.sh"] {
        fs::copy(Path::new(HOOKS).join(hook), dir.join(hook)).expect("copy hook");
    }
    let bin = top.join("bin");
    fs::create_dir_all(&bin).expect("mkdir bin");
    let mail_log = top.join("mail.log");
    let sendmail = bin.join("sendmail");
    fs::write(
        &sendmail,
        format!(
            "#!/bin/sh\necho \"args: $*\" >>'{log}'\ncat >>'{log}'\n",
            log = mail_log.display()
        ),
    )
    .expect("write sendmail");
    fs::set_permissions(&sendmail, fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (top.join("record.log"), mail_log, path)
}

#[test]
fn set_notify_saves_the_settings_and_sends_the_test_message() {
    let site = site();
    let (record, mail_log, path) = install_hooks(&site.home);
    let set_notify = |hooks: &str| {
        Acmers::new(&site.home)
            .args(["--set-notify", "--notify-hook", hooks])
            .env("PATH", &path)
            .env("RECORD_FILE", record.to_str().expect("utf-8"))
            .env("MAIL_TO", "ops@example.test")
    };
    set_notify("record,mailtest")
        .args(["--notify-level", "3", "--notify-mode", "1"])
        .args(["--notify-source", "testhost"])
        .run()
        .assert_code(0)
        .assert_stdout_has("Set notify level to: 3")
        .assert_stdout_has("Set notify hook to: record,mailtest")
        .assert_stdout_has("Sending via: mailtest")
        .assert_stdout_has("record Success");
    let conf = read_conf(&site.home.join("account.conf"));
    assert_eq!(conf["NOTIFY_HOOK"], "record,mailtest");
    assert_eq!(conf["NOTIFY_LEVEL"], "3");
    assert_eq!(conf["NOTIFY_MODE"], "1");
    assert_eq!(conf["NOTIFY_SOURCE"], "testhost");
    assert_eq!(conf["SAVED_RECORD_FILE"], record.to_str().expect("utf-8"));
    assert_eq!(conf["SAVED_MAIL_TO"], "ops@example.test");
    assert_eq!(
        take_calls(&record),
        [Call {
            subject: TEST_SUBJECT.into(),
            code: "0".into(),
            content: "If you receive this message, your notification works.".into(),
        }]
    );
    let mail = read(&mail_log);
    assert!(mail.contains("args: -t"), "{mail}");
    assert!(mail.contains("To: ops@example.test"), "{mail}");
    assert!(mail.contains(&format!("Subject: {TEST_SUBJECT}")), "{mail}");

    // A hook that fails (or cannot be found): exit 1, its message on stderr, nothing saved.
    set_notify("record")
        .env("RECORD_FAIL", "1")
        .run()
        .assert_code(1)
        .assert_stderr_has("notify hook `record` failed")
        .assert_stderr_has("record: told to fail")
        .assert_stderr_has("Cannot set notify hook to: record");
    set_notify("nosuchhook")
        .run()
        .assert_code(1)
        .assert_stderr_has("Cannot set notify hook to: nosuchhook");
    assert_eq!(
        read_conf(&site.home.join("account.conf"))["NOTIFY_HOOK"],
        "record,mailtest"
    );

    // `no` clears the hooks; no option at all is a usage error.
    set_notify("no")
        .run()
        .assert_code(0)
        .assert_stdout_has("Clearing notify hook");
    assert!(
        read_conf(&site.home.join("account.conf"))
            .get("NOTIFY_HOOK")
            .is_none()
    );
    Acmers::new(&site.home)
        .arg("--set-notify")
        .run()
        .assert_code(1);
}

/// The three lineages of the cron test.
const RENEWS: &str = "renews.example.test";
const FAILS: &str = "fails.example.test";
const SKIPPED: &str = "skipped.example.test";

/// Make the renewing and failing lineages due again.
fn make_due(home: &Path) {
    for name in [RENEWS, FAILS] {
        let conf = ecc_dir(home, name).join(format!("{name}.conf"));
        set_conf(&conf, "Le_NextRenewTime", "1");
        // And the wait after the last failure over (docs/renewal.md, "Backoff").
        set_conf(&conf, "Acmers_NextAttempt", "1");
    }
}

fn subject(rest: &str) -> String {
    format!("{rest} by testhost")
}

/// A message's subject and status code.
type Sent = (String, String);

fn per_cert(kind: &str, name: &str) -> Sent {
    let code = match kind {
        "success" => "0",
        "error" => "1",
        _ => "2",
    };
    (subject(&format!("Renew {name}_ecc {kind}")), code.into())
}

#[test]
fn cron_notifies_at_each_level_and_mode_and_a_failing_hook_changes_nothing() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let (record, _, path) = install_hooks(&site.home);
    for name in [RENEWS, FAILS, SKIPPED] {
        issue(&site.home, &pebble, name, &[]).assert_code(0);
    }
    set_conf(
        &ecc_dir(&site.home, FAILS).join(format!("{FAILS}.conf")),
        "Le_API",
        "https://127.0.0.1:9/dir",
    );
    let acmers = || {
        Acmers::new(&site.home)
            .env("PATH", &path)
            .env("RECORD_FILE", record.to_str().expect("utf-8"))
    };
    acmers()
        .args(["--set-notify", "--notify-hook", "record"])
        .args(["--notify-source", "testhost"])
        .run()
        .assert_code(0);
    take_calls(&record);

    let bulk = Call {
        subject: subject("Renew Error Success Skipped"),
        code: "1".into(),
        content: format!(
            "Errored certs:\n    {FAILS}_ecc\n\nSuccessful certs:\n    {RENEWS}_ecc\n\n\
             Skipped certs:\n    {SKIPPED}_ecc\n\n"
        ),
    };
    let cases: [(&str, &str, Vec<Sent>); 7] = [
        ("0", "0", vec![]),
        ("1", "0", vec![(bulk.subject.clone(), "1".into())]),
        ("2", "0", vec![(bulk.subject.clone(), "1".into())]),
        ("3", "0", vec![(bulk.subject.clone(), "1".into())]),
        ("1", "1", vec![per_cert("error", FAILS)]),
        (
            "2",
            "1",
            vec![per_cert("error", FAILS), per_cert("success", RENEWS)],
        ),
        (
            "3",
            "1",
            vec![
                per_cert("error", FAILS),
                per_cert("success", RENEWS),
                per_cert("skipped", SKIPPED),
            ],
        ),
    ];
    for (level, mode, expected) in cases {
        acmers()
            .args([
                "--set-notify",
                "--notify-level",
                level,
                "--notify-mode",
                mode,
            ])
            .run()
            .assert_code(0);
        make_due(&site.home);
        let out = acmers().arg("--cron").run();
        out.assert_code(1);
        let calls = take_calls(&record);
        let mut got: Vec<Sent> = calls
            .iter()
            .map(|c| (c.subject.clone(), c.code.clone()))
            .collect();
        let mut expected = expected;
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "level {level}, mode {mode}: {calls:?}");
        if mode == "0" && level != "0" {
            assert_eq!(calls[0], bulk);
        }
        if let Some(renewed) = calls.iter().find(|c| c.code == "0") {
            assert_eq!(renewed.content, "Good, the cert is renewed.");
        }
    }

    // `--renew` notifies for its one certificate (level 3: even a skip).
    acmers()
        .args(["--renew", "-d", SKIPPED])
        .run()
        .assert_code(2);
    assert_eq!(
        take_calls(&record),
        [Call {
            subject: subject(&format!("Renew {SKIPPED} skipped")),
            code: "2".into(),
            content: "Good, the cert is skipped.".into(),
        }]
    );

    // A failing hook is a warning; the exit codes stay those of the renewals.
    make_due(&site.home);
    let failing = |args: &[&str]| acmers().env("RECORD_FAIL", "1").args(args).run();
    let warned = |out: &Output| {
        out.assert_stderr_has("warning: notify hook `record` failed")
            .assert_stderr_has("record: told to fail");
    };
    let out = failing(&["--cron"]);
    out.assert_code(1);
    warned(&out);
    let out = failing(&["--renew", "-d", SKIPPED]);
    out.assert_code(2);
    warned(&out);
    fs::remove_dir_all(ecc_dir(&site.home, FAILS)).expect("remove the failing lineage");
    let out = failing(&["--renew-all"]);
    out.assert_code(0);
    warned(&out);
    assert!(take_calls(&record).is_empty());
}

/// A local HTTPS server for the webhook: answers the first `failures` POSTs with 503, then
/// 200, and keeps every body. A fake server because no real component receives webhooks.
struct Receiver {
    url: String,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
    _server: HttpsServer,
}

impl Receiver {
    fn start(tls: &LocalTls, failures: usize) -> Self {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::new(AtomicUsize::new(0));
        let shared = Arc::clone(&bodies);
        let server = HttpsServer::start(tls, move |req: hyper::Request<hyper::body::Incoming>| {
            let (bodies, seen) = (Arc::clone(&shared), Arc::clone(&seen));
            async move {
                use http_body_util::BodyExt as _;
                let body = req
                    .into_body()
                    .collect()
                    .await
                    .map(|b| b.to_bytes())
                    .unwrap_or_default();
                let status = if seen.fetch_add(1, Ordering::SeqCst) < failures {
                    503
                } else {
                    bodies
                        .lock()
                        .expect("lock")
                        .push(serde_json::from_slice(&body).expect("JSON body"));
                    200
                };
                let mut response =
                    hyper::Response::new(http_body_util::Full::new(hyper::body::Bytes::new()));
                *response.status_mut() = hyper::StatusCode::from_u16(status).expect("status");
                Some(response)
            }
        });
        Self {
            url: format!("https://127.0.0.1:{}/hook", server.addr().port()),
            bodies,
            _server: server,
        }
    }

    fn take(&self) -> Vec<serde_json::Value> {
        std::mem::take(&mut *self.bodies.lock().expect("lock"))
    }
}

#[test]
fn webhook_posts_json_over_https_with_the_ca_bundle_and_retries() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let tls = LocalTls::generate();
    // One 503 first: the POST is tried again.
    let receiver = Receiver::start(&tls, 1);
    let bundle = site.home.parent().expect("top").join("bundle.pem");
    fs::write(
        &bundle,
        format!("{}{}", tls.ca_pem, read(pebble.ca_bundle_path())),
    )
    .expect("write bundle");
    let acmers = || {
        Acmers::new(&site.home)
            .env("WEBHOOK_URL", &receiver.url)
            .args(["--notify-source", "testhost"])
    };

    // Without the test CA in the bundle the TLS rules refuse the server.
    acmers()
        .args(["--set-notify", "--notify-hook", "webhook"])
        .run()
        .assert_code(1)
        .assert_stderr_has("notify hook `webhook` failed");
    assert!(
        read_conf(&site.home.join("account.conf"))
            .get("NOTIFY_HOOK")
            .is_none()
    );

    acmers()
        .args([
            "--set-notify",
            "--notify-hook",
            "webhook",
            "--notify-level",
            "3",
        ])
        .arg("--ca-bundle")
        .arg(&bundle)
        .run()
        .assert_code(0)
        .assert_stdout_has("webhook Success");
    let conf = read_conf(&site.home.join("account.conf"));
    assert_eq!(conf["NOTIFY_HOOK"], "webhook");
    assert_eq!(conf["SAVED_WEBHOOK_URL"], receiver.url);
    let test = receiver.take();
    assert_eq!(test.len(), 1, "{test:?}");
    assert_eq!(test[0]["event"], "test");
    assert_eq!(test[0]["subject"], TEST_SUBJECT);

    // A cron pass (the URL now comes from account.conf): one object per certificate.
    issue(&site.home, &pebble, RENEWS, &[]).assert_code(0);
    issue(&site.home, &pebble, SKIPPED, &[]).assert_code(0);
    set_conf(
        &ecc_dir(&site.home, RENEWS).join(format!("{RENEWS}.conf")),
        "Le_NextRenewTime",
        "1",
    );
    Acmers::new(&site.home)
        .args(["--cron", "--ca-bundle"])
        .arg(&bundle)
        .run()
        .assert_code(0)
        .assert_stdout_has("webhook Success");
    let by_domain: BTreeMap<String, serde_json::Value> = receiver
        .take()
        .into_iter()
        .map(|b| (b["domain"].as_str().expect("domain").to_owned(), b))
        .collect();
    assert_eq!(by_domain.len(), 2, "{by_domain:?}");
    let renewed = &by_domain[&format!("{RENEWS}_ecc")];
    assert_eq!(renewed["event"], "renewed");
    assert_eq!(renewed["status"], 0);
    assert_eq!(renewed["ca"], pebble.directory_url());
    assert!(renewed["error"].is_null());
    assert!(renewed["next_attempt"].is_string());
    let skipped = &by_domain[&format!("{SKIPPED}_ecc")];
    assert_eq!(skipped["event"], "skipped");
    assert_eq!(skipped["status"], 2);
    assert_eq!(
        skipped["subject"],
        subject("Renew Success Skipped").as_str()
    );
}
