//! The transport and response rows of the fault matrix (docs/reliability.md), against the fake
//! CA's route faults ([`Fault`]) and a raw TCP server for a garbage TLS handshake or silence:
//! connection reset, a stalled or trickling body, a request never answered, TLS failures, redirect
//! loops, a `Location` downgraded to `http://`, malformed answers, a body over the cap, missing
//! `Location` / `Replay-Nonce`, an order with 0 or 1,000 authorizations or one for a name not
//! ordered, and an order that turns `invalid` at finalize.
//!
//! A failing renewal ([`renewal_fails`]) starts from a home with a valid certificate and must
//! leave the certificate, chain and key byte-identical; a failing first issuance (the TLS
//! rows) must write no certificate. Idempotent requests (directory GET, POST-as-GET) are retried
//! within their bound (1 + 3 attempts); other POSTs are sent once (counted at the server).
//! The time limits are acmers' own (15 s without a byte, 60 s per request): the runs have a
//! generous hang guard, never a timing assertion.

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::support::acmers::{Acmers, Output};
use crate::support::fake_acme::{FakeAcme, Fault};
use crate::support::net::free_port;

const NAME: &str = "faults.example.test";
/// A hang guard, not a timing assertion: the slowest run here ends at acmers' 60 s limit.
const GUARD: Duration = Duration::from_secs(240);

struct Case {
    _top: tempfile::TempDir,
    home: PathBuf,
}

fn case() -> Case {
    let top = tempfile::tempdir().expect("tempdir");
    let home = top.path().join("home");
    fs::create_dir(&home).expect("mkdir home");
    Case { _top: top, home }
}

impl Case {
    fn issue(&self, directory: &str, ca_bundle: &Path) -> Acmers {
        Acmers::new(&self.home)
            .args(["--issue", "-d", NAME, "--standalone", "--httpport"])
            .arg(free_port().to_string())
            .args(["--local-address", "127.0.0.1", "--server", directory])
            .arg("--ca-bundle")
            .arg(ca_bundle.as_os_str())
            .timeout(GUARD)
    }

    /// The certificate, chain, full chain and key of the lineage.
    fn files(&self) -> [PathBuf; 4] {
        let dir = self.home.join(format!("{NAME}_ecc"));
        ["{NAME}.cer", "ca.cer", "fullchain.cer", "{NAME}.key"]
            .map(|f| dir.join(f.replace("{NAME}", NAME)))
    }

    fn contents(&self) -> [Vec<u8>; 4] {
        self.files().map(|f| fs::read(f).expect("lineage file"))
    }
}

/// Issue from a well-behaved fake, then bend it as `fault` says and force a renewal: the run
/// fails with exit 1 and the certificate, chain and key are byte-identical.
fn renewal_fails(fault: Fault) -> (FakeAcme, Output) {
    let fake = FakeAcme::start();
    let case = case();
    case.issue(&fake.directory_url(), fake.ca_bundle_path())
        .run()
        .assert_code(0);
    let before = case.contents();
    fake.set_fault(fault);
    let out = case
        .issue(&fake.directory_url(), fake.ca_bundle_path())
        .arg("-f")
        .run();
    // What failed, at which CA, and what to do.
    out.assert_code(1)
        .assert_stderr_has("error: ")
        .assert_stderr_has(&format!("CA: {}", fake.directory_url()))
        .assert_stderr_has("hint: ");
    assert!(before == case.contents(), "a lineage file changed");
    (fake, out)
}

/// How often `route` was asked during the failing renewal alone (the issuance before it asked
/// each route once, the directory and newNonce aside).
fn renewal_hits(fake: &FakeAcme, route: &str) -> usize {
    fake.hits(route) - 1
}

#[test]
fn a_reset_directory_is_retried_three_times() {
    let (fake, out) = renewal_fails(Fault::Reset("dir"));
    out.assert_stderr_has(&fake.directory_url());
    assert_eq!(renewal_hits(&fake, "dir"), 4, "1 + 3 retries");
}

#[test]
fn a_reset_post_as_get_is_retried_three_times() {
    // The order poll after finalize.
    let (fake, out) = renewal_fails(Fault::Reset("order"));
    out.assert_stderr_has("/order/1");
    assert_eq!(renewal_hits(&fake, "order"), 4, "1 + 3 retries");
    assert_eq!(renewal_hits(&fake, "finalize"), 1);
}

#[test]
fn a_reset_new_order_is_not_replayed() {
    let (fake, out) = renewal_fails(Fault::Reset("new-order"));
    out.assert_stderr_has("/new-order");
    assert_eq!(renewal_hits(&fake, "new-order"), 1);
}

#[test]
fn a_reset_finalize_is_not_replayed() {
    let (fake, out) = renewal_fails(Fault::Reset("finalize"));
    out.assert_stderr_has("/finalize/1");
    assert_eq!(renewal_hits(&fake, "finalize"), 1);
    assert_eq!(renewal_hits(&fake, "cert"), 0);
}

#[test]
fn a_new_order_never_answered_ends_at_the_read_idle_limit() {
    let (fake, out) = renewal_fails(Fault::Silent("new-order"));
    out.assert_stderr_has("timed out");
    assert_eq!(renewal_hits(&fake, "new-order"), 1);
}

#[test]
fn a_finalize_body_stalled_mid_way_ends_at_the_read_idle_limit() {
    let (fake, out) = renewal_fails(Fault::StallBody("finalize"));
    out.assert_stderr_has("timed out");
    assert_eq!(renewal_hits(&fake, "finalize"), 1);
}

/// A body at 1 byte/s never goes 15 s without a byte: the 60 s request limit ends it.
#[test]
fn a_slow_loris_new_order_ends_at_the_request_limit() {
    let (fake, out) = renewal_fails(Fault::Trickle("new-order"));
    out.assert_stderr_has("timed out");
    assert_eq!(renewal_hits(&fake, "new-order"), 1);
}

#[test]
fn an_untrusted_ca_certificate_is_refused() {
    let fake = FakeAcme::start();
    let case = case();
    // A bundle that does not hold the fake's TLS CA.
    let other = case.home.with_file_name("other-ca.pem");
    fs::write(&other, FakeAcme::start().tls_ca_pem()).expect("write bundle");
    let out = case.issue(&fake.directory_url(), &other).run();
    out.assert_code(1)
        .assert_stderr_has(&fake.directory_url())
        .assert_stderr_has("certificate");
    assert!(!case.files()[0].exists());
}

/// A loopback TCP server that runs `answer` on each connection it accepts, then keeps the
/// connection open; it counts the connections. A fake: no real server sends garbage for a TLS
/// handshake, or accepts and stays silent, on demand.
fn raw_server(answer: fn(&mut TcpStream)) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            seen.fetch_add(1, Ordering::SeqCst);
            answer(&mut stream);
            open.push(stream);
        }
    });
    (format!("https://127.0.0.1:{port}/dir"), count)
}

/// A first issuance against `directory` fails within acmers' limits, retried as an idempotent
/// request (1 + 3 connections), and writes no certificate.
fn directory_fails(directory: &str, connections: &AtomicUsize) {
    let fake = FakeAcme::start();
    let case = case();
    let out = case.issue(directory, fake.ca_bundle_path()).run();
    out.assert_code(1)
        .assert_stderr_has(directory)
        .assert_stderr_has("hint: ");
    assert_eq!(connections.load(Ordering::SeqCst), 4, "1 + 3 retries");
    assert!(!case.files()[0].exists());
}

#[test]
fn a_garbage_tls_handshake_fails_within_bounds() {
    let (directory, connections) = raw_server(|stream| {
        let mut hello = [0; 512];
        let _ = stream.read(&mut hello);
        let _ = stream.write_all(b"HTTP/1.0 400 Bad Request\r\n\r\nnot TLS at all\r\n");
    });
    directory_fails(&directory, &connections);
}

/// TCP accepted, then not a byte: the connect limit (10 s, TLS included) ends each attempt.
#[test]
fn a_tcp_connection_never_answered_ends_at_the_connect_limit() {
    let (directory, connections) = raw_server(|_| {});
    directory_fails(&directory, &connections);
}

#[test]
fn a_redirect_loop_is_refused() {
    let (fake, out) = renewal_fails(Fault::RedirectLoop("dir"));
    out.assert_stderr_has("redirect");
    // The first request and 3 redirects; a refused redirect is not retried.
    assert_eq!(renewal_hits(&fake, "dir"), 4);
}

#[test]
fn an_order_location_on_plain_http_is_refused() {
    let (fake, out) = renewal_fails(Fault::Header(
        "new-order",
        "location",
        "http://127.0.0.1:1/order/1",
    ));
    out.assert_stderr_has("http://127.0.0.1:1/order/1");
    assert_eq!(renewal_hits(&fake, "order"), 0);
}

/// An order created on another server than the directory's: its next signed requests would
/// go there.
#[test]
fn an_order_location_on_another_server_is_refused() {
    let (fake, out) = renewal_fails(Fault::Header(
        "new-order",
        "location",
        "https://other.example.test/order/1",
    ));
    out.assert_stderr_has("is on another server than the directory");
    assert_eq!(renewal_hits(&fake, "order"), 0);
}

#[test]
fn a_malformed_json_order_is_a_clear_error() {
    let (fake, out) = renewal_fails(Fault::Replace {
        route: "finalize",
        status: 200,
        content_type: "application/json",
        body: r#"{"status": "processing", "identifiers": [{"ty"#,
    });
    // The finalize answer is the order object.
    out.assert_stderr_has("unexpected response from")
        .assert_stderr_has("/order/1")
        .assert_stderr_lacks("panicked");
    assert_eq!(renewal_hits(&fake, "finalize"), 1);
}

#[test]
fn an_html_error_page_is_a_clear_error() {
    let (fake, out) = renewal_fails(Fault::Replace {
        route: "new-order",
        status: 502,
        content_type: "text/html",
        body: "<html><body><h1>502 Bad Gateway</h1></body></html>",
    });
    out.assert_stderr_has("502 Bad Gateway")
        .assert_stderr_lacks("panicked");
    assert_eq!(renewal_hits(&fake, "new-order"), 1, "newOrder replayed");
}

/// JSON under another content type is read as JSON (RFC 8555 servers are not always exact).
#[test]
fn json_under_a_wrong_content_type_is_read() {
    let fake = FakeAcme::start_with(Fault::Header("dir", "content-type", "text/plain"));
    let case = case();
    case.issue(&fake.directory_url(), fake.ca_bundle_path())
        .run()
        .assert_code(0);
}

#[test]
fn an_endless_chunked_certificate_stops_at_the_cap() {
    let (fake, out) = renewal_fails(Fault::Endless("cert"));
    out.assert_stderr_has("larger than");
    assert_eq!(
        renewal_hits(&fake, "cert"),
        1,
        "an oversized body is not fetched again"
    );
}

#[test]
fn a_new_order_without_location_is_a_clear_error() {
    let (fake, out) = renewal_fails(Fault::NoHeader("new-order", "location"));
    out.assert_stderr_has("Location");
    assert_eq!(renewal_hits(&fake, "new-order"), 1);
}

#[test]
fn answers_without_replay_nonce_make_acmers_fetch_new_nonces() {
    let fake = FakeAcme::start_with(Fault::NoHeader("*", "replay-nonce"));
    let case = case();
    case.issue(&fake.directory_url(), fake.ca_bundle_path())
        .run()
        .assert_code(0);
    // newAccount, newOrder, finalize, the order poll and the download each needed one.
    assert!(
        fake.hits("nonce") >= 5,
        "{} nonces fetched",
        fake.hits("nonce")
    );
}

fn refuses_authorizations(fault: Fault, needle: &str) {
    let (fake, out) = renewal_fails(fault);
    out.assert_stderr_has(needle);
    assert_eq!(fake.hits("chall"), 0, "a challenge was answered");
    assert_eq!(renewal_hits(&fake, "finalize"), 0);
}

#[test]
fn an_order_without_authorizations_is_refused() {
    refuses_authorizations(Fault::Authorizations(0), "0 authorizations");
}

#[test]
fn an_order_with_a_thousand_authorizations_is_refused() {
    refuses_authorizations(Fault::Authorizations(1000), "1000 authorizations");
}

#[test]
fn an_authorization_for_a_name_not_ordered_is_refused() {
    refuses_authorizations(
        Fault::ForeignAuthz("evil.example.test"),
        "unrequested authorization for `evil.example.test`",
    );
}

#[test]
fn an_order_invalid_at_finalize_is_not_retried() {
    let (fake, out) = renewal_fails(Fault::FinalizeInvalid);
    out.assert_stderr_has("badCSR")
        .assert_stderr_has("the CSR is refused by policy");
    assert_eq!(renewal_hits(&fake, "new-order"), 1);
    assert_eq!(renewal_hits(&fake, "finalize"), 1);
    assert_eq!(renewal_hits(&fake, "cert"), 0);
}
