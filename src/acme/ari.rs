//! ACME Renewal Information ([RFC 9773]): the CertID of a certificate, and its renewal
//! window fetched from the directory's `renewalInfo` (an unauthenticated GET, §4.1).
//!
//! One fetch is one request: no retry here, whatever the answer (the caller checks again at
//! its next check time). The body is capped at [`MAX_RENEWAL_INFO`].
//!
//! [RFC 9773]: https://www.rfc-editor.org/rfc/rfc9773

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;

use super::client::{Client, problem_of, retry_after_of};
use super::error::{Error, Result};
use super::http::Request;
use super::jws::b64;
use super::text::sanitize;

/// Largest renewalInfo body accepted (a real one is under 300 bytes).
pub const MAX_RENEWAL_INFO: usize = 16 * 1024;

/// The ARI CertID of a certificate (RFC 9773 §4.1): base64url of the Authority Key
/// Identifier's keyIdentifier, `.`, base64url of the serial number's DER INTEGER value bytes.
/// `serial` is taken as the certificate carries it; a first byte with the high bit set gets
/// the leading 0x00 DER requires (acme.sh's `_getARICertID` adds it too: a strict CA refuses
/// the CertID without it).
pub fn cert_id(authority_key_id: &[u8], serial: &[u8]) -> String {
    let serial = match serial.first() {
        Some(b) if b & 0x80 != 0 => [&[0][..], serial].concat(),
        _ => serial.to_vec(),
    };
    format!("{}.{}", b64(authority_key_id), b64(serial))
}

/// A certificate's renewal window, as the CA suggested it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenewalInfo {
    /// `suggestedWindow.start`, unix seconds.
    pub start: i64,
    /// `suggestedWindow.end`, unix seconds (after `start`).
    pub end: i64,
    /// `explanationURL` (sanitized), when the CA gave one.
    pub explanation_url: Option<String>,
    /// The response's `Retry-After`: when to ask again (§4.3).
    pub retry_after: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Body {
    suggested_window: Window,
    #[serde(default, rename = "explanationURL")]
    explanation_url: Option<String>,
}

#[derive(Deserialize)]
struct Window {
    start: String,
    end: String,
}

/// Parse a renewalInfo body (RFC 9773 §4.2). A window whose end is not after its start is
/// refused (the RFC treats it as invalid).
///
/// # Errors
///
/// A description of what is wrong.
pub fn parse_renewal_info(
    body: &[u8],
    retry_after: Option<Duration>,
) -> std::result::Result<RenewalInfo, String> {
    if body.len() > MAX_RENEWAL_INFO {
        return Err(format!("renewalInfo larger than {MAX_RENEWAL_INFO} bytes"));
    }
    let body: Body =
        serde_json::from_slice(body).map_err(|e| format!("not a renewalInfo object ({e})"))?;
    let time = |t: &str| {
        t.parse::<jiff::Timestamp>()
            .map(|t| t.as_second())
            .map_err(|_| format!("`{}` is not an RFC 3339 time", sanitize(t)))
    };
    let (start, end) = (
        time(&body.suggested_window.start)?,
        time(&body.suggested_window.end)?,
    );
    if end <= start {
        return Err("the suggested window ends before it starts".into());
    }
    let explanation_url = body
        .explanation_url
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(|u| sanitize(&u));
    Ok(RenewalInfo {
        start,
        end,
        explanation_url,
        retry_after,
    })
}

impl Client {
    /// Fetch the renewal window of the certificate `cert_id` (one GET, never retried).
    ///
    /// # Errors
    ///
    /// [`Error::BadResponse`] when the directory has no `renewalInfo` or the answer is not a
    /// window; [`Error::Api`] for an error status; [`Error::Transport`] when it failed below
    /// HTTP.
    pub async fn renewal_info(&self, cert_id: &str) -> Result<RenewalInfo> {
        let base = self.directory().renewal_info.clone().ok_or_else(|| {
            Error::bad_response(self.directory_url(), "the directory has no renewalInfo")
        })?;
        let url = self.check_url(&format!("{}/{cert_id}", base.trim_end_matches('/')))?;
        let response = self.send(Request::new(Method::GET, url.clone())).await?;
        if !(200..300).contains(&response.status) {
            return Err(Error::Api {
                url: url.to_string(),
                status: response.status,
                problem: Box::new(problem_of(&response)),
                retry_after: retry_after_of(&response),
            });
        }
        parse_renewal_info(&response.body, retry_after_of(&response))
            .map_err(|why| Error::bad_response(&url, why))
    }
}

#[cfg(test)]
#[path = "ari_tests.rs"]
mod tests;
