use std::collections::BTreeMap;
use std::sync::Mutex;

use super::*;
use crate::acme::types::{KeyAuthorization, Token};
use crate::challenge::{Batch, Presentation};
use crate::dns::{self, BoxFuture as DnsFuture, Provider, Record};

/// A provider's zone in memory: TXT values by name, changed one value at a time.
#[derive(Default)]
struct Zone {
    values: Mutex<BTreeMap<String, Vec<String>>>,
    /// `add` fails when asked for this value (after storing it, as a provider that times out
    /// after the change was made).
    fail_on: Option<String>,
}

impl Zone {
    fn values(&self, name: &str) -> Vec<String> {
        self.values
            .lock()
            .unwrap()
            .get(name)
            .cloned()
            .unwrap_or_default()
    }
}

impl Provider for &Zone {
    fn add<'a>(&'a self, r: &'a Record) -> DnsFuture<'a, Result<(), dns::Error>> {
        let mut values = self.values.lock().unwrap();
        values
            .entry(r.fqdn.clone())
            .or_default()
            .push(r.value.clone());
        let result = match &self.fail_on {
            Some(v) if *v == r.value => Err(dns::Error::Dns("provider timed out".into())),
            _ => Ok(()),
        };
        Box::pin(std::future::ready(result))
    }

    fn remove<'a>(&'a self, r: &'a Record) -> DnsFuture<'a, Result<(), dns::Error>> {
        let mut values = self.values.lock().unwrap();
        if let Some(list) = values.get_mut(&r.fqdn) {
            list.retain(|v| *v != r.value);
        }
        Box::pin(std::future::ready(Ok(())))
    }
}

fn challenge_for(name: &str, token: &str) -> Challenge {
    let token = Token::parse(token).unwrap();
    Challenge {
        identifier: Identifier::Dns(name.into()),
        kind: ChallengeType::Dns01,
        key_authorization: KeyAuthorization::new(&token, "thumbprint"),
        token,
    }
}

fn quiet(_: &str) {}

#[test]
fn txt_names_follow_acmesh_aliases() {
    let apex = Identifier::Dns("example.com".into());
    let wild = Identifier::Dns("*.example.com".into());
    assert_eq!(txt_name(&apex, None), "_acme-challenge.example.com");
    assert_eq!(txt_name(&wild, None), "_acme-challenge.example.com");
    assert_eq!(txt_name(&wild, Some("no")), "_acme-challenge.example.com");
    assert_eq!(
        txt_name(&apex, Some("Alias.Test")),
        "_acme-challenge.alias.test"
    );
    assert_eq!(
        txt_name(&apex, Some("=_acme-challenge.other.test.")),
        "_acme-challenge.other.test"
    );
}

#[tokio::test]
async fn apex_and_wildcard_share_a_name_and_are_removed_by_value() {
    let zone = Zone::default();
    zone.values
        .lock()
        .unwrap()
        .insert("_acme-challenge.example.com".into(), vec!["theirs".into()]);
    let batch = vec![
        challenge_for("example.com", "tok-apex"),
        challenge_for("*.example.com", "tok-wild"),
    ];
    let solver = Dns01::new(
        Some(Box::new(&zone)),
        HashMap::new(),
        Wait::Sleep(Duration::ZERO),
        &quiet,
    );
    let expected: Vec<String> = solver
        .records(&batch)
        .into_iter()
        .map(|r| r.value)
        .collect();
    let presentation = Presentation::new(vec![Batch {
        solver: &solver,
        challenges: batch,
    }]);
    let seen = presentation
        .run(async { Ok::<_, Error>(zone.values("_acme-challenge.example.com")) })
        .await
        .unwrap();
    assert_eq!(seen, ["theirs", &expected[0], &expected[1]]);
    assert!(presentation.cleanup().await.is_empty());
    assert_eq!(zone.values("_acme-challenge.example.com"), ["theirs"]);
}

#[tokio::test]
async fn a_failed_add_is_still_removed() {
    let batch = vec![
        challenge_for("a.test", "tok-a"),
        challenge_for("b.test", "tok-b"),
    ];
    let failing = KeyAuthorization::new(&Token::parse("tok-b").unwrap(), "thumbprint").dns_value();
    let zone = Zone {
        fail_on: Some(failing),
        ..Zone::default()
    };
    let aliases = HashMap::from([(
        Identifier::Dns("b.test".into()),
        txt_name(&Identifier::Dns("b.test".into()), Some("alias.test")),
    )]);
    let solver = Dns01::new(
        Some(Box::new(&zone)),
        aliases,
        Wait::Sleep(Duration::ZERO),
        &quiet,
    );
    let presentation = Presentation::new(vec![Batch {
        solver: &solver,
        challenges: batch,
    }]);
    let err = presentation
        .run(async { Ok::<_, Error>(()) })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("provider timed out"), "{err}");
    assert_eq!(
        zone.values("_acme-challenge.alias.test").len(),
        1,
        "added at the alias"
    );
    assert!(presentation.cleanup().await.is_empty());
    assert!(zone.values("_acme-challenge.a.test").is_empty());
    assert!(zone.values("_acme-challenge.alias.test").is_empty());
}

#[tokio::test]
async fn manual_mode_adds_and_removes_nothing() {
    let said = Mutex::new(Vec::new());
    let say = |line: &str| said.lock().unwrap().push(line.to_owned());
    let solver = Dns01::new(None, HashMap::new(), Wait::Sleep(Duration::ZERO), &say);
    let batch = [challenge_for("a.test", "tok-a")];
    solver.present(&batch).await.unwrap();
    solver.ready(&batch).await.unwrap();
    solver.cleanup(&batch).await.unwrap();
    let said = said.lock().unwrap();
    assert_eq!(said.len(), 1, "only the sleep is announced: {said:?}");
}
