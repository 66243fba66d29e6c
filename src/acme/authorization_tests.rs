//! Authorization and challenge handles with a scripted HTTP client (no sockets): what the
//! CA sends is checked before a handle exists, and responding keeps `Retry-After`.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;
use crate::acme::client::tests::{DIRECTORY, Script, TestKey, client, reply};
use crate::acme::http::{HttpError, Response};
use crate::acme::poll::PollPolicy;

const TOKEN: &str = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
const AUTHZ: &str = "https://ca.test/authz/1";

/// An account on a scripted CA whose next answers are `replies` (after the directory and a
/// nonce).
async fn account(replies: Vec<Result<Response, HttpError>>) -> (Account, Arc<Script>) {
    let mut all = vec![
        reply(200, &[], DIRECTORY),
        reply(200, &[("replay-nonce", "n0")], ""),
    ];
    all.extend(replies);
    let script = Script::new(all);
    let client = Arc::new(client(&script).await);
    let account = Account::existing(
        client,
        Arc::new(TestKey::new()),
        Vec::new(),
        "https://ca.test/acct/1".into(),
    );
    (account, script)
}

/// An authorization for `example.com` offering `challenges` (JSON objects).
fn authz(wildcard: bool, challenges: &str) -> String {
    format!(
        r#"{{"identifier":{{"type":"dns","value":"example.com"}},"status":"pending",
            "wildcard":{wildcard},"challenges":[{challenges}]}}"#
    )
}

fn challenge_json(kind: &str, url: &str, token: &str) -> String {
    format!(r#"{{"type":"{kind}","url":"{url}","status":"pending","token":"{token}"}}"#)
}

async fn fetch(body: &str) -> (Authorization, Arc<Script>) {
    let (account, script) = account(vec![reply(200, &[("replay-nonce", "n1")], body)]).await;
    (account.authorization(AUTHZ).await.unwrap(), script)
}

#[tokio::test]
async fn a_challenge_handle_is_checked_and_carries_the_key_authorization() {
    let body = authz(
        false,
        &[
            challenge_json("http-01", "https://ca.test/chall/h", TOKEN),
            challenge_json("dns-01", "https://ca.test/chall/d", "dnsTOKEN_1"),
        ]
        .join(","),
    );
    let (authz, _) = fetch(&body).await;
    assert_eq!(authz.identifier(), &Identifier::Dns("example.com".into()));
    assert_eq!(authz.status(), AuthorizationStatus::Pending);
    assert_eq!(authz.url().as_str(), AUTHZ);

    let http = authz.challenge(ChallengeType::Http01).unwrap();
    assert_eq!(http.kind(), &ChallengeType::Http01);
    assert_eq!(http.token().as_str(), TOKEN);
    assert_eq!(http.url().as_str(), "https://ca.test/chall/h");
    assert_eq!(http.status(), ChallengeStatus::Pending);
    let thumbprint = authz.account.thumbprint().to_owned();
    assert_eq!(
        http.key_authorization().as_str(),
        format!("{TOKEN}.{thumbprint}")
    );

    let dns = authz.challenge(ChallengeType::Dns01).unwrap();
    assert_eq!(dns.url().as_str(), "https://ca.test/chall/d");
    let expected = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        format!("dnsTOKEN_1.{thumbprint}").as_bytes(),
    );
    assert_eq!(
        dns.key_authorization().dns_value(),
        URL_SAFE_NO_PAD.encode(expected.as_ref())
    );
}

#[tokio::test]
async fn a_wildcard_authorization_names_the_wildcard() {
    let body = authz(
        true,
        &challenge_json("dns-01", "https://ca.test/chall/d", TOKEN),
    );
    let (authz, _) = fetch(&body).await;
    assert_eq!(authz.identifier(), &Identifier::Dns("*.example.com".into()));
    let handle = authz.challenge(ChallengeType::Dns01).unwrap();
    assert_eq!(
        handle.identifier(),
        &Identifier::Dns("*.example.com".into())
    );
}

#[tokio::test]
async fn refused_tokens_and_urls_give_no_handle() {
    for (url, token, token_refused) in [
        ("https://ca.test/chall/1", "../../etc/passwd", true),
        ("https://ca.test/chall/1", "", true),
        ("http://ca.test/chall/1", TOKEN, false),
        ("/chall/1", TOKEN, false),
        ("https://user:pw@ca.test/chall/1", TOKEN, false),
    ] {
        let (authz, _) = fetch(&authz(false, &challenge_json("http-01", url, token))).await;
        let err = authz.challenge(ChallengeType::Http01).unwrap_err();
        if token_refused {
            assert!(matches!(err, Error::Token(_)), "{token:?}: {err}");
        } else {
            assert!(matches!(err, Error::Url(_)), "{url:?}: {err}");
        }
    }
    // A challenge without a token is refused too.
    let (authz, _) = fetch(&authz(
        false,
        r#"{"type":"http-01","url":"https://ca.test/chall/1","status":"pending"}"#,
    ))
    .await;
    assert!(matches!(
        authz.challenge(ChallengeType::Http01),
        Err(Error::Token(_))
    ));
}

#[tokio::test]
async fn unknown_types_pass_through_and_a_missing_type_names_the_offered_ones() {
    let body = authz(
        false,
        &[
            challenge_json("dns-account-01", "https://ca.test/chall/x", TOKEN),
            challenge_json("tls-alpn-01", "https://ca.test/chall/t", TOKEN),
            challenge_json("x\\u001b[2J", "https://ca.test/chall/y", TOKEN),
        ]
        .join(","),
    );
    let (authz, _) = fetch(&body).await;
    let other = ChallengeType::Other("dns-account-01".into());
    assert_eq!(authz.challenge(other.clone()).unwrap().kind(), &other);
    assert_eq!(
        authz.challenge(ChallengeType::TlsAlpn01).unwrap().kind(),
        &ChallengeType::TlsAlpn01
    );
    let err = authz.challenge(ChallengeType::Http01).unwrap_err();
    let Error::NoChallenge {
        identifier,
        kind,
        offered,
    } = &err
    else {
        panic!("expected NoChallenge, got {err}")
    };
    assert_eq!(identifier, "example.com");
    assert_eq!(kind, &ChallengeType::Http01);
    assert_eq!(offered, "dns-account-01, tls-alpn-01, x?[2J");
}

#[tokio::test]
async fn an_invalid_authorization_shows_its_problem() {
    let body = r#"{"identifier":{"type":"dns","value":"example.com"},"status":"invalid",
        "challenges":[{"type":"http-01","url":"https://ca.test/chall/1","status":"invalid",
        "token":"t","error":{"type":"urn:ietf:params:acme:error:unauthorized","detail":"404"}}]}"#;
    let (authz, _) = fetch(body).await;
    assert_eq!(authz.status(), AuthorizationStatus::Invalid);
    assert!(authz.problem().unwrap().is("unauthorized"));
}

#[tokio::test]
async fn responding_posts_an_empty_object_and_keeps_retry_after() {
    let (account, script) = account(vec![
        reply(
            200,
            &[("replay-nonce", "n1")],
            &authz(false, &challenge_json("http-01", "https://ca.test/chall/1", TOKEN)),
        ),
        reply(
            200,
            &[("replay-nonce", "n2"), ("retry-after", "7")],
            r#"{"type":"http-01","url":"https://ca.test/chall/1","status":"processing","token":"t"}"#,
        ),
    ])
    .await;
    let handle = account
        .authorization(AUTHZ)
        .await
        .unwrap()
        .challenge(ChallengeType::Http01)
        .unwrap();
    let responded = account.respond(&handle).await.unwrap();
    assert_eq!(responded.state.status, ChallengeStatus::Processing);
    assert_eq!(responded.retry_after, Some(Duration::from_secs(7)));

    let seen = script.seen();
    let post = seen.last().unwrap();
    assert_eq!(post.url.as_str(), "https://ca.test/chall/1");
    let jws: serde_json::Value = serde_json::from_slice(post.body.as_ref().unwrap()).unwrap();
    let payload = URL_SAFE_NO_PAD
        .decode(jws["payload"].as_str().unwrap())
        .unwrap();
    assert_eq!(payload, b"{}");
}

#[tokio::test]
async fn waiting_starts_from_the_answer_to_respond() {
    let (account, script) = account(Vec::new()).await;
    let answer = |status: &str, error: &str| Responded {
        state: serde_json::from_str(&format!(
            r#"{{"type":"http-01","url":"https://ca.test/chall/1","status":"{status}"{error}}}"#
        ))
        .unwrap(),
        retry_after: None,
        took: Duration::ZERO,
    };
    let policy = PollPolicy::with_timeout(Duration::from_secs(60));
    account
        .wait_authorization(AUTHZ, "example.com", answer("valid", ""), &policy, |_| {})
        .await
        .unwrap();
    let err = account
        .wait_authorization(
            AUTHZ,
            "example.com",
            answer(
                "invalid",
                r#","error":{"type":"urn:ietf:params:acme:error:dns","detail":"NXDOMAIN"}"#,
            ),
            &policy,
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ValidationFailed { problem, .. } if problem.is("dns")),
        "{err}"
    );
    // Neither needed a request: only the directory was fetched.
    assert_eq!(script.seen().len(), 1);
}

#[tokio::test]
async fn deactivating_posts_the_deactivated_status_to_the_authorization() {
    let (account, script) = account(vec![reply(
        200,
        &[("replay-nonce", "n1")],
        r#"{"identifier":{"type":"dns","value":"example.com"},"status":"deactivated",
            "challenges":[]}"#,
    )])
    .await;
    let url = Url::parse(AUTHZ).unwrap();
    let authz = account.deactivate_authorization(&url).await.unwrap();
    assert_eq!(authz.status(), AuthorizationStatus::Deactivated);
    assert_eq!(authz.identifier(), &Identifier::Dns("example.com".into()));

    let seen = script.seen();
    let post = seen.last().unwrap();
    assert_eq!(post.url.as_str(), AUTHZ);
    let jws: serde_json::Value = serde_json::from_slice(post.body.as_ref().unwrap()).unwrap();
    let payload = URL_SAFE_NO_PAD
        .decode(jws["payload"].as_str().unwrap())
        .unwrap();
    let payload: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(payload, serde_json::json!({"status": "deactivated"}));
}
