//! AWS Signature Version 4 with the `Authorization` header: canonical request
//! ([`super::canonical_request`]) → [`string_to_sign`] → [`signing_key`] → [`signature`] →
//! [`authorization`]. Checked against AWS's published test suite (`get-vanilla`, …).

use super::{Canonical, canonical_request, hex, hmac_sha256, sha256_hex};

/// The algorithm name, first word of the `Authorization` header.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Where a signature is valid: `YYYYMMDD/region/service/aws4_request`.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    /// The day of the request, `YYYYMMDD` (UTC, the first 8 characters of `X-Amz-Date`).
    pub date: &'a str,
    /// The region (`us-east-1` for Route 53, a global service).
    pub region: &'a str,
    /// The service (`route53`).
    pub service: &'a str,
}

impl Scope<'_> {
    /// `date/region/service/aws4_request`.
    pub fn credential_scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// `AWS4-HMAC-SHA256\n<X-Amz-Date>\n<scope>\nhex(SHA-256(canonical request))`.
pub fn string_to_sign(amz_date: &str, scope: &Scope<'_>, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{}\n{}",
        scope.credential_scope(),
        sha256_hex(canonical_request.as_bytes())
    )
}

/// The key of one day, region and service, derived from the secret access key.
pub fn signing_key(secret_access_key: &str, scope: &Scope<'_>) -> Vec<u8> {
    let k_date = hmac_sha256(
        format!("AWS4{secret_access_key}").as_bytes(),
        scope.date.as_bytes(),
    );
    let k_region = hmac_sha256(&k_date, scope.region.as_bytes());
    let k_service = hmac_sha256(&k_region, scope.service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// Lower-case hex of HMAC-SHA256(signing key, string to sign).
pub fn signature(signing_key: &[u8], string_to_sign: &str) -> String {
    hex(&hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// The `Authorization` header value.
pub fn authorization(
    access_key_id: &str,
    scope: &Scope<'_>,
    signed_headers: &str,
    signature: &str,
) -> String {
    format!(
        "{ALGORITHM} Credential={access_key_id}/{}, SignedHeaders={signed_headers}, Signature={signature}",
        scope.credential_scope()
    )
}

/// One request to sign: `headers` must hold every header to sign, `host` and `x-amz-date`
/// (and `x-amz-security-token` with temporary credentials) among them.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The URI path, already encoded.
    pub path: &'a str,
    /// The [`super::canonical_query`] (empty when there is none).
    pub query: &'a str,
    /// The headers to sign.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub payload: &'a [u8],
}

/// The `Authorization` header value of `request`, signed at `amz_date` (`YYYYMMDDTHHMMSSZ`).
pub fn sign(
    request: &Request<'_>,
    access_key_id: &str,
    secret_access_key: &str,
    amz_date: &str,
    region: &str,
    service: &str,
) -> String {
    let scope = Scope {
        date: amz_date.get(..8).unwrap_or(amz_date),
        region,
        service,
    };
    let Canonical {
        request: canonical,
        signed_headers,
    } = canonical_request(
        request.method,
        request.path,
        request.query,
        request.headers,
        request.payload,
    );
    let to_sign = string_to_sign(amz_date, &scope, &canonical);
    let signature = signature(&signing_key(secret_access_key, &scope), &to_sign);
    authorization(access_key_id, &scope, &signed_headers, &signature)
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;
