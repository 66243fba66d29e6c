//! The native providers, one module each; [`super::registry`] lists them.

#[cfg(test)]
pub(crate) mod fake;
pub mod plugin;
