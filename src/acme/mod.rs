//! The ACME protocol ([RFC 8555]): directory, nonces, JWS, accounts, orders, the one
//! bounded poller, revocation, and making the CA's text safe to print.
//!
//! This module imports nothing else from the crate, so it could become its own crate.
//!
//! [RFC 8555]: https://www.rfc-editor.org/rfc/rfc8555

pub mod account;
pub mod client;
pub mod error;
pub mod http;
pub mod jws;
pub mod order;
pub mod poll;
pub mod revoke;
pub mod text;
pub mod types;

pub use account::{Account, Eab, Registration};
pub use client::{Client, RetryConfig};
pub use error::{Error, WaitKind};
pub use order::Order;
pub use poll::PollPolicy;
pub use revoke::revoke_with_key;
