use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::*;
use crate::acme::http::Request;
use crate::dns::Credentials;
use crate::dns::providers::fake::{Answer, FakeApi};

/// The fake account's TXT sets: (domain, relative name) -> data, in order.
type Sets = Arc<Mutex<BTreeMap<(String, String), Vec<String>>>>;

/// GoDaddy's API v1 as documented: `Authorization: sso-key KEY:SECRET` (401
/// `UNABLE_TO_AUTHENTICATE` otherwise), the domain `acme.test` (404 `NOT_FOUND` for others),
/// a name's TXT set read with GET, replaced whole with PUT, deleted with DELETE.
fn fake_gd(sets: Sets) -> FakeApi {
    FakeApi::new(move |r: &Request| {
        if r.headers
            .get("authorization")
            .is_none_or(|v| v != "sso-key gd-key:gd-secret")
        {
            return Answer::new(
                401,
                r#"{"code": "UNABLE_TO_AUTHENTICATE", "message": "Unable to authenticate user"}"#,
            );
        }
        let not_found = || {
            Answer::new(
                404,
                r#"{"code": "NOT_FOUND", "message": "Domain not found"}"#,
            )
        };
        let path: Vec<&str> = r.url.path_segments().unwrap().collect();
        let sets = &mut *sets.lock().unwrap();
        match (r.method.as_str(), &path[..]) {
            (_, ["v1", "domains", domain, ..]) if *domain != "acme.test" => not_found(),
            ("GET", ["v1", "domains", domain]) => Answer::new(
                200,
                json!({"domain": domain, "status": "ACTIVE"}).to_string(),
            ),
            (method, ["v1", "domains", domain, "records", "TXT", name]) => {
                let key = ((*domain).to_owned(), (*name).to_owned());
                match method {
                    "GET" => {
                        let list: Vec<Value> = sets
                            .get(&key)
                            .into_iter()
                            .flatten()
                            .map(|d| json!({"data": d, "name": name, "ttl": 600, "type": "TXT"}))
                            .collect();
                        Answer::new(200, Value::from(list).to_string())
                    }
                    "PUT" => {
                        let body: Vec<Value> =
                            serde_json::from_slice(r.body.as_deref().unwrap()).unwrap();
                        let data = body
                            .iter()
                            .map(|r| r["data"].as_str().unwrap().to_owned())
                            .collect();
                        sets.insert(key, data);
                        Answer::new(200, "")
                    }
                    "DELETE" => match sets.remove(&key) {
                        Some(_) => Answer::new(204, ""),
                        None => not_found(),
                    },
                    _ => not_found(),
                }
            }
            _ => not_found(),
        }
    })
}

fn provider(fake: &FakeApi, secret: &'static str) -> GoDaddy {
    let credentials = Credentials::from_pairs([("GD_Key", "gd-key"), ("GD_Secret", secret)]);
    GoDaddy::new(
        &Context {
            credentials: &credentials,
            http: Arc::new(fake.clone()),
        },
        API,
    )
    .unwrap()
}

fn record(fqdn: &str, value: &str) -> Record {
    Record {
        fqdn: fqdn.to_owned(),
        value: value.to_owned(),
    }
}

fn set(sets: &Sets, name: &str) -> Option<Vec<String>> {
    sets.lock()
        .unwrap()
        .get(&("acme.test".to_owned(), name.to_owned()))
        .cloned()
}

#[tokio::test]
async fn add_writes_the_old_values_back_with_the_new_one() {
    let sets = Sets::default();
    sets.lock().unwrap().insert(
        ("acme.test".into(), "_acme-challenge.www".into()),
        vec!["old".into(), String::new()],
    );
    let fake = fake_gd(sets.clone());
    let gd = provider(&fake, "gd-secret");
    gd.add(&record("_acme-challenge.www.acme.test", "new"))
        .await
        .unwrap();
    // The empty value a removal left behind is dropped (acme.sh).
    assert_eq!(
        set(&sets, "_acme-challenge.www"),
        Some(vec!["new".into(), "old".into()])
    );
    // Already there: nothing written.
    let before = fake.requests().len();
    gd.add(&record("_acme-challenge.www.acme.test", "old"))
        .await
        .unwrap();
    assert!(
        fake.requests()[before..]
            .iter()
            .all(|r| r.method == Method::GET)
    );
    // The zone is looked up from the parent on: the name itself is never asked for.
    let asked: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.url.path().to_owned())
        .filter(|p| p.matches('/').count() == 3)
        .collect();
    assert_eq!(
        asked[..2],
        ["/v1/domains/www.acme.test", "/v1/domains/acme.test"]
    );
}

#[tokio::test]
async fn remove_keeps_the_other_values_and_deletes_the_last() {
    let sets = Sets::default();
    let fake = fake_gd(sets.clone());
    let gd = provider(&fake, "gd-secret");
    let name = "_acme-challenge.acme.test";
    gd.add(&record(name, "apex")).await.unwrap();
    gd.add(&record(name, "wildcard")).await.unwrap();
    gd.remove(&record(name, "apex")).await.unwrap();
    assert_eq!(set(&sets, "_acme-challenge"), Some(vec!["wildcard".into()]));
    gd.remove(&record(name, "absent")).await.unwrap();
    assert_eq!(set(&sets, "_acme-challenge"), Some(vec!["wildcard".into()]));
    gd.remove(&record(name, "wildcard")).await.unwrap();
    assert_eq!(set(&sets, "_acme-challenge"), None);
    assert_eq!(
        fake.requests().last().unwrap().method,
        Method::DELETE,
        "the last value goes with a DELETE of the set"
    );
}

#[tokio::test]
async fn wrong_credentials_and_unknown_domains_are_reported() {
    let fake = fake_gd(Sets::default());
    let err = provider(&fake, "wrong")
        .add(&record("_acme-challenge.acme.test", "v"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dns_gd: looking up domains was refused (HTTP 401 Unauthorized: Unable to authenticate user); check GD_Key and GD_Secret"
    );
    let err = provider(&fake, "gd-secret")
        .add(&record("_acme-challenge.other.test", "v"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("dns_gd: no zone of the account holds `_acme-challenge.other.test`"),
        "{err}"
    );
}

#[test]
fn key_and_secret_are_required() {
    let credentials = Credentials::from_pairs([("GD_Key", "gd-key")]);
    let err = GoDaddy::new(
        &Context {
            credentials: &credentials,
            http: Arc::new(fake_gd(Sets::default())),
        },
        API,
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().starts_with("`GD_Secret` is not set"),
        "{err}"
    );
}
