//! Tencent Cloud's published TC3-HMAC-SHA256 example: CVM `DescribeInstances` with SecretId
//! `AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE`, SecretKey `Gu5t9xGARNpq86cd98joQYCN3EXAMPLE`, at
//! timestamp 1551113065; every expected value is the documentation's.

use super::*;
use crate::dns::providers::signing::canonical_request;

const SECRET_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
const SECRET_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
const TIMESTAMP: i64 = 1_551_113_065;
const PAYLOAD: &str =
    r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
const HEADERS: &[(&str, &str)] = &[
    ("Content-Type", "application/json; charset=utf-8"),
    ("Host", "cvm.tencentcloudapi.com"),
];
const AUTHORIZATION: &str = "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/\
    2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, \
    Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168";

#[test]
fn the_documented_example_step_by_step() {
    let canonical = canonical_request("POST", "/", "", HEADERS, PAYLOAD.as_bytes());
    assert_eq!(
        canonical.request,
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\n\
         content-type;host\n35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    );
    let date = date_of(TIMESTAMP);
    assert_eq!(date, "2019-02-25");
    let scope = credential_scope(&date, "cvm");
    let to_sign = string_to_sign(TIMESTAMP, &scope, &canonical.request);
    assert_eq!(
        to_sign,
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n\
         5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    );
    let signature = signature(&signing_key(SECRET_KEY, &date, "cvm"), &to_sign);
    assert_eq!(
        authorization(SECRET_ID, &scope, &canonical.signed_headers, &signature),
        AUTHORIZATION
    );
}

#[test]
fn sign_gives_the_documented_header() {
    let sign = |key| {
        sign(
            HEADERS,
            PAYLOAD.as_bytes(),
            SECRET_ID,
            key,
            TIMESTAMP,
            "cvm",
        )
    };
    assert_eq!(sign(SECRET_KEY), AUTHORIZATION);
    assert_ne!(sign("another key"), AUTHORIZATION);
}
