//! The fleet store: many acmers nodes sharing one PostgreSQL database (docs/fleet.md).
//!
//! The file home stays the default and is unchanged; `--store postgres://…` (or
//! `ACMERS_STORE`) selects this store instead. It keeps what the home keeps — lineages with
//! their conf, keys, certificates and chains, CA accounts, `account.conf` — in tables, and adds
//! what a home cannot give several machines at once:
//!
//! - [`connect`]: the connection (TLS with the same trust as the CA, password from the URL or
//!   `PGPASSFILE`);
//! - [`crypt`]: private keys sealed with `ACMERS_STORE_KEY` (AES-256-GCM; no built-in key);
//! - [`pgpass`]: libpq's password file;
//! - [`accounts`]: CA accounts and `account.conf`, written under their lease;
//! - [`installs`]: what each node installs, and which certificate version it has;
//! - [`migrate`]: the versioned schema, applied on connect under a lock;
//! - [`lease`]: leases with fencing tokens on the database's clock;
//! - [`lineages`]: a lineage's files and the columns derived from them, written fenced;
//!   the due queue.

pub mod accounts;
pub mod connect;
pub mod crypt;
pub mod files;
pub mod installs;
pub mod lease;
pub mod lineages;
pub mod migrate;
pub mod pgpass;
mod store;

pub use store::Store;

/// Errors of the fleet store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The store URL cannot be used.
    #[error("the store URL is not usable: {0}")]
    BadUrl(String),
    /// The database could not be reached or answered with an error.
    #[error("the store database failed")]
    Db(#[from] tokio_postgres::Error),
    /// A file the store needs (key file, password file) could not be read or is unsafe.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// The store key file, or data sealed with a store key, cannot be used.
    #[error("{0}")]
    Key(String),
    /// Files refused: a name that is not one plain file name, or too many in one folder.
    #[error("{0}")]
    Refused(String),
    /// The store's schema was written by a newer acmers.
    #[error(
        "the store's schema is version {store}, newer than this acmers knows ({ours}); \
         upgrade acmers on this node"
    )]
    NewerSchema {
        /// The store's version.
        store: i32,
        /// This binary's.
        ours: i32,
    },
    /// TLS to the database cannot be set up.
    #[error("cannot set up TLS to the store database")]
    Tls(#[source] crate::acme::http::BuildError),
    /// A secret file (key file, password file) that group or other users can read, refused
    /// as libpq refuses to use such a password file.
    #[error(
        "refusing `{}`: group or other users can read it (mode {:o}); run `chmod 600 {}`",
        path.display(), mode & 0o7777, path.display()
    )]
    Exposed {
        /// The file.
        path: std::path::PathBuf,
        /// Its mode.
        mode: u32,
    },
    /// The database did not complete the connection (TCP, TLS, authentication) in time.
    #[error("the store database `{target}` did not answer within {after:?}")]
    Timeout {
        /// The store URL, its password hidden.
        target: String,
        /// The time limit.
        after: std::time::Duration,
    },
}
