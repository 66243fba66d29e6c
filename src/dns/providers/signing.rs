//! Request signatures of the signed DNS APIs, as pure functions (canonical request → string to
//! sign → signature), each checked against the example its service publishes:
//!
//! - [`sigv4`]: AWS Signature Version 4 (Route 53).
//! - [`acs`]: Alibaba Cloud's RPC signature (`HMAC-SHA1`, `SignatureVersion=1.0`).
//! - [`tc3`]: Tencent Cloud's `TC3-HMAC-SHA256` (API 3.0).
//!
//! What they share lives here: hex, SHA-256, HMAC-SHA256, RFC 3986 percent-encoding, the
//! sorted query string and the canonical request SigV4 and TC3 both hash. Crypto is
//! aws-lc-rs's. Nothing here logs; a signature and the keys it comes from are never printed.

pub mod acs;
pub mod sigv4;
pub mod tc3;

use std::fmt::Write as _;

use aws_lc_rs::{digest, hmac};

pub use crate::acme::text::hex;

/// Lower-case hex of SHA-256(`data`).
pub fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

/// HMAC-SHA256(`key`, `data`).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data)
        .as_ref()
        .to_vec()
}

/// `text` with every byte outside RFC 3986's unreserved set (`A-Z a-z 0-9 - _ . ~`, §2.3)
/// written as `%XX` in upper-case hex: SigV4's `UriEncode` and Alibaba's `percentEncode`.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .fold(String::with_capacity(text.len()), |mut out, b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(char::from(b));
            } else {
                let _ = write!(out, "%{b:02X}");
            }
            out
        })
}

/// The canonical query string: each name and value percent-encoded, the pairs sorted (by
/// encoded name, then value) and joined as `name=value&…`. Sent as the URL's query too, so
/// what is signed is byte for byte what is sent.
pub fn canonical_query(params: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A canonical request and the header list it signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Canonical {
    /// `METHOD\nPATH\nQUERY\nHEADERS\n\nSIGNED\nhex(SHA-256(payload))`.
    pub request: String,
    /// The signed header names, lower case, sorted, joined by `;`.
    pub signed_headers: String,
}

/// The canonical request of AWS SigV4 and Tencent TC3 (the same layout): `path` is already
/// encoded (`/` for TC3), `query` is a [`canonical_query`] (empty for a POST of TC3),
/// `headers` are the signed headers (names in any case; values are trimmed and inner runs of
/// spaces collapsed, as SigV4 asks).
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(&str, &str)],
    payload: &[u8],
) -> Canonical {
    let mut headers: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| {
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            (name.to_ascii_lowercase(), value)
        })
        .collect();
    headers.sort();
    let canonical_headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}:{value}\n"))
        .collect();
    let signed_headers = headers
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let request = format!(
        "{method}\n{path}\n{query}\n{canonical_headers}\n{signed_headers}\n{}",
        sha256_hex(payload)
    );
    Canonical {
        request,
        signed_headers,
    }
}

/// The `Host` header a request to `url` carries: the host, and the port when it is not the
/// scheme's default (what reqwest sends, so what the service checks).
pub fn host_header(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

#[cfg(test)]
#[path = "signing_tests.rs"]
mod tests;
