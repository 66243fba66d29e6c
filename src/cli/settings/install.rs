//! `--install-cert -d D [--ecc] --cert-file … --reloadcmd …`.

use std::time::Duration;

use super::{SettingsError, issue};
use crate::cli::args::Args;
use crate::store::record::Install;

/// Everything `--install-cert` needs.
#[derive(Clone, Debug)]
pub(crate) struct InstallSettings {
    /// The lineage's main domain as typed.
    pub domain: String,
    /// `--ecc`.
    pub ecc: bool,
    /// The targets and reload command to save and run.
    pub install: Install,
    /// Waiting for the lineage's lock.
    pub lock_timeout: Duration,
    /// Limit of the reload command.
    pub hook_timeout: Duration,
}

impl InstallSettings {
    /// Resolve `--install-cert`.
    ///
    /// # Errors
    ///
    /// No `-d`.
    pub(crate) fn resolve(args: &Args) -> Result<Self, SettingsError> {
        let domain = args
            .domains
            .first()
            .ok_or(SettingsError::Missing("`--install-cert` needs `-d DOMAIN`"))?;
        Ok(Self {
            domain: domain.clone(),
            ecc: args.ecc,
            install: issue::install(args),
            lock_timeout: Duration::from_secs(args.lock_timeout),
            hook_timeout: Duration::from_secs(args.hook_timeout),
        })
    }
}
