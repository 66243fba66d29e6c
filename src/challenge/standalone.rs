//! acme.sh's `--standalone`, built in: a small HTTP/1.1 server that answers only
//! `GET`/`HEAD /.well-known/acme-challenge/<token>` for the tokens currently presented.
//!
//! The CA connects by IP, so the `Host` header is ignored. Every other request gets an empty
//! 404 (405 for other methods). Slow clients are bounded: headers must arrive within
//! [`HEADER_READ_TIMEOUT`], a connection lives at most [`CONNECTION_DEADLINE`] and keep-alive
//! is off.
//!
//! Idle connections cannot starve the CA's request: the server always accepts. It keeps at
//! most [`MAX_OPEN_CONNECTIONS`] open, or a quarter of the process's file-descriptor limit
//! when that is lower, so that they leave descriptors for the CA client and the home's files.
//! When that many are open, the oldest connection that has not yet sent a complete request
//! head is closed to make room for the next one; connections answering a request are never
//! closed early. A failed `accept` (typically `EMFILE`) also closes the oldest idle
//! connection, freeing a descriptor, and only pauses when none is idle, so the loop neither
//! spins nor stops accepting.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
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
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::Instrument as _;

use super::listener::Serving;
use super::{BoxFuture, Challenge, Error, Solver, WELL_KNOWN_PREFIX};
use crate::acme::text::sanitize;
use crate::acme::types::{ChallengeType, KeyAuthorization};

/// How errors name this server.
pub const SERVER: &str = "http-01 standalone server";
/// How long a client may take to send its request headers. A CA sends them at once.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest a single connection is served, whatever the client does.
pub const CONNECTION_DEADLINE: Duration = Duration::from_secs(30);
/// Connections kept open at most (fewer under a low file-descriptor limit, see the
/// [module docs](self)); past it the oldest idle one is closed, new ones are still accepted.
pub const MAX_OPEN_CONNECTIONS: usize = 1024;
/// The fewest connections kept open, however low the file-descriptor limit.
const MIN_OPEN_CONNECTIONS: usize = 8;
/// Pause before trying again when no connection can be closed to make room (or `accept` fails
/// with none to close), so the loop does not spin.
const RETRY_PAUSE: Duration = Duration::from_millis(100);

/// Tokens currently presented, by token text.
type Challenges = Arc<Mutex<HashMap<String, KeyAuthorization>>>;

/// A built-in http-01 server. See the [module docs](self).
///
/// Call [`shutdown`](Self::shutdown) when done; dropping it also stops the server.
#[derive(Debug)]
pub struct Standalone {
    challenges: Challenges,
    serving: Serving,
}

impl Standalone {
    /// Listen on `addr` and start serving. Fails, naming the address, when the port is taken
    /// or needs privileges.
    pub async fn bind(addr: SocketAddr) -> Result<Self, Error> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Bind {
                addr,
                server: SERVER,
                source,
            })?;
        Ok(Self::from_listener(listener))
    }

    /// Serve on an already-bound listener (tests bind `127.0.0.1:0`). Must be called inside a
    /// Tokio runtime.
    pub fn from_listener(listener: TcpListener) -> Self {
        Self::with_limits(listener, Limits::for_this_process())
    }

    /// [`from_listener`](Self::from_listener) with other limits (tests).
    fn with_limits(listener: TcpListener, limits: Limits) -> Self {
        let challenges = Challenges::default();
        let served = Arc::clone(&challenges);
        let serving = Serving::spawn("http-01 standalone", listener, |listener, stopped| {
            serve(listener, served, limits, stopped)
        });
        Self {
            challenges,
            serving,
        }
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.serving.local_addr()
    }

    /// Stop accepting, close every connection and wait for the server task. When this returns
    /// nothing listens on [`local_addr`](Self::local_addr) any more.
    pub async fn shutdown(self) {
        self.serving.shutdown().await;
    }
}

impl Solver for Standalone {
    fn kind(&self) -> ChallengeType {
        ChallengeType::Http01
    }

    fn present<'a>(&'a self, batch: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let mut challenges = lock(&self.challenges);
            for challenge in batch {
                tracing::debug!(domain = %challenge.identifier, token = %challenge.token, "presenting");
                challenges.insert(
                    challenge.token.as_str().to_owned(),
                    challenge.key_authorization.clone(),
                );
            }
            Ok(())
        })
    }

    fn cleanup<'a>(&'a self, batch: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let mut challenges = lock(&self.challenges);
            for challenge in batch {
                tracing::debug!(domain = %challenge.identifier, token = %challenge.token, "cleaning up");
                challenges.remove(challenge.token.as_str());
            }
            Ok(())
        })
    }
}

fn lock(challenges: &Challenges) -> MutexGuard<'_, HashMap<String, KeyAuthorization>> {
    // The map is always consistent (single inserts and removes), so a poisoned lock is safe.
    challenges.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How many connections the server keeps open and how long they may last.
#[derive(Clone, Copy, Debug)]
struct Limits {
    max_open: usize,
    header_read_timeout: Duration,
    connection_deadline: Duration,
}

impl Limits {
    /// The limits of the [module docs](self), for this process's file-descriptor limit.
    fn for_this_process() -> Self {
        use rustix::process::{Resource, getrlimit};
        Self {
            max_open: max_open(getrlimit(Resource::Nofile).current),
            header_read_timeout: HEADER_READ_TIMEOUT,
            connection_deadline: CONNECTION_DEADLINE,
        }
    }
}

/// [`MAX_OPEN_CONNECTIONS`], or a quarter of the soft file-descriptor limit `nofile` (`None`:
/// unlimited) when that is lower, but at least [`MIN_OPEN_CONNECTIONS`].
fn max_open(nofile: Option<u64>) -> usize {
    nofile.map_or(MAX_OPEN_CONNECTIONS, |nofile| {
        usize::try_from(nofile / 4)
            .unwrap_or(MAX_OPEN_CONNECTIONS)
            .clamp(MIN_OPEN_CONNECTIONS, MAX_OPEN_CONNECTIONS)
    })
}

/// The accept loop: runs until `stopped` fires (or its sender is dropped), then closes the
/// listener and every connection.
async fn serve(
    listener: TcpListener,
    challenges: Challenges,
    limits: Limits,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut connections = Connections::default();
    'serve: loop {
        let accepted = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                // Make room: close the oldest idle connection or, when every open one is
                // answering a request (each ends by its deadline), wait for one to end.
                while connections.open() >= limits.max_open
                    && !connections.close_oldest_idle(false).await
                {
                    tokio::select! {
                        _ = &mut stopped => break 'serve,
                        () = tokio::time::sleep(RETRY_PAUSE) => {}
                    }
                }
                connections.spawn(stream, peer, &challenges, limits);
            }
            Err(err) => {
                // Typically out of file descriptors: closing an idle connection frees one.
                // Never the newest: it may not have had its turn to send a request yet, and
                // right after an accept Linux reports EMFILE even when no connection waits
                // (it takes the descriptor before looking).
                tracing::debug!(%err, "accept failed");
                if !connections.close_oldest_idle(true).await {
                    tokio::select! {
                        _ = &mut stopped => break,
                        () = tokio::time::sleep(RETRY_PAUSE) => {}
                    }
                }
            }
        }
    }
    drop(listener);
    connections.close_all().await;
}

/// One open connection.
struct Connection {
    peer: SocketAddr,
    task: JoinHandle<()>,
    /// Set once a complete request head has arrived; until then the connection is idle.
    requested: Arc<AtomicBool>,
}

/// The open connections, oldest first. Dropping the set aborts every connection task.
#[derive(Default)]
struct Connections(VecDeque<Connection>);

impl Connections {
    /// Serve `stream` in its own task.
    fn spawn(
        &mut self,
        stream: TcpStream,
        peer: SocketAddr,
        challenges: &Challenges,
        limits: Limits,
    ) {
        let requested = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(
            serve_connection(
                stream,
                Arc::clone(challenges),
                Arc::clone(&requested),
                limits,
            )
            .instrument(tracing::debug_span!("connection", %peer)),
        );
        self.0.push_back(Connection {
            peer,
            task,
            requested,
        });
    }

    /// Forget the connections that have ended and count the others.
    fn open(&mut self) -> usize {
        self.0.retain(|connection| !connection.task.is_finished());
        self.0.len()
    }

    /// Close the oldest connection that has not sent a complete request head (never the
    /// newest one when `spare_newest`) and return once its socket is closed; `false` when
    /// there is none.
    async fn close_oldest_idle(&mut self, spare_newest: bool) -> bool {
        let candidates = self.0.len().saturating_sub(usize::from(spare_newest));
        let oldest = self
            .0
            .iter()
            .take(candidates)
            .position(|connection| !connection.requested.load(Ordering::Relaxed));
        let Some(connection) = oldest.and_then(|index| self.0.remove(index)) else {
            return false;
        };
        tracing::debug!(peer = %connection.peer, "closing an idle connection to make room");
        connection.task.abort();
        // Cancelled (or already ended): either way its socket is closed now.
        let _ = connection.task.await;
        true
    }

    /// Close every connection and wait until their sockets are closed.
    async fn close_all(&mut self) {
        for connection in &self.0 {
            connection.task.abort();
        }
        while let Some(connection) = self.0.pop_front() {
            let _ = connection.task.await;
        }
    }
}

impl Drop for Connections {
    fn drop(&mut self) {
        // A dropped JoinHandle leaves its task running; the server's connections must not
        // outlive it (`Standalone`'s drop aborts the server task, dropping this set).
        for connection in &self.0 {
            connection.task.abort();
        }
    }
}

/// Serve one connection; `requested` is set when its request head has arrived.
async fn serve_connection(
    stream: TcpStream,
    challenges: Challenges,
    requested: Arc<AtomicBool>,
    limits: Limits,
) {
    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
        requested.store(true, Ordering::Relaxed);
        let response = respond(&lock(&challenges), &request);
        std::future::ready(Ok::<_, Infallible>(response))
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(false)
        .max_buf_size(8192);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    match tokio::time::timeout(limits.connection_deadline, connection).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::debug!(%err, "connection error"),
        Err(_) => tracing::debug!("connection deadline reached; closing"),
    }
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
#[path = "standalone_tests.rs"]
mod tests;
