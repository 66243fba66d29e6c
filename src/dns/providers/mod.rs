//! The native providers, one module each, which [`super::registry`] lists, and [`plugin`]:
//! an acme.sh dnsapi plugin run by [`crate::plugin`].
//!
//! The token-based ones (`dns_pdns`, `dns_cf`, `dns_dgon`, `dns_hetznercloud`, `dns_gd`,
//! `dns_acmedns`) share `rest` (JSON requests, errors with the HTTP status and the
//! service's message), `zone` (acme.sh's `_get_root`: the longest suffix of a name the
//! API has as a zone) and `txt` (quoted TXT data). The signed ones (`dns_aws`, `dns_ali`,
//! `dns_tencent`) share `zone` too, [`signing`] (the request signatures) and `cloud` (the key
//! pair account, its requests, and the errors of refused ones).

pub mod acmedns;
pub mod ali;
pub mod aws;
pub mod cf;
mod cloud;
pub mod dgon;
pub mod gd;
pub mod hetznercloud;
pub mod nsupdate;
pub mod pdns;
pub mod plugin;
mod rest;
pub mod signing;
pub mod tencent;
mod txt;
mod zone;

#[cfg(test)]
pub(crate) mod fake;
