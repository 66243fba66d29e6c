use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::*;
use crate::acme::http::Request;
use crate::dns::Credentials;
use crate::dns::providers::fake::{Answer, FakeApi};

const SUBDOMAIN: &str = "8e5700ea-a4bf-41c7-8a77-e990661dcc6a";

/// The values acme-dns serves, newest last.
type Served = Arc<Mutex<Vec<String>>>;

/// acme-dns's API as documented: `POST /update` with `X-Api-User` and `X-Api-Key` (401
/// `forbidden` otherwise, and for another account's subdomain), a 43-character value
/// (400 `bad_txt` otherwise), the last two values kept, `{"txt": value}` answered.
fn fake_acme_dns(served: Served) -> FakeApi {
    FakeApi::new(move |r: &Request| {
        let user = r.headers.get("x-api-user").and_then(|v| v.to_str().ok());
        let key = r.headers.get("x-api-key").and_then(|v| v.to_str().ok());
        if (r.method.as_str(), r.url.path()) != ("POST", "/update") {
            return Answer::new(404, "404 page not found");
        }
        let body: Value = serde_json::from_slice(r.body.as_deref().unwrap()).unwrap();
        if user != Some("acme-user") || key != Some("acme-pass") || body["subdomain"] != SUBDOMAIN {
            return Answer::new(401, r#"{"error": "forbidden"}"#);
        }
        let txt = body["txt"].as_str().unwrap();
        if txt.len() != 43 {
            return Answer::new(400, r#"{"error": "bad_txt"}"#);
        }
        let served = &mut *served.lock().unwrap();
        served.push(txt.to_owned());
        if served.len() > 2 {
            served.remove(0);
        }
        Answer::new(200, json!({ "txt": txt }).to_string())
    })
}

fn provider(fake: &FakeApi, password: &'static str) -> AcmeDns {
    let credentials = Credentials::from_pairs([
        ("ACMEDNS_BASE_URL", "https://auth.acme.test"),
        ("ACMEDNS_USERNAME", "acme-user"),
        ("ACMEDNS_PASSWORD", password),
        ("ACMEDNS_SUBDOMAIN", SUBDOMAIN),
    ]);
    AcmeDns::new(&Context {
        credentials: &credentials,
        http: Arc::new(fake.clone()),
    })
    .unwrap()
}

fn record(value: &str) -> Record {
    Record {
        fqdn: "_acme-challenge.acme.test".to_owned(),
        value: value.to_owned(),
    }
}

#[tokio::test]
async fn two_values_are_served_side_by_side_and_remove_does_nothing() {
    let served = Served::default();
    let fake = fake_acme_dns(served.clone());
    let acme_dns = provider(&fake, "acme-pass");
    let apex = "a".repeat(43);
    let wildcard = "b".repeat(43);
    acme_dns.add(&record(&apex)).await.unwrap();
    acme_dns.add(&record(&wildcard)).await.unwrap();
    assert_eq!(*served.lock().unwrap(), [apex.clone(), wildcard.clone()]);
    acme_dns.remove(&record(&apex)).await.unwrap();
    assert_eq!(fake.requests().len(), 2, "removing sends nothing");
    assert_eq!(
        fake.requests()[0].url.as_str(),
        "https://auth.acme.test/update"
    );
}

#[tokio::test]
async fn refusals_are_reported() {
    let fake = fake_acme_dns(Served::default());
    let err = provider(&fake, "wrong")
        .add(&record(&"a".repeat(43)))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dns_acmedns: updating the TXT record was refused (HTTP 401 Unauthorized: forbidden); \
         check ACMEDNS_USERNAME, ACMEDNS_PASSWORD and ACMEDNS_SUBDOMAIN"
    );
    let err = provider(&fake, "acme-pass")
        .add(&record("short"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dns_acmedns: updating the TXT record failed (HTTP 400 Bad Request: bad_txt)"
    );
}

#[tokio::test]
async fn an_answer_without_the_value_is_an_error() {
    let fake = FakeApi::new(|_| Answer::new(200, r#"{"txt": "something\u001belse"}"#));
    let err = provider(&fake, "acme-pass")
        .add(&record(&"a".repeat(43)))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dns_acmedns: updating the TXT record: the server answered with another value (`something?else`)"
    );
}

#[test]
fn the_account_is_required_and_the_server_has_a_default() {
    let build = |pairs: &[(&'static str, &'static str)]| {
        let credentials = Credentials::from_pairs(pairs.iter().copied());
        AcmeDns::new(&Context {
            credentials: &credentials,
            http: Arc::new(fake_acme_dns(Served::default())),
        })
    };
    let err = build(&[("ACMEDNS_USERNAME", "u"), ("ACMEDNS_PASSWORD", "p")])
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .starts_with("`ACMEDNS_SUBDOMAIN` is not set"),
        "{err}"
    );
    let acme_dns = build(&[
        ("ACMEDNS_USERNAME", "u"),
        ("ACMEDNS_PASSWORD", "p"),
        ("ACMEDNS_SUBDOMAIN", "s"),
    ])
    .unwrap();
    assert_eq!(acme_dns.update.as_str(), "https://auth.acme-dns.io/update");
}
