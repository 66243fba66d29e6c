//! `dns_tencent` against a fake DNSPod API 3.0 ([`FakeApi`]): it checks the `Authorization`
//! header as Tencent Cloud does (`AuthFailure.SecretIdNotFound`,
//! `AuthFailure.SignatureFailure`), and keeps the records of its domains.

use std::sync::{Arc, Mutex};

use url::Url;

use super::*;
use crate::dns::Credentials;
use crate::dns::providers::fake::{Answer, FakeApi};

const SECRET_ID: &str = "AKIDtestid";
const SECRET_KEY: &str = "test-secret-key";
const DOMAINS: &[&str] = &["acme.test", "sub.acme.test"];

/// One record of the fake: ID, domain, name (host), value.
type Row = (u64, String, String, String);

#[derive(Default)]
struct State {
    rows: Vec<Row>,
    next_id: u64,
    /// Lookups that list nothing before the records show (the API's synchronization delay).
    lagging_lookups: u32,
}

fn answer(response: Value) -> Answer {
    Answer::new(200, json!({ "Response": response }).to_string())
}

fn refuse(code: &str, message: &str) -> Answer {
    answer(json!({ "Error": { "Code": code, "Message": message }, "RequestId": "R1" }))
}

/// Tencent Cloud's check of the `Authorization` header.
fn check_signature(request: &Request) -> Result<(), Answer> {
    let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
    let authorization = header("authorization").unwrap_or_default();
    let field = |key: &str| {
        authorization
            .split([' ', ','])
            .find_map(|part| part.strip_prefix(key))
            .unwrap_or_default()
    };
    let credential: Vec<&str> = field("Credential=").split('/').collect();
    if credential.first() != Some(&SECRET_ID) {
        return Err(refuse(
            "AuthFailure.SecretIdNotFound",
            "The SecretId is not found.",
        ));
    }
    let timestamp: i64 = header("x-tc-timestamp")
        .and_then(|t| t.parse().ok())
        .unwrap_or_default();
    let host = host_header(&request.url);
    let signed: Vec<(&str, &str)> = field("SignedHeaders=")
        .split(';')
        .map(|name| match name {
            "host" => (name, host.as_str()),
            "content-type" => (name, request.content_type.unwrap_or_default()),
            _ => (name, header(name).unwrap_or_default()),
        })
        .collect();
    let expected = tc3::sign(
        &signed,
        request.body.as_deref().unwrap_or_default(),
        SECRET_ID,
        SECRET_KEY,
        timestamp,
        "dnspod",
    );
    let names: Vec<&str> = signed.iter().map(|(n, _)| *n).collect();
    if !names.contains(&"host") || !names.contains(&"content-type") || expected != authorization {
        return Err(refuse(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. Please check your signature is correct.",
        ));
    }
    Ok(())
}

fn list(rows: &[&Row]) -> Answer {
    if rows.is_empty() {
        return refuse(NO_RECORD, "记录列表为空。");
    }
    let listed: Vec<Value> = rows
        .iter()
        .map(|(id, _, name, value)| {
            json!({ "RecordId": id, "Name": name, "Type": "TXT", "Value": value, "Line": "默认", "TTL": 600 })
        })
        .collect();
    answer(json!({
        "RecordCountInfo": { "TotalCount": listed.len(), "ListCount": listed.len() },
        "RecordList": listed,
        "RequestId": "R2",
    }))
}

/// DNSPod's side of one request.
fn serve(request: &Request, state: &mut State) -> Answer {
    if let Err(refusal) = check_signature(request) {
        return refusal;
    }
    let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
    if header("x-tc-version") != Some(VERSION) {
        return refuse("NoSuchVersion", "The request version does not exist.");
    }
    let body: Value =
        serde_json::from_slice(request.body.as_deref().unwrap_or_default()).unwrap_or_default();
    let field = |key: &str| body[key].as_str().unwrap_or_default();
    let domain = field("Domain");
    if !DOMAINS.contains(&domain) {
        return refuse(
            "InvalidParameterValue.DomainNotExists",
            "当前域名有误，请返回重新操作。",
        );
    }
    let of_domain = state.rows.iter().filter(|r| r.1 == domain);
    match header("x-tc-action").unwrap_or_default() {
        "DescribeRecordList" => list(&of_domain.collect::<Vec<_>>()),
        "DescribeRecordFilterList" => {
            if state.lagging_lookups > 0 {
                state.lagging_lookups -= 1;
                return list(&[]);
            }
            let exact = body["IsExactSubDomain"].as_bool() == Some(true);
            let txt = body["RecordType"] == json!(["TXT"]);
            list(
                &of_domain
                    .filter(|r| {
                        exact
                            && txt
                            && r.2 == field("SubDomain")
                            && r.3.contains(field("RecordValue"))
                    })
                    .collect::<Vec<_>>(),
            )
        }
        "CreateRecord" => {
            if field("RecordType") != "TXT" || field("RecordLineId") != "0" {
                return refuse("InvalidParameter", "记录类型或线路有误。");
            }
            let (name, value) = (field("SubDomain"), field("Value"));
            if state
                .rows
                .iter()
                .any(|r| (&*r.1, &*r.2, &*r.3) == (domain, name, value))
            {
                return refuse(
                    "InvalidParameter.DomainRecordExist",
                    "记录已经存在，无需再次添加。",
                );
            }
            state.next_id += 1;
            let id = state.next_id;
            state
                .rows
                .push((id, domain.into(), name.into(), value.into()));
            answer(json!({ "RecordId": id, "RequestId": "R3" }))
        }
        "DeleteRecord" => {
            let id = body["RecordId"].as_u64();
            let before = state.rows.len();
            state.rows.retain(|r| Some(r.0) != id || r.1 != domain);
            if state.rows.len() == before {
                return refuse(NO_RECORD, "记录列表为空。");
            }
            answer(json!({ "RequestId": "R4" }))
        }
        _ => refuse("InvalidAction", "接口不存在。"),
    }
}

struct TencentFake {
    api: FakeApi,
    state: Arc<Mutex<State>>,
}

impl TencentFake {
    fn new(rows: &[(&str, &str, &str)]) -> Self {
        let mut state = State::default();
        for (domain, name, value) in rows {
            state.next_id += 1;
            let id = state.next_id;
            state
                .rows
                .push((id, (*domain).into(), (*name).into(), (*value).into()));
        }
        let state = Arc::new(Mutex::new(state));
        let shared = Arc::clone(&state);
        let api = FakeApi::new(move |request| serve(request, &mut shared.lock().unwrap()));
        Self { api, state }
    }

    fn provider(&self, secret_key: &str) -> DnsPod {
        let credentials = Credentials::from_pairs([
            ("Tencent_SecretId", SECRET_ID),
            ("Tencent_SecretKey", secret_key),
        ]);
        let ctx = Context {
            credentials: &credentials,
            http: Arc::new(self.api.clone()),
        };
        DnsPod::new(&ctx)
            .unwrap()
            .with_api(Url::parse("https://dnspod.test/").unwrap())
    }

    /// The (domain, name, value) of every record.
    fn rows(&self) -> Vec<(String, String, String)> {
        let state = self.state.lock().unwrap();
        state
            .rows
            .iter()
            .map(|r| (r.1.clone(), r.2.clone(), r.3.clone()))
            .collect()
    }

    fn actions(&self) -> Vec<String> {
        self.api
            .requests()
            .iter()
            .filter_map(|r| {
                r.headers
                    .get("x-tc-action")?
                    .to_str()
                    .ok()
                    .map(str::to_owned)
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

fn row(domain: &str, name: &str, value: &str) -> (String, String, String) {
    (domain.to_owned(), name.to_owned(), value.to_owned())
}

#[tokio::test]
async fn add_goes_to_the_longest_domain_of_the_account_and_keeps_other_values() {
    let fake = TencentFake::new(&[("sub.acme.test", "_acme-challenge.www", "apex")]);
    fake.provider(SECRET_KEY)
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
    assert_eq!(
        fake.actions(),
        [
            "DescribeRecordList",
            "DescribeRecordList",
            "DescribeRecordList",
            "CreateRecord"
        ]
    );
}

#[tokio::test]
async fn a_domain_without_records_is_still_the_zone_and_a_present_value_is_kept() {
    let fake = TencentFake::new(&[]);
    let provider = fake.provider(SECRET_KEY);
    provider
        .add(&record("_acme-challenge.acme.test", "v1"))
        .await
        .unwrap();
    provider
        .add(&record("_acme-challenge.acme.test", "v1"))
        .await
        .unwrap();
    assert_eq!(fake.rows(), [row("acme.test", "_acme-challenge", "v1")]);
}

#[tokio::test]
async fn remove_deletes_only_its_value() {
    // DescribeRecordFilterList matches values by substring: "wild" lists "xwildx" too.
    let fake = TencentFake::new(&[
        ("acme.test", "_acme-challenge", "apex"),
        ("acme.test", "_acme-challenge", "wild"),
        ("acme.test", "_acme-challenge", "xwildx"),
        ("acme.test", "_acme-challenge.www", "wild"),
    ]);
    fake.provider(SECRET_KEY)
        .remove(&record("_acme-challenge.acme.test", "wild"))
        .await
        .unwrap();
    assert_eq!(
        fake.rows(),
        [
            row("acme.test", "_acme-challenge", "apex"),
            row("acme.test", "_acme-challenge", "xwildx"),
            row("acme.test", "_acme-challenge.www", "wild"),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn remove_asks_again_while_the_record_is_not_listed_yet() {
    let fake = TencentFake::new(&[("acme.test", "_acme-challenge", "v1")]);
    fake.state.lock().unwrap().lagging_lookups = 2;
    fake.provider(SECRET_KEY)
        .remove(&record("_acme-challenge.acme.test", "v1"))
        .await
        .unwrap();
    assert!(fake.rows().is_empty());
    let lookups = fake
        .actions()
        .iter()
        .filter(|a| *a == "DescribeRecordFilterList")
        .count();
    assert_eq!(lookups, 3);
}

#[tokio::test(start_paused = true)]
async fn removing_a_missing_value_succeeds_after_the_lookups() {
    let fake = TencentFake::new(&[("acme.test", "_acme-challenge", "apex")]);
    fake.provider(SECRET_KEY)
        .remove(&record("_acme-challenge.acme.test", "gone"))
        .await
        .unwrap();
    assert_eq!(fake.rows(), [row("acme.test", "_acme-challenge", "apex")]);
    let actions = fake.actions();
    let lookups = actions
        .iter()
        .filter(|a| *a == "DescribeRecordFilterList")
        .count();
    assert_eq!(lookups, LOOKUPS as usize);
    assert!(!actions.contains(&"DeleteRecord".to_owned()));
}

#[tokio::test]
async fn a_wrong_secret_key_is_reported_at_the_first_answer() {
    let fake = TencentFake::new(&[]);
    let err = fake
        .provider("wrong-key")
        .add(&record("_acme-challenge.acme.test", "v1"))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("AuthFailure.SignatureFailure"),
        "{message}"
    );
    assert!(
        message.contains("check Tencent_SecretId and Tencent_SecretKey"),
        "{message}"
    );
    assert!(!message.contains("wrong-key"), "{message}");
    assert_eq!(
        fake.actions().len(),
        1,
        "a refused key is not tried on the parents"
    );
    assert!(fake.rows().is_empty());
}

#[tokio::test]
async fn a_name_outside_the_account_is_reported_with_the_last_answer() {
    let fake = TencentFake::new(&[]);
    let err = fake
        .provider(SECRET_KEY)
        .add(&record("_acme-challenge.other.example", "v1"))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(
            "no DNSPod domain of this Tencent Cloud account holds `_acme-challenge.other.example`"
        ),
        "{message}"
    );
    assert!(
        message.contains("InvalidParameterValue.DomainNotExists"),
        "{message}"
    );
}

#[test]
fn a_missing_variable_is_named() {
    let credentials = Credentials::from_pairs([("Tencent_SecretKey", SECRET_KEY)]);
    let ctx = Context {
        credentials: &credentials,
        http: Arc::new(FakeApi::new(|_| Answer::new(500, ""))),
    };
    let err = DnsPod::new(&ctx).err().unwrap().to_string();
    assert!(
        err.starts_with("`Tencent_SecretId` is not set: dns_tencent needs it"),
        "{err}"
    );
}
