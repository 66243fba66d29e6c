use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::*;
use crate::acme::http::Request;
use crate::dns::Credentials;
use crate::dns::providers::fake::{Answer, FakeApi};

const TOKEN: &str = "cf-token";
const KEY: &str = "cf-global-key";
const EMAIL: &str = "admin@acme.test";

/// The TXT records of the fake account: id -> (name, content).
type Records = Arc<Mutex<BTreeMap<String, (String, String)>>>;

fn failure(status: u16, code: u64, message: &str) -> Answer {
    Answer::new(
        status,
        json!({"success": false, "errors": [{"code": code, "message": message}], "result": null})
            .to_string(),
    )
}

fn success(result: Value) -> Answer {
    Answer::new(
        200,
        json!({"success": true, "errors": [], "result": result}).to_string(),
    )
}

/// Cloudflare's API v4 as documented: `Authorization: Bearer <token>` or `X-Auth-Email` +
/// `X-Auth-Key` (400 code 9106 without either, 403 code 10000 when wrong); zones `acme.test`
/// (account `acct-1`) and `sub.acme.test` (account `acct-2`); TXT records listed by type and
/// name, created (400 code 81058 for an identical one) and deleted by id.
fn fake_cf(records: Records) -> FakeApi {
    let zones = [
        ("zone-acme", "acme.test", "acct-1"),
        ("zone-sub", "sub.acme.test", "acct-2"),
    ];
    FakeApi::new(move |r: &Request| {
        let header = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok());
        match (
            header("authorization"),
            header("x-auth-email"),
            header("x-auth-key"),
        ) {
            (Some(bearer), None, None) if bearer == format!("Bearer {TOKEN}") => {}
            (None, Some(EMAIL), Some(KEY)) => {}
            (None, None, None) => {
                return failure(
                    400,
                    9106,
                    "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
                );
            }
            _ => return failure(403, 10000, "Authentication error"),
        }
        let path: Vec<&str> = r.url.path_segments().unwrap().collect();
        let query: BTreeMap<String, String> = r.url.query_pairs().into_owned().collect();
        let records = &mut *records.lock().unwrap();
        let zone_json = |(id, name, _): &(&str, &str, &str)| json!({"id": id, "name": name});
        let zone_of = |id: &str| zones.iter().find(|z| z.0 == id).copied();
        match (r.method.as_str(), &path[..]) {
            ("GET", ["client", "v4", "zones"]) => success(
                zones
                    .iter()
                    .filter(|z| query.get("name").is_none_or(|n| n == z.1))
                    .filter(|z| query.get("account.id").is_none_or(|a| a == z.2))
                    .map(zone_json)
                    .collect(),
            ),
            ("GET", ["client", "v4", "zones", id]) => match zone_of(id) {
                Some(zone) => success(zone_json(&zone)),
                None => failure(
                    404,
                    7003,
                    "Could not route to /zones, perhaps your object identifier is invalid?",
                ),
            },
            ("GET", ["client", "v4", "zones", id, "dns_records"]) if zone_of(id).is_some() => {
                assert_eq!(query.get("type").map(String::as_str), Some("TXT"));
                success(
                    records
                        .iter()
                        .filter(|(_, (name, _))| query.get("name").is_none_or(|n| n == name))
                        .map(|(id, (name, content))| {
                            json!({"id": id, "type": "TXT", "name": name, "content": content})
                        })
                        .collect(),
                )
            }
            ("POST", ["client", "v4", "zones", id, "dns_records"]) if zone_of(id).is_some() => {
                let body: Value = serde_json::from_slice(r.body.as_deref().unwrap()).unwrap();
                assert_eq!(body["type"], "TXT");
                assert_eq!(body["ttl"], 120);
                let name = body["name"].as_str().unwrap().to_owned();
                let content = body["content"].as_str().unwrap().to_owned();
                if records
                    .values()
                    .any(|r| *r == (name.clone(), content.clone()))
                {
                    return failure(400, 81058, "An identical record already exists.");
                }
                let id = format!("rec-{}", records.len() + 1);
                records.insert(id.clone(), (name.clone(), content.clone()));
                success(json!({"id": id, "type": "TXT", "name": name, "content": content}))
            }
            ("DELETE", ["client", "v4", "zones", _, "dns_records", id]) => {
                match records.remove(*id) {
                    Some(_) => success(json!({"id": id})),
                    None => failure(404, 81044, "Record does not exist."),
                }
            }
            _ => failure(404, 7000, "No route for that URI"),
        }
    })
}

fn provider(fake: &FakeApi, pairs: &[(&'static str, &'static str)]) -> Result<Cloudflare, Error> {
    let credentials = Credentials::from_pairs(pairs.iter().copied());
    Cloudflare::new(
        &Context {
            credentials: &credentials,
            http: Arc::new(fake.clone()),
        },
        API,
    )
}

fn record(fqdn: &str, value: &str) -> Record {
    Record {
        fqdn: fqdn.to_owned(),
        value: value.to_owned(),
    }
}

fn values(records: &Records) -> Vec<(String, String)> {
    records.lock().unwrap().values().cloned().collect()
}

fn pair(name: &str, content: &str) -> (String, String) {
    (name.to_owned(), content.to_owned())
}

#[tokio::test]
async fn a_token_adds_beside_other_values_and_removes_only_its_own() {
    let records = Records::default();
    records.lock().unwrap().insert(
        "old".into(),
        pair("_acme-challenge.acme.test", "\"quoted-apex\""),
    );
    let fake = fake_cf(records.clone());
    let cf = provider(&fake, &[("CF_Token", TOKEN)]).unwrap();
    let name = "_acme-challenge.acme.test";
    cf.add(&record(name, "wildcard")).await.unwrap();
    // Adding the same value again is accepted (Cloudflare's 81058).
    cf.add(&record(name, "wildcard")).await.unwrap();
    assert_eq!(
        values(&records),
        [pair(name, "\"quoted-apex\""), pair(name, "wildcard")]
    );
    // The zone was found by suffix: the full name first, then its parent.
    let asked: Vec<String> = fake
        .requests()
        .iter()
        .filter(|r| r.url.path() == "/client/v4/zones")
        .filter_map(|r| r.url.query_pairs().find(|(k, _)| k == "name"))
        .map(|(_, v)| v.into_owned())
        .take(2)
        .collect();
    assert_eq!(asked, [name, "acme.test"]);

    // A value stored quoted (as Cloudflare may show it) is found and removed, alone.
    cf.remove(&record(name, "quoted-apex")).await.unwrap();
    assert_eq!(values(&records), [pair(name, "wildcard")]);
    cf.remove(&record(name, "not-there")).await.unwrap();
    assert_eq!(values(&records), [pair(name, "wildcard")]);
}

#[tokio::test]
async fn the_legacy_key_and_email_go_in_their_own_headers() {
    let records = Records::default();
    let fake = fake_cf(records.clone());
    let cf = provider(
        &fake,
        &[("CF_Key", KEY), ("CF_Email", "\"admin@acme.test\"")],
    )
    .unwrap();
    cf.add(&record("_acme-challenge.www.sub.acme.test", "v"))
        .await
        .unwrap();
    assert_eq!(
        values(&records),
        [pair("_acme-challenge.www.sub.acme.test", "v")]
    );
    let post = fake
        .requests()
        .into_iter()
        .find(|r| r.method == Method::POST)
        .unwrap();
    assert_eq!(post.url.path(), "/client/v4/zones/zone-sub/dns_records");
    assert!(post.headers.get("authorization").is_none());
}

#[tokio::test]
async fn zone_id_and_account_id_narrow_the_lookup() {
    let fake = fake_cf(Records::default());
    let cf = provider(&fake, &[("CF_Token", TOKEN), ("CF_Zone_ID", "zone-acme")]).unwrap();
    cf.add(&record("_acme-challenge.acme.test", "v"))
        .await
        .unwrap();
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.url.path() != "/client/v4/zones")
    );
    let err = cf
        .add(&record("_acme-challenge.other.test", "v"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`CF_Zone_ID` is invalid: its zone `acme.test` does not hold `_acme-challenge.other.test`"
    );

    // In account acct-2 only sub.acme.test exists: acme.test is not found there.
    let fake = fake_cf(Records::default());
    let cf = provider(&fake, &[("CF_Token", TOKEN), ("CF_Account_ID", "acct-2")]).unwrap();
    let err = cf
        .add(&record("_acme-challenge.acme.test", "v"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("dns_cf: no zone of the account holds `_acme-challenge.acme.test`"),
        "{err}"
    );
    assert!(fake.requests().iter().all(|r| {
        r.url
            .query_pairs()
            .any(|(k, v)| k == "account.id" && v == "acct-2")
    }));
}

#[tokio::test]
async fn wrong_credentials_are_reported_with_what_to_check() {
    let fake = fake_cf(Records::default());
    let err = provider(&fake, &[("CF_Token", "wrong")])
        .unwrap()
        .add(&record("_acme-challenge.acme.test", "v"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dns_cf: looking up zones was refused (HTTP 403 Forbidden: Authentication error (10000)); check CF_Token"
    );
    let err = provider(&fake, &[("CF_Key", "wrong"), ("CF_Email", EMAIL)])
        .unwrap()
        .remove(&record("_acme-challenge.acme.test", "v"))
        .await
        .unwrap_err();
    assert!(
        err.to_string().ends_with("check CF_Key and CF_Email"),
        "{err}"
    );
}

#[test]
fn variables_are_required_and_checked() {
    let fake = fake_cf(Records::default());
    let err = |pairs: &[(&'static str, &'static str)]| {
        provider(&fake, pairs).err().map(|e| e.to_string())
    };
    assert!(err(&[]).unwrap().starts_with("`CF_Token` is not set"));
    assert!(
        err(&[("CF_Key", KEY)])
            .unwrap()
            .starts_with("`CF_Email` is not set")
    );
    assert!(
        err(&[("CF_Email", EMAIL)])
            .unwrap()
            .starts_with("`CF_Key` is not set")
    );
    assert_eq!(
        err(&[("CF_Key", KEY), ("CF_Email", "admin")]).unwrap(),
        "`CF_Email` is invalid: it is not an email address"
    );
    // A token wins over a key and email.
    assert_eq!(err(&[("CF_Token", TOKEN), ("CF_Key", KEY)]), None);
}
