use super::*;
use crate::dns::providers::fake::{Answer, FakeApi};

fn rest(answer: fn(&Request) -> Answer) -> Rest {
    let header = secret_header("X_Token", "s3cret").unwrap();
    Rest::new(
        "dns_x",
        Arc::new(FakeApi::new(answer)),
        [(HeaderName::from_static("x-api-key"), header)],
        "X_Token",
    )
}

fn url() -> Url {
    base_url("X_Url", "https://api.example/v1").unwrap()
}

#[tokio::test]
async fn every_request_carries_the_credentials_and_json() {
    let api = rest(|r| {
        let ok = r.headers.get("x-api-key").is_some_and(|v| v == "s3cret")
            && r.content_type == Some("application/json")
            && r.body.as_deref() == Some(br#"{"a":1}"#.as_slice());
        Answer::new(if ok { 200 } else { 401 }, r#"{"ok":true}"#)
    });
    let value: Value = api
        .call(
            "asking",
            Method::POST,
            &url(),
            Some(&serde_json::json!({"a": 1})),
        )
        .await
        .unwrap();
    assert_eq!(value["ok"], true);
}

#[tokio::test]
async fn a_refusal_names_the_status_the_message_and_what_to_check() {
    let api = rest(|_| Answer::new(403, r#"{"error": "bad key\u001b[31m"}"#));
    let err = api
        .call::<Value>("listing zones", Method::GET, &url(), None)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dns_x: listing zones was refused (HTTP 403 Forbidden: bad key?[31m); check X_Token"
    );
    let api = rest(|_| Answer::new(422, "not json"));
    let err = api
        .call::<Value>("adding", Method::GET, &url(), None)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "dns_x: adding failed (HTTP 422 Unprocessable Entity: not json)"
    );
    let api = rest(|_| Answer::new(200, "<html>"));
    let err = api
        .call::<Value>("adding", Method::GET, &url(), None)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("adding: unexpected answer (HTTP 200)"),
        "{err}"
    );
}

#[test]
fn service_messages_of_each_shape() {
    let cases: [(&str, &str); 6] = [
        (r#"{"error": "RRset out of zone"}"#, "RRset out of zone"),
        (
            r#"{"error": {"code": "unauthorized", "message": "unable to authenticate"}}"#,
            "unable to authenticate",
        ),
        (
            r#"{"id": "Unauthorized", "message": "Unable to authenticate you"}"#,
            "Unable to authenticate you",
        ),
        (
            r#"{"success": false, "errors": [{"code": 10000, "message": "Authentication error"}]}"#,
            "Authentication error (10000)",
        ),
        ("Unauthorized\n", "Unauthorized"),
        ("", ""),
    ];
    for (body, said) in cases {
        assert_eq!(service_message(body.as_bytes()), said, "{body}");
    }
}

#[test]
fn secrets_are_hidden_and_bad_values_refused() {
    let header = secret_header("X_Token", "s3cret").unwrap();
    assert!(!format!("{header:?}").contains("s3cret"));
    let err = secret_header("X_Token", "a\nb").unwrap_err();
    assert!(err.to_string().starts_with("`X_Token` is invalid"), "{err}");
}

#[test]
fn base_urls_and_endpoints() {
    assert!(base_url("X_Url", "ftp://example").is_err());
    assert!(base_url("X_Url", "example.com:8081").is_err());
    let base = base_url("X_Url", "http://127.0.0.1:8081/").unwrap();
    assert_eq!(
        endpoint(&base, &["api", "v1", "zones", "a b/c."]).as_str(),
        "http://127.0.0.1:8081/api/v1/zones/a%20b%2Fc."
    );
    let base = base_url("X_Url", "https://proxy.example/pdns").unwrap();
    assert_eq!(
        endpoint(&base, &["api"]).as_str(),
        "https://proxy.example/pdns/api"
    );
}
