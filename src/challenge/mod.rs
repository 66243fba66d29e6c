//! Challenge solvers: make key authorizations reachable where the CA will look for them.
//!
//! One [`Solver`] trait fits every challenge type. Two http-01 solvers exist: [`Standalone`]
//! (a built-in HTTP server, acme.sh's `--standalone`) and [`Webroot`] (a file under a
//! directory another web server serves, acme.sh's `-w/--webroot`); [`TlsAlpn`] answers
//! tls-alpn-01 (acme.sh's `--alpn`) and [`Dns01`] dns-01. [`Bind`] says where the built-in
//! listeners listen. [`Presentation`] drives solvers for one order; the issuance flow uses
//! nothing else.
//!
//! # The three steps
//!
//! A solver gets all the challenges of an order it answers as one batch ([`Batch`]):
//!
//! 1. [`Solver::present`] makes every challenge of the batch reachable, remembering each thing
//!    it made as soon as it exists, so a failure halfway still leaves a record.
//! 2. [`Solver::ready`] returns once the CA will see what was presented (by default at once).
//!    The challenges are answered only after every batch is ready.
//! 3. [`Solver::cleanup`] removes what `present` made for that batch and nothing else: called
//!    once for every batch handed to `present` — on success, on every error (also when
//!    `present` itself failed halfway) and after cancellation — and harmless for challenges
//!    that were never (fully) presented.
//!
//! # How each challenge type fits
//!
//! - **http-01** ([RFC 8555 §8.3]): `present` serves `<token>` → key authorization under
//!   [`WELL_KNOWN_PREFIX`] ([`Standalone`]) or writes it there ([`Webroot`]); `cleanup` removes
//!   those tokens; `ready` is immediate.
//! - **dns-01** ([RFC 8555 §8.4]): `present` adds the TXT value
//!   [`KeyAuthorization::dns_value`] at `_acme-challenge.<name>` (the name without `*.`).
//!   `example.com` and `*.example.com` in one order put two values on the same name, so a
//!   solver adds values rather than replacing the record set, and `cleanup` removes by value
//!   (like acme.sh's `dns_*_add`/`dns_*_rm` hooks, which both take the value). `ready` waits
//!   until the zone's authoritative servers answer every value (acme.sh's `_check_dns_entries`
//!   and `--dnssleep`). The unit test `dns01_zone_with_apex_and_wildcard` drives such a
//!   solver through [`Presentation`].
//! - **tls-alpn-01** ([RFC 8737]): `present` makes, per identifier, a self-signed certificate
//!   for the name carrying the critical `acmeIdentifier` extension with
//!   [`KeyAuthorization::sha256`], and a TLS listener on port 443 that negotiates only
//!   `acme-tls/1` serves it by SNI ([`TlsAlpn`]); `cleanup` drops those certificates, and
//!   [`TlsAlpn::shutdown`] stops the listener when the run is done; `ready` is immediate.
//!
//! # Teardown
//!
//! There is no async `Drop`, so the issue flow owns the teardown sequence:
//!
//! 1. [`Presentation::run`] presents, waits until ready and runs the answer; only this future
//!    is guarded by a signal. It records a batch before handing it to `present`, so when it is
//!    dropped at any await (a signal) or fails, the record is intact.
//! 2. [`Presentation::cleanup`] then cleans up exactly the batches `run` handed to `present`,
//!    on every path; it is never guarded, so a signal cannot skip it. A `Presentation`
//!    dropped without `cleanup` removes nothing, so callers await `cleanup` before returning
//!    (only a second signal, which exits the process at once, skips it).
//! 3. For a [`Standalone`] or a [`TlsAlpn`], call its `shutdown` and await it.
//!
//! Dropping either without `shutdown` still stops it (the task is aborted), but does not
//! wait for the sockets to close.
//!
//! Tokens are checked in the protocol layer ([`Token`] only holds base64url), so a token is
//! always safe as an HTTP path segment and as a file name.
//!
//! [RFC 8555 §8.3]: https://www.rfc-editor.org/rfc/rfc8555#section-8.3
//! [RFC 8555 §8.4]: https://www.rfc-editor.org/rfc/rfc8555#section-8.4
//! [RFC 8737]: https://www.rfc-editor.org/rfc/rfc8737

pub mod alpn;
pub mod dns;
pub mod listener;
pub mod standalone;
pub mod webroot;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use alpn::TlsAlpn;
pub use dns::Dns01;
pub use listener::Bind;
pub use standalone::Standalone;
pub use webroot::Webroot;

use crate::acme::ChallengeHandle;
use crate::acme::types::{ChallengeType, Identifier, KeyAuthorization, Token};

/// A boxed, `Send` future: what [`Solver`]'s methods return, since async trait methods are
/// not dyn-compatible.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The path prefix under which http-01 responses are served ([RFC 8555 §8.3]).
///
/// [RFC 8555 §8.3]: https://www.rfc-editor.org/rfc/rfc8555#section-8.3
pub const WELL_KNOWN_PREFIX: &str = "/.well-known/acme-challenge/";

/// One challenge to make reachable: everything a solver needs, nothing it must check.
#[derive(Clone, Debug)]
pub struct Challenge {
    /// The identifier being validated, `*.name` for a wildcard.
    pub identifier: Identifier,
    /// The challenge type; a solver gets only its own [`Solver::kind`].
    pub kind: ChallengeType,
    /// The token, already checked against RFC 8555 §8.3.
    pub token: Token,
    /// `<token>.<account thumbprint>`, and the dns-01 and tls-alpn-01 forms of it.
    pub key_authorization: KeyAuthorization,
}

impl From<&ChallengeHandle> for Challenge {
    fn from(handle: &ChallengeHandle) -> Self {
        Self {
            identifier: handle.identifier().clone(),
            kind: handle.kind().clone(),
            token: handle.token().clone(),
            key_authorization: handle.key_authorization().clone(),
        }
    }
}

/// Something that makes challenges of one type reachable. See the [module docs](self) for
/// the three steps and how http-01, dns-01 and tls-alpn-01 fit them.
pub trait Solver: Send + Sync {
    /// The challenge type this solver answers.
    fn kind(&self) -> ChallengeType;

    /// Make every challenge of `batch` reachable where the CA looks for it.
    fn present<'a>(&'a self, batch: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>>;

    /// Return once the CA can see what `present` made (dns-01: propagation to every
    /// authoritative server). The default is ready at once.
    fn ready<'a>(&'a self, batch: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>> {
        let _ = batch;
        Box::pin(std::future::ready(Ok(())))
    }

    /// Remove what `present` made for `batch`, and only that. Called once for every batch
    /// handed to `present`, on every path, also after a failed or interrupted `present`.
    fn cleanup<'a>(&'a self, batch: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>>;
}

/// The challenges of an order that one solver answers.
pub struct Batch<'a> {
    /// The solver.
    pub solver: &'a dyn Solver,
    /// Its challenges, all of the solver's [`kind`](Solver::kind).
    pub challenges: Vec<Challenge>,
}

/// Every challenge of an order, from present to cleanup (see [Teardown](self#teardown)):
/// [`run`](Self::run) under a signal guard, then always [`cleanup`](Self::cleanup).
#[must_use = "call `cleanup` after `run`, on every path"]
pub struct Presentation<'a> {
    batches: Vec<Batch<'a>>,
    /// How many batches (from the front) were handed to `present`.
    presented: AtomicUsize,
}

impl<'a> Presentation<'a> {
    /// The batches to present; nothing happens until [`run`](Self::run).
    pub fn new(batches: Vec<Batch<'a>>) -> Self {
        debug_assert!(
            batches.iter().all(|b| {
                let kind = b.solver.kind();
                b.challenges.iter().all(|c| c.kind == kind)
            }),
            "a solver was given challenges of another type"
        );
        Self {
            batches,
            presented: AtomicUsize::new(0),
        }
    }

    /// Present every batch, wait until all are ready, then run `answer` (respond to the
    /// challenges and wait for the authorizations). May be dropped at any await;
    /// [`cleanup`](Self::cleanup) afterwards still removes what was presented.
    ///
    /// # Errors
    ///
    /// The first solver error, or `answer`'s.
    pub async fn run<T, E: From<Error>>(
        &self,
        answer: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        for (index, batch) in self.batches.iter().enumerate() {
            // Recorded before the first await of `present`: a drop there still cleans it up.
            self.presented.fetch_max(index + 1, Ordering::Relaxed);
            batch.solver.present(&batch.challenges).await?;
        }
        let ready = self.batches.iter().map(|b| b.solver.ready(&b.challenges));
        futures_util::future::try_join_all(ready).await?;
        answer.await
    }

    /// Clean up every batch [`run`](Self::run) handed to `present` (whatever happened since)
    /// and return the cleanup errors, for the caller to report.
    pub async fn cleanup(self) -> Vec<Error> {
        let presented = self.presented.into_inner();
        let mut errors = Vec::new();
        for batch in &self.batches[..presented] {
            if let Err(e) = batch.solver.cleanup(&batch.challenges).await {
                errors.push(e);
            }
        }
        errors
    }
}

/// Why a challenge could not be presented or cleaned up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A built-in listener could not listen on its address.
    #[error("cannot listen on {addr} for the {server}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Which listener (`http-01 standalone server`, `tls-alpn-01 listener`).
        server: &'static str,
        /// Why the bind failed.
        #[source]
        source: io::Error,
    },
    /// A file system operation under the webroot failed.
    #[error("cannot {op} `{path}`")]
    Webroot {
        /// What was being done (`open`, `create`, `write`, `remove`, …).
        op: &'static str,
        /// The path operated on.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A path component under the webroot is a symbolic link; it is never followed.
    #[error("`{path}` is a symbolic link; refusing to follow it out of the webroot")]
    Symlink {
        /// The offending path.
        path: PathBuf,
    },
    /// The webroot, or a directory under it, is not a directory.
    #[error("`{path}` is not a directory")]
    NotADirectory {
        /// The offending path.
        path: PathBuf,
    },
    /// Something other than a regular file sits where the token file goes.
    #[error("`{path}` exists and is not a regular file; refusing to replace it")]
    NotAFile {
        /// The offending path.
        path: PathBuf,
    },
    /// A tls-alpn-01 certificate or the TLS configuration could not be made.
    #[error("cannot set up tls-alpn-01: {0}")]
    Tls(String),
    /// A DNS provider or the propagation check failed.
    #[error(transparent)]
    Dns(#[from] crate::dns::Error),
    /// A web server set up for http-01 (nginx, Apache: docs/webservers.md) failed.
    #[error(transparent)]
    WebServer(Box<dyn std::error::Error + Send + Sync>),
    /// The blocking file system task was cancelled (the runtime is shutting down).
    #[error("the webroot task was cancelled")]
    Cancelled,
}

#[cfg(test)]
mod tests;
