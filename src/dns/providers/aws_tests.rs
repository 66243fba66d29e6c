//! `dns_aws` against a fake Route 53 ([`FakeApi`]): it checks every request's SigV4 signature
//! as Route 53 does (403 `SignatureDoesNotMatch` otherwise), lists hosted zones one per page,
//! and applies change batches to its TXT sets with Route 53's rules (a DELETE must match the
//! set exactly).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use url::Url;

use super::*;
use crate::dns::Credentials;
use crate::dns::providers::fake::{Answer, FakeApi};

const KEY_ID: &str = "AKIDTESTKEY";
const SECRET: &str = "test/secret+KEY";

/// The fake's hosted zones: ID, name, private.
const ZONES: &[(&str, &str, bool)] = &[
    ("ZTEST1", "acme.test.", false),
    ("ZPRIV2", "sub.acme.test.", true),
    ("ZSUB3", "sub.acme.test.", false),
];

/// TXT sets by (zone ID, name with the trailing dot): TTL and values.
type Sets = BTreeMap<(String, String), (u32, Vec<String>)>;

struct Route53Fake {
    api: FakeApi,
    sets: Arc<Mutex<Sets>>,
}

fn error(status: u16, code: &str, message: &str) -> Answer {
    Answer::new(
        status,
        format!(
            "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"{XMLNS}\"><Error><Type>Sender</Type>\
             <Code>{code}</Code><Message>{message}</Message></Error><RequestId>r1</RequestId>\
             </ErrorResponse>"
        ),
    )
}

/// Route 53's check: the key is known, the token present when the key needs one, and the
/// signature is the one the secret gives for the signed headers.
fn check_signature(request: &Request, token: Option<&str>) -> Result<(), Answer> {
    let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
    let authorization = header("authorization").unwrap_or_default();
    let field = |key: &str| {
        authorization
            .split([' ', ','])
            .find_map(|part| part.strip_prefix(key))
            .unwrap_or_default()
    };
    let credential: Vec<&str> = field("Credential=").split('/').collect();
    let amz_date = header("x-amz-date").unwrap_or_default();
    if credential.first() != Some(&KEY_ID) {
        return Err(error(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ));
    }
    if credential[1..]
        != [
            amz_date.get(..8).unwrap_or_default(),
            "us-east-1",
            "route53",
            "aws4_request",
        ]
    {
        return Err(error(
            403,
            "SignatureDoesNotMatch",
            "Credential should be scoped correctly.",
        ));
    }
    if header("x-amz-security-token") != token {
        return Err(error(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ));
    }
    let host = host_header(&request.url);
    let signed: Vec<(&str, &str)> = field("SignedHeaders=")
        .split(';')
        .map(|name| match name {
            "host" => (name, host.as_str()),
            _ => (name, header(name).unwrap_or_default()),
        })
        .collect();
    let expected = sigv4::sign(
        &sigv4::Request {
            method: request.method.as_str(),
            path: request.url.path(),
            query: request.url.query().unwrap_or_default(),
            headers: &signed,
            payload: request.body.as_deref().unwrap_or_default(),
        },
        KEY_ID,
        SECRET,
        amz_date,
        "us-east-1",
        "route53",
    );
    if !signed.iter().any(|(name, _)| *name == "x-amz-date") || expected != authorization {
        return Err(error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ));
    }
    Ok(())
}

fn list_zones(request: &Request) -> Answer {
    let marker = request
        .url
        .query_pairs()
        .find(|(k, _)| k == "marker")
        .map(|(_, v)| v.into_owned());
    let start = marker.map_or(0, |m| {
        ZONES.iter().position(|z| z.0 == m).unwrap_or(ZONES.len())
    });
    let Some((id, name, private)) = ZONES.get(start) else {
        return Answer::new(
            200,
            "<ListHostedZonesResponse><HostedZones/><IsTruncated>false</IsTruncated></ListHostedZonesResponse>",
        );
    };
    let next = ZONES.get(start + 1).map_or_else(
        || "<IsTruncated>false</IsTruncated>".to_owned(),
        |z| {
            format!(
                "<IsTruncated>true</IsTruncated><NextMarker>{}</NextMarker>",
                z.0
            )
        },
    );
    Answer::new(
        200,
        format!(
            "<?xml version=\"1.0\"?>\n<ListHostedZonesResponse xmlns=\"{XMLNS}\"><HostedZones>\
             <HostedZone><Id>/hostedzone/{id}</Id><Name>{name}</Name><CallerReference>c</CallerReference>\
             <Config><PrivateZone>{private}</PrivateZone></Config><ResourceRecordSetCount>2\
             </ResourceRecordSetCount></HostedZone></HostedZones>{next}<MaxItems>1</MaxItems>\
             </ListHostedZonesResponse>"
        ),
    )
}

fn list_sets(zone: &str, request: &Request, sets: &Sets) -> Answer {
    let param = |key: &str| {
        request
            .url
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let start = format!("{}.", param("name").trim_end_matches('.'));
    let listed: String = sets
        .range((zone.to_owned(), start)..)
        .take_while(|((z, _), _)| z == zone)
        .take(1)
        .map(|((_, name), (ttl, values))| {
            let records: String = values
                .iter()
                .map(|v| format!("<ResourceRecord><Value>{v}</Value></ResourceRecord>"))
                .collect();
            format!(
                "<ResourceRecordSet><Name>{name}</Name><Type>TXT</Type><TTL>{ttl}</TTL>\
                 <ResourceRecords>{records}</ResourceRecords></ResourceRecordSet>"
            )
        })
        .collect();
    Answer::new(
        200,
        format!(
            "<ListResourceRecordSetsResponse xmlns=\"{XMLNS}\"><ResourceRecordSets>{listed}\
             </ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems>\
             </ListResourceRecordSetsResponse>"
        ),
    )
}

fn change(zone: &str, body: &str, sets: &mut Sets) -> Answer {
    let text = |tag| xml::text(body, tag).unwrap_or_default();
    let values: Vec<String> = xml::elements(body, "Value")
        .into_iter()
        .map(xml::unescape)
        .collect();
    let ttl: u32 = text("TTL").parse().unwrap_or(0);
    let key = (zone.to_owned(), text("Name"));
    if text("Type") != "TXT" || values.is_empty() || !key.1.ends_with('.') {
        return error(400, "InvalidInput", "Invalid XML ; cvc-complex-type");
    }
    match text("Action").as_str() {
        "UPSERT" => {
            sets.insert(key, (ttl, values));
        }
        "DELETE" if sets.get(&key) == Some(&(ttl, values)) => {
            sets.remove(&key);
        }
        _ => {
            return Answer::new(
                400,
                format!(
                    "<InvalidChangeBatch xmlns=\"{XMLNS}\"><Messages><Message>Tried to delete \
                     resource record set [name='{}', type='TXT'] but the values provided do not \
                     match the current values</Message></Messages></InvalidChangeBatch>",
                    key.1
                ),
            );
        }
    }
    Answer::new(
        200,
        format!(
            "<ChangeResourceRecordSetsResponse xmlns=\"{XMLNS}\"><ChangeInfo><Id>/change/C1</Id>\
             <Status>PENDING</Status></ChangeInfo></ChangeResourceRecordSetsResponse>"
        ),
    )
}

impl Route53Fake {
    fn new(token: Option<&'static str>, sets: &[(&str, &str, &[&str])]) -> Self {
        let sets: Sets = sets
            .iter()
            .map(|(zone, name, values)| {
                let values = values.iter().map(|v| format!("\"{v}\"")).collect();
                (((*zone).to_owned(), (*name).to_owned()), (600, values))
            })
            .collect();
        let sets = Arc::new(Mutex::new(sets));
        let state = Arc::clone(&sets);
        let api = FakeApi::new(move |request| {
            if let Err(answer) = check_signature(request, token) {
                return answer;
            }
            let path = request.url.path();
            let mut sets = state.lock().unwrap();
            let body = String::from_utf8_lossy(request.body.as_deref().unwrap_or_default());
            match (
                request.method.as_str(),
                path.strip_prefix("/2013-04-01/hostedzone"),
            ) {
                ("GET", Some("")) => list_zones(request),
                ("GET", Some(rest)) if rest.ends_with("/rrset") => {
                    list_sets(&rest[1..rest.len() - 6], request, &sets)
                }
                ("POST", Some(rest)) if rest.ends_with("/rrset/") => {
                    change(&rest[1..rest.len() - 7], &body, &mut sets)
                }
                _ => error(404, "NoSuchHostedZone", "No hosted zone found"),
            }
        });
        Self { api, sets }
    }

    fn provider(&self, vars: &[(&str, &str)]) -> Route53 {
        let credentials = Credentials::from_pairs(vars.iter().copied());
        let ctx = Context {
            credentials: &credentials,
            http: Arc::new(self.api.clone()),
        };
        Route53::new(&ctx)
            .unwrap()
            .with_api(Url::parse("https://route53.test/").unwrap())
    }

    fn set(&self, zone: &str, name: &str) -> Option<(u32, Vec<String>)> {
        self.sets
            .lock()
            .unwrap()
            .get(&(zone.to_owned(), name.to_owned()))
            .cloned()
    }

    fn posts(&self) -> usize {
        self.api
            .requests()
            .iter()
            .filter(|r| r.method == Method::POST)
            .count()
    }
}

const KEYS: &[(&str, &str)] = &[
    ("AWS_ACCESS_KEY_ID", KEY_ID),
    ("AWS_SECRET_ACCESS_KEY", SECRET),
];

fn record(fqdn: &str, value: &str) -> Record {
    Record {
        fqdn: fqdn.to_owned(),
        value: value.to_owned(),
    }
}

#[tokio::test(start_paused = true)]
async fn add_writes_the_set_in_the_longest_public_zone() {
    let fake = Route53Fake::new(None, &[]);
    let provider = fake.provider(KEYS);
    provider
        .add(&record("_acme-challenge.www.sub.acme.test", "v1"))
        .await
        .unwrap();
    assert_eq!(
        fake.set("ZSUB3", "_acme-challenge.www.sub.acme.test."),
        Some((300, vec!["\"v1\"".to_owned()]))
    );
    // Every page of zones was read (one zone per page), then the set, then one change.
    let requests = fake.api.requests();
    assert_eq!(requests.len(), ZONES.len() + 2);
    assert!(
        requests
            .iter()
            .all(|r| r.headers.get("x-amz-security-token").is_none())
    );
}

#[tokio::test(start_paused = true)]
async fn add_keeps_the_values_already_there_and_skips_a_present_one() {
    let fake = Route53Fake::new(None, &[("ZTEST1", "_acme-challenge.acme.test.", &["apex"])]);
    let provider = fake.provider(KEYS);
    let wildcard = record("_acme-challenge.acme.test", "wild");
    provider.add(&wildcard).await.unwrap();
    assert_eq!(
        fake.set("ZTEST1", "_acme-challenge.acme.test."),
        Some((300, vec!["\"apex\"".to_owned(), "\"wild\"".to_owned()]))
    );
    provider.add(&wildcard).await.unwrap();
    assert_eq!(
        fake.posts(),
        1,
        "a value already there is not written again"
    );
}

#[tokio::test(start_paused = true)]
async fn remove_deletes_only_its_value_then_the_set() {
    let fake = Route53Fake::new(
        None,
        &[("ZTEST1", "_acme-challenge.acme.test.", &["apex", "wild"])],
    );
    let provider = fake.provider(KEYS);
    provider
        .remove(&record("_acme-challenge.acme.test", "wild"))
        .await
        .unwrap();
    assert_eq!(
        fake.set("ZTEST1", "_acme-challenge.acme.test."),
        Some((600, vec!["\"apex\"".to_owned()])),
        "the other value stays, with the set's TTL"
    );
    provider
        .remove(&record("_acme-challenge.acme.test", "apex"))
        .await
        .unwrap();
    assert_eq!(fake.set("ZTEST1", "_acme-challenge.acme.test."), None);
}

#[tokio::test(start_paused = true)]
async fn removing_a_missing_value_succeeds_without_a_change() {
    let fake = Route53Fake::new(None, &[("ZTEST1", "_acme-challenge.acme.test.", &["apex"])]);
    let provider = fake.provider(KEYS);
    provider
        .remove(&record("_acme-challenge.acme.test", "other"))
        .await
        .unwrap();
    provider
        .remove(&record("_acme-challenge.www.acme.test", "other"))
        .await
        .unwrap();
    assert_eq!(fake.posts(), 0);
    assert!(fake.set("ZTEST1", "_acme-challenge.acme.test.").is_some());
}

#[tokio::test(start_paused = true)]
async fn a_wrong_secret_is_reported_without_the_secret_or_the_signature() {
    let fake = Route53Fake::new(None, &[]);
    let provider = fake.provider(&[
        ("AWS_ACCESS_KEY_ID", KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", "wrong-secret"),
    ]);
    let err = provider
        .add(&record("_acme-challenge.acme.test", "v1"))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("HTTP 403: SignatureDoesNotMatch"),
        "{message}"
    );
    assert!(
        message.contains("check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
        "{message}"
    );
    assert!(!message.contains("wrong-secret"), "{message}");
    let authorization = fake.api.requests()[0].headers["authorization"].clone();
    let signature = authorization.to_str().unwrap().rsplit('=').next().unwrap();
    assert!(!message.contains(signature), "{message}");
    assert_eq!(
        fake.api.requests().len(),
        1,
        "nothing is tried after a refusal"
    );
}

#[tokio::test(start_paused = true)]
async fn the_session_token_is_sent_and_signed() {
    let fake = Route53Fake::new(Some("session-token"), &[]);
    let mut vars = KEYS.to_vec();
    vars.push(("AWS_SESSION_TOKEN", "session-token"));
    fake.provider(&vars)
        .add(&record("_acme-challenge.acme.test", "v1"))
        .await
        .unwrap();
    let authorization = fake.api.requests()[0].headers["authorization"].clone();
    assert!(
        authorization
            .to_str()
            .unwrap()
            .contains("SignedHeaders=host;x-amz-date;x-amz-security-token")
    );
    // Without it the fake refuses the same key, as Route 53 refuses temporary keys.
    let err = fake
        .provider(KEYS)
        .add(&record("_acme-challenge.acme.test", "v2"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("InvalidClientTokenId"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_name_outside_every_public_zone_is_reported() {
    let fake = Route53Fake::new(None, &[]);
    let err = fake
        .provider(KEYS)
        .add(&record("_acme-challenge.other.example", "v1"))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("no public hosted zone"), "{message}");
    assert!(
        message.contains("`_acme-challenge.other.example`"),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn each_change_waits_the_slow_rate() {
    let fake = Route53Fake::new(None, &[]);
    let mut vars = KEYS.to_vec();
    vars.push(("AWS_DNS_SLOWRATE", "7"));
    let provider = fake.provider(&vars);
    let start = tokio::time::Instant::now();
    provider
        .add(&record("_acme-challenge.acme.test", "v1"))
        .await
        .unwrap();
    // The paused clock only moves by the provider's own sleep.
    assert_eq!(start.elapsed(), Duration::from_secs(7));
}

#[test]
fn missing_and_invalid_variables_are_named() {
    let build = |vars: &[(&str, &str)]| {
        let credentials = Credentials::from_pairs(vars.iter().copied());
        let ctx = Context {
            credentials: &credentials,
            http: Arc::new(FakeApi::new(|_| Answer::new(500, ""))),
        };
        Route53::new(&ctx).err().map(|e| e.to_string())
    };
    let missing = build(&[("AWS_ACCESS_KEY_ID", KEY_ID)]).unwrap();
    assert!(
        missing.starts_with("`AWS_SECRET_ACCESS_KEY` is not set"),
        "{missing}"
    );
    let mut vars = KEYS.to_vec();
    vars.push(("AWS_DNS_SLOWRATE", "fast"));
    let invalid = build(&vars).unwrap();
    assert!(
        invalid.starts_with("`AWS_DNS_SLOWRATE` is invalid"),
        "{invalid}"
    );
}
