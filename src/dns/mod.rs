//! DNS for dns-01: the providers that add and remove `_acme-challenge` TXT records, and the
//! check that every authoritative server answers them before the CA is told to look.
//!
//! - [`Provider`]: one DNS API (RFC 2136, PowerDNS, Cloudflare, …, or an acme.sh dnsapi
//!   plugin run by [`crate::plugin`]). `add` puts one value beside whatever is already at
//!   the name (apex and wildcard share `_acme-challenge.<name>`); `remove` deletes that value
//!   only (acme.sh's `dns_<name>_add` / `dns_<name>_rm` contract).
//! - [`registry`]: the native providers by acme.sh's hook names, each with the variables it
//!   reads (for `--help` and for "`CF_Token` is not set").
//! - [`Credentials`]: where a provider's variables come from — the environment wins, then
//!   `SAVED_<VAR>` in `account.conf` (acme.sh's `_readaccountconf_mutable`).

pub mod credentials;
pub mod propagation;
pub mod providers;
pub mod registry;
pub mod tsig;
pub(crate) mod wire;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use credentials::Credentials;
pub use registry::{Spec, Var};

use crate::acme::http::{HttpClient, HttpError};

/// A boxed, `Send` future (async trait methods are not dyn-compatible).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One TXT record of a dns-01 challenge.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    /// The full name, lower case, without a trailing dot: `_acme-challenge.example.com`, or
    /// the alias target (`--challenge-alias`, `--domain-alias`).
    pub fqdn: String,
    /// The TXT value: base64url(SHA-256(key authorization)), 43 characters.
    pub value: String,
}

/// A DNS API that adds and removes TXT values.
pub trait Provider: Send + Sync {
    /// Add `record.value` at `record.fqdn`, keeping every other value there.
    fn add<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>>;

    /// Remove `record.value` at `record.fqdn` and nothing else. Removing a value that is not
    /// there succeeds.
    fn remove<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>>;
}

/// What a provider is built from.
pub struct Context<'a> {
    /// Its variables (environment first, then `account.conf`).
    pub credentials: &'a Credentials,
    /// The run's HTTP client: its time limits, body cap and trust settings.
    pub http: Arc<dyn HttpClient>,
}

/// Why a TXT record could not be added or removed, or a provider not built.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A variable the provider needs is not set.
    #[error(
        "`{var}` is not set: {provider} needs it ({help}); export it or save it as SAVED_{var} in account.conf"
    )]
    Missing {
        /// The provider's hook name (`dns_cf`).
        provider: &'static str,
        /// The variable.
        var: &'static str,
        /// What it is.
        help: &'static str,
    },
    /// A variable is set but unusable.
    #[error("`{var}` is invalid: {reason}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// Why.
        reason: String,
    },
    /// The provider's API answered with an error.
    #[error("{provider}: {message}")]
    Api {
        /// The provider's hook name.
        provider: &'static str,
        /// What it said (sanitized, capped), with the HTTP status when there was one.
        message: String,
    },
    /// The provider's API could not be reached.
    #[error("{provider}: cannot reach {url}")]
    Transport {
        /// The provider's hook name.
        provider: &'static str,
        /// The URL asked.
        url: String,
        /// Why.
        #[source]
        source: HttpError,
    },
    /// A DNS exchange (RFC 2136 update, SOA walk, propagation query) failed.
    #[error("{0}")]
    Dns(String),
    /// A plugin script failed (its message is in the text).
    #[error("{0}")]
    Plugin(String),
}
