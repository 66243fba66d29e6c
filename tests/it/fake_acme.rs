//! An in-process fake ACME server for the faults Pebble cannot produce on demand (style.md
//! G12, reliability.md A4): today an order that stays `processing` after finalize.
//!
//! It speaks HTTPS (tokio-rustls, hyper 1) on `127.0.0.1:<random>` with a throwaway
//! certificate, and serves exactly one account and one order. It does **not** verify JWS
//! signatures, nonces, `url` headers or account keys: it only base64url-decodes the
//! `payload` of the flattened JWS to read the newOrder identifiers and the finalize CSR.
//! Every authorization is already `valid`, so no challenge is ever needed. Certificates are
//! issued for the CSR's key by a fake intermediate under a fake root ([`FakeAcme::root_pem`]).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use rcgen::{CertificateSigningRequestParams, CertifiedIssuer, KeyPair};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::certs::{LocalTls, ca_issuer, sign_csr};

type Reply = Response<Full<Bytes>>;

/// Mutable server state, shared with the request handlers.
#[derive(Default)]
struct State {
    stuck: bool,
    hits: BTreeMap<String, usize>,
    nonces: u64,
    accounts: usize,
    identifiers: Vec<Value>,
    csr: Option<Vec<u8>>,
    valid: bool,
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
    runtime: Option<tokio::runtime::Runtime>,
    tls_ca_pem: String,
    root_pem: String,
    ca_bundle: PathBuf,
    _dir: TempDir,
}

impl FakeAcme {
    /// Start the server on a random loopback port.
    pub(crate) fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("fake-acme-")
            .tempdir()
            .expect("tempdir");
        let tls = LocalTls::generate();
        let ca_bundle = dir.path().join("fake-tls-ca.pem");
        std::fs::write(&ca_bundle, &tls.ca_pem).expect("write CA bundle");
        let root = ca_issuer("fake ACME root", None);
        let intermediate = ca_issuer("fake ACME intermediate", Some(&root));

        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            base: format!("https://{addr}"),
            state: Mutex::new(State::default()),
            intermediate,
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.spawn(serve(listener, server_config(&tls), Arc::clone(&shared)));
        Self {
            shared,
            runtime: Some(runtime),
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

    /// How many requests hit `route` (`dir`, `nonce`, `account`, `new-order`, `authz`,
    /// `finalize`, `order`, `cert`, …).
    pub(crate) fn hits(&self, route: &str) -> usize {
        let state = self.shared.state.lock().expect("state");
        state.hits.get(route).copied().unwrap_or(0)
    }

    /// Sign a certificate for a DER CSR the way `POST /cert/1` does: leaf then intermediate.
    pub(crate) fn sign_csr(&self, csr_der: &[u8]) -> Result<String, rcgen::Error> {
        sign_csr(csr_der, &self.shared.intermediate, &[])
    }
}

impl Drop for FakeAcme {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn server_config(tls: &LocalTls) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = vec![CertificateDer::from_pem_slice(tls.cert_pem.as_bytes()).expect("cert")];
    let key = PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes()).expect("key");
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("server config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

async fn serve(
    listener: std::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
    shared: Arc<Shared>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let (acceptor, shared) = (acceptor.clone(), Arc::clone(&shared));
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let service = hyper::service::service_fn(move |req| {
                let shared = Arc::clone(&shared);
                async move { Ok::<_, Infallible>(shared.handle(req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                .await;
        });
    }
}

/// The decoded `payload` of a flattened JWS body (`Null` for POST-as-GET or garbage).
fn jws_payload(body: &[u8]) -> Value {
    let jws: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let payload = jws["payload"].as_str().unwrap_or("");
    URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .unwrap_or(Value::Null)
}

fn expires() -> String {
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(7 * 24);
    later.to_string()
}

impl Shared {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn reply(&self, status: StatusCode, content_type: &str, body: String) -> Reply {
        let nonce = {
            let mut state = self.state.lock().expect("state");
            state.nonces += 1;
            URL_SAFE_NO_PAD.encode(format!("fake-nonce-{:08}", state.nonces))
        };
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert("replay-nonce", nonce.parse().expect("nonce header"));
        headers.insert("cache-control", "no-store".parse().expect("header"));
        if !content_type.is_empty() {
            headers.insert("content-type", content_type.parse().expect("header"));
        }
        response
    }

    fn json(&self, status: StatusCode, value: &Value) -> Reply {
        self.reply(status, "application/json", value.to_string())
    }

    fn problem(&self, status: StatusCode, kind: &str, detail: &str) -> Reply {
        let body = json!({
            "type": format!("urn:ietf:params:acme:error:{kind}"),
            "detail": detail,
            "status": status.as_u16(),
        });
        self.reply(status, "application/problem+json", body.to_string())
    }

    fn with_header(mut reply: Reply, name: &'static str, value: &str) -> Reply {
        let value = value.parse().expect("header value");
        reply.headers_mut().insert(name, value);
        reply
    }

    fn order(&self, state: &State) -> Value {
        let status = match (state.csr.is_some(), state.valid) {
            (_, true) => "valid",
            (true, false) => "processing",
            (false, false) => "ready",
        };
        let authorizations: Vec<String> = (1..=state.identifiers.len())
            .map(|n| self.url(&format!("/authz/{n}")))
            .collect();
        let mut order = json!({
            "status": status,
            "expires": expires(),
            "identifiers": state.identifiers,
            "authorizations": authorizations,
            "finalize": self.url("/finalize/1"),
        });
        if state.valid {
            order["certificate"] = json!(self.url("/cert/1"));
        }
        order
    }

    async fn handle(&self, req: Request<Incoming>) -> Reply {
        let (method, path) = (req.method().clone(), req.uri().path().to_owned());
        let body = match req.into_body().collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => Bytes::new(),
        };
        let route = path.trim_start_matches('/').split('/').next().unwrap_or("");
        *self
            .state
            .lock()
            .expect("state")
            .hits
            .entry(route.to_owned())
            .or_default() += 1;
        let payload = jws_payload(&body);
        match (method, route) {
            (Method::GET, "dir") => self.json(
                StatusCode::OK,
                &json!({
                    "newNonce": self.url("/nonce"),
                    "newAccount": self.url("/account"),
                    "newOrder": self.url("/new-order"),
                    "revokeCert": self.url("/revoke"),
                    "meta": { "termsOfService": self.url("/terms") },
                }),
            ),
            (Method::HEAD, "nonce") => self.reply(StatusCode::OK, "", String::new()),
            (Method::GET, "nonce") => self.reply(StatusCode::NO_CONTENT, "", String::new()),
            (Method::POST, "account" | "acct") => {
                let first = {
                    let mut state = self.state.lock().expect("state");
                    state.accounts += 1;
                    state.accounts == 1 && route == "account"
                };
                let status = if first {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                };
                let account = json!({"status": "valid", "orders": self.url("/acct/1/orders")});
                Self::with_header(
                    self.json(status, &account),
                    "location",
                    &self.url("/acct/1"),
                )
            }
            (Method::POST, "new-order") => {
                let order = {
                    let mut state = self.state.lock().expect("state");
                    state.identifiers = payload["identifiers"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    self.order(&state)
                };
                let reply = self.json(StatusCode::CREATED, &order);
                Self::with_header(reply, "location", &self.url("/order/1"))
            }
            (Method::POST, "authz" | "chall") => self.authz(route, &path),
            (Method::POST, "finalize") => self.finalize(&payload),
            (Method::POST, "order") => {
                let order = {
                    let mut state = self.state.lock().expect("state");
                    if state.csr.is_some() && !state.stuck {
                        state.valid = true;
                    }
                    self.order(&state)
                };
                let reply = self.json(StatusCode::OK, &order);
                if order["status"] == "processing" {
                    Self::with_header(reply, "retry-after", "1")
                } else {
                    reply
                }
            }
            (Method::POST, "cert") => self.certificate(),
            _ => self.problem(StatusCode::NOT_FOUND, "malformed", "no such resource"),
        }
    }

    /// `POST /authz/N` or `POST /chall/N`: the valid authorization or its challenge.
    fn authz(&self, route: &str, path: &str) -> Reply {
        let n: usize = path
            .rsplit('/')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let identifier = {
            let state = self.state.lock().expect("state");
            n.checked_sub(1)
                .and_then(|i| state.identifiers.get(i).cloned())
        };
        let Some(identifier) = identifier else {
            return self.problem(StatusCode::NOT_FOUND, "malformed", "no such authorization");
        };
        let token = URL_SAFE_NO_PAD.encode(format!("fake-token-{n:022}"));
        let authz = json!({
            "status": "valid",
            "expires": expires(),
            "identifier": identifier,
            "challenges": [{
                "type": "http-01",
                "url": self.url(&format!("/chall/{n}")),
                "status": "valid",
                "token": token,
                "validated": jiff::Timestamp::now().to_string(),
            }],
        });
        let body = if route == "chall" {
            authz["challenges"][0].clone()
        } else {
            authz
        };
        self.json(StatusCode::OK, &body)
    }

    fn finalize(&self, payload: &Value) -> Reply {
        let csr = payload["csr"]
            .as_str()
            .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok());
        let Some(csr) = csr else {
            return self.problem(StatusCode::BAD_REQUEST, "badCSR", "no csr in payload");
        };
        if let Err(e) = CertificateSigningRequestParams::from_der(&csr.as_slice().into()) {
            let detail = format!("cannot parse CSR: {e}");
            return self.problem(StatusCode::BAD_REQUEST, "badCSR", &detail);
        }
        let order = {
            let mut state = self.state.lock().expect("state");
            state.csr = Some(csr);
            self.order(&state)
        };
        let reply = self.json(StatusCode::OK, &order);
        let reply = Self::with_header(reply, "location", &self.url("/order/1"));
        Self::with_header(reply, "retry-after", "1")
    }

    fn certificate(&self) -> Reply {
        let (csr, identifiers) = {
            let state = self.state.lock().expect("state");
            let csr = state.csr.clone().filter(|_| state.valid);
            (csr, state.identifiers.clone())
        };
        let Some(csr) = csr else {
            return self.problem(StatusCode::NOT_FOUND, "malformed", "no certificate yet");
        };
        let names: Vec<String> = identifiers
            .iter()
            .filter_map(|id| id["value"].as_str().map(str::to_owned))
            .collect();
        match sign_csr(&csr, &self.intermediate, &names) {
            Ok(chain) => self.reply(StatusCode::OK, "application/pem-certificate-chain", chain),
            Err(e) => {
                let detail = format!("cannot sign: {e}");
                self.problem(StatusCode::INTERNAL_SERVER_ERROR, "serverInternal", &detail)
            }
        }
    }
}
