//! The native `webhook` notify hook (no shell; docs/deploy-notify.md, "Notifications"):
//! `--notify-hook webhook` POSTs one JSON object per event of a message to `WEBHOOK_URL`
//! (from the environment, else `SAVED_WEBHOOK_URL` in `account.conf`), with acmers' HTTPS
//! client ([`crate::https::config`] with the run's `--ca-bundle`: the CA connection's TLS
//! rules), within the hook time limit, and tries again (at most [`TRIES`] times in all) after a
//! transport error or a 5xx answer.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::{Method, Url};
use serde_json::json;

use super::{Event, Message};
use crate::acme::http::Request;
use crate::acme::text::sanitize;

/// The hook's name in `NOTIFY_HOOK`.
pub const NAME: &str = "webhook";

/// The variable naming the URL (saved as `SAVED_WEBHOOK_URL`).
pub const URL_VAR: &str = "WEBHOOK_URL";

/// Tries per POST (the first and two more).
pub const TRIES: u32 = 3;

/// The wait before the second try; doubled before each further one.
const BACKOFF: Duration = Duration::from_secs(1);

/// Where and how to POST.
#[derive(Clone, Debug)]
pub struct Webhook {
    /// `WEBHOOK_URL`, if set.
    pub url: Option<String>,
    /// `--ca-bundle`: extra roots for the HTTPS connection.
    pub ca_bundle: Option<PathBuf>,
    /// The time limit of one message (every POST and retry of it).
    pub time_limit: Duration,
}

/// Why the webhook could not be notified.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No URL to post to.
    #[error(
        "`{URL_VAR}` is not set (set it in the environment for `--set-notify`, which saves it)"
    )]
    NoUrl,
    /// The URL is not an https URL.
    #[error("`{URL_VAR}` `{0}` is not an https URL")]
    Url(String),
    /// The HTTPS client could not be made.
    #[error(transparent)]
    Setup(#[from] crate::https::SetupError),
    /// The server answered with an error status.
    #[error("{url} answered HTTP {status} after {tries} tries")]
    Status {
        /// The URL (sanitized).
        url: String,
        /// The last status.
        status: u16,
        /// How many POSTs were made.
        tries: u32,
    },
    /// The request failed below HTTP.
    #[error("{url} could not be reached after {tries} tries: {message}")]
    Transport {
        /// The URL (sanitized).
        url: String,
        /// The last error and its causes.
        message: String,
        /// How many POSTs were made.
        tries: u32,
    },
    /// The time limit ran out.
    #[error("{url} did not answer within {} s", after.as_secs())]
    TimedOut {
        /// The URL (sanitized).
        url: String,
        /// The time limit.
        after: Duration,
    },
}

impl Webhook {
    /// POST one JSON object per event of `message` (one object with `event: "test"` for the
    /// test message), in order; the first failure ends the message.
    ///
    /// # Errors
    ///
    /// As [`Error`].
    pub async fn send(&self, message: &Message) -> Result<(), Error> {
        let raw = self
            .url
            .as_deref()
            .filter(|u| !u.is_empty())
            .ok_or(Error::NoUrl)?;
        let url = Url::parse(raw)
            .ok()
            .filter(|u| u.scheme() == "https")
            .ok_or_else(|| Error::Url(sanitize(raw)))?;
        let client = crate::https::client(&crate::https::config(self.ca_bundle.as_deref())?)?;
        let bodies: Vec<serde_json::Value> = if message.events.is_empty() {
            vec![body(message, None)]
        } else {
            message
                .events
                .iter()
                .map(|e| body(message, Some(e)))
                .collect()
        };
        let shown = sanitize(url.as_str());
        let all = async {
            for body in bodies {
                post(client.as_ref(), &url, &shown, body.to_string().into_bytes()).await?;
            }
            Ok(())
        };
        tokio::time::timeout(self.time_limit, all)
            .await
            .map_err(|_| Error::TimedOut {
                url: shown.clone(),
                after: self.time_limit,
            })?
    }
}

/// The JSON object for `event` of `message` (or the test message).
pub fn body(message: &Message, event: Option<&Event>) -> serde_json::Value {
    match event {
        Some(e) => json!({
            "event": e.kind.name(),
            "domain": e.domain,
            "ca": e.ca,
            "status": e.kind.code(),
            "error": e.error,
            "next_attempt": e.next_attempt,
            "subject": message.subject,
        }),
        None => json!({
            "event": "test",
            "domain": null,
            "ca": null,
            "status": message.code,
            "error": null,
            "next_attempt": null,
            "subject": message.subject,
            "content": message.content,
        }),
    }
}

/// One POST with its retries.
async fn post(
    client: &dyn crate::acme::http::HttpClient,
    url: &Url,
    shown: &str,
    body: Vec<u8>,
) -> Result<(), Error> {
    let mut wait = BACKOFF;
    let mut tries = 0;
    loop {
        tries += 1;
        let mut request = Request::new(Method::POST, url.clone());
        request.content_type = Some("application/json");
        request.body = Some(body.clone());
        let error = match client.request(request).await {
            Ok(response) if (200..300).contains(&response.status) => return Ok(()),
            Ok(response) => {
                let error = Error::Status {
                    url: shown.to_owned(),
                    status: response.status,
                    tries,
                };
                if response.status < 500 {
                    return Err(error);
                }
                error
            }
            Err(e) => Error::Transport {
                url: shown.to_owned(),
                message: sanitize(&chain(&e)),
                tries,
            },
        };
        if tries >= TRIES {
            return Err(error);
        }
        tracing::debug!("webhook: {error}; trying again in {} s", wait.as_secs());
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
}

/// An error and its causes, `: `-separated.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}
