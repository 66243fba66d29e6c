//! The native providers, by acme.sh's hook names (`--dns dns_cf`), with the variables each
//! one reads. A name not listed here is looked up as an acme.sh dnsapi plugin.

use super::{Context, Error, Provider, providers};

/// One variable a provider reads, as acme.sh's plugin of the same name documents it.
#[derive(Clone, Copy, Debug)]
pub struct Var {
    /// Its name (`CF_Token`).
    pub name: &'static str,
    /// Whether the provider cannot work without it (some are alternatives: see `help`).
    pub required: bool,
    /// One line on what it is.
    pub help: &'static str,
}

/// A native provider.
#[derive(Clone, Copy)]
pub struct Spec {
    /// acme.sh's hook name (`dns_cf`).
    pub name: &'static str,
    /// The service (`Cloudflare`).
    pub title: &'static str,
    /// The variables it reads; saved as `SAVED_<name>` after a successful issuance.
    pub vars: &'static [Var],
    /// Those never saved: short-lived values (`AWS_SESSION_TOKEN`), read from the
    /// environment only, as acme.sh's plugin does.
    pub not_saved: &'static [&'static str],
    /// Build it from its variables.
    pub build: fn(&Context<'_>) -> Result<Box<dyn Provider>, Error>,
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spec")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Every native provider.
pub static PROVIDERS: &[Spec] = &[
    providers::nsupdate::SPEC,
    providers::pdns::SPEC,
    providers::cf::SPEC,
    providers::dgon::SPEC,
    providers::hetznercloud::SPEC,
    providers::gd::SPEC,
    providers::acmedns::SPEC,
    providers::aws::SPEC,
    providers::ali::SPEC,
    providers::tencent::SPEC,
];

/// The native provider called `name` (`dns_cf`), if there is one.
pub fn find(name: &str) -> Option<&'static Spec> {
    PROVIDERS.iter().find(|spec| spec.name == name)
}
