//! Typed records of the acme.sh home: each conf file acmers reads or writes, as a view whose
//! accessors name the keys (acme.sh's `_savedomainconf`, `_saveaccountconf`,
//! `_saveCAconf` and their readers). No other module spells a conf key.
//!
//! - [`DomainRecord`]: `<d>.conf` of a lineage.
//! - [`CaRecord`]: `ca/<host>/<path>/ca.conf` (the account at one CA).
//! - [`AccountConf`]: `account.conf` (settings shared by every lineage).
//!
//! Every record keeps the [`Conf`](super::Conf) it was loaded from: unknown keys, comments
//! and the order of lines round-trip untouched, and a setter changes only its own line.

mod account;
mod ca;
mod domain;

use std::path::PathBuf;

pub use account::{AccountConf, RunEnvGiven};
pub use ca::CaRecord;
pub use domain::{DomainRecord, SavedOrder};

/// The files an install writes: `--cert-file`, `--ca-file`, `--key-file`,
/// `--fullchain-file` (`Le_RealCertPath`, `Le_RealCACertPath`, `Le_RealKeyPath`,
/// `Le_RealFullChainPath`).
pub type InstallFiles = super::files::Files<Option<PathBuf>>;

/// Commands run around an issuance (docs/renewal.md, "Hooks").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hooks {
    /// `--pre-hook` / `Le_PreHook`: before a certificate is really ordered.
    pub pre: Option<String>,
    /// `--post-hook` / `Le_PostHook`: after every attempt, success or failure.
    pub post: Option<String>,
    /// `--renew-hook` / `Le_RenewHook`: after each successful renewal.
    pub renew: Option<String>,
}

/// What a lineage asks of each order besides its names (docs/order-options.md): saved by
/// `--issue` under acme.sh's keys and honoured on every renewal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrderOptions {
    /// `--preferred-chain` / `Le_Preferred_Chain` (base64-wrapped): the chain whose top
    /// issuer's common name contains this text is installed, when the CA offers one.
    pub preferred_chain: Option<String>,
    /// `--cert-profile` / `Le_Certificate_Profile`: `profile` in newOrder.
    pub profile: Option<String>,
    /// `--valid-from` / `Le_Valid_From`, as typed (a time, or `+Nd` / `+Nh` from now).
    pub valid_from: Option<String>,
    /// `--valid-to` / `Le_Valid_To`, as typed (a time, or `+Nd` / `+Nh` from the start).
    pub valid_to: Option<String>,
    /// `--ocsp-must-staple` / `Le_OCSP_Staple='1'`: the TLS feature `status_request` in the CSR.
    pub ocsp_must_staple: bool,
    /// `--extended-key-usage` / `Le_ExtKeyUse`: openssl's list (`serverAuth,clientAuth`).
    pub extended_key_usage: Option<String>,
    /// `--always-force-new-domain-key` / `Le_ForceNewDomainKey='1'`: a new domain key for
    /// every certificate.
    pub force_new_domain_key: bool,
}

/// `--install-cert` targets and the reload command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Install {
    /// Where the lineage's files are copied.
    pub files: InstallFiles,
    /// `--reloadcmd` / `Le_ReloadCmd`.
    pub reload: Option<String>,
}

impl Install {
    /// Nothing to install and no command to run.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// How one name is validated: an entry of acme.sh's `Le_Webroot` (comma-separated, one per
/// `-d` name in order, the last for every remaining name).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `no`: the built-in http-01 server (`--standalone`).
    Standalone,
    /// A folder the web server serves (`-w/--webroot`).
    Webroot(PathBuf),
    /// `dns`: dns-01 in manual mode (`--dns` without a provider): the user adds the records.
    DnsManual,
    /// dns-01 through a provider: acme.sh's hook name (`dns_cf`), or the path of a plugin
    /// file (`--dns /etc/acmers/dns_local.sh`, an acmers extension: a path whose file name
    /// starts with `dns_` and ends with `.sh`).
    Dns(String),
    /// `alpn`: tls-alpn-01 with the built-in TLS listener (`--alpn`).
    Alpn,
    /// `stateless`: the user's web server answers every token itself (docs/webservers.md).
    Stateless,
    /// `nginx:` or `nginx:<conf>`: a location added to nginx's config for the run; the conf
    /// to start the search from, when given (docs/webservers.md).
    Nginx(Option<PathBuf>),
    /// `apache`: an alias added to Apache's main config for the run (docs/webservers.md).
    Apache,
    /// Another acme.sh mode (`dns_persist`), kept as saved.
    Other(String),
}

impl Mode {
    /// The mode of one `Le_Webroot` entry.
    pub fn from_entry(entry: &str) -> Self {
        let other = entry == "dns_persist";
        match entry {
            "no" => Self::Standalone,
            "alpn" => Self::Alpn,
            "dns" => Self::DnsManual,
            "stateless" => Self::Stateless,
            "apache" => Self::Apache,
            // acme.sh writes `nginx:` for `--nginx` without a conf; `nginx` is read the same.
            "nginx" | "nginx:" => Self::Nginx(None),
            e if e.starts_with("nginx:") => Self::Nginx(Some(PathBuf::from(&e["nginx:".len()..]))),
            e if other => Self::Other(e.to_owned()),
            e if e.starts_with("dns_") || is_plugin_path(e) => Self::Dns(e.to_owned()),
            path => Self::Webroot(PathBuf::from(path)),
        }
    }

    /// The `Le_Webroot` entry acme.sh writes for this mode.
    pub fn entry(&self) -> String {
        match self {
            Self::Standalone => "no".into(),
            Self::Webroot(path) => path.display().to_string(),
            Self::DnsManual => "dns".into(),
            Self::Alpn => "alpn".into(),
            Self::Stateless => "stateless".into(),
            Self::Nginx(None) => "nginx:".into(),
            Self::Nginx(Some(conf)) => format!("nginx:{}", conf.display()),
            Self::Apache => "apache".into(),
            Self::Dns(entry) | Self::Other(entry) => entry.clone(),
        }
    }

    /// Whether the mode answers dns-01.
    pub fn is_dns(&self) -> bool {
        matches!(self, Self::Dns(_) | Self::DnsManual)
    }

    /// Whether acmers listens for the CA itself (`--standalone`, `--alpn`): such names take
    /// `--local-address` entries by position.
    pub fn is_listener(&self) -> bool {
        matches!(self, Self::Standalone | Self::Alpn)
    }
}

/// Whether an entry is the path of a dns plugin file: it contains `/` and its file name
/// starts with `dns_` and ends with `.sh`.
fn is_plugin_path(entry: &str) -> bool {
    entry.contains('/')
        && entry
            .rsplit('/')
            .next()
            .is_some_and(|name| name.starts_with("dns_") && name.ends_with(".sh"))
}

/// A saved value that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the saved `{key}='{value}'` cannot be used: {reason}")]
pub struct Invalid {
    /// The conf key.
    pub key: &'static str,
    /// Its value.
    pub value: String,
    /// Why.
    pub reason: &'static str,
}

impl Invalid {
    fn new(key: &'static str, value: &str, reason: &'static str) -> Self {
        Self {
            key,
            value: value.to_owned(),
            reason,
        }
    }
}

/// acme.sh's `Le_*TimeStr` form: `YYYY-MM-DDTHH:MM:SSZ` in UTC.
pub fn time_str(unix: i64) -> String {
    jiff::Timestamp::from_second(unix)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Keys whose name looks secret but whose value is not: paths, hashes, key types, flags, ids.
const NOT_SECRET: &[&str] = &[
    "ACCOUNT_KEY_PATH",
    "CA_KEY_HASH",
    "CA_EAB_KEY_ID",
    "Le_Keylength",
    "Le_RealKeyPath",
    "Le_ForceNewDomainKey",
    "Le_ExtKeyUse",
];

/// Parts of a key name (compared without case) that mark a credential.
const SECRET_PARTS: &[&str] = &["token", "secret", "pass", "pwd", "key", "auth"];

/// Whether a conf key holds a secret: every `SAVED_<VAR>` (DNS and deploy plugin settings), and
/// any key whose name contains `token`, `secret`, `pass`, `pwd`, `key` or `auth` (e.g.
/// `CF_Key`, `Le_PFXPassword`, `CA_EAB_HMAC_KEY`), except the paths, hashes and key types in
/// an explicit allow-list (`ACCOUNT_KEY_PATH`, `CA_KEY_HASH`, `Le_Keylength`, …).
pub fn is_secret(key: &str) -> bool {
    if key.starts_with("SAVED_") {
        return true;
    }

    if NOT_SECRET.contains(&key) {
        return false;
    }
    let lower = key.to_ascii_lowercase();
    SECRET_PARTS.iter().any(|part| lower.contains(part))
}

/// A comma-separated list as saved (`FALLBACK_ACME_SERVERS`, `Acmers_FallbackServers`):
/// entries trimmed, empty ones dropped.
fn split_list(value: Option<String>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
