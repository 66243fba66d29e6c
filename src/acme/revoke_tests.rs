//! Revocation with a scripted HTTP client (no sockets): payload, key identification, and the
//! CA's refusals.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::*;
use crate::acme::client::tests::{DIRECTORY, Script, TestKey, client, reply};
use crate::acme::http::Request;

/// Not a real certificate: the protocol layer sends whatever DER it is given.
const DER: &[u8] = b"\x30\x03\x02\x01\x07";

/// The protected header and the payload of a signed request.
fn decode(request: &Request) -> (Value, Value) {
    let jws: Value = serde_json::from_slice(request.body.as_ref().unwrap()).unwrap();
    let part = |name: &str| -> Value {
        let bytes = URL_SAFE_NO_PAD.decode(jws[name].as_str().unwrap()).unwrap();
        serde_json::from_slice(&bytes).unwrap()
    };
    (part("protected"), part("payload"))
}

#[test]
fn payload_is_base64url_der_with_optional_reason() {
    let with: Value = serde_json::from_str(&payload(DER, Some(4))).unwrap();
    assert_eq!(with["certificate"], URL_SAFE_NO_PAD.encode(DER));
    assert_eq!(with["reason"], 4);
    let without: Value = serde_json::from_str(&payload(DER, None)).unwrap();
    assert_eq!(without.as_object().unwrap().len(), 1, "{without}");
    // base64url, never standard base64.
    let der = [0xfb, 0xff, 0xfe];
    let text = payload(&der, None);
    assert!(text.contains("-__-"), "{text}");
}

#[tokio::test]
async fn certificate_key_revocation_embeds_the_jwk() {
    let script = Script::new(vec![
        reply(200, &[("replay-nonce", "n1")], DIRECTORY),
        reply(200, &[("replay-nonce", "n2")], ""),
    ]);
    let c = client(&script).await;
    let key = TestKey::new();
    revoke_with_key(&c, &key, DER, Some(1)).await.unwrap();
    let seen = script.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].url.as_str(), "https://ca.test/revoke");
    let (header, body) = decode(&seen[1]);
    assert_eq!(header["jwk"]["kty"], "EC");
    assert!(header.get("kid").is_none());
    assert_eq!(header["url"], "https://ca.test/revoke");
    assert_eq!(body["certificate"], URL_SAFE_NO_PAD.encode(DER));
    assert_eq!(body["reason"], 1);
}

#[tokio::test]
async fn account_revocation_uses_the_kid() {
    let script = Script::new(vec![
        reply(200, &[("replay-nonce", "n1")], DIRECTORY),
        reply(200, &[("replay-nonce", "n2")], ""),
    ]);
    let c = Arc::new(client(&script).await);
    let account = Account::existing(
        c,
        Arc::new(TestKey::new()),
        Vec::new(),
        "https://ca.test/acct/7".into(),
    );
    account.revoke(DER, None).await.unwrap();
    let (header, body) = decode(&script.seen()[1]);
    assert_eq!(header["kid"], "https://ca.test/acct/7");
    assert!(header.get("jwk").is_none());
    assert!(body.get("reason").is_none());
}

#[tokio::test]
async fn an_unknown_account_is_not_registered_again() {
    let script = Script::new(vec![
        reply(200, &[("replay-nonce", "n1")], DIRECTORY),
        reply(
            400,
            &[("replay-nonce", "n2")],
            r#"{"type":"urn:ietf:params:acme:error:accountDoesNotExist","detail":"gone"}"#,
        ),
    ]);
    let c = Arc::new(client(&script).await);
    // A URL on another origin would also make other requests register first.
    let account = Account::existing(
        c,
        Arc::new(TestKey::new()),
        Vec::new(),
        "https://elsewhere.test/acct/1".into(),
    );
    let err = account.revoke(DER, Some(0)).await.unwrap_err();
    assert!(err.problem().unwrap().is("accountDoesNotExist"), "{err}");
    assert_eq!(script.seen().len(), 2, "no newAccount request");
    assert!(account.reregistered().is_none());
}

#[tokio::test]
async fn refusals_keep_the_ca_problem() {
    let script = Script::new(vec![
        reply(200, &[("replay-nonce", "n1")], DIRECTORY),
        reply(
            403,
            &[("replay-nonce", "n2")],
            r#"{"type":"urn:ietf:params:acme:error:unauthorized","detail":"not your certificate"}"#,
        ),
        reply(
            400,
            &[("replay-nonce", "n3")],
            r#"{"type":"urn:ietf:params:acme:error:alreadyRevoked","detail":"Certificate has already been revoked."}"#,
        ),
    ]);
    let c = client(&script).await;
    let key = TestKey::new();
    let err = revoke_with_key(&c, &key, DER, None).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 403, .. }), "{err}");
    assert!(err.to_string().contains("not your certificate"), "{err}");
    assert!(!is_already_revoked(&err));
    let err = revoke_with_key(&c, &key, DER, None).await.unwrap_err();
    assert!(is_already_revoked(&err), "{err}");
}

#[tokio::test]
async fn a_directory_without_revoke_cert_is_an_error_before_any_request() {
    let script = Script::new(vec![reply(
        200,
        &[("replay-nonce", "n1")],
        r#"{"newNonce":"https://ca.test/nonce","newAccount":"https://ca.test/acct","newOrder":"https://ca.test/order"}"#,
    )]);
    let c = client(&script).await;
    let err = revoke_with_key(&c, &TestKey::new(), DER, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("revokeCert"), "{err}");
    assert_eq!(script.seen().len(), 1);
}

#[tokio::test]
async fn a_revoke_cert_url_on_another_scheme_is_refused() {
    let script = Script::new(vec![reply(
        200,
        &[("replay-nonce", "n1")],
        r#"{"newNonce":"https://ca.test/nonce","newAccount":"https://ca.test/acct","newOrder":"https://ca.test/order","revokeCert":"http://ca.test/revoke"}"#,
    )]);
    let c = client(&script).await;
    assert!(
        revoke_with_key(&c, &TestKey::new(), DER, None)
            .await
            .is_err()
    );
    assert_eq!(script.seen().len(), 1);
}
