//! `account.conf`: settings every lineage of a home shares (acme.sh's `_saveaccountconf` /
//! `_readaccountconf`).

use std::path::{Path, PathBuf};

use crate::store::trust::Policy;
use crate::store::{Conf, Error};

const DEFAULT_SERVER: &str = "DEFAULT_ACME_SERVER";
/// The CAs to try, in order, when the default one fails (acmers' own key; docs/failover.md).
const FALLBACK_SERVERS: &str = "FALLBACK_ACME_SERVERS";
const CA_BUNDLE: &str = "CA_BUNDLE";
const EMAIL: &str = "ACCOUNT_EMAIL";
const CERT_HOME: &str = "CERT_HOME";
const LOG_FILE: &str = "LOG_FILE";
/// acme.sh's self-upgrade switch (`--auto-upgrade`).
const AUTO_UPGRADE: &str = "AUTO_UPGRADE";
const LOG_LEVEL: &str = "LOG_LEVEL";
const SYS_LOG: &str = "SYS_LOG";
/// `ACMERS_STORE`: the fleet store's URL (docs/fleet.md); acme.sh ignores it.
const STORE: &str = "ACMERS_STORE";
/// `ACMERS_STORE_KEY`: the file of the key private keys are sealed with in the fleet store.
const STORE_KEY: &str = "ACMERS_STORE_KEY";
/// `ACMERS_NODE`: this node's name in the fleet store.
const NODE: &str = "ACMERS_NODE";
const USER_AGENT: &str = "USER_AGENT";
const CA_PATH: &str = "CA_PATH";
const USER_PATH: &str = "USER_PATH";
const ACCOUNT_CONF_PATH: &str = "ACCOUNT_CONF_PATH";
const ACCOUNT_KEY_PATH: &str = "ACCOUNT_KEY_PATH";
const IPV4_REQUESTS: &str = "ACME_USE_IPV4_REQUESTS";
const IPV6_REQUESTS: &str = "ACME_USE_IPV6_REQUESTS";
const NOTIFY_HOOK: &str = "NOTIFY_HOOK";
const NOTIFY_LEVEL: &str = "NOTIFY_LEVEL";
const NOTIFY_MODE: &str = "NOTIFY_MODE";
const NOTIFY_SOURCE: &str = "NOTIFY_SOURCE";

/// What a run was given that account.conf keeps for later runs ([`AccountConf::set_run_env`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct RunEnvGiven<'a> {
    /// `--log-level`.
    pub log_level: Option<&'a str>,
    /// `--syslog` (`"0"` clears it).
    pub sys_log: Option<&'a str>,
    /// `--useragent`.
    pub user_agent: Option<&'a str>,
    /// `--auto-upgrade`.
    pub auto_upgrade: Option<&'a str>,
    /// `--request-v6` (`true`) or `--request-v4` (`false`).
    pub ipv6: Option<bool>,
}

/// `account.conf`, over its parsed conf.
#[derive(Clone, Debug, Default)]
pub struct AccountConf {
    conf: Conf,
}

impl AccountConf {
    /// Parse conf text (tests, fixtures).
    pub fn parse(text: &str) -> Self {
        Self {
            conf: Conf::parse(text),
        }
    }

    /// Load `account.conf`, which chooses the CA, the certificate home, the log file and the
    /// CA bundle, so under `policy` one another user controls is refused (see
    /// [`Conf::load_trusted`]); empty when missing.
    ///
    /// # Errors
    ///
    /// As [`Conf::load_trusted`].
    pub fn load_trusted(path: &Path, policy: Policy) -> Result<Self, Error> {
        Ok(Self {
            conf: Conf::load_trusted(path, policy)?.unwrap_or_default(),
        })
    }

    /// Change `account.conf` at `path` under its lock ([`crate::store::edit`]): what
    /// another run saved meanwhile is kept; written only when something changed.
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

    /// Write the file atomically (mode 0600).
    ///
    /// # Errors
    ///
    /// As [`Conf::save`].
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        self.conf.save(path)
    }

    /// The conf under the record (for `--info`, which shows every key).
    pub fn conf(&self) -> &Conf {
        &self.conf
    }

    fn get(&self, key: &str) -> Option<String> {
        self.conf.get(key).filter(|v| !v.is_empty())
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        self.get(key).map(PathBuf::from)
    }

    /// `NO_ARI`: `Some(true)` for `1` (ARI off), `Some(false)` for another value.
    pub fn no_ari(&self) -> Option<bool> {
        self.get(super::ca::NO_ARI).map(|v| v == "1")
    }

    /// `DEFAULT_ACME_SERVER`, set by `--set-default-ca`.
    pub fn default_server(&self) -> Option<String> {
        self.get(DEFAULT_SERVER)
    }

    /// Save `DEFAULT_ACME_SERVER`.
    pub fn set_default_server(&mut self, url: &str) {
        self.conf.set(DEFAULT_SERVER, url);
    }

    /// `FALLBACK_ACME_SERVERS`: the fallback CAs' directory URLs, comma-separated, set with
    /// `--set-default-ca --fallback-server` (docs/failover.md).
    pub fn fallback_servers(&self) -> Vec<String> {
        super::split_list(self.get(FALLBACK_SERVERS))
    }

    /// Save `FALLBACK_ACME_SERVERS` (removed when `servers` is empty).
    pub fn set_fallback_servers(&mut self, servers: &[String]) {
        if servers.is_empty() {
            self.conf.remove(FALLBACK_SERVERS);
        } else {
            self.conf.set(FALLBACK_SERVERS, &servers.join(","));
        }
    }

    /// `CA_BUNDLE`: extra roots to trust for the CA's HTTPS.
    pub fn ca_bundle(&self) -> Option<PathBuf> {
        self.path(CA_BUNDLE)
    }

    /// Save or clear `CA_BUNDLE`; `false` when it already held the value (nothing to save).
    pub fn set_ca_bundle(&mut self, path: Option<&str>) -> bool {
        if self.get(CA_BUNDLE).as_deref() == path {
            return false;
        }
        match path {
            Some(p) => self.conf.set(CA_BUNDLE, p),
            None => self.conf.remove(CA_BUNDLE),
        }
        true
    }

    /// `ACCOUNT_EMAIL`: the contact for new accounts.
    pub fn email(&self) -> Option<String> {
        self.get(EMAIL)
    }

    /// `CERT_HOME`: where lineages live.
    pub fn cert_home(&self) -> Option<PathBuf> {
        self.path(CERT_HOME)
    }

    /// Save what `--install` records (acme.sh's `install`): `ACCOUNT_EMAIL`, `CERT_HOME` and
    /// `ACCOUNT_KEY_PATH`, each only when given.
    pub fn set_install(
        &mut self,
        email: Option<&str>,
        cert_home: Option<&str>,
        account_key: Option<&str>,
    ) {
        for (key, value) in [
            (EMAIL, email),
            (CERT_HOME, cert_home),
            (ACCOUNT_KEY_PATH, account_key),
        ] {
            if let Some(value) = value {
                self.conf.set(key, value);
            }
        }
    }

    /// `LOG_FILE`: the log file.
    pub fn log_file(&self) -> Option<PathBuf> {
        self.path(LOG_FILE)
    }

    /// Save `LOG_FILE` (`--log FILE`, as acme.sh's `main` does).
    pub fn set_log_file(&mut self, path: &Path) {
        self.conf.set(LOG_FILE, &path.to_string_lossy());
    }

    /// `AUTO_UPGRADE` (`1`: `--cron` says how to upgrade acmers).
    pub fn auto_upgrade(&self) -> Option<String> {
        self.get(AUTO_UPGRADE)
    }

    /// `LOG_LEVEL`: how much debug detail goes into the log file (acme.sh's `--log-level`).
    pub fn log_level(&self) -> Option<String> {
        self.get(LOG_LEVEL)
    }

    /// `SYS_LOG`: what goes to syslog (acme.sh's `--syslog`).
    pub fn sys_log(&self) -> Option<String> {
        self.get(SYS_LOG)
    }

    /// `USER_AGENT`: the `User-Agent` of every request (acme.sh's `--useragent`).
    pub fn user_agent(&self) -> Option<String> {
        self.get(USER_AGENT)
    }

    /// `ACMERS_STORE`: the fleet store's URL (docs/fleet.md).
    pub fn store(&self) -> Option<String> {
        self.get(STORE)
    }

    /// `ACMERS_STORE_KEY`: the store key file (docs/fleet.md).
    pub fn store_key(&self) -> Option<PathBuf> {
        self.path(STORE_KEY)
    }

    /// `ACMERS_NODE`: this node's name in the fleet store (docs/fleet.md).
    pub fn node(&self) -> Option<String> {
        self.get(NODE)
    }

    /// `CA_PATH`: a folder of extra trusted roots (acme.sh's `--ca-path`).
    pub fn ca_path(&self) -> Option<PathBuf> {
        self.path(CA_PATH)
    }

    /// Save or clear `CA_PATH`; `false` when it already held the value (nothing to save).
    pub fn set_ca_path(&mut self, path: Option<&str>) -> bool {
        if self.get(CA_PATH).as_deref() == path {
            return false;
        }
        match path {
            Some(p) => self.conf.set(CA_PATH, p),
            None => self.conf.remove(CA_PATH),
        }
        true
    }

    /// `USER_PATH`: the `PATH` of the last interactive `--issue`, put in front of `PATH` by
    /// `--cron`.
    pub fn user_path(&self) -> Option<String> {
        self.get(USER_PATH)
    }

    /// Save `USER_PATH`; `false` when it already held the value.
    pub fn set_user_path(&mut self, path: &str) -> bool {
        if self.get(USER_PATH).as_deref() == Some(path) {
            return false;
        }
        self.conf.set(USER_PATH, path);
        true
    }

    /// `ACCOUNT_CONF_PATH`: in the default account.conf, the account.conf to use instead
    /// (acme.sh's `--accountconf`).
    pub fn account_conf_path(&self) -> Option<PathBuf> {
        self.path(ACCOUNT_CONF_PATH)
    }

    /// Save `ACCOUNT_CONF_PATH` (in the default account.conf, by `--install --accountconf`).
    pub fn set_account_conf_path(&mut self, path: &Path) {
        self.conf.set(ACCOUNT_CONF_PATH, &path.to_string_lossy());
    }

    /// `ACCOUNT_KEY_PATH`: the account key to use instead of the CA folder's `account.key`.
    pub fn account_key_path(&self) -> Option<PathBuf> {
        self.path(ACCOUNT_KEY_PATH)
    }

    /// `ACME_USE_IPV4_REQUESTS` and `ACME_USE_IPV6_REQUESTS`: whether each is set.
    pub fn request_families(&self) -> (bool, bool) {
        (
            self.get(IPV4_REQUESTS).is_some(),
            self.get(IPV6_REQUESTS).is_some(),
        )
    }

    /// Save what a run was given for its environment (acme.sh's `main` and
    /// `_processAccountConf`), each only when `Some`: `LOG_LEVEL`; `SYS_LOG` (`"0"` clears
    /// it); `USER_AGENT`; `AUTO_UPGRADE`; `ACME_USE_IPV6_REQUESTS=1` (`true`) or
    /// `ACME_USE_IPV4_REQUESTS=1` (`false`), clearing the other.
    pub fn set_run_env(&mut self, given: &RunEnvGiven<'_>) {
        let RunEnvGiven {
            log_level,
            sys_log,
            user_agent,
            auto_upgrade,
            ipv6,
        } = *given;
        if let Some(level) = log_level {
            self.conf.set(LOG_LEVEL, level);
        }
        if let Some(value) = auto_upgrade {
            self.conf.set(AUTO_UPGRADE, value);
        }
        match sys_log {
            Some("0") => self.conf.remove(SYS_LOG),
            Some(level) => self.conf.set(SYS_LOG, level),
            None => {}
        }
        if let Some(user_agent) = user_agent {
            self.conf.set(USER_AGENT, user_agent);
        }
        if let Some(ipv6) = ipv6 {
            let (set, clear) = if ipv6 {
                (IPV6_REQUESTS, IPV4_REQUESTS)
            } else {
                (IPV4_REQUESTS, IPV6_REQUESTS)
            };
            self.conf.set(set, "1");
            self.conf.remove(clear);
        }
    }

    /// `NOTIFY_HOOK`, `NOTIFY_LEVEL`, `NOTIFY_MODE`, `NOTIFY_SOURCE` as saved by
    /// `--set-notify` (acme.sh's `setnotify`), each `None` when missing or empty.
    pub fn notify(&self) -> [Option<String>; 4] {
        [NOTIFY_HOOK, NOTIFY_LEVEL, NOTIFY_MODE, NOTIFY_SOURCE].map(|key| self.get(key))
    }

    /// Save the `--set-notify` settings given (`None`: unchanged); a hook of `Some("")` is
    /// removed (acme.sh's `_clearaccountconf`).
    pub fn set_notify(
        &mut self,
        hook: Option<&str>,
        level: Option<u8>,
        mode: Option<u8>,
        source: Option<&str>,
    ) {
        if let Some(level) = level {
            self.conf.set(NOTIFY_LEVEL, &level.to_string());
        }
        if let Some(mode) = mode {
            self.conf.set(NOTIFY_MODE, &mode.to_string());
        }
        if let Some(source) = source {
            self.conf.set(NOTIFY_SOURCE, source);
        }
        match hook {
            Some("") => self.conf.remove(NOTIFY_HOOK),
            Some(hook) => self.conf.set(NOTIFY_HOOK, hook),
            None => {}
        }
    }

    /// A provider or plugin setting saved after a successful issuance: `SAVED_<name>`, else a
    /// legacy plain `<name>` line (acme.sh's `_readaccountconf_mutable`).
    pub fn saved(&self, name: &str) -> Option<String> {
        self.get(&format!("SAVED_{name}"))
            .or_else(|| self.get(name))
    }

    /// Save `SAVED_<name>` and drop a legacy `<name>` line (acme.sh's
    /// `_saveaccountconf_mutable`); `false` when it already held the value.
    pub fn set_saved(&mut self, name: &str, value: &str) -> bool {
        let key = format!("SAVED_{name}");
        if self.get(&key).as_deref() == Some(value) && self.conf.get(name).is_none() {
            return false;
        }
        self.conf.set(&key, value);
        self.conf.remove(name);
        true
    }
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
