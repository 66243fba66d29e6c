//! The ACME protocol ([RFC 8555]): directory, nonces, JWS, accounts, orders, authorizations,
//! the one bounded poller, revocation, and making the CA's text safe to print.
//!
//! This module imports nothing else from the crate, so it could become its own crate.
//!
//! # Call order
//!
//! Everything the CA sends is checked where it enters; callers get handles and parsed
//! objects, never a raw HTTP response.
//!
//! 1. [`Client::new`]: fetch the directory.
//! 2. [`Account::register`] (newAccount), or [`Account::existing`] for a saved account URL.
//! 3. [`Account::new_order`], or [`Account::order`] to resume a saved order.
//! 4. For each URL in the order's `authorizations`: [`Account::authorization`] gives an
//!    [`Authorization`]; one already `valid` needs nothing more.
//! 5. [`Authorization::challenge`] with the [`ChallengeType`] to solve gives a
//!    [`ChallengeHandle`]: token and URL checked, key authorization computed. Make it
//!    reachable for the CA (the crate's `challenge` module).
//! 6. [`Account::respond`] tells the CA to validate; it returns a [`Responded`] (the
//!    challenge state and its `Retry-After`).
//! 7. [`Account::wait_authorization`] takes that answer and polls the authorization until it
//!    is valid (or failed, or the [`PollPolicy`] timeout passes).
//! 8. [`Account::finalize`] with the CSR, then [`Account::wait_order`] for `valid`.
//! 9. [`Account::certificate`] downloads the chain.
//!
//! [`Client::renewal_info`] (RFC 9773) needs no account: a certificate's renewal window.
//!
//! [RFC 8555]: https://www.rfc-editor.org/rfc/rfc8555

pub mod account;
pub mod ari;
pub mod authorization;
pub mod client;
pub mod error;
pub mod http;
pub mod jws;
pub mod order;
pub mod poll;
pub mod revoke;
pub mod text;
mod tls;
pub mod types;
pub mod zerossl;

pub use account::{Account, Eab, Registration};
pub use authorization::{Authorization, ChallengeHandle, Responded};
pub use client::{Client, RetryConfig};
pub use error::{Error, WaitKind};
pub use order::Order;
pub use poll::PollPolicy;
pub use revoke::revoke_with_key;
pub use tls::client_config_for;
pub use types::ChallengeType;
