//! ZeroSSL's EAB credentials for an email address (acme.sh's `_regAccount`: a form POST of
//! `email=<address>` to ZeroSSL's `eab-credentials-email` endpoint, answered with
//! `{"eab_kid": …, "eab_hmac_key": …}`).

use reqwest::{Method, Url};
use serde::Deserialize;

use super::account::Eab;
use super::error::{Error, Result};
use super::http::{HttpClient, Request};

/// ZeroSSL's endpoint, as acme.sh's `_ZERO_EAB_ENDPOINT`.
pub const EAB_ENDPOINT: &str = "https://api.zerossl.com/acme/eab-credentials-email";

#[derive(Deserialize)]
struct Credentials {
    eab_kid: Option<String>,
    eab_hmac_key: Option<String>,
}

/// Ask `endpoint` for the EAB credentials of `email`.
///
/// # Errors
///
/// The endpoint cannot be reached, answers with an error status, or without both values.
pub async fn eab_credentials(http: &dyn HttpClient, endpoint: &Url, email: &str) -> Result<Eab> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("email", email)
        .finish();
    let mut request = Request::new(Method::POST, endpoint.clone());
    request.content_type = Some("application/x-www-form-urlencoded");
    request.body = Some(body.into_bytes());
    let response = http
        .request(request)
        .await
        .map_err(|source| Error::Transport {
            url: endpoint.to_string(),
            source,
        })?;
    let bad = |why: &str| Error::bad_response(endpoint, format!("no EAB credentials: {why}"));
    if !(200..300).contains(&response.status) {
        return Err(bad(&format!("HTTP {}", response.status)));
    }
    let credentials: Credentials =
        serde_json::from_slice(&response.body).map_err(|_| bad("not the expected JSON"))?;
    match (credentials.eab_kid, credentials.eab_hmac_key) {
        (Some(kid), Some(key)) if !kid.is_empty() => {
            Eab::from_text(&kid, &key).ok_or_else(|| bad("the HMAC key is not base64url"))
        }
        _ => Err(bad("`eab_kid` or `eab_hmac_key` missing")),
    }
}
