//! ACME Renewal Information (RFC 9773; docs/ari.md) against the fake CA, which serves
//! `renewalInfo` as each test scripts it (Pebble 2.4 has no ARI): the window saved after
//! issuance, a window in the past renewing with `replaces`, `replaces` refused and retried
//! without, one check per check interval, `NO_ARI`, and a failing endpoint.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::support::acmers::{Acmers, Output};
use crate::support::certs::pem_certs;
use crate::support::conf::{read_conf, set_conf};
use crate::support::fake_acme::{Ari, FakeAcme};
use crate::support::net::free_port;

const NAME: &str = "ari.example.test";
/// A hang guard, not a timing assertion.
const GUARD: Duration = Duration::from_secs(60);
const DAY: i64 = 86_400;

struct Site {
    top: tempfile::TempDir,
    fake: FakeAcme,
}

impl Site {
    /// A fake CA with ARI answering `ari`, and a home with nothing issued.
    fn new(ari: Option<Ari>) -> Self {
        let fake = FakeAcme::start();
        if let Some(ari) = ari {
            fake.set_ari(ari);
        }
        Self {
            top: tempfile::tempdir().expect("tempdir"),
            fake,
        }
    }

    fn home(&self) -> PathBuf {
        self.top.path().join("home")
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
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
        for (key, value) in env {
            acmers = acmers.env(key, value);
        }
        acmers.run()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    fn issue(&self) -> Output {
        let out = self.run(&["--issue", "-d", NAME]);
        out.assert_code(0);
        out
    }

    fn conf(&self) -> PathBuf {
        self.home().join(format!("{NAME}_ecc/{NAME}.conf"))
    }

    fn get(&self, key: &str) -> Option<String> {
        read_conf(&self.conf()).get(key).cloned()
    }

    fn time(&self, key: &str) -> i64 {
        let value = self
            .get(key)
            .unwrap_or_else(|| panic!("{key} is not saved"));
        value.parse().expect("unix seconds")
    }

    /// The CertID of the lineage's certificate, computed here from the file.
    fn cert_id(&self) -> String {
        let pem = std::fs::read_to_string(self.home().join(format!("{NAME}_ecc/{NAME}.cer")))
            .expect("read the certificate");
        let der = pem_certs(&pem).remove(0);
        let (_, cert) = X509Certificate::from_der(&der).expect("certificate");
        let aki = cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.clone(),
                _ => None,
            })
            .expect("authority key identifier");
        let serial = cert.raw_serial();
        assert!(serial[0] & 0x80 == 0, "DER keeps a serial positive");
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(aki.0),
            URL_SAFE_NO_PAD.encode(serial)
        )
    }

    /// Make the next `--cron` ask for the window again.
    fn check_due(&self) {
        set_conf(&self.conf(), "Acmers_ARI_NextCheck", "0");
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

fn window(start: i64, end: i64) -> Ari {
    Ari::Window {
        start,
        end,
        explanation: None,
        retry_after: None,
    }
}

#[test]
fn window_is_fetched_after_issue_and_saved() {
    let start = now() + 20 * DAY;
    let site = Site::new(Some(Ari::Window {
        start,
        end: start + 2 * DAY,
        explanation: None,
        retry_after: Some(7200),
    }));
    let before = now();
    site.issue()
        .assert_stdout_has("ARI suggestedWindow: ")
        .assert_stdout_has("Next renewal time picked from ARI window: ");
    let after = now();
    assert_eq!(
        site.fake.ari_ids(),
        [site.cert_id()],
        "one request, for the new cert"
    );
    assert_eq!(site.time("Acmers_ARI_Start"), start);
    assert_eq!(site.time("Acmers_ARI_End"), start + 2 * DAY);
    let at = site.time("Acmers_ARI_RenewAt");
    assert!(
        (start..start + 2 * DAY).contains(&at),
        "{at} is in the window"
    );
    let next = site.time("Acmers_ARI_NextCheck");
    assert!(
        (before + 7200..=after + 7200).contains(&next),
        "next check after the CA's Retry-After: {next}"
    );
    let json = site.run(&["--list", "--json"]);
    json.assert_code(0);
    let entry: serde_json::Value = serde_json::from_str(json.stdout.trim()).expect("JSON");
    let rfc3339 = |t: i64| jiff::Timestamp::from_second(t).expect("time").to_string();
    assert_eq!(entry["ari_window_start"], rfc3339(start));
    assert_eq!(entry["ari_window_end"], rfc3339(start + 2 * DAY));
    assert_eq!(entry["ari_renew_at"], rfc3339(at));
    assert_eq!(entry["ari_next_check"], rfc3339(next));
}

#[test]
fn window_in_the_past_renews_with_replaces() {
    let start = now() + 20 * DAY;
    let site = Site::new(Some(window(start, start + DAY)));
    site.issue();
    let old = site.cert_id();
    // The CA moves the window into the past (a mass revocation) and says why.
    site.fake.set_ari(Ari::Window {
        start: now() - 2 * DAY,
        end: now() - DAY,
        explanation: Some("https://ca.example.test/incident".into()),
        retry_after: None,
    });
    site.check_due();
    site.run(&["--cron"])
        .assert_code(0)
        .assert_stdout_has("has passed: renewing ari.example.test")
        .assert_stdout_has("https://ca.example.test/incident")
        .assert_stdout_has("Cert success.");
    let orders = site.fake.new_orders();
    assert_eq!(orders.len(), 2);
    assert!(
        orders[0].get("replaces").is_none(),
        "a first issuance replaces nothing"
    );
    assert_eq!(orders[1]["replaces"], old.as_str());
    assert_ne!(site.cert_id(), old);
    // The new certificate's window was asked for at once.
    assert_eq!(site.fake.ari_ids().last(), Some(&site.cert_id()));
}

#[test]
fn replaces_refused_is_retried_without() {
    let site = Site::new(Some(window(now() + 20 * DAY, now() + 21 * DAY)));
    site.issue();
    let old = site.cert_id();
    site.fake.set_ari(window(now() - 2 * DAY, now() - DAY));
    site.fake.refuse_replaces(1);
    site.check_due();
    site.run(&["--cron"])
        .assert_code(0)
        .assert_stdout_has("ARI 'replaces' rejected by CA, retrying newOrder without 'replaces'.")
        .assert_stdout_has("Cert success.");
    let orders = site.fake.new_orders();
    assert_eq!(orders.len(), 3);
    assert_eq!(orders[1]["replaces"], old.as_str());
    assert!(orders[2].get("replaces").is_none());
    assert_ne!(site.cert_id(), old);
}

#[test]
fn one_check_per_interval() {
    let site = Site::new(Some(Ari::Window {
        start: now() + 20 * DAY,
        end: now() + 21 * DAY,
        explanation: None,
        retry_after: Some(6 * 3600),
    }));
    site.issue();
    let at = site.get("Acmers_ARI_RenewAt");
    site.check_due();
    let (dir, ari) = (site.fake.hits("dir"), site.fake.hits("ari"));
    site.run(&["--cron"])
        .assert_code(0)
        .assert_stdout_has("Skipped ari.example.test: next renewal time is ");
    assert_eq!(site.fake.hits("ari"), ari + 1, "the due check asks once");
    assert_eq!(
        site.fake.hits("dir"),
        dir + 1,
        "and fetches the directory once"
    );
    assert_eq!(
        site.get("Acmers_ARI_RenewAt"),
        at,
        "the same window keeps its time"
    );
    assert!(site.time("Acmers_ARI_NextCheck") > now());
    // Within the interval: not a single request.
    let total: usize = ["dir", "ari", "nonce", "account", "new-order"]
        .iter()
        .map(|r| site.fake.hits(r))
        .sum();
    site.run(&["--cron"]).assert_code(0);
    site.run(&["--renew", "-d", NAME]).assert_code(2);
    let after: usize = ["dir", "ari", "nonce", "account", "new-order"]
        .iter()
        .map(|r| site.fake.hits(r))
        .sum();
    assert_eq!(after, total);
}

#[test]
fn no_ari_turns_it_all_off() {
    let site = Site::new(Some(window(now() - 2 * DAY, now() - DAY)));
    let off = [("NO_ARI", "1")];
    site.run_env(&["--issue", "-d", NAME], &off).assert_code(0);
    assert_eq!(site.fake.hits("ari"), 0);
    assert_eq!(site.get("Acmers_ARI_NextCheck"), None);
    // Not due by the lifetime rule, and the window (in the past) is not asked for.
    site.run_env(&["--cron"], &off).assert_code(0);
    site.run_env(&["--renew", "-d", NAME, "--force"], &off)
        .assert_code(0);
    // The CA's ca.conf switch, as acme.sh reads it.
    let ca_conf = site.home().join("ca/127.0.0.1/dir/ca.conf");
    set_conf(&ca_conf, "NO_ARI", "1");
    site.run(&["--renew", "-d", NAME, "--force"]).assert_code(0);
    site.run(&["--cron"]).assert_code(0);
    assert_eq!(site.fake.hits("ari"), 0);
    assert!(
        site.fake
            .new_orders()
            .iter()
            .all(|o| o.get("replaces").is_none()),
        "no replaces: {:?}",
        site.fake.new_orders()
    );
    assert_eq!(site.fake.new_orders().len(), 3);
}

#[test]
fn failing_endpoint_falls_back_to_the_lifetime_rule() {
    let site = Site::new(Some(Ari::Status(500)));
    let before = now();
    site.issue()
        .assert_stdout_has("No renewal window for ari.example.test");
    let after = now();
    assert_eq!(site.fake.hits("ari"), 1, "a failed fetch is not retried");
    assert_eq!(site.get("Acmers_ARI_Start"), None);
    let next = site.time("Acmers_ARI_NextCheck");
    assert!((before + 6 * 3600..=after + 6 * 3600).contains(&next));
    // Not due by the lifetime rule: skipped without a request.
    site.run(&["--cron"]).assert_code(0);
    assert_eq!(site.fake.hits("ari"), 1);
    // Due by the lifetime rule, the check due too and failing again: renewed.
    let old = site.cert_id();
    set_conf(&site.conf(), "Le_NextRenewTime", &(now() - 60).to_string());
    site.check_due();
    site.run(&["--cron"])
        .assert_code(0)
        .assert_stdout_has("Cert success.");
    assert_ne!(site.cert_id(), old);
    // The renewal still names what it replaces: the CA has renewalInfo.
    assert_eq!(site.fake.new_orders()[1]["replaces"], old.as_str());
}

#[test]
fn ca_without_renewal_info_is_asked_again_a_week_later() {
    let site = Site::new(None);
    let before = now();
    site.issue().assert_stdout_lacks("No renewal window");
    let after = now();
    let next = site.time("Acmers_ARI_NextCheck");
    assert!((before + 7 * DAY..=after + 7 * DAY).contains(&next));
    // Within the week a pass asks nothing, not even the directory.
    let dir = site.fake.hits("dir");
    site.run(&["--cron"]).assert_code(0);
    assert_eq!(site.fake.hits("dir"), dir);
    assert_eq!(site.fake.hits("ari"), 0);
}
