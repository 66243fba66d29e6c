//! JSON over HTTP for the token-based providers: requests through the run's
//! [`HttpClient`] with the provider's credential headers, and errors that carry the HTTP
//! status and the service's own message (sanitized), naming the variable to check when the
//! service refused the credentials.

use std::sync::Arc;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use crate::acme::http::{HttpClient, Request, Response};
use crate::acme::text::sanitize;
use crate::dns::Error;

/// One provider's API client.
pub(crate) struct Rest {
    provider: &'static str,
    http: Arc<dyn HttpClient>,
    auth: HeaderMap,
    check: &'static str,
}

impl Rest {
    /// A client for `provider` sending the credential headers `auth` with every request;
    /// `check` names what to check when the service refuses them (`PDNS_Token`).
    pub(crate) fn new(
        provider: &'static str,
        http: Arc<dyn HttpClient>,
        auth: impl IntoIterator<Item = (HeaderName, HeaderValue)>,
        check: &'static str,
    ) -> Self {
        Self {
            provider,
            http,
            auth: auth.into_iter().collect(),
            check,
        }
    }

    /// Send one request (a JSON body when given); any HTTP status is an answer.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<Response, Error> {
        let mut request = Request::new(method, url.clone());
        request.headers = self.auth.clone();
        request.accept = Some("application/json");
        if let Some(body) = body {
            request.content_type = Some("application/json");
            request.body = Some(body.to_string().into_bytes());
        }
        self.http
            .request(request)
            .await
            .map_err(|source| Error::Transport {
                provider: self.provider,
                url: url.to_string(),
                source,
            })
    }

    /// `response` if its status is a success, else the error for `what` (`adding the TXT
    /// record`).
    pub(crate) fn check(&self, what: &str, response: Response) -> Result<Response, Error> {
        if (200..300).contains(&response.status) {
            Ok(response)
        } else {
            Err(self.refused(what, &response))
        }
    }

    /// The JSON body of a successful `response`.
    pub(crate) fn json<T: DeserializeOwned>(
        &self,
        what: &str,
        response: Response,
    ) -> Result<T, Error> {
        let response = self.check(what, response)?;
        serde_json::from_slice(&response.body).map_err(|e| {
            self.error(format!(
                "{what}: unexpected answer (HTTP {}): {e}: {}",
                response.status,
                sanitize(&String::from_utf8_lossy(&response.body))
            ))
        })
    }

    /// [`Self::send`] then [`Self::json`].
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        what: &str,
        method: Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<T, Error> {
        let response = self.send(method, url, body).await?;
        self.json(what, response)
    }

    /// The error for an unsuccessful `response` to `what`: its status and the service's
    /// message; for 401 and 403, the variable to check.
    pub(crate) fn refused(&self, what: &str, response: &Response) -> Error {
        let status = match StatusCode::from_u16(response.status)
            .ok()
            .and_then(|s| s.canonical_reason())
        {
            Some(reason) => format!("{} {reason}", response.status),
            None => response.status.to_string(),
        };
        let said = service_message(&response.body);
        let said = if said.is_empty() {
            String::new()
        } else {
            format!(": {said}")
        };
        if matches!(response.status, 401 | 403) {
            self.error(format!(
                "{what} was refused (HTTP {status}{said}); check {}",
                self.check
            ))
        } else {
            self.error(format!("{what} failed (HTTP {status}{said})"))
        }
    }

    /// An [`Error::Api`] of this provider.
    pub(crate) fn error(&self, message: String) -> Error {
        Error::Api {
            provider: self.provider,
            message,
        }
    }
}

/// What the service said in an error body, sanitized: the message of the usual JSON shapes
/// (`{"error": "…"}` of PowerDNS and acme-dns, `{"error": {"message": …}}` of Hetzner,
/// `{"message": …}` of DigitalOcean and GoDaddy, `{"errors": [{"code", "message"}]}` of
/// Cloudflare), else the body as text.
fn service_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let Ok(json) = serde_json::from_str::<Value>(&text) else {
        return sanitize(text.trim());
    };
    let message = |v: &Value| v.get("message").and_then(Value::as_str).map(str::to_owned);
    let found = match (&json["error"], &json["errors"]) {
        (Value::String(s), _) => Some(s.clone()),
        (error @ Value::Object(_), _) => message(error),
        (_, Value::Array(errors)) if !errors.is_empty() => Some(
            errors
                .iter()
                .map(|e| match (message(e), e.get("code")) {
                    (Some(m), Some(code)) => format!("{m} ({code})"),
                    (Some(m), None) => m,
                    (None, _) => e.to_string(),
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => message(&json),
    };
    sanitize(found.as_deref().unwrap_or_else(|| text.trim()))
}

/// A header value carrying a secret from `var`: marked sensitive (never shown by `Debug`).
pub(crate) fn secret_header(var: &'static str, value: &str) -> Result<HeaderValue, Error> {
    let mut header = HeaderValue::from_str(value).map_err(|_| Error::Invalid {
        var,
        reason: "it holds characters an HTTP header cannot carry (a line break?)".into(),
    })?;
    header.set_sensitive(true);
    Ok(header)
}

/// An API base URL from `var` (or the provider's default of that name): `http` or `https`.
pub(crate) fn base_url(var: &'static str, text: &str) -> Result<Url, Error> {
    let invalid = |reason: String| Error::Invalid { var, reason };
    let url = Url::parse(text).map_err(|e| invalid(format!("`{}`: {e}", sanitize(text))))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(invalid(format!(
            "`{}` is not an http:// or https:// URL",
            sanitize(text)
        )));
    }
    Ok(url)
}

/// `base` with `segments` appended to its path, each one percent-encoded as needed.
pub(crate) fn endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

#[cfg(test)]
#[path = "rest_tests.rs"]
mod tests;
