//! RFC 8555 objects as the CA sends them, and the validated values taken from them.
//!
//! Everything here is parsed from hostile input: unknown fields are ignored, and the values
//! that leave this module (tokens, URLs) are checked first ([`Token::parse`], [`check_url`]).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Re-exported from [`super::text`], where the terminal-safety helpers live.
use super::text::sanitize;

/// An identifier in an order ([RFC 8555 §9.7.7], [RFC 8738]).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "lowercase")]
pub enum Identifier {
    /// A DNS name, possibly a wildcard (`*.example.com`).
    Dns(String),
    /// An IPv4 or IPv6 address in its textual form.
    Ip(String),
}

impl Identifier {
    /// The name or address.
    pub fn value(&self) -> &str {
        match self {
            Self::Dns(v) | Self::Ip(v) => v,
        }
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.value())
    }
}

/// Status of an order ([RFC 8555 §7.1.6]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// Authorizations not yet satisfied.
    Pending,
    /// All authorizations valid; waiting for finalize.
    Ready,
    /// Finalize received; the CA is issuing.
    Processing,
    /// The certificate is ready to download.
    Valid,
    /// The order failed or expired.
    Invalid,
}

/// Status of an authorization ([RFC 8555 §7.1.6]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthorizationStatus {
    /// Waiting for a challenge to succeed.
    Pending,
    /// Validated.
    Valid,
    /// Validation failed.
    Invalid,
    /// Deactivated by the client.
    Deactivated,
    /// Expired.
    Expired,
    /// Revoked by the CA.
    Revoked,
}

/// Status of a challenge ([RFC 8555 §7.1.6]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChallengeStatus {
    /// Not yet responded to.
    Pending,
    /// The CA is validating.
    Processing,
    /// Validated.
    Valid,
    /// Validation failed.
    Invalid,
}

macro_rules! status_display {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let s = format!("{self:?}").to_ascii_lowercase();
                f.write_str(&s)
            }
        }
    )*};
}
status_display!(OrderStatus, AuthorizationStatus, ChallengeStatus);

/// The directory object ([RFC 8555 §7.1.1]). Unknown members are ignored.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Directory {
    /// newNonce URL.
    pub new_nonce: String,
    /// newAccount URL.
    pub new_account: String,
    /// newOrder URL.
    pub new_order: String,
    /// revokeCert URL.
    #[serde(default)]
    pub revoke_cert: Option<String>,
    /// keyChange URL.
    #[serde(default)]
    pub key_change: Option<String>,
    /// ARI renewalInfo URL (RFC 9773).
    #[serde(default)]
    pub renewal_info: Option<String>,
    /// Metadata.
    #[serde(default)]
    pub meta: Option<DirectoryMeta>,
}

/// The directory's `meta` object.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryMeta {
    /// Terms of service URL.
    #[serde(default)]
    pub terms_of_service: Option<String>,
    /// Whether newAccount needs external account binding.
    #[serde(default)]
    pub external_account_required: Option<bool>,
    /// The certificate profiles the CA offers, by name, each with its description (usually
    /// a URL) — the ACME profiles extension (draft-aaron-acme-profiles).
    #[serde(default)]
    pub profiles: std::collections::BTreeMap<String, serde_json::Value>,
}

/// An account object ([RFC 8555 §7.1.2]).
#[derive(Clone, Debug, Deserialize)]
pub struct AccountObject {
    /// `valid`, `deactivated` or `revoked`.
    pub status: String,
}

/// An order object ([RFC 8555 §7.1.3]).
#[derive(Clone, Debug, Deserialize)]
pub struct OrderObject {
    /// Order status.
    pub status: OrderStatus,
    /// When a pending or valid order expires (RFC 3339).
    #[serde(default)]
    pub expires: Option<String>,
    /// The identifiers ordered.
    pub identifiers: Vec<Identifier>,
    /// Authorization URLs.
    #[serde(default)]
    pub authorizations: Vec<String>,
    /// Finalize URL.
    pub finalize: String,
    /// Certificate URL, once valid.
    #[serde(default)]
    pub certificate: Option<String>,
    /// The error that made the order invalid.
    #[serde(default)]
    pub error: Option<Problem>,
}

/// An authorization object ([RFC 8555 §7.1.4]).
#[derive(Clone, Debug, Deserialize)]
pub struct AuthorizationObject {
    /// The identifier being authorized (without `*.` for wildcards).
    pub identifier: Identifier,
    /// Authorization status.
    pub status: AuthorizationStatus,
    /// Challenges offered.
    #[serde(default)]
    pub challenges: Vec<ChallengeObject>,
    /// Whether this authorization is for a wildcard name.
    #[serde(default)]
    pub wildcard: bool,
}

/// A challenge type ([RFC 8555 §8], [RFC 8737]). Types this crate does not know are kept as
/// [`Other`](Self::Other), so an authorization offering them still parses.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(from = "String")]
pub enum ChallengeType {
    /// `http-01`: a file at `http://<name>/.well-known/acme-challenge/<token>` ([RFC 8555 §8.3]).
    Http01,
    /// `dns-01`: a TXT record at `_acme-challenge.<name>` ([RFC 8555 §8.4]).
    Dns01,
    /// `tls-alpn-01`: a certificate served for ALPN `acme-tls/1` ([RFC 8737]).
    TlsAlpn01,
    /// Any other type, as the CA spelled it (unchecked text: see [`sanitize`]).
    Other(String),
}

impl ChallengeType {
    /// The type as RFC 8555 spells it (`http-01`, …).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Http01 => "http-01",
            Self::Dns01 => "dns-01",
            Self::TlsAlpn01 => "tls-alpn-01",
            Self::Other(other) => other,
        }
    }

    /// The type named `text`; never fails (unknown types become [`Other`](Self::Other)).
    pub fn parse(text: &str) -> Self {
        Self::from(text.to_owned())
    }
}

impl From<String> for ChallengeType {
    fn from(text: String) -> Self {
        match text.as_str() {
            "http-01" => Self::Http01,
            "dns-01" => Self::Dns01,
            "tls-alpn-01" => Self::TlsAlpn01,
            _ => Self::Other(text),
        }
    }
}

impl fmt::Display for ChallengeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&sanitize(self.as_str()))
    }
}

/// A challenge object ([RFC 8555 §8]).
#[derive(Clone, Debug, Deserialize)]
pub struct ChallengeObject {
    /// `http-01`, `dns-01`, `tls-alpn-01`, …
    #[serde(rename = "type")]
    pub kind: ChallengeType,
    /// Challenge URL (checked with [`check_url`] before use).
    pub url: String,
    /// Challenge status.
    pub status: ChallengeStatus,
    /// Token, unchecked (see [`Token::parse`]).
    #[serde(default)]
    pub token: Option<String>,
    /// The validation error, if any. An empty `{}` (seen from ZeroSSL) is treated as absent.
    #[serde(default, deserialize_with = "lenient_problem")]
    pub error: Option<Problem>,
}

fn lenient_problem<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Problem>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(value
        .and_then(|v| serde_json::from_value::<Problem>(v).ok())
        .filter(|p| p.kind.is_some() || p.detail.is_some()))
}

/// A problem document ([RFC 7807], [RFC 8555 §6.7]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Problem {
    /// Error type URN, e.g. `urn:ietf:params:acme:error:badNonce`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// Human-readable detail.
    #[serde(default)]
    pub detail: Option<String>,
    /// HTTP status the CA reported.
    #[serde(default)]
    pub status: Option<u16>,
    /// The identifier a subproblem is about.
    #[serde(default)]
    pub identifier: Option<Identifier>,
    /// Per-identifier problems.
    #[serde(default)]
    pub subproblems: Vec<Self>,
}

const ACME_ERROR_PREFIX: &str = "urn:ietf:params:acme:error:";

impl Problem {
    /// Whether the type is `urn:ietf:params:acme:error:<name>`.
    pub fn is(&self, name: &str) -> bool {
        self.kind
            .as_deref()
            .and_then(|k| k.strip_prefix(ACME_ERROR_PREFIX))
            == Some(name)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind.as_deref().unwrap_or("about:blank");
        write!(f, "{}", sanitize(kind))?;
        if let Some(detail) = &self.detail {
            write!(f, ": {}", sanitize(detail))?;
        }
        for sub in &self.subproblems {
            write!(f, "; ")?;
            if let Some(id) = &sub.identifier {
                write!(f, "{}: ", sanitize(id.value()))?;
            }
            write!(f, "{sub}")?;
        }
        Ok(())
    }
}

/// A challenge token, checked against RFC 8555 §8.3: base64url alphabet only, 1–255
/// characters. Tokens become file names and HTTP paths, so nothing else may pass.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Token(String);

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
#[error("challenge token {0:?} is not base64url (RFC 8555 §8.3); refusing it")]
pub struct BadToken(pub String);

impl Token {
    /// Longest token accepted (a file name limit).
    pub const MAX_LEN: usize = 255;

    /// Check a token from the CA.
    pub fn parse(raw: &str) -> Result<Self, BadToken> {
        let ok = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(BadToken(sanitize(
                &raw.chars().take(80).collect::<String>(),
            )))
        }
    }

    /// The token text (safe as a path component).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({})", self.0)
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key authorization, `<token>.<account thumbprint>` ([RFC 8555 §8.1]).
///
/// `Debug` does not print the value.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyAuthorization(String);

impl KeyAuthorization {
    /// Build from a checked token and the account key thumbprint.
    pub fn new(token: &Token, thumbprint: &str) -> Self {
        Self(format!("{}.{thumbprint}", token.as_str()))
    }

    /// The value an http-01 response body carries.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// SHA-256 of the key authorization: the `acmeIdentifier` extension value of tls-alpn-01
    /// ([RFC 8737 §3]).
    pub fn sha256(&self) -> [u8; 32] {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, self.0.as_bytes());
        let mut out = [0; 32];
        out.copy_from_slice(digest.as_ref());
        out
    }

    /// The TXT record value for dns-01: base64url(SHA-256(key authorization)) ([RFC 8555
    /// §8.4]).
    pub fn dns_value(&self) -> String {
        super::jws::b64(self.sha256())
    }
}

impl fmt::Debug for KeyAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyAuthorization(<redacted>)")
    }
}

/// Why a URL from the CA was refused.
#[derive(Debug, thiserror::Error)]
#[error("the CA sent an unusable URL {url:?}: {why}")]
pub struct BadUrl {
    /// The URL (sanitized).
    pub url: String,
    /// What is wrong with it.
    pub why: &'static str,
}

/// Check a URL the CA sent before using it as a request target: it must be absolute, use the
/// directory's scheme (`https` in production) and carry no credentials.
pub fn check_url(raw: &str, directory_scheme: &str) -> Result<reqwest::Url, BadUrl> {
    let bad = |why| BadUrl {
        url: sanitize(raw),
        why,
    };
    let url = reqwest::Url::parse(raw).map_err(|_| bad("not an absolute URL"))?;
    if url.scheme() != "https" && url.scheme() != directory_scheme {
        return Err(bad("scheme is not https"));
    }
    if url.host_str().is_none() {
        return Err(bad("no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("URL carries credentials"));
    }
    Ok(url)
}

#[cfg(test)]
#[path = "types_tests.rs"]
mod tests;
