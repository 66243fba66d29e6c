//! `--deactivate -d D [-d D2 …]`: the names, and the CA of each (acme.sh's `deactivate`).

use super::{AccountSettings, Globals, SettingsError};
use crate::acme::types::Identifier;
use crate::cli::args::Args;
use crate::names;

/// Everything `--deactivate` needs.
#[derive(Clone, Debug)]
pub(crate) struct DeactivateSettings {
    /// Each name as typed, with its identifier.
    pub names: Vec<(String, Identifier)>,
    /// `--ecc`: look for each name's lineage in its `_ecc` folder first.
    pub ecc: bool,
    /// The selected CA (used for a name without a lineage), the account settings and limits.
    pub account: AccountSettings,
}

impl DeactivateSettings {
    /// Resolve `--deactivate`.
    ///
    /// # Errors
    ///
    /// No `-d`, an invalid name, or as [`AccountSettings::resolve`].
    pub(crate) fn resolve(args: &Args, globals: &Globals) -> Result<Self, SettingsError> {
        let mut wanted: Vec<(String, Identifier)> = Vec::new();
        for typed in args
            .domains
            .iter()
            .flat_map(|d| d.split(','))
            .map(str::trim)
        {
            if typed.is_empty() {
                continue;
            }
            let identifier = names::parse_one(typed)?;
            if !wanted.iter().any(|(_, seen)| *seen == identifier) {
                wanted.push((typed.to_owned(), identifier));
            }
        }
        if wanted.is_empty() {
            return Err(SettingsError::Missing(
                "Usage: acmers --deactivate --domain <domain.tld> [--domain <domain2.tld> ...]",
            ));
        }
        Ok(Self {
            names: wanted,
            ecc: args.ecc,
            account: AccountSettings::resolve(args, globals)?,
        })
    }
}
