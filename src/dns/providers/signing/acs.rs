//! Alibaba Cloud's RPC signature (`SignatureMethod=HMAC-SHA1`, `SignatureVersion=1.0`): the
//! sorted, percent-encoded parameters ([`super::canonical_query`]) → [`string_to_sign`]
//! (`GET&%2F&<encoded query>`) → [`signature`] (base64 of HMAC-SHA1 keyed with
//! `secret + "&"`). Checked against the example of Alibaba's signature documentation.

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::percent_encode;

/// `METHOD&%2F&percentEncode(canonical query)`.
pub fn string_to_sign(method: &str, canonical_query: &str) -> String {
    format!("{method}&%2F&{}", percent_encode(canonical_query))
}

/// Base64 of HMAC-SHA1(`secret&`, string to sign): the `Signature` parameter, before it is
/// percent-encoded into the URL.
pub fn signature(access_key_secret: &str, string_to_sign: &str) -> String {
    let key = hmac::Key::new(
        hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        format!("{access_key_secret}&").as_bytes(),
    );
    STANDARD.encode(hmac::sign(&key, string_to_sign.as_bytes()))
}

#[cfg(test)]
#[path = "acs_tests.rs"]
mod tests;
