//! The ACME protocol ([RFC 8555]).
//!
//! This module imports nothing else from the crate, so it could become its own crate.
//!
//! [RFC 8555]: https://www.rfc-editor.org/rfc/rfc8555

pub mod jws;
pub mod types;
