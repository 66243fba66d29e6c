//! The backoff after failures (docs/renewal.md, "Backoff") against the fake CA, made to
//! fail on demand (503 or 429 on newOrder): a failed renewal records its next attempt, a
//! `--cron` pass within it makes no request and says when, one after it (the clock shifted
//! with `ACMERS_TEST_CLOCK_SHIFT`) tries again, `--force` and a user's `--renew` override it,
//! a `Retry-After` pushes it later, a certificate near its end is retried hourly, a success
//! clears it, and a pass over many lineages failing at one CA stops asking it after three.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::acmers::{Acmers, Output};
use crate::support::conf::{read_conf, set_conf};
use crate::support::fake_acme::{FakeAcme, Fault};
use crate::support::net::free_port;

const NAME: &str = "backoff.example.test";
/// A hang guard, not a timing assertion.
const GUARD: Duration = Duration::from_secs(90);
const DAY: i64 = 86_400;
const SHIFT: &str = "ACMERS_TEST_CLOCK_SHIFT";

struct Site {
    top: tempfile::TempDir,
    fake: FakeAcme,
}

impl Site {
    /// A fake CA and a home with `NAME` issued there.
    fn issued() -> Self {
        let site = Self {
            top: tempfile::tempdir().expect("tempdir"),
            fake: FakeAcme::start(),
        };
        site.run(&["--issue", "-d", NAME]).assert_code(0);
        site
    }

    fn home(&self) -> PathBuf {
        self.top.path().join("home")
    }

    /// `acmers ARGS` with the clock shifted by `shift` seconds (none when 0).
    fn run_at(&self, shift: i64, args: &[&str]) -> Output {
        let mut acmers = Acmers::new(&self.home())
            .args(args)
            .arg("--ca-bundle")
            .arg(self.fake.ca_bundle_path())
            .timeout(GUARD);
        if args.contains(&"--issue") {
            acmers = acmers
                .args(["--standalone", "--local-address", "127.0.0.1", "--httpport"])
                .arg(free_port().to_string())
                .arg("--server")
                .arg(self.fake.directory_url());
        }
        if shift != 0 {
            acmers = acmers.env(SHIFT, &shift.to_string());
        }
        acmers.run()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_at(0, args)
    }

    fn conf(&self) -> PathBuf {
        self.home().join(format!("{NAME}_ecc/{NAME}.conf"))
    }

    fn get(&self, key: &str) -> Option<String> {
        read_conf(&self.conf()).get(key).cloned()
    }

    fn number(&self, key: &str) -> i64 {
        let value = self
            .get(key)
            .unwrap_or_else(|| panic!("{key} is not saved"));
        value.parse().expect("a number")
    }

    /// Make the lineage due now.
    fn make_due(&self) {
        set_conf(&self.conf(), "Le_NextRenewTime", "1");
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// acme.sh's time format, as the skip lines print it.
fn time_str(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .expect("time")
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Run `f` and return its output with the time before and after it.
fn timed(f: impl FnOnce() -> Output) -> (Output, i64, i64) {
    let before = now();
    let out = f();
    (out, before, now())
}

#[test]
fn cron_waits_for_the_next_attempt_then_tries_again() {
    let site = Site::issued();
    assert_eq!(site.get("Acmers_NextAttempt"), None);
    site.fake.set_fault(Fault::Unavailable);
    site.make_due();

    // The first failure: the next attempt a minute later.
    let (out, before, after) = timed(|| site.run(&["--cron"]));
    out.assert_code(1)
        .assert_stdout_has(&format!("The next attempt for {NAME} is allowed at "));
    assert_eq!(site.fake.hits("new-order"), 2, "the issue and this renewal");
    assert_eq!(site.number("Acmers_FailedAttempts"), 1);
    let next = site.number("Acmers_NextAttempt");
    assert!((before + 60..=after + 60).contains(&next), "{next}");

    // Within it: no request at all, and a line that says why and until when.
    let hits = site.fake.total_hits();
    site.run(&["--cron"])
        .assert_code(0)
        .assert_stdout_has(&format!(
            "Skipped {NAME}: 1 attempt(s) failed in a row; next attempt at {}",
            time_str(next)
        ));
    site.run(&["--renew-all"]).assert_code(0);
    assert_eq!(site.fake.total_hits(), hits, "a request within the backoff");

    // Two minutes later it is tried again, and the next wait is ten minutes.
    let (out, before, after) = timed(|| site.run_at(120, &["--cron"]));
    out.assert_code(1);
    assert_eq!(site.fake.hits("new-order"), 3);
    assert_eq!(site.number("Acmers_FailedAttempts"), 2);
    let next = site.number("Acmers_NextAttempt");
    assert!((before + 720..=after + 720).contains(&next), "{next}");

    // `--force` overrides it; so does a user's own `--renew`, which says so.
    site.run(&["--renew-all", "--force"]).assert_code(1);
    assert_eq!(site.fake.hits("new-order"), 4);
    assert_eq!(site.number("Acmers_FailedAttempts"), 3);
    let out = site.run(&["--renew", "-d", NAME]);
    out.assert_code(1).assert_stdout_has(&format!(
        "3 attempt(s) for {NAME} failed in a row and the next was planned for "
    ));
    assert_eq!(site.fake.hits("new-order"), 5);
    // The fourth failure in a row waits a day.
    assert_eq!(site.number("Acmers_FailedAttempts"), 4);
    assert!(site.number("Acmers_NextAttempt") >= now() + DAY - 120);

    // The CA is back: a day later the renewal succeeds and the failure is forgotten.
    site.fake.set_fault(Fault::None);
    site.run_at(DAY + 60, &["--cron"]).assert_code(0);
    for key in [
        "Acmers_NextAttempt",
        "Acmers_FailedAttempts",
        "Acmers_LastError",
        "Acmers_LastErrorTime",
    ] {
        assert_eq!(site.get(key), None, "{key} after a success");
    }
}

#[test]
fn rate_limit_retry_after_sets_the_next_attempt() {
    let site = Site::issued();
    site.fake.set_fault(Fault::RateLimited);
    let (out, before, after) = timed(|| site.run(&["--renew", "-d", NAME, "--force"]));
    out.assert_code(1);
    // The CA's `Retry-After: 3600`, not the first step of a minute.
    let next = site.number("Acmers_NextAttempt");
    assert!((before + 3600..=after + 3600).contains(&next), "{next}");
    let line = site
        .run(&["--list", "--json"])
        .stdout
        .lines()
        .next()
        .map(str::to_owned)
        .expect("a line");
    let json: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    assert_eq!(json["failed_attempts"], 1);
    assert_eq!(json["next_attempt"], time_str(next));
    assert!(
        json["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("rateLimited")),
        "{json}"
    );
}

#[test]
fn near_expiry_is_retried_hourly() {
    let site = Site::issued();
    site.fake.set_fault(Fault::Unavailable);
    // Many failures in a row (the schedule says a day), the certificate 85 days into its
    // 90: in its last tenth.
    set_conf(&site.conf(), "Acmers_FailedAttempts", "6");
    set_conf(&site.conf(), "Acmers_NextAttempt", "1");
    let shift = 85 * DAY;
    let (out, before, after) = timed(|| site.run_at(shift, &["--cron"]));
    out.assert_code(1);
    assert_eq!(site.number("Acmers_FailedAttempts"), 7);
    let next = site.number("Acmers_NextAttempt") - shift;
    assert!((before + 3600..=after + 3600).contains(&next), "{next}");
}

/// A due lineage for `name` at `api`, written by hand (no certificate files needed: the CA
/// fails before one would be used).
fn due_lineage(home: &Path, name: &str, api: &str) {
    let dir = home.join(format!("{name}_ecc"));
    std::fs::create_dir_all(&dir).expect("mkdir lineage");
    std::fs::write(
        dir.join(format!("{name}.conf")),
        format!(
            "Le_Domain='{name}'\nLe_Alt='no'\nLe_Webroot='no'\nLe_API='{api}'\n\
             Le_Keylength='ec-256'\nLe_CertCreateTime='1700000000'\nLe_NextRenewTime='1700000001'\n"
        ),
    )
    .expect("write conf");
}

#[test]
fn a_failing_ca_is_asked_three_times_per_pass() {
    let fake = FakeAcme::start_with(Fault::Unavailable);
    let top = tempfile::tempdir().expect("tempdir");
    let home = top.path().join("home");
    let api = fake.directory_url();
    let names: Vec<String> = (0..8).map(|i| format!("l{i}.fleet.test")).collect();
    for name in &names {
        due_lineage(&home, name, &api);
    }
    let cron = || {
        Acmers::new(&home)
            // One at a time: with `--parallel N` up to N - 1 more may be in flight when
            // the third failure comes.
            .args(["--cron", "--parallel", "1", "--ca-bundle"])
            .arg(fake.ca_bundle_path())
            .timeout(GUARD)
            .run()
    };
    let out = cron();
    out.assert_code(1);
    assert_eq!(fake.hits("new-order"), 3, "{}", out.stdout);
    let deferred = format!("3 renewals at {api} failed in a row in this run");
    assert_eq!(out.stdout.matches(&deferred).count(), 5, "{}", out.stdout);
    // The next pass: the three that failed wait for their next attempt, three others are
    // tried.
    let out = cron();
    out.assert_code(1);
    assert_eq!(fake.hits("new-order"), 6, "{}", out.stdout);
    assert_eq!(
        out.stdout.matches("1 attempt(s) failed in a row").count(),
        3,
        "{}",
        out.stdout
    );
}
