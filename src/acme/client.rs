//! Directory, nonces and signed requests ([RFC 8555 §6, §7.1.1, §7.2]).
//!
//! - The `Replay-Nonce` of every response is kept for the next request; `newNonce` is asked
//!   (HEAD) only when none is held.
//! - `badNonce` is recognised by its error type (never by the detail text) and retried with
//!   the nonce from the error response, at most [`RetryConfig::bad_nonce`] times.
//! - 503 and 429 are retried when they carry a `Retry-After` that fits in the remaining
//!   [`RetryConfig::busy_budget`], at most [`RetryConfig::busy`] times; otherwise surfaced.
//! - Idempotent requests (directory GET, newNonce HEAD, POST-as-GET) are retried on transport
//!   errors and 5xx a bounded number of times; other POSTs are never replayed blindly.
//! - When the last retry of an idempotent request fails to reach the CA, the CA is taken as
//!   unreachable for the life of the client: every later request fails at once with
//!   [`Error::Unreachable`] naming that failure, instead of waiting for its timeouts again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use reqwest::{Method, Url};
use tracing::debug;

use super::error::{Error, Result, Unreachable};
use super::http::{HttpClient, HttpError, Request, Response};
use super::jws::{self, KeyId, Signer};
use super::poll::parse_retry_after;
use super::text::sanitize;
use super::types::{Directory, Problem, check_url};

/// JOSE content type of every ACME POST.
const JOSE: &str = "application/jose+json";

/// Retry limits of the request layer.
#[derive(Clone, Copy, Debug)]
pub struct RetryConfig {
    /// badNonce retries per request.
    pub bad_nonce: u32,
    /// 429/503 retries per request.
    pub busy: u32,
    /// Total time a request may spend sleeping on 429/503 `Retry-After`.
    pub busy_budget: Duration,
    /// Retries of idempotent requests after transport errors or 5xx.
    pub idempotent: u32,
    /// First delay between idempotent retries (then ×4).
    pub idempotent_delay: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            bad_nonce: 10,
            busy: 3,
            busy_budget: Duration::from_secs(60),
            idempotent: 3,
            idempotent_delay: Duration::from_millis(250),
        }
    }
}

/// Nonces kept at most: concurrent requests (renewals in parallel) each return one.
const NONCE_POOL: usize = 32;

/// A connection to one CA: its directory, the nonces in hand, and the HTTP client.
pub struct Client {
    http: Arc<dyn HttpClient>,
    directory_url: Url,
    directory: Directory,
    nonces: Mutex<Vec<String>>,
    retry: RetryConfig,
    requests: AtomicU32,
    unreachable: OnceLock<Unreachable>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("directory_url", &self.directory_url.as_str())
            .finish_non_exhaustive()
    }
}

/// Whether a directory URL may be used: https, or plain http on a loopback host.
pub fn check_directory_url(raw: &str) -> Result<Url> {
    let bad = |why: &str| Error::NotADirectory {
        url: sanitize(raw),
        why: why.into(),
    };
    let url = Url::parse(raw).map_err(|_| bad("not an absolute URL"))?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(bad("the directory must be an https URL")),
    }
}

impl Client {
    /// Fetch the directory and check every endpoint URL in it.
    pub async fn new(
        http: Arc<dyn HttpClient>,
        directory_url: &str,
        retry: RetryConfig,
    ) -> Result<Self> {
        let url = check_directory_url(directory_url)?;
        let mut client = Self {
            http,
            directory_url: url.clone(),
            // Replaced below; the empty directory is never used.
            directory: Directory::default(),
            nonces: Mutex::new(Vec::new()),
            retry,
            requests: AtomicU32::new(0),
            unreachable: OnceLock::new(),
        };
        let response = client
            .send_idempotent(Request::new(Method::GET, url))
            .await?;
        client.keep_nonce(&response);
        client.directory = client.parse_directory(&response)?;
        Ok(client)
    }

    fn parse_directory(&self, response: &Response) -> Result<Directory> {
        let not_a_directory = |why: String| Error::NotADirectory {
            url: self.directory_url.to_string(),
            why,
        };
        // A CA that is down answers 5xx (after the idempotent retries): its problem, not
        // "not a directory".
        if response.status >= 500 {
            return Err(Error::Api {
                url: self.directory_url.to_string(),
                status: response.status,
                problem: Box::new(problem_of(response)),
                retry_after: retry_after_of(response),
            });
        }
        if !(200..300).contains(&response.status) {
            return Err(not_a_directory(format!("HTTP {}", response.status)));
        }
        let directory: Directory = serde_json::from_slice(&response.body).map_err(|_| {
            let ct = response.header("content-type").unwrap_or("none");
            let head = String::from_utf8_lossy(&response.body[..response.body.len().min(200)]);
            not_a_directory(format!(
                "content type {}, body starts {:?}",
                sanitize(ct),
                sanitize(&head)
            ))
        })?;
        let scheme = self.directory_url.scheme();
        for endpoint in [
            &directory.new_nonce,
            &directory.new_account,
            &directory.new_order,
        ] {
            check_url(endpoint, scheme)?;
        }
        Ok(directory)
    }

    /// The directory URL.
    pub fn directory_url(&self) -> &Url {
        &self.directory_url
    }

    /// The HTTP client underneath (for the few requests that are not ACME's, e.g. ZeroSSL's
    /// EAB endpoint).
    pub fn http(&self) -> &dyn HttpClient {
        self.http.as_ref()
    }

    /// The directory object.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Requests sent so far (every attempt counts).
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Check a URL the CA sent (same scheme as the directory, absolute, no credentials).
    pub fn check_url(&self, raw: &str) -> Result<Url> {
        Ok(check_url(raw, self.directory_url.scheme())?)
    }

    /// The `Location` of a new account or order (answered to `asked`), checked as
    /// [`Self::check_url`] and on the directory's origin: what the CA creates lives on the
    /// server that created it, and a `Location` elsewhere would send the account's next
    /// signed requests to another server.
    pub fn check_location(&self, raw: &str, asked: &Url) -> Result<Url> {
        let url = self.check_url(raw)?;
        if url.origin() != self.directory_url.origin() {
            return Err(Error::bad_response(
                asked,
                format!(
                    "the Location `{}` is on another server than the directory `{}`",
                    sanitize(url.as_str()),
                    self.directory_url
                ),
            ));
        }
        Ok(url)
    }

    pub(super) async fn send(&self, request: Request) -> Result<Response> {
        if let Some(cause) = self.unreachable.get() {
            return Err(Error::Unreachable(cause.clone()));
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let url = request.url.to_string();
        debug!(method = %request.method, url = %url, "request");
        let started = tokio::time::Instant::now();
        let mut response = self
            .http
            .request(request)
            .await
            .map_err(|source| Error::Transport { url, source })?;
        response.elapsed = started.elapsed();
        debug!(status = response.status, elapsed = ?response.elapsed, "response");
        Ok(response)
    }

    /// Send a request that is safe to repeat, retrying transport errors and 5xx. When the last
    /// attempt fails to reach the CA, the CA is remembered as unreachable.
    async fn send_idempotent(&self, request: Request) -> Result<Response> {
        let mut delay = self.retry.idempotent_delay;
        let mut attempt = 0;
        loop {
            let result = self.send(request.clone()).await;
            let retryable = match &result {
                // Not an oversized body or a refused redirect: the server would send them
                // again. Not once another request found the CA unreachable meanwhile.
                Err(Error::Transport {
                    source: HttpError::Transport { .. },
                    ..
                }) => self.unreachable.get().is_none(),
                Ok(r) => r.status >= 500,
                Err(_) => false,
            };
            if !retryable {
                return result;
            }
            if attempt >= self.retry.idempotent {
                if let Err(e) = &result
                    && let Some(cause) = Unreachable::of(e)
                {
                    debug!(%cause, "the CA is unreachable; later requests fail at once");
                    let _ = self.unreachable.set(cause);
                }
                return result;
            }
            attempt += 1;
            debug!(?delay, attempt, "retrying idempotent request");
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(4);
        }
    }

    fn keep_nonce(&self, response: &Response) {
        let Some(nonce) = response.header("replay-nonce") else {
            return;
        };
        // RFC 8555 §6.5.1: base64url. Anything else is not used.
        let valid = !nonce.is_empty()
            && nonce.len() <= 512
            && nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid && let Ok(mut pool) = self.nonces.lock() {
            if pool.len() >= NONCE_POOL {
                pool.remove(0);
            }
            pool.push(nonce.to_owned());
        }
    }

    /// The newest nonce held (the least likely to have expired).
    fn take_nonce(&self) -> Option<String> {
        self.nonces.lock().ok().and_then(|mut pool| pool.pop())
    }

    async fn nonce(&self) -> Result<String> {
        if let Some(nonce) = self.take_nonce() {
            return Ok(nonce);
        }
        let url = self.check_url(&self.directory.new_nonce)?;
        for _ in 0..3 {
            let response = self
                .send_idempotent(Request::new(Method::HEAD, url.clone()))
                .await?;
            self.keep_nonce(&response);
            if let Some(nonce) = self.take_nonce() {
                return Ok(nonce);
            }
            if let Some(wait) = self.busy_wait(response.status, retry_after_of(&response)) {
                tokio::time::sleep(wait).await;
            }
        }
        Err(Error::NoNonce {
            url: url.to_string(),
        })
    }

    /// The wait a 429/503 asks for, when it fits the busy budget.
    fn busy_wait(&self, status: u16, retry_after: Option<Duration>) -> Option<Duration> {
        let wait = retry_after.filter(|_| status == 503 || status == 429)?;
        (wait <= self.retry.busy_budget).then_some(wait)
    }

    /// POST a JWS-signed `payload` (`None` = POST-as-GET) to `url`.
    pub async fn post(
        &self,
        url: &Url,
        key: &dyn Signer,
        key_id: KeyId<'_>,
        payload: Option<&[u8]>,
        accept: Option<&'static str>,
    ) -> Result<Response> {
        let mut bad_nonces = 0;
        let mut busy = 0;
        let mut slept = Duration::ZERO;
        loop {
            let nonce = self.nonce().await?;
            let jws = jws::sign(key, key_id, Some(&nonce), url.as_str(), payload)?;
            let body =
                serde_json::to_vec(&jws).map_err(|e| Error::bad_response(url, e.to_string()))?;
            let request = Request {
                method: Method::POST,
                url: url.clone(),
                content_type: Some(JOSE),
                accept,
                body: Some(body),
                headers: Default::default(),
            };
            let response = if payload.is_none() {
                self.send_idempotent(request).await?
            } else {
                self.send(request).await?
            };
            self.keep_nonce(&response);
            if (200..300).contains(&response.status) {
                return Ok(response);
            }
            let problem = problem_of(&response);
            if problem.is("badNonce") {
                bad_nonces += 1;
                if bad_nonces > self.retry.bad_nonce {
                    return Err(Error::BadNonceExhausted {
                        url: url.to_string(),
                        attempts: bad_nonces,
                    });
                }
                debug!(
                    attempt = bad_nonces,
                    "badNonce; retrying with the CA's new nonce"
                );
                continue;
            }
            let retry_after = retry_after_of(&response);
            if let Some(wait) = self.busy_wait(response.status, retry_after)
                && busy < self.retry.busy
                && slept + wait <= self.retry.busy_budget
            {
                busy += 1;
                slept += wait;
                debug!(status = response.status, ?wait, "CA busy; waiting as asked");
                tokio::time::sleep(wait).await;
                continue;
            }
            return Err(Error::Api {
                url: url.to_string(),
                status: response.status,
                problem: Box::new(problem),
                retry_after,
            });
        }
    }
}

/// A response's `Retry-After`, in either form.
pub fn retry_after_of(response: &Response) -> Option<Duration> {
    parse_retry_after(response.header("retry-after")?, SystemTime::now())
}

/// The problem document of an error response, or one made from its status and body.
pub fn problem_of(response: &Response) -> Problem {
    if let Ok(problem) = serde_json::from_slice::<Problem>(&response.body)
        && (problem.kind.is_some() || problem.detail.is_some())
    {
        return problem;
    }
    let text = String::from_utf8_lossy(&response.body[..response.body.len().min(200)]);
    Problem {
        detail: Some(if text.trim().is_empty() {
            format!("HTTP {} with no problem document", response.status)
        } else {
            format!("HTTP {}: {}", response.status, text.trim())
        }),
        status: Some(response.status),
        ..Problem::default()
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
pub(super) mod tests;
