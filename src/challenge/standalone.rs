//! acme.sh's `--standalone`, built in: a small HTTP/1.1 server that answers only
//! `GET`/`HEAD /.well-known/acme-challenge/<token>` for the tokens currently presented.
//!
//! The CA connects by IP, so the `Host` header is ignored. Every other request gets an empty
//! 404 (405 for other methods). Slow clients are bounded: headers must arrive within
//! [`HEADER_READ_TIMEOUT`], a connection lives at most [`CONNECTION_DEADLINE`], keep-alive is
//! off, and at most [`MAX_CONNECTIONS`] connections are served at once (further ones wait in
//! the kernel's accept queue).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tracing::Instrument as _;

use super::{BoxFuture, Error, Http01, Solver, WELL_KNOWN_PREFIX};
use crate::acme::types::{KeyAuthorization, sanitize};

/// How long a client may take to send its request headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a single connection is served, whatever the client does.
pub const CONNECTION_DEADLINE: Duration = Duration::from_secs(30);
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 64;
/// Pause after a failed `accept` (e.g. out of file descriptors), so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Tokens currently presented, by token text.
type Challenges = Arc<Mutex<HashMap<String, KeyAuthorization>>>;

/// A built-in http-01 server. See the [module docs](self).
///
/// Call [`shutdown`](Self::shutdown) when done; dropping it also stops the server.
#[derive(Debug)]
pub struct Standalone {
    challenges: Challenges,
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Standalone {
    /// Listen on `addr` and start serving. Fails, naming the address, when the port is taken
    /// or needs privileges.
    pub async fn bind(addr: SocketAddr) -> Result<Self, Error> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind { addr, source })?;
        Ok(Self::from_listener(listener))
    }

    /// Serve on an already-bound listener (tests bind `127.0.0.1:0`). Must be called inside a
    /// Tokio runtime.
    pub fn from_listener(listener: TcpListener) -> Self {
        // getsockname on a bound socket only fails on kernel resource exhaustion; the address
        // is informational (logs, tests), so an unspecified one is an acceptable fallback.
        let local_addr = listener.local_addr().unwrap_or_else(|err| {
            tracing::warn!(%err, "cannot read the standalone listener's address");
            SocketAddr::from(([0, 0, 0, 0], 0))
        });
        let challenges = Challenges::default();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(
            serve(listener, Arc::clone(&challenges), stopped)
                .instrument(tracing::debug_span!("http-01 standalone", addr = %local_addr)),
        );
        Self {
            challenges,
            local_addr,
            stop: Some(stop),
            task,
        }
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stop accepting, close every connection and wait for the server task. When this returns
    /// nothing listens on [`local_addr`](Self::local_addr) any more.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // An error means the task already ended; awaiting it below is still right.
            let _ = stop.send(());
        }
        if let Err(err) = (&mut self.task).await {
            tracing::warn!(%err, "http-01 standalone server task failed");
        }
    }
}

impl Drop for Standalone {
    fn drop(&mut self) {
        // Aborting drops the server future: the listener closes and the connection set is
        // dropped, which aborts every connection task. A no-op after `shutdown`.
        self.task.abort();
    }
}

impl Solver for Standalone {
    fn present<'a>(&'a self, challenge: &'a Http01) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            tracing::debug!(domain = %challenge.domain, token = %challenge.token, "presenting");
            lock(&self.challenges).insert(
                challenge.token.as_str().to_owned(),
                challenge.key_authorization.clone(),
            );
            Ok(())
        })
    }

    fn cleanup<'a>(&'a self, challenge: &'a Http01) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            tracing::debug!(domain = %challenge.domain, token = %challenge.token, "cleaning up");
            lock(&self.challenges).remove(challenge.token.as_str());
            Ok(())
        })
    }
}

fn lock(challenges: &Challenges) -> MutexGuard<'_, HashMap<String, KeyAuthorization>> {
    // The map is always consistent (single inserts and removes), so a poisoned lock is safe.
    challenges.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The accept loop: runs until `stopped` fires (or its sender is dropped), then closes the
/// listener and aborts and awaits every connection.
async fn serve(listener: TcpListener, challenges: Challenges, mut stopped: oneshot::Receiver<()>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        // Take a slot before accepting, so a full server leaves clients in the accept queue.
        let permit = tokio::select! {
            _ = &mut stopped => break,
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(permit) => permit,
                // The semaphore is never closed; treat it as a stop anyway.
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                connections.spawn(
                    serve_connection(stream, Arc::clone(&challenges), permit)
                        .instrument(tracing::debug_span!("connection", %peer)),
                );
            }
            Err(err) => {
                tracing::debug!(%err, "accept failed");
                tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
            }
        }
        // Reap finished connections so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    connections.shutdown().await;
}

/// Serve one connection, holding `permit` until it is closed.
async fn serve_connection(stream: TcpStream, challenges: Challenges, permit: OwnedSemaphorePermit) {
    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
        let response = respond(&lock(&challenges), &request);
        std::future::ready(Ok::<_, Infallible>(response))
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .keep_alive(false)
        .max_buf_size(8192);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    match tokio::time::timeout(CONNECTION_DEADLINE, connection).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::debug!(%err, "connection error"),
        Err(_) => tracing::debug!("connection deadline reached; closing"),
    }
    drop(permit);
}

/// The whole routing table: 200 with the key authorization for a presented token, an empty
/// 404 for anything else, 405 for methods other than `GET`/`HEAD`.
fn respond<B>(
    challenges: &HashMap<String, KeyAuthorization>,
    request: &Request<B>,
) -> Response<Full<Bytes>> {
    let uri = request.uri();
    let key_authorization = if request.method() != Method::GET && request.method() != Method::HEAD {
        Err(StatusCode::METHOD_NOT_ALLOWED)
    } else if uri.query().is_some() {
        Err(StatusCode::NOT_FOUND)
    } else {
        uri.path()
            .strip_prefix(WELL_KNOWN_PREFIX)
            .and_then(|token| challenges.get(token))
            .ok_or(StatusCode::NOT_FOUND)
    };
    let response = match key_authorization {
        Ok(key_authorization) => {
            let mut response = Response::new(Full::new(Bytes::from(
                key_authorization.as_str().to_owned(),
            )));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
            response
        }
        Err(status) => {
            let mut response = Response::new(Full::new(Bytes::new()));
            *response.status_mut() = status;
            response
        }
    };
    tracing::debug!(
        method = %sanitize(request.method().as_str()),
        path = %sanitize(&uri.to_string()),
        status = response.status().as_u16(),
        "http-01 request"
    );
    response
}

#[cfg(test)]
mod tests;
