//! acmers integration tests: one binary (style.md G13).
//!
//! - [`pebble`], [`nginx`], [`fake_acme`]: the servers the tests talk to, all on loopback;
//!   [`smoke`] checks them without acmers.
//! - [`issue`]: `--issue` against a real Pebble (standalone, webroot via nginx, RSA/EC,
//!   skip/force, badNonce recovery, wildcard refusal).
//!   [`lineage`] checks everything a successful issuance leaves in the home.
//! - [`stuck_order`]: an order stuck in `processing` on the fake server, then resumed.
//! - [`util`] (ports, process guards, the `acmers` runner, conf reader) and [`certs`]
//!   (throwaway CAs, chain verification, key checks).
//!
//! The Pebble and nginx tests need `pebble`, `pebble-challtestsrv` and `nginx` installed;
//! `scripts/test` installs them. They fail (never skip) when the binaries are missing.

#![expect(
    clippy::expect_used,
    reason = "test harness code: a failed setup step should panic with its message"
)]

mod certs;
mod fake_acme;
mod issue;
mod lineage;
mod nginx;
mod pebble;
mod smoke;
mod stuck_order;
mod util;
