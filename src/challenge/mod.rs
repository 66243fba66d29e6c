//! Challenge solvers: make a key authorization reachable where the CA will look for it.
//!
//! Two http-01 solvers sit behind one [`Solver`] trait: [`Standalone`] (a built-in HTTP
//! server, acme.sh's `--standalone`) and [`Webroot`] (a file under a directory another web
//! server serves, acme.sh's `-w/--webroot`).
//!
//! # Teardown
//!
//! There is no async `Drop`, so the issue flow owns the teardown sequence:
//!
//! 1. for every challenge handed to [`Solver::present`] — including one whose `present`
//!    failed — call [`Solver::cleanup`] exactly once, on success and on every error path;
//! 2. then, for a [`Standalone`], call [`Standalone::shutdown`] and await it.
//!
//! Dropping a [`Standalone`] without `shutdown` still stops the server (the task is aborted),
//! but does not wait for the sockets to close.
//!
//! Tokens are checked in the protocol layer ([`Token`] only holds base64url), so a token is
//! always safe as an HTTP path segment and as a file name.

pub mod standalone;
pub mod webroot;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;

pub use standalone::Standalone;
pub use webroot::Webroot;

use crate::acme::types::{KeyAuthorization, Token};

/// A boxed, `Send` future: what [`Solver`]'s methods return, since async trait methods are
/// not dyn-compatible.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The path prefix under which http-01 responses are served ([RFC 8555 §8.3]).
pub const WELL_KNOWN_PREFIX: &str = "/.well-known/acme-challenge/";

/// One http-01 challenge to serve.
#[derive(Clone, Debug)]
pub struct Http01 {
    /// The identifier being validated (for logs and errors; the CA connects by IP).
    pub domain: String,
    /// The challenge token, already checked against RFC 8555 §8.3.
    pub token: Token,
    /// The body to serve: `<token>.<account thumbprint>`.
    pub key_authorization: KeyAuthorization,
}

/// Something that can serve http-01 challenges.
pub trait Solver: Send + Sync {
    /// Make the key authorization reachable at
    /// `http://<domain>/.well-known/acme-challenge/<token>`.
    fn present<'a>(&'a self, challenge: &'a Http01) -> BoxFuture<'a, Result<(), Error>>;

    /// Remove what `present` made. Called on every exit path, success or failure, for every
    /// challenge presented (also after a failed present).
    fn cleanup<'a>(&'a self, challenge: &'a Http01) -> BoxFuture<'a, Result<(), Error>>;
}

/// Why a challenge could not be presented or cleaned up.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The standalone server could not listen on its address.
    #[error("cannot listen on {addr} for the http-01 standalone server")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
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
    /// The blocking file system task was cancelled (the runtime is shutting down).
    #[error("the webroot task was cancelled")]
    Cancelled,
}
