//! AWS's Signature Version 4 test suite (`aws-sig-v4-test-suite`): access key `AKIDEXAMPLE`,
//! secret `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`, region `us-east-1`, service `service`,
//! host `example.amazonaws.com`, at `20150830T123600Z`; each expected value is the suite's
//! published `.creq`, `.sts` or `.authz`.

use super::*;
use crate::dns::providers::signing::canonical_query;

const KEY_ID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20150830T123600Z";
const HOST: &str = "example.amazonaws.com";
const SCOPE: Scope<'static> = Scope {
    date: "20150830",
    region: "us-east-1",
    service: "service",
};

fn authz(signed_headers: &str, signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders={signed_headers}, Signature={signature}"
    )
}

fn sign_suite(method: &str, query: &str, extra: &[(&str, &str)], payload: &[u8]) -> String {
    let mut headers = vec![("Host", HOST), ("X-Amz-Date", DATE)];
    headers.extend_from_slice(extra);
    let request = Request {
        method,
        path: "/",
        query,
        headers: &headers,
        payload,
    };
    sign(&request, KEY_ID, SECRET, DATE, "us-east-1", "service")
}

#[test]
fn get_vanilla_step_by_step() {
    let canonical = canonical_request("GET", "/", "", &[("Host", HOST), ("X-Amz-Date", DATE)], b"");
    assert_eq!(
        canonical.request,
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let to_sign = string_to_sign(DATE, &SCOPE, &canonical.request);
    assert_eq!(
        to_sign,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
         bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    );
    let signature = signature(&signing_key(SECRET, &SCOPE), &to_sign);
    assert_eq!(
        authorization(KEY_ID, &SCOPE, &canonical.signed_headers, &signature),
        authz(
            "host;x-amz-date",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        )
    );
}

#[test]
fn get_vanilla_query_order_key_case() {
    let query = canonical_query(&[("Param2", "value2"), ("Param1", "value1")]);
    assert_eq!(query, "Param1=value1&Param2=value2");
    assert_eq!(
        sign_suite("GET", &query, &[], b""),
        authz(
            "host;x-amz-date",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        )
    );
}

#[test]
fn post_x_www_form_urlencoded_signs_the_body() {
    assert_eq!(
        sign_suite(
            "POST",
            "",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"Param1=value1"
        ),
        authz(
            "content-type;host;x-amz-date",
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        )
    );
}

#[test]
fn post_sts_header_before_signs_the_session_token() {
    const TOKEN: &str = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
    let headers = [
        ("Host", HOST),
        ("X-Amz-Date", DATE),
        ("X-Amz-Security-Token", TOKEN),
    ];
    let canonical = canonical_request("POST", "/", "", &headers, b"");
    assert_eq!(
        string_to_sign(DATE, &SCOPE, &canonical.request),
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
         c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6"
    );
    assert_eq!(
        sign_suite("POST", "", &[("X-Amz-Security-Token", TOKEN)], b""),
        authz(
            "host;x-amz-date;x-amz-security-token",
            "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"
        )
    );
}

#[test]
fn another_secret_gives_another_signature() {
    let request = Request {
        method: "GET",
        path: "/",
        query: "",
        headers: &[("Host", HOST), ("X-Amz-Date", DATE)],
        payload: b"",
    };
    assert_ne!(
        sign(&request, KEY_ID, "wrong", DATE, "us-east-1", "service"),
        sign_suite("GET", "", &[], b"")
    );
}
