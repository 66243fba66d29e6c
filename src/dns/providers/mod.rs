//! The native providers, one module each; [`super::registry`] lists them.
