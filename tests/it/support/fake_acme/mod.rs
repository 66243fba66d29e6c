//! An in-process fake ACME server for the faults Pebble cannot produce on demand
//! (docs/testing.md, docs/reliability.md): an order that stays `processing` after finalize,
//! and the hostile answers of [`Fault`], some of them on one route only (a reset connection,
//! no answer, a stalled, trickling or endless body, a redirect loop, a replaced answer, a
//! missing or bent header).
//!
//! It speaks HTTPS (tokio-rustls, hyper 1) on `127.0.0.1:<random>` with a throwaway
//! certificate, and serves exactly one account and one order (a newOrder replaces it). It does
//! **not** verify JWS signatures, nonces, `url` headers or account keys: it only
//! base64url-decodes the `payload` of the flattened JWS to read the newOrder identifiers and
//! the finalize CSR, and it records every newOrder payload ([`FakeAcme::new_orders`]). Its
//! directory lists two certificate profiles ([`PROFILES`]), which Pebble 2.4 cannot. Without
//! a fault every authorization is already `valid`, so no challenge is ever needed. Certificates are issued for the CSR's key by a fake intermediate under a
//! fake root ([`FakeAcme::root_pem`]).
//!
//! It also stands in for ACME Renewal Information (RFC 9773), which Pebble 2.4 does not have:
//! with [`FakeAcme::set_ari`] the directory carries `renewalInfo` and `GET /ari/<CertID>`
//! answers what the test scripted; requests are counted per route ([`FakeAcme::hits`]) and
//! every newOrder payload is recorded ([`FakeAcme::new_orders`]), so a test sees `replaces`.

mod paced;
mod routes;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hyper::Response;
use rcgen::{CertifiedIssuer, KeyPair};
use serde_json::Value;
use tempfile::TempDir;

use crate::support::certs::{LocalTls, ca_issuer, sign_csr};
use crate::support::https_server::{self, HttpsServer};

type Reply = Response<paced::Paced>;

/// A misbehaviour of the fake CA. [`Fault::None`] is the well-behaved default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Fault {
    /// Behave: authorizations are `valid`, certificates are correct.
    #[default]
    None,
    /// Authorizations are `pending` with an http-01 challenge carrying this token.
    Token(String),
    /// The directory is valid JSON padded with spaces to 2 MiB.
    HugeDirectory,
    /// The directory URL serves an HTML page (a captive portal).
    HtmlDirectory,
    /// newOrder is answered `429` `rateLimited` with `Retry-After: 3600`.
    RateLimited,
    /// newOrder is answered `503` `serverInternal` without `Retry-After` (a CA that is down
    /// behind a working front end).
    Unavailable,
    /// Authorizations are `pending`; after the challenge POST (answered `processing`) the
    /// authorization turns `invalid` with an `unauthorized` problem ([`UNAUTHORIZED_DETAIL`]).
    ChallengeInvalid,
    /// Authorizations are `pending`; the challenge POST is answered `processing` and the
    /// authorization stays `pending` forever.
    PendingForever,
    /// The certificate chain carries a `PRIVATE KEY` block after the certificates.
    PrivateKeyInChain,
    /// The leaf certificate is for a fresh key, not the CSR's (names are right).
    WrongKey,
    /// The leaf certificate names only `other.example.test`, not the names ordered.
    MissingSan,
    /// The leaf certificate expired ten days ago.
    Expired,
    /// The leaf certificate is signed by a stranger, not by the intermediate that follows it.
    NotChaining,
    /// Requests to this route ([`FakeAcme::hits`]) get no answer: the connection is closed.
    Reset(&'static str),
    /// Requests to this route are read and never answered; the connection stays open.
    Silent(&'static str),
    /// This route's answer announces its length, sends one byte of its body, then nothing.
    StallBody(&'static str),
    /// This route's answer comes at one byte per second (slow-loris).
    Trickle(&'static str),
    /// This route's answer is an endless chunked body.
    Endless(&'static str),
    /// This route answers `302` with itself as the `Location` (a redirect loop).
    RedirectLoop(&'static str),
    /// This route answers `status` with this content type and body instead.
    Replace {
        /// The route bent.
        route: &'static str,
        /// The status sent.
        status: u16,
        /// The `Content-Type` sent.
        content_type: &'static str,
        /// The body sent.
        body: &'static str,
    },
    /// This route's answers lack this header (route `*`: every answer but newNonce's).
    NoHeader(&'static str, &'static str),
    /// This route's answers carry this header value instead.
    Header(&'static str, &'static str, &'static str),
    /// The order lists this many authorizations, whatever was ordered (all `pending`).
    Authorizations(usize),
    /// The order's authorizations are `pending` and for this name, not the one ordered.
    ForeignAuthz(&'static str),
    /// finalize turns the order `invalid` with a `badCSR` problem.
    FinalizeInvalid,
}

impl Fault {
    /// Whether authorizations start `pending` (a challenge must be answered).
    fn authz_pending(&self) -> bool {
        matches!(
            self,
            Self::Token(_)
                | Self::ChallengeInvalid
                | Self::PendingForever
                | Self::Authorizations(_)
                | Self::ForeignAuthz(_)
        )
    }
}

/// What `GET /ari/<CertID>` answers (RFC 9773 §4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ari {
    /// A renewal window (unix seconds), an `explanationURL` and a `Retry-After` (seconds).
    Window {
        /// `suggestedWindow.start`.
        start: i64,
        /// `suggestedWindow.end`.
        end: i64,
        /// `explanationURL`.
        explanation: Option<String>,
        /// `Retry-After`, in seconds.
        retry_after: Option<u64>,
    },
    /// An error status with a problem document.
    Status(u16),
}

/// The `detail` of the [`Fault::ChallengeInvalid`] problem.
pub(crate) const UNAUTHORIZED_DETAIL: &str =
    "Invalid response from http://fake.invalid/.well-known/acme-challenge/x: 404";

/// The certificate profiles of the directory's `meta.profiles`, with their descriptions.
pub(crate) const PROFILES: [(&str, &str); 2] = [
    ("classic", "https://fake.invalid/profiles/classic"),
    ("shortlived", "https://fake.invalid/profiles/shortlived"),
];

/// Mutable server state, shared with the request handlers.
#[derive(Default)]
struct State {
    fault: Fault,
    stuck: bool,
    /// `Retry-After` of a `processing` order (`None`: `1`).
    retry_after: Option<String>,
    hits: BTreeMap<String, usize>,
    nonces: u64,
    accounts: usize,
    identifiers: Vec<Value>,
    /// Authorizations (1-based) whose challenge was POSTed.
    challenged: BTreeSet<usize>,
    csr: Option<Vec<u8>>,
    valid: bool,
    /// Where to look for the token file when a challenge is POSTed.
    webroot: Option<PathBuf>,
    /// What the token file held at each challenge POST (`None`: missing).
    presented: Vec<Option<String>>,
    /// `renewalInfo` in the directory and what it answers (`None`: no ARI).
    ari: Option<Ari>,
    /// The CertIDs asked for at `/ari/`, in order.
    ari_ids: Vec<String>,
    /// Every newOrder payload, in order.
    new_orders: Vec<Value>,
    /// newOrders with `replaces` still to refuse (`alreadyReplaced`).
    refuse_replaces: usize,
}

/// What the handlers need: state plus the issuing CA.
struct Shared {
    base: String,
    state: Mutex<State>,
    intermediate: CertifiedIssuer<'static, KeyPair>,
}

/// A running fake ACME server; stopped on drop.
pub(crate) struct FakeAcme {
    shared: Arc<Shared>,
    _server: HttpsServer,
    tls_ca_pem: String,
    root_pem: String,
    ca_bundle: PathBuf,
    _dir: TempDir,
}

impl FakeAcme {
    /// Start a well-behaved server on a random loopback port.
    pub(crate) fn start() -> Self {
        Self::start_with(Fault::None)
    }

    /// Start a server that misbehaves as `fault` says.
    pub(crate) fn start_with(fault: Fault) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("fake-acme-")
            .tempdir()
            .expect("tempdir");
        let tls = LocalTls::generate();
        let ca_bundle = dir.path().join("fake-tls-ca.pem");
        std::fs::write(&ca_bundle, &tls.ca_pem).expect("write CA bundle");
        let root = ca_issuer("fake ACME root", None);
        let intermediate = ca_issuer("fake ACME intermediate", Some(&root));

        let listener = https_server::bind();
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            base: format!("https://{addr}"),
            state: Mutex::new(State {
                fault,
                ..State::default()
            }),
            intermediate,
        });
        let handler = Arc::clone(&shared);
        let server = HttpsServer::serve(listener, &tls, move |req| {
            let shared = Arc::clone(&handler);
            async move { shared.handle(req).await }
        });
        Self {
            shared,
            _server: server,
            tls_ca_pem: tls.ca_pem,
            root_pem: root.pem(),
            ca_bundle,
            _dir: dir,
        }
    }

    /// `https://127.0.0.1:<port>/dir`.
    pub(crate) fn directory_url(&self) -> String {
        format!("{}/dir", self.shared.base)
    }

    /// The PEM file that makes the server's TLS certificate trusted (`--ca-bundle`).
    pub(crate) fn ca_bundle_path(&self) -> &Path {
        &self.ca_bundle
    }

    /// The TLS CA as PEM text.
    pub(crate) fn tls_ca_pem(&self) -> &str {
        &self.tls_ca_pem
    }

    /// The root that issued certificates chain to.
    pub(crate) fn root_pem(&self) -> &str {
        &self.root_pem
    }

    /// While stuck, the order stays `processing` after finalize.
    pub(crate) fn set_stuck(&self, stuck: bool) {
        self.shared.state.lock().expect("state").stuck = stuck;
    }

    /// The `Retry-After` value sent with a `processing` order (default `1`).
    pub(crate) fn set_retry_after(&self, value: &str) {
        self.shared.state.lock().expect("state").retry_after = Some(value.to_owned());
    }

    /// Misbehave as `fault` says from the next request on.
    pub(crate) fn set_fault(&self, fault: Fault) {
        self.shared.state.lock().expect("state").fault = fault;
    }

    /// At every challenge POST, record what `<webroot>/.well-known/acme-challenge/<token>`
    /// holds (see [`FakeAcme::presented`]).
    pub(crate) fn watch_webroot(&self, webroot: &Path) {
        self.shared.state.lock().expect("state").webroot = Some(webroot.to_owned());
    }

    /// The token file contents seen at each challenge POST (`None`: the file was missing).
    pub(crate) fn presented(&self) -> Vec<Option<String>> {
        self.shared.state.lock().expect("state").presented.clone()
    }

    /// Serve ARI: `renewalInfo` in the directory, answered with `ari`.
    pub(crate) fn set_ari(&self, ari: Ari) {
        self.shared.state.lock().expect("state").ari = Some(ari);
    }

    /// The CertIDs asked for at `renewalInfo`, in order.
    pub(crate) fn ari_ids(&self) -> Vec<String> {
        self.shared.state.lock().expect("state").ari_ids.clone()
    }

    /// Every newOrder payload received, in order.
    pub(crate) fn new_orders(&self) -> Vec<Value> {
        self.shared.state.lock().expect("state").new_orders.clone()
    }

    /// Refuse the next `count` newOrders that carry `replaces` with `alreadyReplaced`.
    pub(crate) fn refuse_replaces(&self, count: usize) {
        self.shared.state.lock().expect("state").refuse_replaces = count;
    }

    /// How many requests hit `route` (`dir`, `nonce`, `account`, `new-order`, `authz`,
    /// `chall`, `finalize`, `order`, `cert`, …).
    pub(crate) fn hits(&self, route: &str) -> usize {
        let state = self.shared.state.lock().expect("state");
        state.hits.get(route).copied().unwrap_or(0)
    }

    /// How many requests hit the server, every route together.
    pub(crate) fn total_hits(&self) -> usize {
        self.shared.state.lock().expect("state").hits.values().sum()
    }

    /// Sign a certificate for a DER CSR the way `POST /cert/1` does: leaf then intermediate.
    pub(crate) fn sign_csr(&self, csr_der: &[u8]) -> Result<String, rcgen::Error> {
        sign_csr(csr_der, &self.shared.intermediate, &[])
    }
}
