//! `--renew`, `--renew-all` and `--cron`: what the command line can change, and the request
//! of each lineage built from what `--issue` saved in its conf (acme.sh's `renew`).
//!
//! Validation modes, hooks and install targets given on the command line are ignored, as in
//! acme.sh; `--server` switches the lineage's CA for good, while `--staging` changes nothing
//! for a lineage that saved its CA (acme.sh exports the saved `Le_API` as the directory);
//! `--days` replaces the saved value; `--dnssleep` and `--dns-resolver` replace the saved
//! ones for this run.

use std::path::PathBuf;

use super::issue::{dns_options, limits, modes_per_domain};
use super::{
    Globals, SettingsError, ca_bundle, email, fallback_cas, parse_key_type, resolve_server,
};
use crate::acme::client::check_directory_url;
use crate::cli::args::Args;
use crate::keys::KeyType;
use crate::lineage::{Ca, DnsOptions, Kind, Limits, Listen, Request};
use crate::store::record::{AccountConf, DomainRecord, Mode};

/// Everything the renewal commands need.
#[derive(Clone, Debug)]
pub(crate) struct RenewSettings {
    /// `--renew -d D`: the domain as typed.
    pub domain: Option<String>,
    /// `--ecc`.
    pub ecc: bool,
    /// `--force`.
    pub force: bool,
    /// `--days`: replaces the saved `Le_RenewalDays`.
    pub days: Option<i64>,
    /// `--server`: moves each renewed lineage to this CA.
    server: Option<String>,
    /// `--fallback-server`: replaces the lineage's saved fallback CAs for this run.
    fallback_server: Vec<String>,
    /// `--staging`: used only by a lineage with no saved CA.
    staging: bool,
    /// Key type for a new account key.
    account_key_type: KeyType,
    /// Account contact email.
    email: Option<String>,
    /// For a lineage with no saved CA: `DEFAULT_ACME_SERVER`.
    account_conf: AccountConf,
    /// Time limits of each lineage.
    pub limits: Limits,
    /// Extra trusted roots for the CA's HTTPS.
    pub ca_bundle: Option<PathBuf>,
    /// `--parallel`: lineages renewed at once.
    pub parallel: usize,
    /// `--stop-renew-on-error`.
    pub stop_on_error: bool,
    /// dns-01: `--dns-timeout`, the manual-mode flag, and `--dnssleep` / `--dns-resolver`
    /// when given (otherwise the saved ones).
    dns: DnsOptions,
}

impl RenewSettings {
    /// Resolve the renewal commands' settings.
    ///
    /// # Errors
    ///
    /// An account key length acme.sh does not know.
    pub(crate) fn resolve(args: &Args, globals: &Globals) -> Result<Self, SettingsError> {
        Ok(Self {
            domain: args.domains.first().cloned(),
            ecc: args.ecc,
            force: args.force,
            days: args.days,
            server: args.server.clone(),
            fallback_server: args.fallback_server.clone(),
            staging: args.staging,
            account_key_type: parse_key_type(args.account_key_length.as_deref(), KeyType::Ec256)?,
            email: email(args, globals),
            account_conf: globals.account_conf.clone(),
            limits: limits(args),
            ca_bundle: ca_bundle(args, globals),
            parallel: usize::from(args.parallel.max(1)),
            stop_on_error: args.stop_renew_on_error,
            dns: DnsOptions {
                sleep: args.dns_sleep,
                resolver: args.dns_resolver,
                ..dns_options(args)
            },
        })
    }

    /// The request and CA to renew the lineage whose record is `record`.
    ///
    /// # Errors
    ///
    /// A saved value that cannot be used (names, modes, key length, CA, port, address).
    pub(crate) fn request(&self, record: &DomainRecord) -> Result<(Request, Ca), SettingsError> {
        let main = record
            .main_domain()
            .ok_or(SettingsError::Missing("the domain conf has no `Le_Domain`"))?;
        let identifiers = record.identifiers()?;
        let typed = record.modes();
        if typed.is_empty() {
            return Err(SettingsError::NoMode(main));
        }
        if let Some(Mode::Other(entry)) = typed.iter().find(|m| matches!(m, Mode::Other(_))) {
            return Err(SettingsError::UnsupportedMode(entry.clone()));
        }
        let modes = modes_per_domain(&typed, identifiers.len());
        // Very old confs have an empty Le_Keylength, which meant RSA 2048.
        let key_length = record.key_length().unwrap_or_else(|| "2048".into());
        let key_type = parse_key_type(Some(&key_length), KeyType::Ec256)?;
        let saved_api = record.api_checked(
            |api| check_directory_url(api).is_ok(),
            "not an https URL (plain http only on a loopback host)",
        )?;
        // A certificate from a fallback CA: the renewal starts again at the lineage's own CA.
        let saved_api = record
            .primary_api()
            .filter(|api| check_directory_url(api).is_ok())
            .or(saved_api);
        let server = match (&self.server, saved_api) {
            (None, Some(api)) => api,
            _ => resolve_server(
                self.server.as_deref(),
                self.staging,
                &self.account_conf,
                key_type,
            )?,
        };
        let listen = Listen {
            port: record.http_port()?,
            tls_port: record.tls_port()?,
            addresses: record.local_addresses()?,
            family: record.listen_family(),
        };
        let mut order = record.order_options();
        // acme.sh's `renew`: Let's Encrypt no longer offers OCSP, so must-staple is dropped.
        if server.eq_ignore_ascii_case(super::LETSENCRYPT) {
            order.ocsp_must_staple = false;
        }
        let days = match self.days {
            Some(days) => Some(days),
            None => record.renewal_days()?,
        };
        let request = Request {
            main,
            names: identifiers.into_iter().zip(modes).collect(),
            key_type,
            force: self.force,
            days,
            listen,
            kind: Kind::Renewal,
            dns: DnsOptions {
                sleep: self.dns.sleep.or(record.dns_sleep()?),
                resolver: self.dns.resolver.or(record.dns_resolver()?),
                aliases: record.challenge_aliases(),
                ..self.dns.clone()
            },
            order,
        };
        let mut ca = Ca {
            zerossl_eab: super::zerossl_eab(&server),
            server,
            account_key_type: self.account_key_type,
            email: self.email.clone(),
            eab: None,
            fallbacks: Vec::new(),
        };
        ca.fallbacks = fallback_cas(
            &ca,
            &[
                &self.fallback_server,
                &record.fallback_servers(),
                &self.account_conf.fallback_servers(),
            ],
            &self.account_conf,
            key_type,
        )?;
        Ok((request, ca))
    }
}

#[cfg(test)]
#[path = "renew_tests.rs"]
mod tests;
