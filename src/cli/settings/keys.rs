//! The local key and format commands on one lineage: `--create-domain-key`, `--create-csr`,
//! `--to-pkcs12`, `--to-pkcs8` (docs/keys.md). `--create-account-key` takes the account
//! commands' settings.

use std::time::Duration;

use anyhow::anyhow;

use super::parse_key_type;
use crate::acme::types::Identifier;
use crate::cli::args::{Args, Command};
use crate::cli::error::Failure;
use crate::keys::KeyType;
use crate::names;

/// Everything a local command on one lineage needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KeyFileSettings {
    /// The main domain as typed (the folder's name, as `--issue` names it).
    pub main: String,
    /// Every `-d` name, the main one first (`--create-csr`).
    pub identifiers: Vec<Identifier>,
    /// `--ecc`: the `<d>_ecc` folder.
    pub ecc: bool,
    /// `-k` (default ec-256): the type of a new domain key, which also picks its folder.
    pub key_type: KeyType,
    /// `--force`: replace an existing domain key.
    pub force: bool,
    /// `--extended-key-usage` (`--create-csr`; acme.sh's default without it).
    pub key_usage: Option<String>,
    /// `--password` (empty without it; acme.sh's openssl would prompt).
    pub password: String,
    /// How long to wait for the lineage another process holds.
    pub lock_timeout: Duration,
}

impl KeyFileSettings {
    /// Resolve one of the local lineage commands.
    ///
    /// # Errors
    ///
    /// acme.sh's usage line of the command without `-d`; an invalid name or key length.
    pub(crate) fn resolve(command: Command, args: &Args) -> Result<Self, Failure> {
        if args.domains.is_empty() {
            return Err(Failure::from(anyhow!("{}", usage(command))));
        }
        let identifiers = names::parse_domains(&args.domains)?;
        if let Some(list) = &args.extended_key_usage {
            crate::csr::key_usages(list)?;
        }
        Ok(Self {
            main: names::main_name(&args.domains, &identifiers[0]),
            identifiers,
            ecc: args.ecc,
            key_type: parse_key_type(args.key_length.as_deref(), KeyType::Ec256)?,
            force: args.force,
            key_usage: args.extended_key_usage.clone(),
            password: args.password.clone().unwrap_or_default(),
            lock_timeout: Duration::from_secs(args.lock_timeout),
        })
    }
}

/// acme.sh's usage line of each local lineage command.
fn usage(command: Command) -> &'static str {
    match command {
        Command::CreateDomainKey => {
            "Usage: acmers --create-domain-key --domain <domain.tld> [--keylength <bits>]"
        }
        Command::CreateCsr => {
            "Usage: acmers --create-csr --domain <domain.tld> [--domain <domain2.tld> ...] [--ecc]"
        }
        Command::ToPkcs12 => {
            "Usage: acmers --to-pkcs12 --domain <domain.tld> [--password <password>] [--ecc]"
        }
        _ => "Usage: acmers --to-pkcs8 --domain <domain.tld> [--ecc]",
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
