//! The native providers, one module each; [`super::registry`] lists them.

pub mod signing;

#[cfg(test)]
pub(crate) mod fake;
