//! acmers: an ACME client that is a drop-in replacement for acme.sh.
//!
//! # Layout
//!
//! - [`cli`]: parses acme.sh's command line, resolves settings, runs commands, prints.
//! - [`acme`]: the RFC 8555 protocol (directory, nonces, JWS, account, order, polling).
//!   It imports nothing else from this crate.
//! - [`lineage`]: the per-certificate engine (account, order or resume, solvers, finalize,
//!   verify, commit, install, hooks); never imports `cli`.
//! - [`challenge`]: challenge solvers (http-01 standalone and webroot) behind one trait.
//! - [`store`]: the acme.sh home as a serialization format (conf files, layout, atomic writes).
//! - [`keys`], [`csr`], [`cert`]: private keys in acme.sh's formats, CSRs, and the checks an
//!   issued chain must pass before it is written.
//! - [`deploy`]: copying issued files to the user's install targets and running the user's
//!   reload command and hooks (bounded).
//! - [`fleet`]: the PostgreSQL store many nodes share (connection, password file, sealed keys).
//! - [`dns`]: dns-01 providers (native and acme.sh plugins) and the propagation check.
//! - [`plugin`]: acme.sh's shell plugins run unmodified, with a library of its helpers.
//! - [`notify`]: notifications after renewals (acme.sh's levels, modes and messages) through
//!   notify plugins and the native webhook.
//! - [`https`]: the HTTPS settings every client of a run shares (time limits, `--ca-bundle`).
//! - [`interrupt`]: SIGINT/SIGTERM/SIGHUP turned into a clean stop of every wait.
//! - [`names`]: domain names from the command line, checked and normalized.
//! - [`renew`]: when a certificate is due (pure).
//! - [`webserver`]: http-01 through the user's web server (`--stateless`, `--nginx`,
//!   `--apache`), its config changes restored on every path and after a crash.

pub mod acme;
pub mod cert;
pub mod challenge;
pub mod cli;
pub mod csr;
pub mod deploy;
pub mod dns;
pub mod fleet;
#[doc(hidden)]
pub mod fuzzing;
pub mod https;
pub mod interrupt;
pub mod keys;
pub mod lineage;
pub mod names;
pub mod notify;
pub mod pkcs12;
pub mod plugin;
pub mod renew;
pub mod store;
pub mod webserver;
