//! `dns_ali` against a fake Alibaba Cloud DNS ([`FakeApi`]): it checks each request's
//! signature, key and nonce as Alidns does (`SignatureDoesNotMatch`,
//! `InvalidAccessKeyId.NotFound`, `SignatureNonceUsed`), and keeps the records of its domains.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use url::Url;

use super::*;
use crate::dns::Credentials;
use crate::dns::providers::fake::{Answer, FakeApi};

const KEY: &str = "LTAItestkey";
const SECRET: &str = "test secret/+=";
const DOMAINS: &[&str] = &["acme.test", "sub.acme.test"];

/// One record of the fake: ID, domain, RR, type, value.
type Row = (u64, String, String, String, String);

#[derive(Default)]
struct State {
    rows: Vec<Row>,
    next_id: u64,
    nonces: HashSet<String>,
}

fn refuse(status: u16, code: &str, message: &str) -> Answer {
    Answer::new(
        status,
        serde_json::json!({
            "RequestId": "R1", "HostId": "alidns.aliyuncs.com", "Code": code, "Message": message,
        })
        .to_string(),
    )
}

fn records(rows: &[&Row]) -> Answer {
    let listed: Vec<Value> = rows
        .iter()
        .map(|(id, domain, rr, kind, value)| {
            serde_json::json!({
                "DomainName": domain, "RecordId": id.to_string(), "RR": rr, "Type": kind,
                "Value": value, "TTL": 600, "Line": "default", "Status": "ENABLE",
            })
        })
        .collect();
    Answer::new(
        200,
        serde_json::json!({
            "RequestId": "R2", "TotalCount": listed.len(), "PageNumber": 1, "PageSize": 20,
            "DomainRecords": { "Record": listed },
        })
        .to_string(),
    )
}

/// Alidns's side of one request.
fn serve(request: &Request, state: &mut State) -> Answer {
    let mut pairs: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    let Some(at) = pairs.iter().position(|(k, _)| k == "Signature") else {
        return refuse(
            400,
            "MissingSignature",
            "Signature is mandatory for this action.",
        );
    };
    let signature = pairs.remove(at).1;
    let param = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    };
    if param("AccessKeyId") != KEY {
        return refuse(
            404,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        );
    }
    let borrowed: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let expected = acs::signature(
        SECRET,
        &acs::string_to_sign(request.method.as_str(), &canonical_query(&borrowed)),
    );
    if param("SignatureMethod") != "HMAC-SHA1" || signature != expected {
        return refuse(
            400,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.",
        );
    }
    if !state.nonces.insert(param("SignatureNonce").to_owned()) {
        return refuse(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        );
    }
    if param("Version") != VERSION || param("Format") != "JSON" {
        return refuse(
            400,
            "InvalidVersion",
            "Specified parameter Version is not valid.",
        );
    }
    let domain = param("DomainName");
    let known = DOMAINS.contains(&domain);
    match param("Action") {
        "DescribeDomainRecords" if known => records(
            &state
                .rows
                .iter()
                .filter(|r| r.1 == domain)
                .collect::<Vec<_>>(),
        ),
        "DescribeSubDomainRecords" if known => {
            let sub = param("SubDomain");
            let matching: Vec<&Row> = state
                .rows
                .iter()
                .filter(|r| {
                    r.1 == domain
                        && format!("{}.{}", r.2, r.1) == sub
                        && (param("Type").is_empty() || r.3 == param("Type"))
                })
                .collect();
            records(&matching)
        }
        "AddDomainRecord" if known => {
            let row = (domain, param("RR"), param("Type"), param("Value"));
            if state
                .rows
                .iter()
                .any(|r| (&*r.1, &*r.2, &*r.3, &*r.4) == row)
            {
                return refuse(
                    400,
                    "DomainRecordDuplicate",
                    "The DNS record already exists.",
                );
            }
            state.next_id += 1;
            let id = state.next_id;
            state
                .rows
                .push((id, row.0.into(), row.1.into(), row.2.into(), row.3.into()));
            Answer::new(200, format!(r#"{{"RequestId":"R3","RecordId":"{id}"}}"#))
        }
        "DeleteDomainRecord" => {
            let id = param("RecordId");
            let before = state.rows.len();
            state.rows.retain(|r| r.0.to_string() != id);
            if state.rows.len() == before {
                return refuse(
                    400,
                    "DomainRecordNotBelongToUser",
                    "The DNS record does not belong to you.",
                );
            }
            Answer::new(200, format!(r#"{{"RequestId":"R4","RecordId":"{id}"}}"#))
        }
        _ => refuse(
            400,
            "InvalidDomainName.NoExist",
            "The specified domain name does not exist.",
        ),
    }
}

struct AliFake {
    api: FakeApi,
    state: Arc<Mutex<State>>,
}

impl AliFake {
    fn new(rows: &[(&str, &str, &str)]) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        for (domain, rr, value) in rows {
            let mut state = state.lock().unwrap();
            state.next_id += 1;
            let id = state.next_id;
            state.rows.push((
                id,
                (*domain).into(),
                (*rr).into(),
                "TXT".into(),
                (*value).into(),
            ));
        }
        let shared = Arc::clone(&state);
        let api = FakeApi::new(move |request| serve(request, &mut shared.lock().unwrap()));
        Self { api, state }
    }

    fn provider(&self, secret: &str) -> AliDns {
        let credentials = Credentials::from_pairs([("Ali_Key", KEY), ("Ali_Secret", secret)]);
        let ctx = Context {
            credentials: &credentials,
            http: Arc::new(self.api.clone()),
        };
        AliDns::new(&ctx)
            .unwrap()
            .with_api(Url::parse("https://alidns.test/").unwrap())
    }

    /// The (domain, RR, value) of every record.
    fn rows(&self) -> Vec<(String, String, String)> {
        let state = self.state.lock().unwrap();
        state
            .rows
            .iter()
            .map(|r| (r.1.clone(), r.2.clone(), r.4.clone()))
            .collect()
    }

    fn actions(&self) -> Vec<String> {
        self.api
            .requests()
            .iter()
            .filter_map(|r| {
                r.url
                    .query_pairs()
                    .find(|(k, _)| k == "Action")
                    .map(|(_, v)| v.into_owned())
            })
            .collect()
    }
}

fn record(fqdn: &str, value: &str) -> Record {
    Record {
        fqdn: fqdn.to_owned(),
        value: value.to_owned(),
    }
}

fn row(domain: &str, rr: &str, value: &str) -> (String, String, String) {
    (domain.to_owned(), rr.to_owned(), value.to_owned())
}

#[tokio::test]
async fn add_goes_to_the_longest_domain_of_the_account_and_keeps_other_values() {
    let fake = AliFake::new(&[("sub.acme.test", "_acme-challenge.www", "apex")]);
    fake.provider(SECRET)
        .add(&record("_acme-challenge.www.sub.acme.test", "wild"))
        .await
        .unwrap();
    assert_eq!(
        fake.rows(),
        [
            row("sub.acme.test", "_acme-challenge.www", "apex"),
            row("sub.acme.test", "_acme-challenge.www", "wild"),
        ]
    );
    // _acme-challenge.www.sub.acme.test and www.sub.acme.test are not domains: tried, refused.
    assert_eq!(
        fake.actions(),
        [
            "DescribeDomainRecords",
            "DescribeDomainRecords",
            "DescribeDomainRecords",
            "AddDomainRecord"
        ]
    );
}

#[tokio::test]
async fn adding_a_value_already_there_succeeds() {
    let fake = AliFake::new(&[("acme.test", "_acme-challenge", "v1")]);
    fake.provider(SECRET)
        .add(&record("_acme-challenge.acme.test", "v1"))
        .await
        .unwrap();
    assert_eq!(fake.rows(), [row("acme.test", "_acme-challenge", "v1")]);
}

#[tokio::test]
async fn remove_deletes_only_its_value() {
    let fake = AliFake::new(&[
        ("acme.test", "_acme-challenge", "apex"),
        ("acme.test", "_acme-challenge", "wild"),
        ("acme.test", "_acme-challenge.www", "wild"),
    ]);
    fake.provider(SECRET)
        .remove(&record("_acme-challenge.acme.test", "wild"))
        .await
        .unwrap();
    assert_eq!(
        fake.rows(),
        [
            row("acme.test", "_acme-challenge", "apex"),
            row("acme.test", "_acme-challenge.www", "wild"),
        ]
    );
}

#[tokio::test]
async fn removing_a_missing_value_succeeds() {
    let fake = AliFake::new(&[("acme.test", "_acme-challenge", "apex")]);
    fake.provider(SECRET)
        .remove(&record("_acme-challenge.acme.test", "gone"))
        .await
        .unwrap();
    assert_eq!(fake.rows(), [row("acme.test", "_acme-challenge", "apex")]);
    assert!(!fake.actions().contains(&"DeleteDomainRecord".to_owned()));
}

#[tokio::test]
async fn a_wrong_secret_is_reported_at_the_first_answer() {
    let fake = AliFake::new(&[]);
    let err = fake
        .provider("wrong secret")
        .add(&record("_acme-challenge.acme.test", "v1"))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("HTTP 400: SignatureDoesNotMatch"),
        "{message}"
    );
    assert!(
        message.contains("check Ali_Key and Ali_Secret"),
        "{message}"
    );
    assert!(!message.contains("wrong secret"), "{message}");
    assert_eq!(
        fake.actions().len(),
        1,
        "a refused key is not tried on the parents"
    );
    assert!(fake.rows().is_empty());
}

#[tokio::test]
async fn a_name_outside_the_account_is_reported_with_the_last_answer() {
    let fake = AliFake::new(&[]);
    let err = fake
        .provider(SECRET)
        .add(&record("_acme-challenge.other.example", "v1"))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(
            "no domain of this Alibaba Cloud DNS account holds `_acme-challenge.other.example`"
        ),
        "{message}"
    );
    assert!(message.contains("InvalidDomainName.NoExist"), "{message}");
}

#[test]
fn a_missing_variable_is_named() {
    let credentials = Credentials::from_pairs([("Ali_Key", KEY)]);
    let ctx = Context {
        credentials: &credentials,
        http: Arc::new(FakeApi::new(|_| Answer::new(500, ""))),
    };
    let err = AliDns::new(&ctx).err().unwrap().to_string();
    assert!(
        err.starts_with("`Ali_Secret` is not set: dns_ali needs it"),
        "{err}"
    );
}
