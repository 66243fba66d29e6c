use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::*;
use crate::acme::http::Request;
use crate::dns::Credentials;
use crate::dns::providers::fake::{Answer, FakeApi};

const TOKEN: &str = "hcloud-token";

/// The fake project.
#[derive(Default)]
struct State {
    /// TXT RRsets of zone 42 (`acme.test`): relative name -> (ttl, quoted values).
    rrsets: BTreeMap<String, (u64, Vec<String>)>,
    /// Actions: id -> polls left before it ends.
    actions: BTreeMap<u64, u32>,
    /// How many polls each new action stays `running`.
    running_for: u32,
    /// Whether new actions end in `error`.
    failing: bool,
    /// `429`s still to answer before serving requests.
    throttled: u32,
}

type Shared = Arc<Mutex<State>>;

fn error(status: u16, code: &str, message: &str) -> Answer {
    Answer::new(
        status,
        json!({"error": {"code": code, "message": message, "details": {}}}).to_string(),
    )
}

fn action(id: u64, left: u32, failing: bool) -> Value {
    let (status, error) = match (left, failing) {
        (0, false) => ("success", Value::Null),
        (0, true) => (
            "error",
            json!({"code": "action_failed", "message": "zone is locked"}),
        ),
        _ => ("running", Value::Null),
    };
    json!({"id": id, "command": "add_rrset_records", "status": status, "progress": 0,
           "error": error, "resources": [{"id": 42, "type": "zone"}]})
}

/// The Hetzner Cloud API's DNS part as documented: `Authorization: Bearer` (401
/// `unauthorized` otherwise), zone 42 `acme.test` found with `?name=`, an RRset read by
/// name and type (404 `not_found` when absent), `add_records` (a new RRset needs `ttl`)
/// and `remove_records` answering with an action, and `GET /actions/{id}`.
fn fake_hetzner(state: Shared) -> FakeApi {
    FakeApi::new(move |r: &Request| {
        if r.headers
            .get("authorization")
            .is_none_or(|v| v != "Bearer hcloud-token")
        {
            return error(401, "unauthorized", "unable to authenticate");
        }
        let state = &mut *state.lock().unwrap();
        if state.throttled > 0 {
            state.throttled -= 1;
            let mut answer = error(429, "rate_limit_exceeded", "slow down");
            answer.headers.push(("retry-after", "2".into()));
            return answer;
        }
        let path: Vec<&str> = r.url.path_segments().unwrap().collect();
        let query: BTreeMap<String, String> = r.url.query_pairs().into_owned().collect();
        let new_action = |state: &mut State| {
            let id = 100 + state.actions.len() as u64;
            state.actions.insert(id, state.running_for);
            Answer::new(
                201,
                json!({"action": action(id, state.running_for, state.failing)}).to_string(),
            )
        };
        match (r.method.as_str(), &path[..]) {
            ("GET", ["v1", "zones"]) => {
                let zones: Vec<Value> = [json!({"id": 42, "name": "acme.test", "mode": "primary"})]
                    .into_iter()
                    .filter(|z| query.get("name").is_none_or(|n| z["name"] == **n))
                    .collect();
                Answer::new(200, json!({"zones": zones, "meta": {}}).to_string())
            }
            (method, ["v1", "zones", "42", "rrsets", name, "TXT", rest @ ..]) => {
                let body: Value = r
                    .body
                    .as_deref()
                    .map(|b| serde_json::from_slice(b).unwrap())
                    .unwrap_or_default();
                let values: Vec<String> = body["records"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|r| r["value"].as_str().unwrap().to_owned())
                    .collect();
                match (method, rest) {
                    ("GET", []) => match state.rrsets.get(*name) {
                        Some((ttl, values)) => {
                            let records: Vec<Value> = values
                                .iter()
                                .map(|v| json!({"value": v, "comment": ""}))
                                .collect();
                            Answer::new(
                                200,
                                json!({"rrset": {"id": format!("{name}/TXT"), "name": name,
                                       "type": "TXT", "ttl": ttl, "records": records}})
                                .to_string(),
                            )
                        }
                        None => error(404, "not_found", "RRSet not found"),
                    },
                    ("POST", ["actions", "add_records"]) => {
                        if values.iter().any(|v| !v.starts_with('"')) {
                            return error(422, "invalid_input", "TXT value must be quoted");
                        }
                        if !state.rrsets.contains_key(*name) {
                            let Some(ttl) = body["ttl"].as_u64() else {
                                return error(422, "invalid_input", "ttl is required");
                            };
                            state.rrsets.insert((*name).to_owned(), (ttl, Vec::new()));
                        } else if body.get("ttl").is_some() {
                            return error(422, "invalid_input", "ttl differs from the RRSet's");
                        }
                        let set = &mut state.rrsets.get_mut(*name).unwrap().1;
                        set.extend(values);
                        new_action(state)
                    }
                    ("POST", ["actions", "remove_records"]) => {
                        let Some((_, set)) = state.rrsets.get_mut(*name) else {
                            return error(404, "not_found", "RRSet not found");
                        };
                        set.retain(|v| !values.contains(v));
                        if set.is_empty() {
                            state.rrsets.remove(*name);
                        }
                        new_action(state)
                    }
                    _ => error(404, "not_found", "no such route"),
                }
            }
            ("GET", ["v1", "actions", id]) => {
                let id: u64 = id.parse().unwrap();
                let failing = state.failing;
                match state.actions.get_mut(&id) {
                    Some(left) => {
                        *left = left.saturating_sub(1);
                        Answer::new(
                            200,
                            json!({"action": action(id, *left, failing)}).to_string(),
                        )
                    }
                    None => error(404, "not_found", "action not found"),
                }
            }
            _ => error(404, "not_found", "no such route"),
        }
    })
}

fn provider(fake: &FakeApi, pairs: &[(&'static str, &'static str)]) -> Result<HetznerCloud, Error> {
    let credentials = Credentials::from_pairs(pairs.iter().copied());
    HetznerCloud::new(&Context {
        credentials: &credentials,
        http: Arc::new(fake.clone()),
    })
}

fn record(fqdn: &str, value: &str) -> Record {
    Record {
        fqdn: fqdn.to_owned(),
        value: value.to_owned(),
    }
}

fn rrset(state: &Shared, name: &str) -> Option<(u64, Vec<String>)> {
    state.lock().unwrap().rrsets.get(name).cloned()
}

#[tokio::test(start_paused = true)]
async fn add_keeps_other_values_and_remove_takes_only_its_own() {
    let state = Shared::default();
    state.lock().unwrap().running_for = 2;
    let fake = fake_hetzner(state.clone());
    let hetzner = provider(&fake, &[("HETZNER_TOKEN", TOKEN)]).unwrap();
    let name = "_acme-challenge.www.acme.test";
    hetzner.add(&record(name, "apex")).await.unwrap();
    hetzner.add(&record(name, "wildcard")).await.unwrap();
    hetzner.add(&record(name, "wildcard")).await.unwrap();
    assert_eq!(
        rrset(&state, "_acme-challenge.www"),
        Some((120, vec!["\"apex\"".into(), "\"wildcard\"".into()]))
    );
    hetzner.remove(&record(name, "apex")).await.unwrap();
    hetzner.remove(&record(name, "absent")).await.unwrap();
    assert_eq!(
        rrset(&state, "_acme-challenge.www"),
        Some((120, vec!["\"wildcard\"".into()]))
    );
    hetzner.remove(&record(name, "wildcard")).await.unwrap();
    assert_eq!(rrset(&state, "_acme-challenge.www"), None);

    let requests = fake.requests();
    // The zone is asked for from the parent on, never the name itself.
    let asked: Vec<String> = requests
        .iter()
        .filter_map(|r| r.url.query_pairs().find(|(k, _)| k == "name"))
        .map(|(_, v)| v.into_owned())
        .take(2)
        .collect();
    assert_eq!(asked, ["www.acme.test", "acme.test"]);
    // Each of the 4 actions was asked about twice, until it succeeded.
    let polls = requests
        .iter()
        .filter(|r| r.url.path().starts_with("/v1/actions/"))
        .count();
    assert_eq!(polls, 8);
}

#[tokio::test(start_paused = true)]
async fn failed_and_endless_actions_are_errors() {
    let state = Shared::default();
    state.lock().unwrap().failing = true;
    let fake = fake_hetzner(state.clone());
    let err = provider(&fake, &[("HETZNER_TOKEN", TOKEN)])
        .unwrap()
        .add(&record("_acme-challenge.acme.test", "v"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dns_hetznercloud: add_records on the TXT records: action 100 failed: zone is locked (action_failed)"
    );

    let state = Shared::default();
    state.lock().unwrap().running_for = 1000;
    let fake = fake_hetzner(state.clone());
    let err = provider(
        &fake,
        &[("HETZNER_TOKEN", TOKEN), ("HETZNER_MAX_ATTEMPTS", "3")],
    )
    .unwrap()
    .add(&record("_acme-challenge.acme.test", "v"))
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("action 100 is still `running` after 3 polls"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_rate_limit_is_waited_out_once() {
    let state = Shared::default();
    state.lock().unwrap().throttled = 1;
    let fake = fake_hetzner(state.clone());
    let hetzner = provider(&fake, &[("HETZNER_TOKEN", TOKEN)]).unwrap();
    let start = tokio::time::Instant::now();
    hetzner
        .add(&record("_acme-challenge.acme.test", "v"))
        .await
        .unwrap();
    // The paused clock moved by the Retry-After: the retry came after it.
    assert!(start.elapsed() >= Duration::from_secs(2));
    assert!(rrset(&state, "_acme-challenge").is_some());

    state.lock().unwrap().throttled = 2;
    let err = hetzner
        .remove(&record("_acme-challenge.acme.test", "v"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("failed (HTTP 429 Too Many Requests: slow down)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_wrong_token_is_reported() {
    let fake = fake_hetzner(Shared::default());
    let err = provider(&fake, &[("HETZNER_TOKEN", "\"wrong\"")])
        .unwrap()
        .add(&record("_acme-challenge.acme.test", "v"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dns_hetznercloud: looking up zones was refused (HTTP 401 Unauthorized: unable to authenticate); check HETZNER_TOKEN"
    );
}

#[tokio::test]
async fn variables_set_the_address_ttl_and_attempts() {
    let state = Shared::default();
    let fake = fake_hetzner(state.clone());
    // acme.sh strips double quotes from the token.
    let hetzner = provider(
        &fake,
        &[
            ("HETZNER_TOKEN", "\"hcloud-token\""),
            ("HETZNER_API", "http://127.0.0.1:9/v1"),
            ("HETZNER_TTL", "300"),
        ],
    )
    .unwrap();
    hetzner
        .add(&record("_acme-challenge.acme.test", "v"))
        .await
        .unwrap();
    assert_eq!(rrset(&state, "_acme-challenge").unwrap().0, 300);
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.url.as_str().starts_with("http://127.0.0.1:9/v1/"))
    );
    let err = |pairs: &[(&'static str, &'static str)]| {
        provider(&fake, pairs).err().map(|e| e.to_string())
    };
    assert!(err(&[]).unwrap().starts_with("`HETZNER_TOKEN` is not set"));
    let token = ("HETZNER_TOKEN", TOKEN);
    assert!(
        err(&[token, ("HETZNER_TTL", "2m")])
            .unwrap()
            .starts_with("`HETZNER_TTL` is invalid")
    );
    assert!(
        err(&[token, ("HETZNER_MAX_ATTEMPTS", "-1")])
            .unwrap()
            .starts_with("`HETZNER_MAX_ATTEMPTS` is invalid")
    );
}

#[tokio::test]
async fn a_value_is_matched_and_removed_as_the_api_spells_it() {
    let state = Shared::default();
    state.lock().unwrap().rrsets.insert(
        "_acme-challenge".into(),
        (60, vec!["\"abc\" \"def\"".into(), "\"other\"".into()]),
    );
    let fake = fake_hetzner(state.clone());
    let hetzner = provider(&fake, &[("HETZNER_TOKEN", TOKEN)]).unwrap();
    // Already there (split in two strings): nothing added.
    hetzner
        .add(&record("_acme-challenge.acme.test", "abcdef"))
        .await
        .unwrap();
    assert_eq!(rrset(&state, "_acme-challenge").unwrap().1.len(), 2);
    hetzner
        .remove(&record("_acme-challenge.acme.test", "abcdef"))
        .await
        .unwrap();
    assert_eq!(
        rrset(&state, "_acme-challenge"),
        Some((60, vec!["\"other\"".into()]))
    );
}
