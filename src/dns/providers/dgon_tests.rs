use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::*;
use crate::acme::http::Request;
use crate::dns::Credentials;
use crate::dns::providers::fake::{Answer, FakeApi};

const KEY: &str = "do-token";

/// The fake account's records: id -> (domain, relative name, type, data).
type Records = Arc<Mutex<BTreeMap<u64, (String, String, String, String)>>>;

/// Records per page of the fake (small, so that removing has to read several pages).
const FAKE_PAGE: usize = 2;

/// One page of `items` under `key`, with `links.pages.next` when more follow.
fn page(key: &str, items: &[Value], query: &BTreeMap<String, String>) -> Answer {
    let page: usize = query["page"].parse().unwrap();
    let start = (page - 1) * FAKE_PAGE;
    let slice: Vec<Value> = items.iter().skip(start).take(FAKE_PAGE).cloned().collect();
    let mut body = json!({key: slice, "links": {}, "meta": {"total": items.len()}});
    if start + FAKE_PAGE < items.len() {
        body["links"] = json!({"pages": {"next": format!(
            "https://elsewhere.example/v2/{key}?page={}",
            page + 1
        )}});
    }
    Answer::new(200, body.to_string())
}

/// DigitalOcean's API v2 as documented: `Authorization: Bearer` (401 `Unauthorized`
/// otherwise), domains `example.org`, `acme.test` and `sub.acme.test` (404 `not_found` for
/// others), lists in pages with `links.pages.next`, records created with a relative name,
/// listed by type and fully qualified name, deleted by id (204).
fn fake_do(records: Records) -> FakeApi {
    let domains = ["example.org", "acme.test", "sub.acme.test"];
    FakeApi::new(move |r: &Request| {
        if r.headers
            .get("authorization")
            .is_none_or(|v| v != "Bearer do-token")
        {
            return Answer::new(
                401,
                r#"{"id": "Unauthorized", "message": "Unable to authenticate you"}"#,
            );
        }
        let not_found = || {
            Answer::new(
                404,
                r#"{"id": "not_found", "message": "The resource you were accessing could not be found."}"#,
            )
        };
        let path: Vec<&str> = r.url.path_segments().unwrap().collect();
        let query: BTreeMap<String, String> = r.url.query_pairs().into_owned().collect();
        let records = &mut *records.lock().unwrap();
        match (r.method.as_str(), &path[..]) {
            (_, ["v2", "domains", domain, ..]) if !domains.contains(domain) => not_found(),
            ("GET", ["v2", "domains"]) => {
                let list: Vec<Value> = domains
                    .iter()
                    .map(|d| json!({"name": d, "ttl": 1800}))
                    .collect();
                page("domains", &list, &query)
            }
            ("POST", ["v2", "domains", domain, "records"]) => {
                let body: Value = serde_json::from_slice(r.body.as_deref().unwrap()).unwrap();
                let id = records.keys().max().map_or(1, |id| id + 1);
                let entry = |key: &str| body[key].as_str().unwrap().to_owned();
                records.insert(
                    id,
                    (
                        (*domain).to_owned(),
                        entry("name"),
                        entry("type"),
                        entry("data"),
                    ),
                );
                Answer::new(201, json!({"domain_record": {"id": id}}).to_string())
            }
            ("GET", ["v2", "domains", domain, "records"]) => {
                let matching: Vec<Value> = records
                    .iter()
                    .filter(|(_, (d, name, kind, _))| {
                        let fqdn = if name == "@" {
                            (*d).clone()
                        } else {
                            format!("{name}.{d}")
                        };
                        d == domain
                            && query.get("name").is_none_or(|n| *n == fqdn)
                            && query.get("type").is_none_or(|t| t == kind)
                    })
                    .map(|(id, (_, name, kind, data))| {
                        json!({"id": id, "type": kind, "name": name, "data": data})
                    })
                    .collect();
                page("domain_records", &matching, &query)
            }
            ("DELETE", ["v2", "domains", _, "records", id]) => {
                match records.remove(&id.parse().unwrap()) {
                    Some(_) => Answer::new(204, ""),
                    None => not_found(),
                }
            }
            _ => not_found(),
        }
    })
}

fn provider(fake: &FakeApi, key: &str) -> DigitalOcean {
    let credentials = Credentials::from_pairs([("DO_API_KEY", key)]);
    DigitalOcean::new(
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

fn data(records: &Records) -> Vec<(String, String)> {
    records
        .lock()
        .unwrap()
        .values()
        .map(|(domain, name, _, data)| (format!("{name}.{domain}"), data.clone()))
        .collect()
}

#[tokio::test]
async fn add_and_remove_by_value_in_the_longest_domain() {
    let records = Records::default();
    let fake = fake_do(records.clone());
    let digitalocean = provider(&fake, KEY);
    let name = "_acme-challenge.www.sub.acme.test";
    for value in ["one", "two", "three", "four", "five"] {
        digitalocean.add(&record(name, value)).await.unwrap();
    }
    // Written to sub.acme.test (on the second page of domains, after acme.test) with the
    // name relative to it.
    let first = records.lock().unwrap()[&1].clone();
    assert_eq!(
        (first.0.as_str(), first.1.as_str(), first.2.as_str()),
        ("sub.acme.test", "_acme-challenge.www", "TXT")
    );
    // "five" is on the third page of the fake: removing it reads every page.
    digitalocean.remove(&record(name, "five")).await.unwrap();
    digitalocean.remove(&record(name, "two")).await.unwrap();
    digitalocean.remove(&record(name, "absent")).await.unwrap();
    let left: Vec<String> = data(&records).into_iter().map(|(_, d)| d).collect();
    assert_eq!(left, ["one", "three", "four"]);
    // Pages are asked for by number on the API's own address, never at the link it sent.
    assert!(fake.requests().iter().all(|r| {
        r.url
            .as_str()
            .starts_with("https://api.digitalocean.com/v2/domains")
    }));
}

#[tokio::test]
async fn an_apex_name_is_written_as_at() {
    let records = Records::default();
    let fake = fake_do(records.clone());
    provider(&fake, KEY)
        .add(&record("sub.acme.test", "v"))
        .await
        .unwrap();
    assert_eq!(records.lock().unwrap()[&1].1, "@");
}

#[tokio::test]
async fn a_wrong_key_and_a_missing_domain_are_reported() {
    let fake = fake_do(Records::default());
    let err = provider(&fake, "wrong")
        .add(&record("_acme-challenge.acme.test", "v"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dns_dgon: listing domains was refused (HTTP 401 Unauthorized: Unable to authenticate you); check DO_API_KEY"
    );
    let err = provider(&fake, KEY)
        .remove(&record("_acme-challenge.example.net", "v"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("dns_dgon: no zone of the account holds `_acme-challenge.example.net`"),
        "{err}"
    );
}

#[test]
fn the_key_is_required() {
    let credentials = Credentials::default();
    let err = DigitalOcean::new(
        &Context {
            credentials: &credentials,
            http: Arc::new(fake_do(Records::default())),
        },
        API,
    )
    .err()
    .unwrap();
    assert!(
        err.to_string().starts_with("`DO_API_KEY` is not set"),
        "{err}"
    );
}
