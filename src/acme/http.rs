//! The one seam between the protocol and the network.
//!
//! [`HttpClient`] is a small trait so the protocol logic can be unit-tested with canned
//! responses; [`ReqwestClient`] is the real implementation: one connection pool (HTTP/1.1,
//! kept alive), connect, read-idle and total timeouts, at most 3 redirects and never one from
//! HTTPS to plain HTTP, and a cap on every response body.

use std::future::Future;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, Url};

/// A boxed future, as the object-safe trait needs.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Largest response body accepted: 1 MiB for JSON and chains (docs/differences.md).
pub const MAX_BODY: usize = 1024 * 1024;

/// One HTTP request.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method (the ACME client uses GET, HEAD and POST).
    pub method: Method,
    /// Target.
    pub url: Url,
    /// `Content-Type` of the body, if any.
    pub content_type: Option<&'static str>,
    /// `Accept` header, if any.
    pub accept: Option<&'static str>,
    /// Request body.
    pub body: Option<Vec<u8>>,
    /// Other headers (DNS provider APIs: authorization, signatures).
    pub headers: HeaderMap,
}

impl Request {
    /// A GET (or HEAD) with no body.
    pub fn new(method: Method, url: Url) -> Self {
        Self {
            method,
            url,
            content_type: None,
            accept: None,
            body: None,
            headers: HeaderMap::new(),
        }
    }
}

/// One HTTP response, body fully read (and capped).
#[derive(Clone, Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Vec<u8>,
    /// How long the exchange took, from sending the request to the end of the body: measured
    /// by [`Client`](super::Client) on `tokio::time`'s clock; an [`HttpClient`] leaves it zero.
    pub elapsed: Duration,
}

impl Response {
    /// A header as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A failure below HTTP: connect, TLS, timeout, or a body over the cap.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The request could not be completed.
    #[error("request failed{}", if *.timeout { " (timed out)" } else { "" })]
    Transport {
        /// Whether a timeout fired.
        timeout: bool,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The body was larger than [`MAX_BODY`].
    #[error("response body is larger than {MAX_BODY} bytes")]
    TooLarge,
    /// A redirect was refused: HTTPS to plain HTTP, or more than [`MAX_REDIRECTS`].
    #[error("redirect not followed")]
    Redirect(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Sends requests. Implemented by [`ReqwestClient`] and by test doubles.
pub trait HttpClient: Send + Sync {
    /// Send one request and read the whole (capped) body.
    fn request(&self, request: Request) -> BoxFuture<'_, Result<Response, HttpError>>;
}

/// Settings for [`ReqwestClient`].
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// `User-Agent` header.
    pub user_agent: String,
    /// Extra trusted roots (PEM), e.g. a test CA's (`--ca-bundle`).
    pub extra_roots_pem: Option<Vec<u8>>,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Longest wait for the next bytes of a response: for its headers (counted from the start
    /// of the request) and between two pieces of its body.
    pub read_idle_timeout: Duration,
    /// Whole-request timeout, however steadily the bytes come.
    pub request_timeout: Duration,
    /// Accept any server certificate (acme.sh's `--insecure`): the connection is still
    /// encrypted, but whom it reaches is not checked.
    pub insecure: bool,
    /// Connect to the addresses of this family only (acme.sh's `--request-v4`/`-v6`): a host
    /// name is resolved to them alone; an IP address in a URL is used as written.
    pub family: Option<IpFamily>,
    /// Follow redirects to another origin (scheme, host, port). Off for the CA and the
    /// native DNS APIs, whose answers come from the server asked; on only for acme.sh's
    /// plugins, whose `_get`/`_post` follow redirects like `curl -L`.
    pub cross_origin_redirects: bool,
}

/// An address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpFamily {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

/// The system resolver (`getaddrinfo`), keeping the addresses of one family.
struct FamilyResolver(IpFamily);

impl reqwest::dns::Resolve for FamilyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let family = self.0;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let kept: Vec<std::net::SocketAddr> = found
                .filter(|addr| addr.is_ipv6() == (family == IpFamily::V6))
                .collect();
            if kept.is_empty() {
                let v = if family == IpFamily::V6 { 6 } else { 4 };
                return Err(format!("`{host}` has no IPv{v} address").into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

impl HttpConfig {
    /// acmers' settings for every HTTPS client it makes: `User-Agent: acmers/<version>`,
    /// 10 s connect, 15 s read-idle and 60 s total timeouts, plus `extra_roots_pem`;
    /// certificates verified, either address family.
    pub fn standard(extra_roots_pem: Option<Vec<u8>>) -> Self {
        Self {
            user_agent: format!("acmers/{}", env!("CARGO_PKG_VERSION")),
            extra_roots_pem,
            connect_timeout: Duration::from_secs(10),
            read_idle_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(60),
            insecure: false,
            family: None,
            cross_origin_redirects: false,
        }
    }
}

/// Redirects followed at most per request.
pub const MAX_REDIRECTS: usize = 3;

/// Follow at most [`MAX_REDIRECTS`] redirects, none from `https` to `http` (a directory or
/// certificate asked for over HTTPS must not arrive in clear text) and, unless
/// `cross_origin` is set, none to another origin (a signed request must not reach a server
/// other than the one it was made for).
fn redirect_policy(cross_origin: bool) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let from = attempt.previous().last().cloned();
        if let Some(from) = from.as_ref().filter(|from| from.scheme() == "https")
            && attempt.url().scheme() == "http"
        {
            let refused = format!(
                "refused the redirect from `{from}` to `{}`: it downgrades HTTPS to plain HTTP",
                attempt.url()
            );
            attempt.error(refused)
        } else if let Some(from) =
            from.filter(|from| !cross_origin && from.origin() != attempt.url().origin())
        {
            let refused = format!(
                "refused the redirect from `{from}` to `{}`: it leads to another server",
                attempt.url()
            );
            attempt.error(refused)
        } else if attempt.previous().len() > MAX_REDIRECTS {
            // `previous` starts with the URL first asked for, which was no redirect.
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    })
}

/// Why the HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The extra roots are not a PEM bundle of certificates.
    #[error("the CA bundle holds no usable PEM certificate")]
    BadRoots(#[source] Option<rustls::pki_types::pem::Error>),
    /// The TLS configuration could not be made (a root the bundle holds is not a usable CA
    /// certificate, or the platform's store cannot be used).
    #[error("could not set up TLS")]
    Tls(#[source] rustls::Error),
    /// reqwest refused the configuration.
    #[error("could not set up the HTTPS client")]
    Build(#[source] reqwest::Error),
}

/// The certificates of a PEM bundle of extra roots (at least one).
pub(super) fn roots(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, BuildError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| BuildError::BadRoots(Some(e)))?;
    if certs.is_empty() {
        return Err(BuildError::BadRoots(None));
    }
    Ok(certs)
}

/// The real client: reqwest with rustls (aws-lc-rs), trusting the `--ca-bundle` roots and the
/// platform's store, the platform's loaded only when the bundle does not verify the CA (or,
/// with [`HttpConfig::insecure`], any certificate).
#[derive(Clone, Debug)]
pub struct ReqwestClient {
    client: reqwest::Client,
}

impl ReqwestClient {
    /// Build the one client a run uses.
    pub fn new(config: &HttpConfig) -> Result<Self, BuildError> {
        // HTTP/1.1 on one kept-alive connection: a run's requests are sequential (each POST
        // needs the nonce of the previous answer), so HTTP/2's multiplexing buys nothing, and
        // its framing cost ~3 ms per issuance against a loopback Pebble (docs/benchmarks.md).
        // Concurrent renewals each get a pooled connection of their own.
        let mut builder = reqwest::Client::builder()
            .http1_only()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_idle_timeout)
            .timeout(config.request_timeout)
            .redirect(redirect_policy(config.cross_origin_redirects))
            .https_only(false);
        if let Some(family) = config.family {
            builder = builder.dns_resolver(Arc::new(FamilyResolver(family)));
        }
        let bundle = match &config.extra_roots_pem {
            Some(pem) => roots(pem)?,
            None => Vec::new(),
        };
        builder = builder.tls_backend_preconfigured(
            super::tls::client_config(bundle, config.insecure).map_err(BuildError::Tls)?,
        );
        let client = builder.build().map_err(BuildError::Build)?;
        Ok(Self { client })
    }

    /// Check a configuration without building the client: the extra roots must be usable.
    pub fn check(config: &HttpConfig) -> Result<(), BuildError> {
        config
            .extra_roots_pem
            .as_deref()
            .map_or(Ok(()), |pem| roots(pem).map(drop))
    }

    async fn send(&self, request: Request) -> Result<Response, HttpError> {
        let transport = |e: reqwest::Error| {
            if e.is_redirect() {
                HttpError::Redirect(Box::new(e))
            } else {
                HttpError::Transport {
                    timeout: e.is_timeout(),
                    source: Box::new(e),
                }
            }
        };
        let mut builder = self
            .client
            .request(request.method, request.url)
            .headers(request.headers);
        if let Some(ct) = request.content_type {
            builder = builder.header(reqwest::header::CONTENT_TYPE, ct);
        }
        if let Some(accept) = request.accept {
            builder = builder.header(reqwest::header::ACCEPT, accept);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let mut response = builder.send().await.map_err(transport)?;
        if response
            .content_length()
            .is_some_and(|len| len > MAX_BODY as u64)
        {
            return Err(HttpError::TooLarge);
        }
        let status = response.status().as_u16();
        let headers = std::mem::take(response.headers_mut());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Response {
            status,
            headers,
            body,
            elapsed: Duration::ZERO,
        })
    }
}

impl HttpClient for ReqwestClient {
    fn request(&self, request: Request) -> BoxFuture<'_, Result<Response, HttpError>> {
        Box::pin(self.send(request))
    }
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
