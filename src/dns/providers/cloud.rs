//! What the signed providers (`dns_aws`, `dns_ali`, `dns_tencent`) share besides their
//! signatures ([`super::signing`]): the account (the run's HTTP client, the endpoint, a key
//! ID and its secret) and how it sends, secret header values, and the error of an answer that
//! refused a request: the HTTP status, what the service said, and what to check.

use std::sync::Arc;

use reqwest::header::HeaderValue;
use serde_json::Value;
use url::Url;

use crate::acme::http::{HttpClient, Request, Response};
use crate::acme::text::sanitize;
use crate::dns::{Context, Error, Spec};

/// A key pair at a signed API.
pub(crate) struct Account {
    /// The hook name, for errors.
    provider: &'static str,
    /// The run's HTTP client.
    http: Arc<dyn HttpClient>,
    /// The endpoint.
    pub(crate) api: Url,
    /// The key ID (`Ali_Key`, `Tencent_SecretId`, `AWS_ACCESS_KEY_ID`).
    pub(crate) key_id: String,
    /// Its secret.
    pub(crate) secret: String,
}

impl Account {
    /// The key pair of `spec`'s variables `key_id` and `secret`, at `api`.
    ///
    /// # Errors
    ///
    /// [`Error::Missing`] when one of them is not set.
    pub(crate) fn new(
        ctx: &Context<'_>,
        spec: &Spec,
        api: &str,
        key_id: &'static str,
        secret: &'static str,
    ) -> Result<Self, Error> {
        Ok(Self {
            provider: spec.name,
            http: Arc::clone(&ctx.http),
            api: Url::parse(api).map_err(|e| Error::Dns(e.to_string()))?,
            key_id: ctx.credentials.require(spec, key_id)?.to_owned(),
            secret: ctx.credentials.require(spec, secret)?.to_owned(),
        })
    }

    /// Send `request`; when no answer comes, the error names its URL without the query (which
    /// may hold the key ID and the signature).
    pub(crate) async fn send(&self, request: Request) -> Result<Response, Error> {
        let url = &request.url;
        let url = format!("{}{}", url.origin().ascii_serialization(), url.path());
        self.http
            .request(request)
            .await
            .map_err(|source| Error::Transport {
                provider: self.provider,
                url,
                source,
            })
    }
}

/// A header value made from the variable `var` (named when it cannot be one), marked
/// sensitive.
pub(crate) fn header(var: &'static str, value: &str) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_str(value).map_err(|_| Error::Invalid {
        var,
        reason: "it holds a character outside printable ASCII".to_owned(),
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The [`Error::Api`] of `provider` for an answer with `status` in which `service`
/// (`Route 53`) said `said` (sanitized): `{service} answered HTTP {status}: {said}`, then
/// `; {check}` when the service refused the credentials (`check AWS_ACCESS_KEY_ID and …`).
pub(crate) fn refused(
    provider: &'static str,
    service: &str,
    status: u16,
    said: &str,
    check: Option<&str>,
) -> Error {
    let check = check.map(|check| format!("; {check}")).unwrap_or_default();
    Error::Api {
        provider,
        message: format!("{service} answered HTTP {status}: {said}{check}"),
    }
}

/// An error answer of the APIs that give an error object `{"Code": …, "Message": …}`
/// (`dns_ali`, `dns_tencent`).
pub(crate) struct Refusal {
    /// The HTTP status.
    pub(crate) status: u16,
    /// The error code (`InvalidDomainName.NoExist`); empty when there is none.
    pub(crate) code: String,
    /// The error message, else the body as text.
    message: String,
}

impl Refusal {
    /// The refusal in `response`, whose error object is `error` (when there is one).
    pub(crate) fn new(response: &Response, error: Option<&Value>) -> Self {
        let text = |key| error.and_then(|e| e[key].as_str()).map(str::to_owned);
        Self {
            status: response.status,
            code: text("Code").unwrap_or_default(),
            message: text("Message")
                .unwrap_or_else(|| String::from_utf8_lossy(&response.body).into_owned()),
        }
    }

    /// `code: message`, sanitized.
    fn said(&self) -> String {
        format!("{}: {}", sanitize(&self.code), sanitize(&self.message))
    }

    /// [`refused`] with `code: message` as what `service` said.
    pub(crate) fn error(
        &self,
        provider: &'static str,
        service: &str,
        check: Option<&str>,
    ) -> Error {
        refused(provider, service, self.status, &self.said(), check)
    }

    /// ` (last answer: code: message)` for a search that ended on `last`, or nothing.
    pub(crate) fn last_answer(last: Option<&Self>) -> String {
        last.map_or_else(String::new, |r| format!(" (last answer: {})", r.said()))
    }
}
