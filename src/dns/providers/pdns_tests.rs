use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::*;
use crate::acme::http::Request;
use crate::dns::Credentials;
use crate::dns::providers::fake::{Answer, FakeApi};

const TOKEN: &str = "pdns-secret";

/// The TXT RRsets of a fake server: canonical name -> (content, disabled).
type Zones = Arc<Mutex<BTreeMap<String, Vec<(String, bool)>>>>;

/// A PowerDNS API as its documentation describes it: `X-API-Key` checked (401 `Unauthorized`
/// as text otherwise), the zone list filtered by `?zone=`, a zone's RRsets by `rrset_name`
/// and `rrset_type`, PATCH with REPLACE/DELETE, quoted TXT content and in-zone names only
/// (422 `{"error": …}` otherwise), and `PUT …/notify`.
fn fake_pdns(zone_names: &'static [&'static str], txt: Zones) -> FakeApi {
    FakeApi::new(move |r: &Request| {
        if r.headers.get("x-api-key").is_none_or(|v| v != TOKEN) {
            return Answer::new(401, "Unauthorized");
        }
        let path: Vec<&str> = r.url.path_segments().unwrap().collect();
        let query: BTreeMap<String, String> = r.url.query_pairs().into_owned().collect();
        let txt = &mut *txt.lock().unwrap();
        let zone_json = |name: &str| json!({"id": name, "name": name, "kind": "Native"});
        match (r.method.as_str(), &path[..]) {
            ("GET", ["api", "v1", "servers", "localhost", "zones"]) => {
                let list: Vec<Value> = zone_names
                    .iter()
                    .filter(|z| query.get("zone").is_none_or(|q| q == *z))
                    .map(|z| zone_json(z))
                    .collect();
                Answer::new(200, Value::from(list).to_string())
            }
            ("GET", ["api", "v1", "servers", "localhost", "zones", zone]) => {
                if !zone_names.contains(zone) {
                    return Answer::new(404, "Not Found");
                }
                let rrsets: Vec<Value> = txt
                    .iter()
                    .filter(|(name, _)| query.get("rrset_name").is_none_or(|q| q == *name))
                    .filter(|(name, _)| name.ends_with(&format!(".{zone}")))
                    .map(|(name, records)| {
                        let records: Vec<Value> = records
                            .iter()
                            .map(|(c, d)| json!({"content": c, "disabled": d}))
                            .collect();
                        json!({"name": name, "type": "TXT", "ttl": 60, "records": records, "comments": []})
                    })
                    .collect();
                let mut zone = zone_json(zone);
                zone["rrsets"] = rrsets.into();
                Answer::new(200, zone.to_string())
            }
            ("PATCH", ["api", "v1", "servers", "localhost", "zones", zone]) => {
                let body: Value = serde_json::from_slice(r.body.as_deref().unwrap()).unwrap();
                for rrset in body["rrsets"].as_array().unwrap() {
                    let name = rrset["name"].as_str().unwrap();
                    if !name.ends_with(&format!(".{zone}")) {
                        return Answer::new(
                            422,
                            format!(r#"{{"error": "RRset {name} IN TXT: Name is out of zone"}}"#),
                        );
                    }
                    match rrset["changetype"].as_str().unwrap() {
                        "DELETE" => {
                            txt.remove(name);
                        }
                        "REPLACE" => {
                            let mut records = Vec::new();
                            for record in rrset["records"].as_array().unwrap() {
                                let content = record["content"].as_str().unwrap();
                                if !content.starts_with('"') {
                                    return Answer::new(
                                        422,
                                        r#"{"error": "Record: Not in expected format"}"#,
                                    );
                                }
                                let disabled = record["disabled"].as_bool().unwrap();
                                records.push((content.to_owned(), disabled));
                            }
                            assert_eq!(rrset["ttl"], 60);
                            txt.insert(name.to_owned(), records);
                        }
                        other => panic!("changetype {other}"),
                    }
                }
                Answer::new(204, "")
            }
            ("PUT", ["api", "v1", "servers", "localhost", "zones", _, "notify"]) => {
                Answer::new(200, r#"{"result": "Notification queued"}"#)
            }
            _ => Answer::new(404, "Not Found"),
        }
    })
}

fn provider(fake: &FakeApi, token: &str) -> PowerDns {
    let credentials = Credentials::from_pairs([
        ("PDNS_Url", "http://127.0.0.1:8081"),
        ("PDNS_ServerId", "localhost"),
        ("PDNS_Token", token),
    ]);
    PowerDns::new(&Context {
        credentials: &credentials,
        http: Arc::new(fake.clone()),
    })
    .unwrap()
}

fn record(fqdn: &str, value: &str) -> Record {
    Record {
        fqdn: fqdn.to_owned(),
        value: value.to_owned(),
    }
}

fn contents(txt: &Zones, name: &str) -> Vec<(String, bool)> {
    txt.lock().unwrap().get(name).cloned().unwrap_or_default()
}

#[tokio::test]
async fn add_keeps_the_values_already_there_verbatim() {
    let txt = Zones::default();
    txt.lock().unwrap().insert(
        "_acme-challenge.acme.test.".into(),
        vec![("\"a\" \"b\"".into(), false), ("\"off\"".into(), true)],
    );
    let fake = fake_pdns(&["acme.test."], txt.clone());
    let pdns = provider(&fake, TOKEN);
    pdns.add(&record("_acme-challenge.acme.test", "new-value"))
        .await
        .unwrap();
    assert_eq!(
        contents(&txt, "_acme-challenge.acme.test."),
        [
            ("\"a\" \"b\"".to_owned(), false),
            ("\"off\"".to_owned(), true),
            ("\"new-value\"".to_owned(), false)
        ]
    );
    // Adding it again changes nothing and writes nothing.
    let before = fake.requests().len();
    pdns.add(&record("_acme-challenge.acme.test", "new-value"))
        .await
        .unwrap();
    assert_eq!(contents(&txt, "_acme-challenge.acme.test.").len(), 3);
    assert!(
        fake.requests()[before..]
            .iter()
            .all(|r| r.method == Method::GET)
    );
    // A value that is there but disabled is enabled, not doubled.
    pdns.add(&record("_acme-challenge.acme.test", "off"))
        .await
        .unwrap();
    assert_eq!(
        contents(&txt, "_acme-challenge.acme.test."),
        [
            ("\"a\" \"b\"".to_owned(), false),
            ("\"new-value\"".to_owned(), false),
            ("\"off\"".to_owned(), false)
        ]
    );
    // Each write is followed by a notify.
    let notified = fake
        .requests()
        .iter()
        .filter(|r| r.url.path().ends_with("/zones/acme.test./notify"))
        .count();
    assert_eq!(notified, 2);
}

#[tokio::test]
async fn the_zone_is_the_longest_suffix_the_server_has() {
    let txt = Zones::default();
    let fake = fake_pdns(&["acme.test.", "sub.acme.test."], txt.clone());
    provider(&fake, TOKEN)
        .add(&record("_acme-challenge.www.sub.acme.test", "v"))
        .await
        .unwrap();
    let asked: Vec<String> = fake
        .requests()
        .iter()
        .filter_map(|r| r.url.query_pairs().find(|(k, _)| k == "zone"))
        .map(|(_, v)| v.into_owned())
        .collect();
    assert_eq!(
        asked,
        [
            "_acme-challenge.www.sub.acme.test.",
            "www.sub.acme.test.",
            "sub.acme.test."
        ]
    );
    let patch = fake
        .requests()
        .into_iter()
        .find(|r| r.method == Method::PATCH)
        .unwrap();
    assert_eq!(
        patch.url.path(),
        "/api/v1/servers/localhost/zones/sub.acme.test."
    );
    assert_eq!(
        contents(&txt, "_acme-challenge.www.sub.acme.test."),
        [("\"v\"".to_owned(), false)]
    );
}

#[tokio::test]
async fn remove_deletes_only_its_value_then_the_rrset() {
    let txt = Zones::default();
    let fake = fake_pdns(&["acme.test."], txt.clone());
    let pdns = provider(&fake, TOKEN);
    let name = "_acme-challenge.acme.test";
    pdns.add(&record(name, "apex")).await.unwrap();
    pdns.add(&record(name, "wildcard")).await.unwrap();
    pdns.remove(&record(name, "apex")).await.unwrap();
    assert_eq!(
        contents(&txt, "_acme-challenge.acme.test."),
        [("\"wildcard\"".to_owned(), false)]
    );
    // A value that is not there: nothing written.
    let patches = |fake: &FakeApi| {
        fake.requests()
            .iter()
            .filter(|r| r.method == Method::PATCH)
            .count()
    };
    let before = patches(&fake);
    pdns.remove(&record(name, "apex")).await.unwrap();
    assert_eq!(patches(&fake), before);
    // The last value: the RRset goes (DELETE, not an empty REPLACE).
    pdns.remove(&record(name, "wildcard")).await.unwrap();
    assert!(
        !txt.lock()
            .unwrap()
            .contains_key("_acme-challenge.acme.test.")
    );
    let last = fake
        .requests()
        .into_iter()
        .rfind(|r| r.method == Method::PATCH)
        .unwrap();
    let body: Value = serde_json::from_slice(last.body.as_deref().unwrap()).unwrap();
    assert_eq!(body["rrsets"][0]["changetype"], "DELETE");
}

#[tokio::test]
async fn a_wrong_token_is_reported_with_the_status_and_the_variable() {
    let fake = fake_pdns(&["acme.test."], Zones::default());
    let err = provider(&fake, "wrong")
        .add(&record("_acme-challenge.acme.test", "v"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dns_pdns: listing zones was refused (HTTP 401 Unauthorized: Unauthorized); check PDNS_Token"
    );
}

#[tokio::test]
async fn no_zone_and_server_errors_are_reported() {
    let fake = fake_pdns(&["acme.test."], Zones::default());
    let err = provider(&fake, TOKEN)
        .add(&record("_acme-challenge.other.test", "v"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("dns_pdns: no zone of the server holds `_acme-challenge.other.test` or one of its parents"), "{text}");

    // A server that answers 422 to the PATCH (here: a name it holds out of zone).
    let fake = FakeApi::new(|r: &Request| match r.method.as_str() {
        "GET" if r.url.path().ends_with("/zones") => {
            Answer::new(200, r#"[{"id": "acme.test.", "name": "acme.test."}]"#)
        }
        "GET" => Answer::new(200, r#"{"rrsets": []}"#),
        _ => Answer::new(422, r#"{"error": "RRset x: Name is out of zone"}"#),
    });
    let err = provider(&fake, TOKEN)
        .add(&record("_acme-challenge.acme.test", "v"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dns_pdns: writing the TXT records failed (HTTP 422 Unprocessable Entity: RRset x: Name is out of zone)"
    );
}

#[test]
fn variables_are_required_and_checked() {
    let build = |pairs: &[(&'static str, &'static str)]| {
        let credentials = Credentials::from_pairs(pairs.iter().copied());
        PowerDns::new(&Context {
            credentials: &credentials,
            http: Arc::new(FakeApi::new(|_| Answer::new(500, ""))),
        })
        .err()
        .map(|e| e.to_string())
    };
    let url = ("PDNS_Url", "http://127.0.0.1:8081");
    let id = ("PDNS_ServerId", "localhost");
    let token = ("PDNS_Token", TOKEN);
    assert!(
        build(&[id, token])
            .unwrap()
            .starts_with("`PDNS_Url` is not set")
    );
    assert!(
        build(&[url, token])
            .unwrap()
            .starts_with("`PDNS_ServerId` is not set")
    );
    assert!(
        build(&[url, id])
            .unwrap()
            .starts_with("`PDNS_Token` is not set")
    );
    assert!(
        build(&[url, id, token, ("PDNS_Ttl", "soon")])
            .unwrap()
            .starts_with("`PDNS_Ttl` is invalid")
    );
    assert!(
        build(&[("PDNS_Url", "ns.example:8081"), id, token])
            .unwrap()
            .starts_with("`PDNS_Url` is invalid")
    );
    assert_eq!(build(&[url, id, token]), None);
}
