//! What the integration tests share (docs/testing.md); no tests live here.
//!
//! - [`acmers`]: runs the binary under test; its [`acmers::Output`] carries the assertions
//!   on exit code, stdout and stderr.
//! - [`pebble`], [`nginx`], [`apache`], [`pdns`] (PowerDNS), [`fake_acme`]: the servers the tests talk
//!   to, all on loopback, started as [`process::Subprocess`]es (the fake CA runs in-process).
//! - [`fault_proxy`]: an in-process HTTPS proxy in front of Pebble that injects scripted
//!   faults per endpoint and counts requests.
//! - [`https_server`]: the local HTTPS server under the fakes (fake CA, fault proxy, webhooks).
//! - [`net`]: free loopback ports, waiting for a listener, small HTTP(S) clients.
//! - [`certs`]: throwaway CAs, chain verification, key checks.
//! - [`home`]: temp homes, acme.sh's fixture home, snapshots of a home's files.
//! - [`conf`]: reading and rewriting acme.sh conf files.
//! - [`lineage`]: issuing one name on Pebble, and everything a successful issuance leaves.

pub(crate) mod acmers;
pub(crate) mod apache;
pub(crate) mod bind;
pub(crate) mod certs;
pub(crate) mod conf;
pub(crate) mod fake_acme;
pub(crate) mod fault_proxy;
pub(crate) mod home;
pub(crate) mod https_server;
pub(crate) mod lineage;
pub(crate) mod net;
pub(crate) mod nginx;
pub(crate) mod pdns;
pub(crate) mod pebble;
pub(crate) mod postgres;
pub(crate) mod process;
