//! Protocol faults from a real Pebble behind the fault-injecting proxy
//! ([`crate::support::fault_proxy`]): an order stuck in `processing`, the `Retry-After` forms,
//! an authorization stuck `pending` or `invalid` with subproblems, badNonce, 503 and 429.
//!
//! Every failing run must leave no certificate in the lineage, name the step, the CA and
//! what to do, and end within its timeouts: each run has a hang guard, never a timing
//! assertion.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::acmers::{Acmers, Output};
use crate::support::certs::verify_chain_against_root;
use crate::support::conf::read_conf;
use crate::support::fault_proxy::{Action, Endpoint, FaultProxy, Rule, When};
use crate::support::pebble::{Pebble, PebbleOpts};

const NAME: &str = "faults.example.test";
/// A hang guard, not a timing assertion: every run here must end on its own well before.
const GUARD: Duration = Duration::from_secs(120);

/// Pebble, the proxy in front of it, and a fresh home.
struct Case {
    pebble: Pebble,
    proxy: FaultProxy,
    top: TempDir,
}

fn case() -> Case {
    let pebble = Pebble::start(PebbleOpts::default());
    let proxy = FaultProxy::start(&pebble);
    Case {
        pebble,
        proxy,
        top: tempfile::tempdir().expect("tempdir"),
    }
}

impl Case {
    fn home(&self) -> PathBuf {
        self.top.path().join("home")
    }

    fn lineage(&self) -> PathBuf {
        self.home().join(format!("{NAME}_ecc"))
    }

    /// `--issue` in standalone mode on Pebble's http-01 port, through the proxy.
    fn issue(&self, extra: &[&str]) -> Acmers {
        Acmers::new(&self.home())
            .args(["--issue", "-d", NAME, "--standalone", "--httpport"])
            .arg(self.pebble.http_port().to_string())
            .args(["--local-address", "127.0.0.1", "--server"])
            .arg(self.proxy.directory_url())
            .arg("--ca-bundle")
            .arg(self.proxy.ca_bundle_path().as_os_str())
            .args(extra)
            .timeout(GUARD)
    }

    /// The run failed with exit 1, named the CA and gave a hint, and the lineage holds no
    /// certificate.
    fn assert_failed(&self, out: &Output) {
        out.assert_code(1)
            .assert_stderr_has(&self.proxy.directory_url().replace("/dir", ""))
            .assert_stderr_has("hint:");
        assert_eq!(cer_files(&self.lineage()), Vec::<String>::new());
    }

    /// The run succeeded with a chain to Pebble's root for [`NAME`].
    fn assert_issued(&self, out: &Output) {
        out.assert_code(0);
        let fullchain =
            fs::read_to_string(self.lineage().join("fullchain.cer")).expect("fullchain.cer");
        verify_chain_against_root(&fullchain, &self.pebble.root_pem(), &[NAME]);
    }
}

/// Names of the `.cer` files in `dir` (none when it does not exist).
fn cer_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".cer"))
        .collect()
}

/// The order (finalize answer and polls) shows `processing` on the requests `when` selects,
/// with `Retry-After: retry_after` when given.
fn processing(proxy: &FaultProxy, when: When, retry_after: Option<&str>) {
    for endpoint in [Endpoint::Finalize, Endpoint::Order] {
        let mut rule = Rule::on(endpoint)
            .when(when)
            .then(Action::SetJson("status", json!("processing")));
        if let Some(value) = retry_after {
            rule = rule.then(Action::SetHeader("retry-after", value.to_owned()));
        }
        proxy.add(rule);
    }
}

/// A `503` answered by the proxy instead of Pebble, with `Retry-After` when given.
fn unavailable(retry_after: Option<&str>) -> Action {
    Action::problem(
        503,
        "serverInternal",
        "fault proxy: service unavailable",
        retry_after,
    )
}

#[test]
fn processing_forever_stops_at_the_order_timeout_and_the_next_run_resumes_the_order() {
    let case = case();
    processing(&case.proxy, When::Always, None);
    let out = case.issue(&["--order-timeout", "3"]).run();
    case.assert_failed(&out);
    out.assert_stderr_has(r#"order is still "processing" after 3 s"#)
        .assert_stderr_has("/my-order/")
        .assert_stderr_has("resumes this order");
    let conf = read_conf(&case.lineage().join(format!("{NAME}.conf")));
    assert!(conf["Le_LinkOrder"].contains("/my-order/"), "{conf:?}");
    let new_orders = case.proxy.hits(Endpoint::NewOrder);

    case.proxy.clear();
    let out = case.issue(&[]).run();
    case.assert_issued(&out);
    assert_eq!(
        case.proxy.hits(Endpoint::NewOrder),
        new_orders,
        "the saved order was resumed, not replaced"
    );
    assert_eq!(case.pebble.orders_created(), 1);
}

#[test]
fn processing_for_some_polls_then_valid_succeeds_in_one_run() {
    let case = case();
    // The finalize answer and the first three polls.
    processing(&case.proxy, When::First(3), None);
    let out = case.issue(&["--order-timeout", "60"]).run();
    case.assert_issued(&out);
    assert!(
        case.proxy.answered(Endpoint::Order) >= 4,
        "three polls answered processing"
    );
    assert_eq!(case.pebble.orders_created(), 1);
}

/// `Retry-After` on a `processing` order in seconds and as an HTTP-date within the deadline:
/// honoured, and the run succeeds once the order is ready.
#[test]
fn retry_after_within_the_deadline_is_honoured() {
    let soon = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
    for value in ["1", soon.as_str()] {
        let case = case();
        processing(&case.proxy, When::First(2), Some(value));
        let out = case.issue(&["--order-timeout", "60"]).run();
        case.assert_issued(&out);
    }
}

/// A `Retry-After` that lands past the deadline ends the wait at once (the hang guard is far
/// below the 600 s timeout, so a wait that honoured the deadline instead would fail).
#[test]
fn retry_after_past_the_deadline_ends_the_wait_at_once() {
    let far = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(7200));
    for value in ["86400", far.as_str()] {
        let case = case();
        processing(&case.proxy, When::Always, Some(value));
        let out = case
            .issue(&["--order-timeout", "600"])
            .timeout(Duration::from_secs(60))
            .run();
        case.assert_failed(&out);
        out.assert_stderr_has(r#"order is still "processing""#);
        assert!(
            case.proxy.answered(Endpoint::Order) <= 1,
            "{value}: polled on"
        );
    }
}

/// A negative or malformed `Retry-After` is ignored: the default backoff runs until
/// `--order-timeout` (a bounded number of polls, not a loop).
#[test]
fn retry_after_negative_or_malformed_falls_back_to_the_backoff() {
    for value in ["-5", "soon", "1.5"] {
        let case = case();
        processing(&case.proxy, When::Always, Some(value));
        let out = case.issue(&["--order-timeout", "3"]).run();
        case.assert_failed(&out);
        out.assert_stderr_has(r#"order is still "processing" after 3 s"#);
        // The backoff starts at 5 ms at the least and doubles: 3 s hold at most ~11 polls.
        let polls = case.proxy.answered(Endpoint::Order);
        assert!((2..=14).contains(&polls), "{value}: {polls} order polls");
    }
}

#[test]
fn authorization_pending_forever_stops_at_the_validation_timeout_and_cleans_up() {
    let case = case();
    let webroot = case.top.path().join("www");
    fs::create_dir(&webroot).expect("mkdir webroot");
    case.proxy
        .add(Rule::on(Endpoint::Authz).then(Action::SetJson("status", json!("pending"))));
    let out = Acmers::new(&case.home())
        .args(["--issue", "-d", NAME, "-w"])
        .arg(&webroot)
        .arg("--server")
        .arg(case.proxy.directory_url())
        .arg("--ca-bundle")
        .arg(case.proxy.ca_bundle_path())
        .args(["--validation-timeout", "3"])
        .timeout(GUARD)
        .run();
    case.assert_failed(&out);
    out.assert_stderr_has(r#"authorization is still "pending" after 3 s"#)
        .assert_stderr_has("/authZ/");
    assert!(
        case.proxy.hits(Endpoint::Challenge) >= 1,
        "the challenge was answered"
    );
    let challenges = webroot.join(".well-known/acme-challenge");
    let left: Vec<_> = fs::read_dir(&challenges)
        .map(|d| d.map(|e| e.expect("entry").file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "token files left: {left:?}");
    assert_eq!(case.proxy.hits(Endpoint::Finalize), 0);
}

/// RFC 8555 §6.7.1: an `invalid` authorization whose challenge error has subproblems.
#[test]
fn authorization_invalid_with_subproblems_shows_each_one() {
    fn invalid(authz: &mut Value) {
        authz["status"] = json!("invalid");
        let error = json!({
            "type": "urn:ietf:params:acme:error:compound",
            "detail": "fault proxy: several checks failed",
            "status": 403,
            "subproblems": [
                { "type": "urn:ietf:params:acme:error:caa", "detail": "CAA record forbids issuance",
                  "identifier": { "type": "dns", "value": NAME } },
                { "type": "urn:ietf:params:acme:error:dns", "detail": "no TXT record found",
                  "identifier": { "type": "dns", "value": "sub.faults.example.test" } }
            ]
        });
        for challenge in authz["challenges"].as_array_mut().into_iter().flatten() {
            challenge["status"] = json!("invalid");
            challenge["error"] = error.clone();
        }
    }
    let case = case();
    // The first fetch is Pebble's `pending`; every poll after the challenge is invalid.
    case.proxy.add(
        Rule::on(Endpoint::Authz)
            .when(When::From(2))
            .then(Action::EditJson(invalid)),
    );
    let out = case.issue(&[]).run();
    case.assert_failed(&out);
    out.assert_stderr_has(NAME)
        .assert_stderr_has("CAA record forbids issuance")
        .assert_stderr_has("sub.faults.example.test")
        .assert_stderr_has("no TXT record found");
    assert_eq!(case.proxy.hits(Endpoint::Finalize), 0);
}

#[test]
fn bad_nonce_on_every_second_post_is_recovered() {
    let case = case();
    case.proxy
        .add(Rule::any_post().when(When::Every(2)).then(Action::BadNonce));
    let out = case.issue(&[]).run();
    case.assert_issued(&out);
}

#[test]
fn bad_nonce_forever_gives_up_after_the_bound() {
    let case = case();
    case.proxy.add(Rule::any_post().then(Action::BadNonce));
    let out = case.issue(&[]).run();
    case.assert_failed(&out);
    out.assert_stderr_has("rejected 11 nonces in a row");
    // The first POST is newAccount: 1 attempt + 10 retries, then nothing more.
    assert_eq!(case.proxy.hits(Endpoint::NewAccount), 11);
    assert_eq!(case.proxy.hits(Endpoint::NewOrder), 0);
}

/// Responses without `Replay-Nonce` (RFC 8555 §7.2): acmers asks newNonce for the next one.
#[test]
fn missing_replay_nonce_is_fetched_from_new_nonce() {
    let case = case();
    case.proxy
        .add(Rule::any_post().then(Action::RemoveHeader("replay-nonce")));
    let out = case.issue(&[]).run();
    case.assert_issued(&out);
    let posts = [
        Endpoint::NewAccount,
        Endpoint::NewOrder,
        Endpoint::Authz,
        Endpoint::Challenge,
        Endpoint::Finalize,
        Endpoint::Certificate,
    ];
    assert!(
        case.proxy.hits(Endpoint::NewNonce) >= posts.len(),
        "one newNonce per POST"
    );
}

/// A certificate download that arrives late and cut short is fetched again (a POST-as-GET
/// is safe to repeat).
#[test]
fn a_late_truncated_download_is_fetched_again() {
    let case = case();
    case.proxy.add(
        Rule::on(Endpoint::Certificate)
            .when(When::Nth(1))
            .then(Action::Delay(Duration::from_millis(500)))
            .then(Action::Truncate(100)),
    );
    let out = case.issue(&[]).run();
    case.assert_issued(&out);
    assert!(case.proxy.hits(Endpoint::Certificate) >= 2);
}

/// 503 (with and without `Retry-After`) on the directory, newOrder, finalize and the
/// download, for good: bounded retries, then a clear error and no certificate.
#[test]
fn unavailable_for_good_fails_after_bounded_retries() {
    let case = case();
    for endpoint in [
        Endpoint::Directory,
        Endpoint::NewOrder,
        Endpoint::Finalize,
        Endpoint::Certificate,
    ] {
        for retry_after in [Some("1"), None] {
            case.proxy.clear();
            case.proxy
                .add(Rule::on(endpoint).then(unavailable(retry_after)));
            let before = case.proxy.hits(endpoint);
            let out = case.issue(&[]).run();
            case.assert_failed(&out);
            out.assert_stderr_has("(HTTP 503)")
                .assert_stderr_has("the CA is failing or overloaded");
            let tries = case.proxy.hits(endpoint) - before;
            assert!(
                (1..=16).contains(&tries),
                "{endpoint:?} {retry_after:?}: {tries} requests"
            );
        }
    }
}

/// A 503 with `Retry-After` on each of those steps once: every step is retried and one run
/// succeeds.
#[test]
fn unavailable_once_on_every_step_is_retried() {
    let case = case();
    for endpoint in [
        Endpoint::Directory,
        Endpoint::NewOrder,
        Endpoint::Finalize,
        Endpoint::Certificate,
    ] {
        case.proxy.add(
            Rule::on(endpoint)
                .when(When::Nth(1))
                .then(unavailable(Some("1"))),
        );
    }
    let out = case.issue(&[]).run();
    case.assert_issued(&out);
    assert_eq!(case.pebble.orders_created(), 1);
    for endpoint in [Endpoint::NewOrder, Endpoint::Finalize] {
        assert!(
            case.proxy.hits(endpoint) >= 2,
            "{endpoint:?} was not retried"
        );
    }
}

/// 429 `rateLimited` past the retry budget: newOrder is not sent again, exit 1 names the
/// time to retry.
#[test]
fn rate_limited_new_order_is_not_retried_past_the_budget() {
    let case = case();
    case.proxy
        .add(Rule::on(Endpoint::NewOrder).then(Action::rate_limited()));
    let out = case.issue(&[]).run();
    case.assert_failed(&out);
    out.assert_stderr_has("rateLimited")
        .assert_stderr_has("retry after ");
    assert_eq!(
        case.proxy.hits(Endpoint::NewOrder),
        1,
        "newOrder was sent again"
    );
    assert_eq!(case.pebble.orders_created(), 0);
}
