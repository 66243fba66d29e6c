//! Request-layer tests with a scripted HTTP client (no sockets).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::*;
use crate::acme::http::{BoxFuture, HttpError};
use crate::acme::jws::{Jwk, SignError};

/// A P-256 key for the tests (the crate's key type lives outside `acme`).
pub(in crate::acme) struct TestKey(EcdsaKeyPair);

impl TestKey {
    pub(in crate::acme) fn new() -> Self {
        Self(EcdsaKeyPair::generate(&signature::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap())
    }
}

impl Signer for TestKey {
    fn alg(&self) -> &'static str {
        "ES256"
    }
    fn jwk(&self) -> Jwk {
        let point = self.0.public_key().as_ref();
        Jwk::Ec {
            crv: "P-256",
            x: jws::b64(&point[1..33]),
            y: jws::b64(&point[33..65]),
        }
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let sig = self
            .0
            .sign(&SystemRandom::new(), message)
            .map_err(|_| SignError)?;
        Ok(sig.as_ref().to_vec())
    }
}

type Reply = Result<Response, HttpError>;

/// Replies in order, each after `latency` (on tokio's clock); records every request.
#[derive(Default)]
pub(in crate::acme) struct Script {
    replies: Mutex<VecDeque<Reply>>,
    pub(in crate::acme) seen: Mutex<Vec<Request>>,
    latency: Mutex<Duration>,
}

impl Script {
    pub(in crate::acme) fn new(replies: Vec<Reply>) -> Arc<Self> {
        Arc::new(Self {
            replies: Mutex::new(replies.into()),
            ..Self::default()
        })
    }
    /// From now on every reply comes `latency` after its request.
    pub(in crate::acme) fn set_latency(&self, latency: Duration) {
        *self.latency.lock().unwrap() = latency;
    }
    pub(in crate::acme) fn seen(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }
}

impl HttpClient for Script {
    fn request(&self, request: Request) -> BoxFuture<'_, Result<Response, HttpError>> {
        self.seen.lock().unwrap().push(request);
        let reply = self
            .replies
            .lock()
            .unwrap()
            .pop_front()
            .expect("the script ran out of replies");
        let latency = *self.latency.lock().unwrap();
        Box::pin(async move {
            tokio::time::sleep(latency).await;
            reply
        })
    }
}

pub(in crate::acme) fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.insert(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    Ok(Response {
        status,
        headers: map,
        body: body.as_bytes().to_vec(),
        elapsed: Duration::ZERO,
    })
}

pub(in crate::acme) const DIRECTORY: &str = r#"{"newNonce":"https://ca.test/nonce","newAccount":"https://ca.test/acct",
    "newOrder":"https://ca.test/order","revokeCert":"https://ca.test/revoke","meta":{"x":1},"unknown":true}"#;

fn bad_nonce(next: &str) -> Reply {
    reply(
        400,
        &[
            ("replay-nonce", next),
            ("content-type", "application/problem+json"),
        ],
        r#"{"type":"urn:ietf:params:acme:error:badNonce","detail":"JWS has an invalid anti-replay nonce"}"#,
    )
}

fn nonce_in(request: &Request) -> String {
    let jws: serde_json::Value = serde_json::from_slice(request.body.as_ref().unwrap()).unwrap();
    let protected = jws["protected"].as_str().unwrap();
    let header: serde_json::Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, protected)
            .unwrap(),
    )
    .unwrap();
    header["nonce"].as_str().unwrap().to_owned()
}

pub(in crate::acme) async fn client(script: &Arc<Script>) -> Client {
    Client::new(
        script.clone(),
        "https://ca.test/dir",
        RetryConfig::default(),
    )
    .await
    .unwrap()
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

/// A POST with a JSON payload, as an account, with a fresh key.
async fn post_payload(c: &Client) -> Result<Response> {
    c.post(
        &url("https://ca.test/x"),
        &TestKey::new(),
        KeyId::Kid("k"),
        Some(b"{}"),
        None,
    )
    .await
}

#[tokio::test]
async fn nonce_is_fetched_once_then_reused_from_responses() {
    let script = Script::new(vec![
        reply(200, &[], DIRECTORY),
        reply(200, &[("replay-nonce", "n1")], ""),
        reply(201, &[("replay-nonce", "n2")], "{}"),
        reply(200, &[("replay-nonce", "n3")], "{}"),
    ]);
    let c = client(&script).await;
    let key = TestKey::new();
    c.post(
        &url("https://ca.test/acct"),
        &key,
        KeyId::Jwk,
        Some(b"{}"),
        None,
    )
    .await
    .unwrap();
    c.post(&url("https://ca.test/x"), &key, KeyId::Kid("k"), None, None)
        .await
        .unwrap();
    let seen = script.seen();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[1].method, Method::HEAD);
    assert_eq!(nonce_in(&seen[2]), "n1");
    assert_eq!(nonce_in(&seen[3]), "n2");
    assert_eq!(c.requests(), 4);
}

#[tokio::test]
async fn bad_nonce_is_retried_with_the_nonce_from_the_error() {
    let script = Script::new(vec![
        reply(200, &[("replay-nonce", "d1")], DIRECTORY),
        bad_nonce("e1"),
        bad_nonce("e2"),
        reply(200, &[("replay-nonce", "ok")], "{}"),
    ]);
    let c = client(&script).await;
    post_payload(&c).await.unwrap();
    let seen = script.seen();
    let nonces: Vec<_> = seen[1..].iter().map(nonce_in).collect();
    assert_eq!(nonces, ["d1", "e1", "e2"]);
}

#[tokio::test]
async fn bad_nonce_retries_are_bounded() {
    let mut replies = vec![reply(200, &[("replay-nonce", "d")], DIRECTORY)];
    replies.extend((0..11).map(|i| bad_nonce(&format!("e{i}"))));
    let script = Script::new(replies);
    let c = client(&script).await;
    let err = post_payload(&c).await.unwrap_err();
    assert!(
        matches!(err, Error::BadNonceExhausted { attempts: 11, .. }),
        "{err}"
    );
    assert_eq!(script.seen().len(), 12);
}

#[tokio::test(start_paused = true)]
async fn busy_with_short_retry_after_is_retried() {
    let script = Script::new(vec![
        reply(200, &[("replay-nonce", "d")], DIRECTORY),
        reply(503, &[("replay-nonce", "a"), ("retry-after", "2")], ""),
        reply(200, &[("replay-nonce", "b")], "{}"),
    ]);
    let c = client(&script).await;
    let start = tokio::time::Instant::now();
    post_payload(&c).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn rate_limit_past_the_budget_is_surfaced_with_its_retry_after() {
    let script = Script::new(vec![
        reply(200, &[("replay-nonce", "d")], DIRECTORY),
        reply(
            429,
            &[("replay-nonce", "a"), ("retry-after", "3600")],
            r#"{"type":"urn:ietf:params:acme:error:rateLimited","detail":"too many"}"#,
        ),
    ]);
    let c = client(&script).await;
    let start = tokio::time::Instant::now();
    let err = post_payload(&c).await.unwrap_err();
    assert_eq!(start.elapsed(), Duration::ZERO);
    let Error::Api {
        problem,
        retry_after,
        status,
        ..
    } = err
    else {
        panic!("expected an API error")
    };
    assert!(problem.is("rateLimited"));
    assert_eq!(status, 429);
    assert_eq!(retry_after, Some(Duration::from_secs(3600)));
}

#[tokio::test(start_paused = true)]
async fn busy_retries_are_bounded() {
    let mut replies = vec![reply(200, &[("replay-nonce", "d")], DIRECTORY)];
    replies.extend((0..4).map(|_| reply(503, &[("replay-nonce", "a"), ("retry-after", "1")], "")));
    let script = Script::new(replies);
    let c = client(&script).await;
    let err = post_payload(&c).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 503, .. }));
    assert_eq!(script.seen().len(), 5);
}

#[tokio::test]
async fn html_directory_is_refused() {
    let script = Script::new(vec![reply(
        200,
        &[("content-type", "text/html")],
        "<html><body>Please log in to the hotel wifi</body></html>",
    )]);
    let err = Client::new(script, "https://ca.test/dir", RetryConfig::default())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("not an ACME directory"), "{text}");
    assert!(text.contains("text/html"), "{text}");
}

#[tokio::test]
async fn directory_with_relative_endpoint_is_refused() {
    let script = Script::new(vec![reply(
        200,
        &[],
        r#"{"newNonce":"/nonce","newAccount":"https://ca.test/a","newOrder":"https://ca.test/o"}"#,
    )]);
    assert!(
        Client::new(script, "https://ca.test/dir", RetryConfig::default())
            .await
            .is_err()
    );
}

#[tokio::test]
async fn plain_http_directory_only_on_loopback() {
    assert!(check_directory_url("http://example.com/dir").is_err());
    assert!(check_directory_url("http://127.0.0.1:14000/dir").is_ok());
    assert!(check_directory_url("ftp://127.0.0.1/dir").is_err());
    assert!(check_directory_url("https://acme-v02.api.letsencrypt.org/directory").is_ok());
}

fn transport_error() -> Reply {
    Err(HttpError::Transport {
        timeout: true,
        source: "connection reset".into(),
    })
}

#[tokio::test(start_paused = true)]
async fn post_as_get_is_retried_after_transport_errors_but_other_posts_are_not() {
    let script = Script::new(vec![
        reply(200, &[("replay-nonce", "d")], DIRECTORY),
        transport_error(),
        reply(200, &[("replay-nonce", "a")], "{}"),
        transport_error(),
    ]);
    let c = client(&script).await;
    let key = TestKey::new();
    c.post(&url("https://ca.test/x"), &key, KeyId::Kid("k"), None, None)
        .await
        .unwrap();
    let err = c
        .post(
            &url("https://ca.test/f"),
            &key,
            KeyId::Kid("k"),
            Some(b"{}"),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }));
    assert_eq!(script.seen().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_ca_unreachable_after_every_retry_fails_later_requests_at_once() {
    let mut replies = vec![
        reply(200, &[("replay-nonce", "d")], DIRECTORY),
        // A POST with a payload: tried once; its failure alone proves little.
        transport_error(),
    ];
    // newNonce: the first try and its 3 retries.
    replies.extend((0..4).map(|_| transport_error()));
    let script = Script::new(replies);
    let c = client(&script).await;
    let get = async |path: &str| {
        c.post(&url(path), &TestKey::new(), KeyId::Kid("k"), None, None)
            .await
    };
    assert!(matches!(
        post_payload(&c).await.unwrap_err(),
        Error::Transport { .. }
    ));
    assert!(matches!(
        get("https://ca.test/authz/1").await.unwrap_err(),
        Error::Transport { .. }
    ));
    assert_eq!(script.seen().len(), 6);

    for later in [post_payload(&c).await, get("https://ca.test/authz/2").await] {
        let text = later.unwrap_err().to_string();
        assert!(
            text.contains("remembered from an earlier attempt in this run")
                && text.contains("request to `https://ca.test/nonce` failed")
                && text.contains("connection reset"),
            "{text}"
        );
    }
    assert_eq!(script.seen().len(), 6, "nothing more was sent");
    assert_eq!(c.requests(), 6);
}

#[tokio::test]
async fn malformed_nonce_is_not_used() {
    let script = Script::new(vec![
        reply(200, &[("replay-nonce", "bad nonce!")], DIRECTORY),
        reply(200, &[("replay-nonce", "good")], ""),
        reply(200, &[], "{}"),
    ]);
    let c = client(&script).await;
    post_payload(&c).await.unwrap();
    let seen = script.seen();
    assert_eq!(seen[1].method, Method::HEAD);
    assert_eq!(nonce_in(&seen[2]), "good");
}

#[test]
fn non_problem_error_bodies_become_sanitized_problems() {
    let r = reply(500, &[], "<html>\x1b[31m oops</html>").unwrap();
    let p = problem_of(&r);
    assert_eq!(p.status, Some(500));
    assert!(!p.to_string().contains('\x1b'));
}

#[test]
fn rfc7638_thumbprint_example() {
    // RFC 7638 §3.1.
    let jwk = Jwk::Rsa {
        e: "AQAB".into(),
        n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw".into(),
    };
    assert_eq!(
        jwk.thumbprint(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn jws_signature_verifies_and_header_is_rfc8555_shaped() {
    let key = TestKey::new();
    let jws = jws::sign(
        &key,
        KeyId::Jwk,
        Some("nonce1"),
        "https://ca.test/acct",
        Some(b"{}"),
    )
    .unwrap();
    let decode = |s: &str| {
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, s).unwrap()
    };
    let header: serde_json::Value = serde_json::from_slice(&decode(&jws.protected)).unwrap();
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["nonce"], "nonce1");
    assert_eq!(header["url"], "https://ca.test/acct");
    assert_eq!(header["jwk"]["kty"], "EC");
    assert!(header.get("kid").is_none());
    let public = key.0.public_key().as_ref().to_vec();
    signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, public)
        .verify(
            format!("{}.{}", jws.protected, jws.payload).as_bytes(),
            &decode(&jws.signature),
        )
        .unwrap();
    // POST-as-GET: empty payload; kid instead of jwk.
    let get = jws::sign(
        &key,
        KeyId::Kid("https://ca.test/acct/1"),
        Some("n"),
        "https://x",
        None,
    )
    .unwrap();
    assert_eq!(get.payload, "");
    let header: serde_json::Value = serde_json::from_slice(&decode(&get.protected)).unwrap();
    assert_eq!(header["kid"], "https://ca.test/acct/1");
    assert!(header.get("jwk").is_none());
}

#[test]
fn rfc7515_a3_es256_example_verifies() {
    // RFC 7515 Appendix A.3: an ES256 JWS and its public key; our verification path must
    // accept the published signature (fixed-width r‖s form).
    let x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
    let y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
    let decode = |s: &str| {
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, s).unwrap()
    };
    let mut point = vec![4u8];
    point.extend(decode(x));
    point.extend(decode(y));
    let input = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    let sig =
        "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
    signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
        .verify(input.as_bytes(), &decode(sig))
        .unwrap();
    // And the thumbprint of that key follows RFC 7638's member order.
    let jwk = Jwk::Ec {
        crv: "P-256",
        x: x.into(),
        y: y.into(),
    };
    assert_eq!(
        jwk.canonical_json(),
        format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#)
    );
}

/// The time a request took reaches the poller: the first re-poll after a finalize answered
/// `processing` comes twice that time later (docs/architecture.md, "Waiting").
#[tokio::test(start_paused = true)]
async fn the_time_the_finalize_took_paces_the_first_re_poll() {
    use crate::acme::account::Account;
    use crate::acme::order::Order;
    use crate::acme::poll::PollPolicy;
    use crate::acme::types::OrderStatus;

    let order = |status: &str| {
        format!(
            r#"{{"status":"{status}","identifiers":[],"finalize":"https://ca.test/fin",
                "certificate":"https://ca.test/cert"}}"#
        )
    };
    let policy = PollPolicy {
        jitter: 0.0,
        ..PollPolicy::with_timeout(Duration::from_secs(60))
    };
    for (latency, first_step) in [(300, 600), (40, 80), (0, 5), (900, 1000)] {
        let script = Script::new(vec![
            reply(200, &[("replay-nonce", "n1")], DIRECTORY),
            reply(200, &[("replay-nonce", "n2")], &order("ready")),
            reply(200, &[("replay-nonce", "n3")], &order("processing")),
            reply(200, &[("replay-nonce", "n4")], &order("valid")),
        ]);
        let account = Account::existing(
            Arc::new(client(&script).await),
            Arc::new(TestKey::new()),
            Vec::new(),
            "https://ca.test/acct/1".into(),
        );
        let ready: Order = account.order("https://ca.test/order/1").await.unwrap();
        script.set_latency(Duration::from_millis(latency));
        let mut order = account.finalize(&ready, b"csr").await.unwrap();
        let mut sleeps = Vec::new();
        account
            .wait_order(&mut order, &[OrderStatus::Valid], &policy, |w| {
                sleeps.push(w.next.as_millis());
            })
            .await
            .unwrap();
        assert_eq!(sleeps, [first_step], "finalize answered after {latency} ms");
        assert_eq!(order.state.status, OrderStatus::Valid);
    }
}
