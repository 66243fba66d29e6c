//! The account commands (`--register-account`) and the external account binding options
//! every registering command takes.

use std::path::PathBuf;
use std::time::Duration;

use super::{Globals, SettingsError, ca_bundle, email, parse_key_type, resolve_server};
use crate::acme::Eab;
use crate::cli::args::Args;
use crate::keys::KeyType;
use crate::lineage::Ca;

/// Everything an account command needs.
#[derive(Clone, Debug)]
pub(crate) struct AccountSettings {
    /// The CA, the contact and the binding.
    pub ca: Ca,
    /// Extra trusted roots for the CA's HTTPS.
    pub ca_bundle: Option<PathBuf>,
    /// How long to wait for the account lock another process holds.
    pub lock_timeout: Duration,
}

impl AccountSettings {
    /// Resolve an account command: `--server` (else the default CA), `-m`,
    /// `--accountkeylength` for a new key, `--eab-kid`/`--eab-hmac-key`.
    pub(crate) fn resolve(args: &Args, globals: &Globals) -> Result<Self, SettingsError> {
        let account_key_type = parse_key_type(args.account_key_length.as_deref(), KeyType::Ec256)?;
        let server = resolve_server(
            args.server.as_deref(),
            args.staging,
            &globals.account_conf,
            KeyType::Ec256,
        )?;
        Ok(Self {
            ca: Ca {
                zerossl_eab: zerossl_eab(&server),
                server,
                account_key_type,
                email: email(args, globals),
                eab: eab(args)?,
                fallbacks: Vec::new(),
            },
            ca_bundle: ca_bundle(args, globals),
            lock_timeout: Duration::from_secs(args.lock_timeout),
        })
    }
}

/// `--eab-kid` with `--eab-hmac-key` (base64url or base64, padded or not), or neither.
pub(crate) fn eab(args: &Args) -> Result<Option<Eab>, SettingsError> {
    match (args.eab_kid.as_deref(), args.eab_hmac_key.as_deref()) {
        (None, None) => Ok(None),
        (Some(kid), Some(key)) if !kid.is_empty() => Eab::from_text(kid, key).map(Some).ok_or(
            SettingsError::Eab("`--eab-hmac-key` is not a base64url or base64 key"),
        ),
        _ => Err(SettingsError::Eab(
            "`--eab-kid` and `--eab-hmac-key` go together: pass both",
        )),
    }
}

/// ZeroSSL's EAB endpoint when `server` is ZeroSSL's directory (acme.sh compares the
/// directory URL the same way). Two variables let the tests stand in for ZeroSSL:
/// `ACMERS_ZEROSSL_DIRECTORY` names another directory treated as ZeroSSL, and
/// `ACMERS_ZEROSSL_EAB_ENDPOINT` another endpoint (docs/testing.md).
pub(crate) fn zerossl_eab(server: &str) -> Option<String> {
    let env = |key| std::env::var(key).ok().filter(|v| !v.is_empty());
    let is_zerossl = server.eq_ignore_ascii_case(super::ZEROSSL)
        || env("ACMERS_ZEROSSL_DIRECTORY").is_some_and(|d| d == server);
    is_zerossl.then(|| {
        env("ACMERS_ZEROSSL_EAB_ENDPOINT")
            .unwrap_or_else(|| crate::acme::zerossl::EAB_ENDPOINT.to_owned())
    })
}
