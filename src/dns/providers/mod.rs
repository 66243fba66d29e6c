//! The native providers, one module each; [`super::registry`] lists them.

pub mod ali;
pub mod aws;
pub mod signing;
pub mod suffixes;
pub mod tencent;

#[cfg(test)]
pub(crate) mod fake;
