//! `ca.conf`: the account acmers uses at one CA (acme.sh's `_saveCAconf` / `_readcaconf`).

use std::path::Path;

use crate::store::trust::Policy;
use crate::store::{Conf, Error};

const ACCOUNT_URL: &str = "ACCOUNT_URL";
const KEY_HASH: &str = "CA_KEY_HASH";
const EMAIL: &str = "CA_EMAIL";
const EAB_KEY_ID: &str = "CA_EAB_KEY_ID";
const EAB_HMAC_KEY: &str = "CA_EAB_HMAC_KEY";
const DEFAULT_PREFERRED_CHAIN: &str = "DEFAULT_PREFERRED_CHAIN";
/// acme.sh's switch that turns ARI (RFC 9773) off, also read from account.conf.
pub(super) const NO_ARI: &str = "NO_ARI";

/// The account record of one CA folder, over its parsed conf.
#[derive(Clone, Debug, Default)]
pub struct CaRecord {
    conf: Conf,
}

impl CaRecord {
    /// Parse conf text (tests, fixtures).
    pub fn parse(text: &str) -> Self {
        Self {
            conf: Conf::parse(text),
        }
    }

    /// Load `path`; empty when missing (see [`Conf::load`]).
    ///
    /// # Errors
    ///
    /// As [`Conf::load`].
    pub fn load(path: &Path) -> Result<Self, Error> {
        Ok(Self {
            conf: Conf::load(path)?.unwrap_or_default(),
        })
    }

    /// Load a record acmers acts on (see [`Conf::load_trusted`]); empty when missing.
    ///
    /// # Errors
    ///
    /// As [`Conf::load_trusted`].
    pub fn load_trusted(path: &Path, policy: Policy) -> Result<Self, Error> {
        Ok(Self {
            conf: Conf::load_trusted(path, policy)?.unwrap_or_default(),
        })
    }

    /// Read-change-write `path` under its own lock (see [`crate::store::edit::edit`]).
    ///
    /// # Errors
    ///
    /// As [`crate::store::edit::edit`].
    pub fn update(path: &Path, change: impl FnOnce(&mut Self)) -> Result<(), Error> {
        crate::store::edit::edit(path, |conf| {
            let mut record = Self {
                conf: std::mem::take(conf),
            };
            change(&mut record);
            *conf = record.conf;
        })
    }

    /// Write the record atomically (mode 0600).
    ///
    /// # Errors
    ///
    /// As [`Conf::save`].
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        self.conf.save(path)
    }

    fn get(&self, key: &str) -> Option<String> {
        self.conf.get(key).filter(|v| !v.is_empty())
    }

    /// `ACCOUNT_URL`: the account's URL at the CA.
    pub fn account_url(&self) -> Option<String> {
        self.get(ACCOUNT_URL)
    }

    /// `CA_KEY_HASH`: which account key `ACCOUNT_URL` belongs to.
    pub fn key_hash(&self) -> Option<String> {
        self.get(KEY_HASH)
    }

    /// `CA_EMAIL`: the contact registered with the account.
    pub fn email(&self) -> Option<String> {
        self.get(EMAIL)
    }

    /// Record a registration: the account URL, the key it belongs to, and the contact.
    pub fn set_account(&mut self, url: &str, key_hash: &str, email: Option<&str>) {
        self.conf.set(ACCOUNT_URL, url);
        self.conf.set(KEY_HASH, key_hash);
        if let Some(email) = email {
            self.conf.set(EMAIL, email);
        }
    }

    /// `CA_EAB_KEY_ID` and `CA_EAB_HMAC_KEY`: the external account binding for this CA, as
    /// given (acme.sh's `_regAccount` saves and reads them); `None` unless both are set.
    pub fn eab(&self) -> Option<(String, String)> {
        Some((self.get(EAB_KEY_ID)?, self.get(EAB_HMAC_KEY)?))
    }

    /// `NO_ARI`: `Some(true)` for `1` (ARI off at this CA), `Some(false)` for another value.
    pub fn no_ari(&self) -> Option<bool> {
        self.get(NO_ARI).map(|v| v == "1")
    }

    /// Record the external account binding credentials.
    pub fn set_eab(&mut self, kid: &str, hmac_key: &str) {
        self.conf.set(EAB_KEY_ID, kid);
        self.conf.set(EAB_HMAC_KEY, hmac_key);
    }

    /// `DEFAULT_PREFERRED_CHAIN`: the preferred chain of every lineage at this CA that has
    /// none of its own (acme.sh's `setdefaultchain`).
    pub fn default_preferred_chain(&self) -> Option<String> {
        self.get(DEFAULT_PREFERRED_CHAIN)
    }

    /// Save `DEFAULT_PREFERRED_CHAIN`.
    pub fn set_default_preferred_chain(&mut self, chain: &str) {
        self.conf.set(DEFAULT_PREFERRED_CHAIN, chain);
    }
}
