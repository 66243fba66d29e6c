//! The [`Solver`] trait fits dns-01 and tls-alpn-01 too, and [`Presentation`] cleans up
//! exactly what was presented on every path: success, error, and a dropped `run`.
//!
//! The dns-01 and tls-alpn-01 solvers here are test-only stand-ins: an in-memory zone for a
//! DNS provider's API (no provider is reachable from a test) and an in-memory certificate
//! table for the TLS listener's SNI lookup.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use tokio::sync::Notify;

use super::*;

/// A DNS zone in memory: TXT values by name, changed one value at a time as providers'
/// add/remove APIs do.
#[derive(Default)]
struct TxtZone {
    records: Mutex<BTreeMap<String, Vec<String>>>,
    /// What was called, in order.
    log: Mutex<Vec<&'static str>>,
    /// `present` fails after adding this many values.
    fail_after: Option<usize>,
    /// `ready` never returns: propagation that never completes.
    stall: bool,
    /// Notified when `ready` is entered.
    waiting: Notify,
}

impl TxtZone {
    fn with(name: &str, value: &str) -> Self {
        let zone = Self::default();
        zone.add(name, value);
        zone
    }

    fn add(&self, name: &str, value: &str) {
        let mut records = self.records.lock().unwrap();
        records.entry(name.into()).or_default().push(value.into());
    }

    fn values(&self, name: &str) -> Vec<String> {
        let records = self.records.lock().unwrap();
        records.get(name).cloned().unwrap_or_default()
    }

    fn log(&self) -> Vec<&'static str> {
        self.log.lock().unwrap().clone()
    }

    /// `_acme-challenge.<name>`, the same for `name` and `*.name` (RFC 8555 §8.4).
    fn record_name(challenge: &Challenge) -> String {
        let name = challenge.identifier.value();
        format!(
            "_acme-challenge.{}",
            name.strip_prefix("*.").unwrap_or(name)
        )
    }
}

impl Solver for TxtZone {
    fn kind(&self) -> ChallengeType {
        ChallengeType::Dns01
    }

    fn present<'a>(&'a self, batch: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.log.lock().unwrap().push("present");
            for (added, challenge) in batch.iter().enumerate() {
                if self.fail_after == Some(added) {
                    return Err(Error::Webroot {
                        op: "add a TXT value at",
                        path: Self::record_name(challenge).into(),
                        source: io::Error::other("injected failure"),
                    });
                }
                let value = challenge.key_authorization.dns_value();
                self.add(&Self::record_name(challenge), &value);
            }
            Ok(())
        })
    }

    fn ready<'a>(&'a self, _: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.log.lock().unwrap().push("ready");
            self.waiting.notify_one();
            if self.stall {
                std::future::pending::<()>().await;
            }
            Ok(())
        })
    }

    fn cleanup<'a>(&'a self, batch: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.log.lock().unwrap().push("cleanup");
            let mut records = self.records.lock().unwrap();
            for challenge in batch {
                // By value: the other values of the name (the wildcard's, someone else's) stay.
                let value = challenge.key_authorization.dns_value();
                if let Some(values) = records.get_mut(&Self::record_name(challenge)) {
                    values.retain(|v| *v != value);
                }
            }
            records.retain(|_, values| !values.is_empty());
            Ok(())
        })
    }
}

fn challenge(kind: ChallengeType, name: &str, token: &str) -> Challenge {
    let token = Token::parse(token).unwrap();
    Challenge {
        identifier: Identifier::Dns(name.into()),
        kind,
        key_authorization: KeyAuthorization::new(&token, "thumbprint"),
        token,
    }
}

/// example.com and *.example.com: two challenges, one TXT name.
fn apex_and_wildcard() -> Vec<Challenge> {
    vec![
        challenge(ChallengeType::Dns01, "example.com", "apexToken"),
        challenge(ChallengeType::Dns01, "*.example.com", "wildcardToken"),
    ]
}

const NAME: &str = "_acme-challenge.example.com";

#[tokio::test]
async fn dns01_zone_with_apex_and_wildcard() {
    // A value someone else put there must survive the cleanup.
    let zone = TxtZone::with(NAME, "unrelated");
    let challenges = apex_and_wildcard();
    let apex = challenges[0].key_authorization.dns_value();
    let wildcard = challenges[1].key_authorization.dns_value();
    assert_ne!(apex, wildcard);

    let presentation = Presentation::new(vec![Batch {
        solver: &zone,
        challenges,
    }]);
    let answered = presentation
        .run(async {
            // Answered only once both values are in the zone and it said it is ready.
            assert_eq!(zone.values(NAME), ["unrelated", &apex, &wildcard]);
            assert_eq!(zone.log(), ["present", "ready"]);
            Ok::<_, Error>("answered")
        })
        .await
        .unwrap();
    assert_eq!(answered, "answered");
    assert!(presentation.cleanup().await.is_empty());
    assert_eq!(zone.values(NAME), ["unrelated"]);
    assert_eq!(zone.log(), ["present", "ready", "cleanup"]);
}

#[tokio::test]
async fn a_failed_answer_is_cleaned_up() {
    let zone = TxtZone::default();
    let presentation = Presentation::new(vec![Batch {
        solver: &zone,
        challenges: apex_and_wildcard(),
    }]);
    let result = presentation
        .run(async { Err::<(), _>(Error::Cancelled) })
        .await;
    assert!(matches!(result, Err(Error::Cancelled)));
    assert_eq!(zone.values(NAME).len(), 2);
    assert!(presentation.cleanup().await.is_empty());
    assert!(zone.values(NAME).is_empty());
}

#[tokio::test]
async fn a_present_failing_halfway_is_cleaned_up_and_later_batches_are_not_touched() {
    let failing = TxtZone {
        fail_after: Some(1),
        ..TxtZone::default()
    };
    let later = TxtZone::default();
    let presentation = Presentation::new(vec![
        Batch {
            solver: &failing,
            challenges: apex_and_wildcard(),
        },
        Batch {
            solver: &later,
            challenges: vec![challenge(ChallengeType::Dns01, "example.org", "orgToken")],
        },
    ]);
    let result = presentation.run(async { Ok::<_, Error>(()) }).await;
    assert!(matches!(result, Err(Error::Webroot { .. })));
    assert_eq!(failing.values(NAME).len(), 1, "the first value was added");
    assert!(presentation.cleanup().await.is_empty());
    assert!(failing.values(NAME).is_empty());
    assert_eq!(failing.log(), ["present", "cleanup"]);
    assert!(
        later.log().is_empty(),
        "never presented, so never cleaned up"
    );
}

#[tokio::test]
async fn a_dropped_run_is_cleaned_up() {
    // Propagation never completes and a signal ends the wait: `run` is dropped while `ready`
    // is pending, as `Interrupt::guard` drops it.
    let zone = TxtZone {
        stall: true,
        ..TxtZone::default()
    };
    let presentation = Presentation::new(vec![Batch {
        solver: &zone,
        challenges: apex_and_wildcard(),
    }]);
    let mut answered = false;
    tokio::select! {
        _ = presentation.run(async { answered = true; Ok::<_, Error>(()) }) => {
            panic!("ready never returns")
        }
        () = zone.waiting.notified() => {}
    }
    assert!(!answered, "the challenges were not answered before ready");
    assert_eq!(zone.values(NAME).len(), 2);
    assert!(presentation.cleanup().await.is_empty());
    assert!(zone.values(NAME).is_empty());
}

/// tls-alpn-01's certificates in memory, by SNI name: what a TLS listener answering
/// `acme-tls/1` would serve (RFC 8737 §3).
#[derive(Default)]
struct AlpnCertificates(Mutex<HashMap<String, Vec<u8>>>);

impl Solver for AlpnCertificates {
    fn kind(&self) -> ChallengeType {
        ChallengeType::TlsAlpn01
    }

    fn present<'a>(&'a self, batch: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            for challenge in batch {
                let name = challenge.identifier.value().to_owned();
                let mut params = rcgen::CertificateParams::new(vec![name.clone()]).unwrap();
                params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(
                    &challenge.key_authorization.sha256(),
                )];
                let key = rcgen::KeyPair::generate().unwrap();
                let der = params.self_signed(&key).unwrap().der().to_vec();
                self.0.lock().unwrap().insert(name, der);
            }
            Ok(())
        })
    }

    fn cleanup<'a>(&'a self, batch: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let mut certificates = self.0.lock().unwrap();
            for challenge in batch {
                certificates.remove(challenge.identifier.value());
            }
            Ok(())
        })
    }
}

#[tokio::test]
async fn tls_alpn01_certificates() {
    let solver = AlpnCertificates::default();
    let c = challenge(ChallengeType::TlsAlpn01, "example.com", "alpnToken");
    let digest = c.key_authorization.sha256();
    let presentation = Presentation::new(vec![Batch {
        solver: &solver,
        challenges: vec![c],
    }]);
    presentation
        .run(async {
            let certificates = solver.0.lock().unwrap();
            let der = &certificates["example.com"];
            let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
            let ext = cert
                .extensions()
                .iter()
                .find(|e| e.oid.to_id_string() == "1.3.6.1.5.5.7.1.31")
                .expect("acmeIdentifier extension");
            assert!(ext.critical);
            // extnValue holds the DER OCTET STRING of the digest.
            assert_eq!(ext.value[..2], [0x04, 32]);
            assert_eq!(ext.value[2..], digest);
            Ok::<_, Error>(())
        })
        .await
        .unwrap();
    assert!(presentation.cleanup().await.is_empty());
    assert!(solver.0.lock().unwrap().is_empty());
}
