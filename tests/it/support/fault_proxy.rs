//! A fault-injecting HTTPS reverse proxy in front of a real Pebble (docs/testing.md).
//!
//! It listens on `127.0.0.1:<random>` with its own throwaway certificate ([`FaultProxy::
//! ca_bundle_path`] for `--ca-bundle`) and forwards every request to Pebble unchanged, `Host`
//! header included: Pebble builds every URL it hands out (directory, `Location`, order,
//! authorization, challenge, finalize and certificate links) from the request's `Host`, and
//! checks each JWS `url` against it, so the whole conversation stays on the proxy without any
//! rewriting.
//!
//! A test scripts [`Rule`]s: each matches an [`Endpoint`] (by Pebble's path) and optionally a
//! method, fires on some of its matching requests ([`When`]), and applies its [`Action`]s:
//! rewrite a top-level JSON field, set or remove a header, replace the whole response, delay,
//! truncate the body, or answer `badNonce` without forwarding. Requests are counted per
//! endpoint ([`FaultProxy::hits`]), including those answered by the proxy alone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Bytes, Frame, Incoming};
use hyper::{Request, Response};
use serde_json::Value;
use tempfile::TempDir;

use crate::support::certs::LocalTls;
use crate::support::https_server::HttpsServer;
use crate::support::pebble::Pebble;

type Body = BoxBody<Bytes, std::io::Error>;

/// An ACME resource, recognised by Pebble's path for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Endpoint {
    /// `GET /dir`.
    Directory,
    /// `HEAD`/`GET /nonce-plz`.
    NewNonce,
    /// `POST /sign-me-up`.
    NewAccount,
    /// `/my-account/<id>`.
    Account,
    /// `POST /order-plz`.
    NewOrder,
    /// `/my-order/<id>` (the order polls).
    Order,
    /// `/authZ/<id>`.
    Authz,
    /// `/chalZ/<id>`.
    Challenge,
    /// `/finalize-order/<id>`.
    Finalize,
    /// `/certZ/<id>` (the download).
    Certificate,
    /// Any other path.
    Other,
}

impl Endpoint {
    /// The endpoint of a Pebble path.
    fn of(path: &str) -> Self {
        const PREFIXES: [(&str, Endpoint); 9] = [
            ("/nonce-plz", Endpoint::NewNonce),
            ("/sign-me-up", Endpoint::NewAccount),
            ("/my-account/", Endpoint::Account),
            ("/order-plz", Endpoint::NewOrder),
            ("/my-order/", Endpoint::Order),
            ("/authZ/", Endpoint::Authz),
            ("/chalZ/", Endpoint::Challenge),
            ("/finalize-order/", Endpoint::Finalize),
            ("/certZ/", Endpoint::Certificate),
        ];
        if path == "/dir" {
            return Self::Directory;
        }
        PREFIXES
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix))
            .map_or(Self::Other, |(_, endpoint)| *endpoint)
    }
}

/// Which of a rule's matching requests it fires on (1-based counts).
#[derive(Clone, Copy, Debug)]
pub(crate) enum When {
    /// Every matching request.
    Always,
    /// Only the Nth.
    Nth(usize),
    /// The Nth, 2Nth, 3Nth, ….
    Every(usize),
    /// The first K.
    First(usize),
    /// The Nth and every one after it.
    From(usize),
}

impl When {
    fn fires(self, n: usize) -> bool {
        match self {
            Self::Always => true,
            Self::Nth(k) => n == k,
            Self::Every(k) => n.is_multiple_of(k),
            Self::First(k) => n <= k,
            Self::From(k) => n >= k,
        }
    }
}

/// What a firing rule does to the exchange.
#[derive(Clone, Debug)]
pub(crate) enum Action {
    /// Set a top-level field of a successful answer's JSON body.
    SetJson(&'static str, Value),
    /// Change a successful answer's JSON body as this function says.
    EditJson(fn(&mut Value)),
    /// Set a response header (replacing any value).
    SetHeader(&'static str, String),
    /// Remove a response header.
    RemoveHeader(&'static str),
    /// Answer with this status, headers and body instead of forwarding.
    Replace {
        /// Status code.
        status: u16,
        /// Headers (no `Replay-Nonce` unless given).
        headers: Vec<(&'static str, String)>,
        /// Body.
        body: String,
    },
    /// Answer `400` `badNonce` with a fresh nonce from Pebble instead of forwarding.
    BadNonce,
    /// Wait this long before answering.
    Delay(Duration),
    /// Announce the full `Content-Length`, send only this many body bytes, then drop the
    /// connection.
    Truncate(usize),
}

impl Action {
    /// An RFC 8555 §6.7 problem document answered instead of Pebble: `status`, the
    /// `urn:ietf:params:acme:error:<kind>` type, `detail`, and `Retry-After` when given.
    pub(crate) fn problem(
        status: u16,
        kind: &str,
        detail: &str,
        retry_after: Option<&str>,
    ) -> Self {
        let mut headers = vec![("content-type", "application/problem+json".to_owned())];
        if let Some(value) = retry_after {
            headers.push(("retry-after", value.to_owned()));
        }
        Self::Replace {
            status,
            headers,
            body: serde_json::json!({
                "type": format!("urn:ietf:params:acme:error:{kind}"),
                "detail": detail,
                "status": status
            })
            .to_string(),
        }
    }

    /// newOrder's `429` `rateLimited` with `Retry-After: 3600`.
    pub(crate) fn rate_limited() -> Self {
        Self::problem(
            429,
            "rateLimited",
            "fault proxy: too many new orders recently",
            Some("3600"),
        )
    }
}

/// One scripted fault: where, when and what.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    endpoint: Option<Endpoint>,
    method: Option<hyper::Method>,
    when: When,
    actions: Vec<Action>,
    matched: usize,
}

impl Rule {
    fn new(endpoint: Option<Endpoint>) -> Self {
        Self {
            endpoint,
            method: None,
            when: When::Always,
            actions: Vec::new(),
            matched: 0,
        }
    }

    /// A rule for every request to `endpoint` (narrow it with the builder methods).
    pub(crate) fn on(endpoint: Endpoint) -> Self {
        Self::new(Some(endpoint))
    }

    /// A rule for every POST, whatever the endpoint.
    pub(crate) fn any_post() -> Self {
        Self::new(None).method(hyper::Method::POST)
    }

    /// Only requests with this method.
    pub(crate) fn method(mut self, method: hyper::Method) -> Self {
        self.method = Some(method);
        self
    }

    /// Fire on these matching requests only.
    pub(crate) fn when(mut self, when: When) -> Self {
        self.when = when;
        self
    }

    /// Add an action (applied in order).
    pub(crate) fn then(mut self, action: Action) -> Self {
        self.actions.push(action);
        self
    }

    /// Whether the request matches the rule.
    fn matches(&self, endpoint: Endpoint, method: &hyper::Method) -> bool {
        self.endpoint.is_none_or(|e| e == endpoint)
            && self.method.as_ref().is_none_or(|m| m == method)
    }

    /// Counts the request when it matches; whether the rule fires on it.
    fn fires(&mut self, endpoint: Endpoint, method: &hyper::Method) -> bool {
        let hit = self.matches(endpoint, method);
        if hit {
            self.matched += 1;
        }
        hit && self.when.fires(self.matched)
    }
}

#[derive(Default)]
struct State {
    rules: Vec<Rule>,
    hits: BTreeMap<Endpoint, usize>,
    /// Requests answered with a 2xx status (by Pebble or by a rule).
    answered: BTreeMap<Endpoint, usize>,
}

struct Shared {
    upstream: String,
    client: reqwest::Client,
    state: Mutex<State>,
}

/// The running proxy; stopped on drop.
pub(crate) struct FaultProxy {
    shared: Arc<Shared>,
    _server: HttpsServer,
    base: String,
    ca_bundle: PathBuf,
    _dir: TempDir,
}

impl FaultProxy {
    /// Start a proxy in front of `pebble`, forwarding everything until rules are added.
    pub(crate) fn start(pebble: &Pebble) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("fault-proxy-")
            .tempdir()
            .expect("tempdir");
        let tls = LocalTls::generate();
        let ca_bundle = dir.path().join("proxy-tls-ca.pem");
        std::fs::write(&ca_bundle, &tls.ca_pem).expect("write CA bundle");
        let pebble_ca = std::fs::read(pebble.ca_bundle_path()).expect("Pebble's TLS CA");
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&pebble_ca).expect("CA PEM")])
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("upstream client");
        let upstream = pebble
            .directory_url()
            .strip_suffix("/dir")
            .expect("Pebble's directory ends in /dir")
            .to_owned();

        let shared = Arc::new(Shared {
            upstream,
            client,
            state: Mutex::new(State::default()),
        });
        let handler = Arc::clone(&shared);
        let server = HttpsServer::start(&tls, move |req| {
            let shared = Arc::clone(&handler);
            async move { Some(shared.handle(req).await) }
        });
        Self {
            shared,
            base: format!("https://{}", server.addr()),
            _server: server,
            ca_bundle,
            _dir: dir,
        }
    }

    /// The directory URL through the proxy, `https://127.0.0.1:<port>/dir`.
    pub(crate) fn directory_url(&self) -> String {
        format!("{}/dir", self.base)
    }

    /// The PEM file that makes the proxy's TLS certificate trusted (`--ca-bundle`).
    pub(crate) fn ca_bundle_path(&self) -> &Path {
        &self.ca_bundle
    }

    /// Add a rule after the existing ones (every firing rule applies, in order).
    pub(crate) fn add(&self, rule: Rule) {
        self.shared.state.lock().expect("state").rules.push(rule);
    }

    /// Remove every rule: from now on everything is forwarded untouched.
    pub(crate) fn clear(&self) {
        self.shared.state.lock().expect("state").rules.clear();
    }

    /// How many requests reached the proxy for `endpoint` (answered by Pebble or not).
    pub(crate) fn hits(&self, endpoint: Endpoint) -> usize {
        let state = self.shared.state.lock().expect("state");
        state.hits.get(&endpoint).copied().unwrap_or(0)
    }

    /// How many requests for `endpoint` got a 2xx answer: [`FaultProxy::hits`] without the
    /// errors, e.g. without Pebble's own badNonce rejections (`ACMERS_TEST_NONCE_REJECT`).
    pub(crate) fn answered(&self, endpoint: Endpoint) -> usize {
        let state = self.shared.state.lock().expect("state");
        state.answered.get(&endpoint).copied().unwrap_or(0)
    }
}

/// A response as the proxy holds it before sending it on.
struct Held {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Held {
    fn set_header(&mut self, name: &str, value: String) {
        self.remove_header(name);
        self.headers.push((name.to_owned(), value));
    }

    fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// Edit a successful answer's JSON body (an error's problem document, e.g. Pebble's own
    /// badNonce, and a body that is not JSON are left alone).
    fn edit_json(&mut self, edit: impl FnOnce(&mut Value)) {
        if !(200..300).contains(&self.status) {
            return;
        }
        if let Ok(mut value) = serde_json::from_slice::<Value>(&self.body) {
            edit(&mut value);
            self.body = serde_json::to_vec(&value).expect("JSON");
        }
    }
}

/// Hop-by-hop and length headers: hyper sets its own.
fn forwarded(name: &str) -> bool {
    ![
        "connection",
        "content-length",
        "transfer-encoding",
        "keep-alive",
    ]
    .iter()
    .any(|h| name.eq_ignore_ascii_case(h))
}

impl Shared {
    async fn handle(&self, req: Request<Incoming>) -> Response<Body> {
        let endpoint = Endpoint::of(req.uri().path());
        let method = req.method().clone();
        let actions: Vec<Action> = {
            let mut state = self.state.lock().expect("state");
            *state.hits.entry(endpoint).or_default() += 1;
            state
                .rules
                .iter_mut()
                .filter_map(|rule| rule.fires(endpoint, &method).then(|| rule.actions.clone()))
                .flatten()
                .collect()
        };
        let host = req
            .headers()
            .get(hyper::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let answered_here = actions.iter().find_map(|action| match action {
            Action::Replace {
                status,
                headers,
                body,
            } => Some(Held {
                status: *status,
                headers: headers
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), v.clone()))
                    .collect(),
                body: body.clone().into_bytes(),
            }),
            Action::BadNonce => Some(Held {
                status: 400,
                headers: vec![("content-type".into(), "application/problem+json".into())],
                body: br#"{"type":"urn:ietf:params:acme:error:badNonce","detail":"fault proxy: JWS has an invalid anti-replay nonce","status":400}"#.to_vec(),
            }),
            _ => None,
        });
        let mut held = match answered_here {
            Some(held) => held,
            None => {
                let held = self.forward(req, &host).await;
                // Pebble refusing the nonce (`PEBBLE_WFE_NONCEREJECT`) is no answer to this
                // request: it passes through untouched and uncounted, and acmers' next try
                // is the one the rules see, so "the first K" stays the first K answers
                // whatever Pebble rejects.
                if held.status == 400 && held.body.windows(8).any(|w| w == b"badNonce") {
                    let mut state = self.state.lock().expect("state");
                    for rule in &mut state.rules {
                        if rule.matches(endpoint, &method) {
                            rule.matched = rule.matched.saturating_sub(1);
                        }
                    }
                    return respond(held, None);
                }
                held
            }
        };
        if actions.iter().any(|a| matches!(a, Action::BadNonce)) {
            held.set_header("replay-nonce", self.fresh_nonce(&host).await);
        }
        let mut truncate = None;
        for action in actions {
            match action {
                Action::SetJson(key, value) => held.edit_json(|body| body[key] = value),
                Action::EditJson(edit) => held.edit_json(edit),
                Action::SetHeader(name, value) => held.set_header(name, value),
                Action::RemoveHeader(name) => held.remove_header(name),
                Action::Delay(wait) => tokio::time::sleep(wait).await,
                Action::Truncate(len) => truncate = Some(len),
                Action::Replace { .. } | Action::BadNonce => {}
            }
        }
        if (200..300).contains(&held.status) {
            let mut state = self.state.lock().expect("state");
            *state.answered.entry(endpoint).or_default() += 1;
        }
        respond(held, truncate)
    }

    /// Send the request on to Pebble as it came, `Host` included.
    async fn forward(&self, req: Request<Incoming>, host: &str) -> Held {
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request = self
            .client
            .request(parts.method.clone(), format!("{}{path}", self.upstream))
            .header(hyper::header::HOST, host);
        for (name, value) in &parts.headers {
            if name != hyper::header::HOST && forwarded(name.as_str()) {
                request = request.header(name, value);
            }
        }
        match request.body(body).send().await {
            Ok(response) => Held {
                status: response.status().as_u16(),
                headers: response
                    .headers()
                    .iter()
                    .filter(|(name, _)| forwarded(name.as_str()))
                    .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
                    .collect(),
                body: response.bytes().await.unwrap_or_default().to_vec(),
            },
            Err(e) => Held {
                status: 502,
                headers: Vec::new(),
                body: format!("fault proxy: Pebble did not answer: {e}").into_bytes(),
            },
        }
    }

    /// A valid nonce from Pebble's newNonce, for answers the proxy makes itself.
    async fn fresh_nonce(&self, host: &str) -> String {
        let response = self
            .client
            .head(format!("{}/nonce-plz", self.upstream))
            .header(hyper::header::HOST, host)
            .send()
            .await
            .expect("Pebble's newNonce");
        response
            .headers()
            .get("replay-nonce")
            .and_then(|v| v.to_str().ok())
            .expect("Pebble sends a nonce")
            .to_owned()
    }
}

fn respond(held: Held, truncate: Option<usize>) -> Response<Body> {
    let full_len = held.body.len();
    let body: Body = match truncate {
        None => Full::new(Bytes::from(held.body))
            .map_err(|never| match never {})
            .boxed(),
        Some(len) => {
            let head = Bytes::copy_from_slice(&held.body[..len.min(full_len)]);
            let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
                Ok(Frame::data(head)),
                Err(std::io::Error::other("fault proxy: truncated")),
            ];
            StreamBody::new(futures_util::stream::iter(frames)).boxed()
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = hyper::StatusCode::from_u16(held.status).expect("a valid status code");
    let headers = response.headers_mut();
    for (name, value) in &held.headers {
        if let (Ok(name), Ok(value)) = (
            hyper::header::HeaderName::from_bytes(name.as_bytes()),
            hyper::header::HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    headers.insert(hyper::header::CONTENT_LENGTH, full_len.into());
    response
}
