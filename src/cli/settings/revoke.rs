//! `--revoke`: the lineage, the CA and the reason.

use std::path::PathBuf;

use anyhow::anyhow;

use super::{Globals, ca_bundle, resolve_server};
use crate::cli::args::Args;
use crate::cli::error::Failure;
use crate::keys::KeyType;
use crate::names;

/// Everything `--revoke` needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RevokeSettings {
    /// The main domain (`-d`, the first one).
    pub domain: String,
    /// `--ecc`.
    pub ecc: bool,
    /// `-k` was an RSA length: never switch to the `_ecc` folder.
    pub rsa_asked: bool,
    /// `--server`, resolved; overrides `Le_API`.
    pub server: Option<String>,
    /// The CA when neither `--server` nor `Le_API` names one.
    pub default_server: String,
    /// Extra trusted roots: `--ca-bundle`, else `CA_BUNDLE` from account.conf.
    pub ca_bundle: Option<PathBuf>,
    /// RFC 5280 reason code; acme.sh sends 0 (unspecified) when none is given.
    pub reason: u8,
}

impl RevokeSettings {
    /// Resolve `--revoke`.
    pub(crate) fn resolve(args: &Args, globals: &Globals) -> Result<Self, Failure> {
        if args.domains.is_empty() {
            return Err(Failure::from(anyhow!(
                "Usage: acmers --revoke --domain <domain.tld> [--ecc] [--revoke-reason <0-10>]"
            )));
        }
        let identifiers = names::parse_domains(&args.domains)?;
        let key_type = match args.key_length.as_deref() {
            Some(k) => Some(KeyType::parse_acmesh(k)?),
            None => None,
        };
        let ecc = args.ecc || key_type.is_some_and(|k| k.is_ecc());
        let lookup_key = if ecc {
            KeyType::Ec256
        } else {
            KeyType::Rsa(2048)
        };
        let server = args
            .server
            .as_deref()
            .map(|s| resolve_server(Some(s), false, &globals.account_conf, lookup_key))
            .transpose()?;
        let default_server = resolve_server(None, args.staging, &globals.account_conf, lookup_key)?;
        let ca_bundle = ca_bundle(args, globals);
        Ok(Self {
            domain: identifiers[0].value().to_owned(),
            ecc,
            rsa_asked: key_type.is_some_and(|k| !k.is_ecc()),
            server,
            default_server,
            ca_bundle,
            reason: args.revoke_reason.unwrap_or(0),
        })
    }
}
