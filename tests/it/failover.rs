//! CA failover (docs/failover.md): a primary CA that fails in a way retrying will not fix
//! soon (an order stuck in `processing`, unreachable, rate-limited past the run) hands the
//! certificate over to the next `--fallback-server`, a real Pebble; our own validation
//! failure does not; the lineage records both CAs, and the next renewal starts at the
//! primary again.
//!
//! The primary is a second real Pebble behind the fault-injecting proxy ([`FaultProxy`]),
//! which expresses every primary fault here: the order kept `processing` and the `429` are
//! the proxy's script, the failed validation is Pebble's own (its mock DNS points the name
//! at an address nobody listens on). The fake CA is not needed here; it stays for the
//! transport faults the proxy cannot express (docs/testing.md). [`Primary`] is the one
//! place that knows how the primary is made. Both Pebbles pick their own free ports and
//! share the http-01 port, the one acmers' standalone server listens on.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use tempfile::TempDir;

use crate::support::acmers::{Acmers, Output};
use crate::support::certs::verify_chain_against_root;
use crate::support::conf::read_conf;
use crate::support::fault_proxy::{Action, Endpoint, FaultProxy, Rule};
use crate::support::net::free_port;
use crate::support::pebble::{Pebble, PebbleOpts};

const NAME: &str = "failover.example.test";
const NEXT_CA: &str = "trying the next CA: ";

/// The primary CA: a real Pebble behind the fault-injecting proxy, which acmers talks to.
struct Primary {
    proxy: FaultProxy,
    pebble: Pebble,
}

impl Primary {
    /// A Pebble validating http-01 and tls-alpn-01 on the ports `opts` names.
    fn start(opts: &PebbleOpts) -> Self {
        let pebble = Pebble::start(PebbleOpts {
            http_port: opts.http_port,
            tls_port: opts.tls_port,
            ..PebbleOpts::default()
        });
        Self {
            proxy: FaultProxy::start(&pebble),
            pebble,
        }
    }

    fn url(&self) -> String {
        self.proxy.directory_url()
    }

    fn bundle(&self) -> &Path {
        self.proxy.ca_bundle_path()
    }

    /// Orders show `processing` after finalize (`true`), or the proxy forwards everything
    /// untouched again (`false`).
    fn stuck(&self, stuck: bool) {
        if !stuck {
            self.proxy.clear();
            return;
        }
        for endpoint in [Endpoint::Finalize, Endpoint::Order] {
            self.proxy
                .add(Rule::on(endpoint).then(Action::SetJson("status", json!("processing"))));
        }
    }

    /// newOrder is answered `429` `rateLimited` with `Retry-After: 3600`.
    fn rate_limited(&self) {
        self.proxy
            .add(Rule::on(Endpoint::NewOrder).then(Action::rate_limited()));
    }

    /// Pebble's validation of `name` fails for real: its mock DNS answers 127.0.0.2, where
    /// nothing listens (acmers' standalone server is on 127.0.0.1).
    fn validation_fails(&self, name: &str) {
        self.pebble.add_a(name, "127.0.0.2");
    }

    fn new_orders(&self) -> usize {
        self.pebble.orders_created()
    }
}

/// A temp home, a primary, a Pebble fallback and one CA bundle trusting both.
struct Setup {
    _top: TempDir,
    home: PathBuf,
    bundle: PathBuf,
    primary: Primary,
    fallback: Pebble,
}

impl Setup {
    fn new(fallback: PebbleOpts) -> Self {
        let primary = Primary::start(&fallback);
        let fallback = Pebble::start(fallback);
        let top = tempfile::tempdir().expect("tempdir");
        let home = top.path().join("home");
        let bundle = top.path().join("bundle.pem");
        let pem = [primary.bundle(), fallback.ca_bundle_path()]
            .map(|p| fs::read_to_string(p).expect("bundle"))
            .join("\n");
        fs::write(&bundle, pem).expect("write bundle");
        Self {
            _top: top,
            home,
            bundle,
            primary,
            fallback,
        }
    }

    fn acmers(&self) -> Acmers {
        Acmers::new(&self.home)
            .arg("--ca-bundle")
            .arg(self.bundle.as_os_str())
            // A hang guard, not a timing assertion: the run must end on its own.
            .timeout(Duration::from_secs(120))
    }

    /// `--issue` with standalone http-01 on the fallback Pebble's port; no CA chosen.
    fn issue_bare(&self) -> Acmers {
        self.acmers()
            .args(["--issue", "-d", NAME, "--standalone", "--httpport"])
            .arg(self.fallback.http_port().to_string())
            .args(["--local-address", "127.0.0.1", "--order-timeout", "2"])
    }

    /// [`Self::issue_bare`] at `primary` with the Pebble as the fallback.
    fn issue_at(&self, primary: &str) -> Acmers {
        self.issue_bare()
            .args(["--server", primary, "--fallback-server"])
            .arg(self.fallback.directory_url())
    }

    fn conf(&self) -> crate::support::conf::Conf {
        read_conf(&self.home.join(format!("{NAME}_ecc/{NAME}.conf")))
    }

    fn fullchain(&self) -> String {
        fs::read_to_string(self.home.join(format!("{NAME}_ecc/fullchain.cer")))
            .expect("fullchain.cer")
    }

    /// The certificate is the fallback Pebble's, and the conf says so.
    fn assert_issued_by_fallback(&self, primary: &str) {
        verify_chain_against_root(&self.fullchain(), &self.fallback.root_pem(), &[NAME]);
        let conf = self.conf();
        assert_eq!(conf["Le_API"], self.fallback.directory_url(), "{conf:?}");
        assert_eq!(conf["Acmers_PrimaryAPI"], primary, "{conf:?}");
    }
}

/// The one line that says which CA failed, why, and which is next.
fn assert_failover_line(out: &Output, failed: &str, why: &str, next: &str) {
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains(NEXT_CA))
        .unwrap_or_else(|| panic!("no failover line:\n{}", out.stderr));
    assert!(
        line.contains(&format!("The CA {failed} failed: ")),
        "{line}"
    );
    assert!(line.contains(why), "{line}");
    assert!(line.ends_with(&format!("{NEXT_CA}{next}")), "{line}");
}

#[test]
fn a_stuck_primary_fails_over_and_the_next_renewal_starts_at_the_primary() {
    let s = Setup::new(PebbleOpts::default());
    s.primary.stuck(true);
    let out = s.issue_at(&s.primary.url()).run();
    out.assert_code(0);
    assert_failover_line(
        &out,
        &s.primary.url(),
        r#"order is still "processing" after 2 s"#,
        &s.fallback.directory_url(),
    );
    s.assert_issued_by_fallback(&s.primary.url());
    assert_eq!(
        s.conf()["Acmers_FallbackServers"],
        s.fallback.directory_url()
    );
    assert_eq!(s.fallback.orders_created(), 1);

    // `--info` and `--list --json` show both CAs.
    s.acmers()
        .args(["--info", "-d", NAME])
        .run()
        .assert_code(0)
        .assert_stdout_has(&format!("Acmers_PrimaryAPI={}", s.primary.url()));
    let out = s.acmers().args(["--list", "--json"]).run();
    out.assert_code(0);
    let entry: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("json");
    assert_eq!(entry["ca_url"], s.fallback.directory_url());
    assert_eq!(entry["primary_ca_url"], s.primary.url());

    // The primary works again: the renewal goes there first and succeeds there.
    s.primary.stuck(false);
    let out = s.acmers().args(["--renew", "-d", NAME, "--force"]).run();
    out.assert_code(0).assert_stderr_lacks(NEXT_CA);
    assert_eq!(s.primary.new_orders(), 2);
    assert_eq!(s.fallback.orders_created(), 1, "the fallback was not asked");
    verify_chain_against_root(&s.fullchain(), &s.primary.pebble.root_pem(), &[NAME]);
    let conf = s.conf();
    assert_eq!(conf["Le_API"], s.primary.url());
    assert_eq!(conf.get("Acmers_PrimaryAPI"), None, "{conf:?}");
}

#[test]
fn an_unreachable_primary_fails_over_and_revocation_goes_to_the_issuing_ca() {
    let s = Setup::new(PebbleOpts::default());
    let closed = format!("https://127.0.0.1:{}/dir", free_port());
    let out = s.issue_at(&closed).run();
    out.assert_code(0);
    assert_failover_line(&out, &closed, "request to", &s.fallback.directory_url());
    s.assert_issued_by_fallback(&closed);

    // `Le_API` names the CA that issued the certificate, so acmers (and acme.sh) revoke there.
    s.acmers()
        .args(["--revoke", "-d", NAME])
        .run()
        .assert_code(0)
        .assert_stdout_has("Successfully revoked.");
}

#[test]
fn a_primary_rate_limited_past_the_run_fails_over() {
    let s = Setup::new(PebbleOpts::default());
    s.primary.rate_limited();
    let out = s.issue_at(&s.primary.url()).run();
    out.assert_code(0);
    assert_failover_line(
        &out,
        &s.primary.url(),
        "HTTP 429",
        &s.fallback.directory_url(),
    );
    s.assert_issued_by_fallback(&s.primary.url());
}

#[test]
fn our_own_validation_failure_does_not_fail_over() {
    let s = Setup::new(PebbleOpts::default());
    s.primary.validation_fails(NAME);
    let out = s.issue_at(&s.primary.url()).run();
    out.assert_code(1)
        .assert_stderr_lacks(NEXT_CA)
        .assert_stderr_has(&format!(
            "validation of `{NAME}` failed: urn:ietf:params:acme:error:connection"
        ));
    assert_eq!(s.fallback.orders_created(), 0, "the fallback was not asked");
}

#[test]
fn fallback_servers_saved_in_account_conf_by_set_default_ca() {
    let s = Setup::new(PebbleOpts::default());
    let account_conf = s.home.join("account.conf");
    s.acmers()
        .args(["--set-default-ca", "--server", &s.primary.url()])
        .args(["--fallback-server", &s.fallback.directory_url()])
        .run()
        .assert_code(0);
    let conf = read_conf(&account_conf);
    assert_eq!(conf["DEFAULT_ACME_SERVER"], s.primary.url());
    assert_eq!(conf["FALLBACK_ACME_SERVERS"], s.fallback.directory_url());

    s.primary.stuck(true);
    let out = s.issue_bare().run();
    out.assert_code(0);
    s.assert_issued_by_fallback(&s.primary.url());
    // account.conf's list applies to every lineage: it is not copied into this one.
    assert_eq!(s.conf().get("Acmers_FallbackServers"), None);

    // `--set-default-ca` without `--fallback-server` clears the list.
    s.acmers()
        .args(["--set-default-ca", "--server", &s.primary.url()])
        .run()
        .assert_code(0);
    assert_eq!(read_conf(&account_conf).get("FALLBACK_ACME_SERVERS"), None);
}

#[test]
fn a_fallback_that_requires_eab_uses_the_binding_saved_for_it() {
    const KID: &str = "kid-failover";
    let hmac = URL_SAFE_NO_PAD.encode([7u8; 32]);
    let s = Setup::new(PebbleOpts {
        eab_keys: vec![(KID.to_owned(), hmac.clone())],
        ..PebbleOpts::default()
    });
    // Issued at the primary; the EAB Pebble is saved as the fallback.
    s.issue_at(&s.primary.url())
        .run()
        .assert_code(0)
        .assert_stderr_lacks(NEXT_CA);
    let renew = || {
        s.acmers()
            .args(["--renew", "-d", NAME, "--force", "--order-timeout", "2"])
    };

    // No binding for the fallback: both CAs fail, and the final error lists both.
    s.primary.stuck(true);
    let out = renew().run();
    out.assert_code(1)
        .assert_stderr_has("Every CA tried failed (2):")
        .assert_stderr_has(&format!("  {}: order is still", s.primary.url()))
        .assert_stderr_has(&format!("  {}: the CA refused", s.fallback.directory_url()))
        .assert_stderr_has("externalAccountRequired");
    // The conf is as the primary's attempt left it: its CA, and its order to resume.
    let conf = s.conf();
    assert_eq!(conf["Le_API"], s.primary.url(), "{conf:?}");
    assert_eq!(conf.get("Acmers_PrimaryAPI"), None, "{conf:?}");
    let primary_order = conf["Le_LinkOrder"].clone();
    assert!(
        primary_order.starts_with(&s.primary.url().replace("/dir", "/my-order/")),
        "{conf:?}"
    );

    // The binding saved for that CA by `--register-account --server Y --eab-kid …`.
    s.acmers()
        .args([
            "--register-account",
            "--server",
            &s.fallback.directory_url(),
        ])
        .args(["--eab-kid", KID, "--eab-hmac-key", &hmac])
        .run()
        .assert_code(0);
    let out = renew().run();
    out.assert_code(0)
        .assert_stdout_has(&format!("Resuming the saved order {primary_order}"));
    s.assert_issued_by_fallback(&s.primary.url());
}
