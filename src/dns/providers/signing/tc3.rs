//! Tencent Cloud API 3.0's `TC3-HMAC-SHA256`: canonical request ([`super::canonical_request`],
//! SigV4's layout) → [`string_to_sign`] → [`signing_key`] → [`signature`] → [`authorization`].
//! Checked against Tencent's published example (CVM `DescribeInstances`).

use super::{canonical_request, hex, hmac_sha256, sha256_hex};

/// The algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// `YYYY-MM-DD/service/tc3_request`.
pub fn credential_scope(date: &str, service: &str) -> String {
    format!("{date}/{service}/tc3_request")
}

/// `TC3-HMAC-SHA256\n<X-TC-Timestamp>\n<scope>\nhex(SHA-256(canonical request))`.
pub fn string_to_sign(timestamp: i64, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{timestamp}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The key of one day (`YYYY-MM-DD`, UTC) and service, derived from the `SecretKey`.
pub fn signing_key(secret_key: &str, date: &str, service: &str) -> Vec<u8> {
    let secret_date = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let secret_service = hmac_sha256(&secret_date, service.as_bytes());
    hmac_sha256(&secret_service, b"tc3_request")
}

/// Lower-case hex of HMAC-SHA256(signing key, string to sign).
pub fn signature(signing_key: &[u8], string_to_sign: &str) -> String {
    hex(&hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// The `Authorization` header value.
pub fn authorization(
    secret_id: &str,
    scope: &str,
    signed_headers: &str,
    signature: &str,
) -> String {
    format!(
        "{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

/// The `Authorization` header value of a POST to `/` with `headers` (`content-type` and
/// `host` at least) and `payload`, signed at `timestamp` (Unix seconds, `X-TC-Timestamp`).
pub fn sign(
    headers: &[(&str, &str)],
    payload: &[u8],
    secret_id: &str,
    secret_key: &str,
    timestamp: i64,
    service: &str,
) -> String {
    let date = date_of(timestamp);
    let scope = credential_scope(&date, service);
    let canonical = canonical_request("POST", "/", "", headers, payload);
    let to_sign = string_to_sign(timestamp, &scope, &canonical.request);
    let signature = signature(&signing_key(secret_key, &date, service), &to_sign);
    authorization(secret_id, &scope, &canonical.signed_headers, &signature)
}

/// The UTC day (`YYYY-MM-DD`) of a Unix `timestamp`, the date of the credential scope.
pub fn date_of(timestamp: i64) -> String {
    jiff::Timestamp::from_second(timestamp)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%d")
        .to_string()
}

#[cfg(test)]
#[path = "tc3_tests.rs"]
mod tests;
