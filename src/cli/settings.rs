//! Resolved settings ("high args"): the command line merged with `account.conf` and the
//! environment. acme.sh's precedence rules live here, so they can be tested without a CA.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::acme::client::check_directory_url;
use crate::acme::types::Identifier;
use crate::cli::args::{Args, ModeArg};
use crate::deploy::Targets;
use crate::keys::KeyType;
use crate::names;
use crate::store::trust::Policy;
use crate::store::{Conf, Home};

/// The default CA: Let's Encrypt (acme.sh defaults to ZeroSSL; see docs/differences.md).
pub const DEFAULT_SERVER: &str = LETSENCRYPT;

/// Let's Encrypt's directory (also what acme.sh assumes for an empty `Le_API`).
pub const LETSENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
const LETSENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";
const SSLCOM_URLS: [&str; 2] = [
    "https://acme.ssl.com/sslcom-dv-rsa",
    "https://acme.ssl.com/sslcom-dv-ecc",
];

/// acme.sh's CA names (matched case-insensitively; the first is how `--list` shows the CA)
/// and their directory URLs. SSL.com's URL depends on the key type and is handled in
/// [`resolve_server`] and [`ca_display_name`].
const CA_NAMES: &[(&[&str], &str)] = &[
    (
        &["ZeroSSL.com", "zerossl"],
        "https://acme.zerossl.com/v2/DV90",
    ),
    (&["LetsEncrypt.org", "letsencrypt"], LETSENCRYPT),
    (
        &[
            "LetsEncrypt.org_test",
            "letsencrypt_test",
            "letsencrypttest",
        ],
        LETSENCRYPT_STAGING,
    ),
    (
        &["Google.com", "google"],
        "https://dv.acme-v02.api.pki.goog/directory",
    ),
    (
        &["Google.com_test", "googletest", "google_test"],
        "https://dv.acme-v02.test-api.pki.goog/directory",
    ),
    (
        &["Actalis.com", "actalis"],
        "https://acme-api.actalis.com/acme/directory",
    ),
];

/// acme.sh's name for a CA directory URL (the first name of its row), if it has one.
pub fn ca_display_name(url: &str) -> Option<&'static str> {
    if SSLCOM_URLS.iter().any(|u| u.eq_ignore_ascii_case(url)) {
        return Some("SSL.com");
    }
    CA_NAMES
        .iter()
        .find(|(_, known)| known.eq_ignore_ascii_case(url))
        .map(|(names, _)| names[0])
}

/// A settings error: the command line or configuration cannot work.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A domain is not valid.
    #[error(transparent)]
    Name(#[from] names::NameError),
    /// `--server` is neither a known short name nor a URL.
    #[error(
        "unknown CA `{0}`: use a short name (letsencrypt, letsencrypt_test, zerossl, google, googletest, sslcom, actalis) or an https directory URL"
    )]
    UnknownServer(String),
    /// A directory URL the protocol client would refuse.
    #[error(
        "`{0}` cannot be a CA directory: it must be an https URL (plain http only on a loopback host)"
    )]
    DirectoryUrl(String),
    /// A key length is not one acme.sh knows.
    #[error("invalid key length `{0}`: use ec-256, ec-384, ec-521, 2048, 3072, 4096 or 8192")]
    KeyLength(String),
    /// No validation mode given.
    #[error("no validation mode given for `{0}`: add `--webroot DIR` or `--standalone`")]
    NoMode(String),
    /// More validation modes than domains: the last ones would never be used.
    #[error(
        "{unused} would never be used: validation modes pair with the `-d` names in order (the \
         i-th mode validates the i-th name, the last mode every remaining name), and there are \
         more modes ({modes}) than names ({domains})"
    )]
    UnusedModes {
        /// How many modes were given.
        modes: usize,
        /// How many (distinct) domains were given.
        domains: usize,
        /// The unused modes as typed, e.g. `` `--webroot /a`, `--standalone` ``.
        unused: String,
    },
    /// A wildcard with an http-01 mode.
    #[error(
        "`{0}` is a wildcard name, which only dns-01 can validate; http-01 (`--webroot`, `--standalone`) cannot"
    )]
    WildcardHttp(String),
    /// A local address that is not an IP address.
    #[error("`--local-address {0}` is not an IP address")]
    LocalAddress(String),
    /// A required option is missing.
    #[error("{0}")]
    Missing(&'static str),
    /// No home directory could be found.
    #[error("cannot find the home directory: set HOME or pass `--home`")]
    NoHome,
    /// A value saved in a domain conf cannot be used.
    #[error("the saved `{key}='{value}'` cannot be used: {reason}")]
    Saved {
        /// The conf key.
        key: &'static str,
        /// Its value.
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// A saved validation mode acmers does not implement.
    #[error(
        "the certificate is validated with `{0}`, which acmers does not support yet (only webroot and standalone http-01)"
    )]
    UnsupportedMode(String),
    /// account.conf could not be read.
    #[error("cannot read `account.conf`")]
    Store(#[from] crate::store::Error),
}

/// How one domain is validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Write the token under this web root.
    Webroot(PathBuf),
    /// Serve the token from the built-in server.
    Standalone,
}

impl Mode {
    /// The option that selects this mode, as typed.
    pub fn option(&self) -> String {
        match self {
            Self::Webroot(path) => format!("--webroot {}", path.display()),
            Self::Standalone => "--standalone".into(),
        }
    }

    /// The `Le_Webroot` entry acme.sh writes for this mode.
    pub fn conf_entry(&self) -> String {
        match self {
            Self::Webroot(path) => path.display().to_string(),
            Self::Standalone => "no".into(),
        }
    }
}

/// Settings every command shares.
#[derive(Clone, Debug)]
pub struct Globals {
    /// The acme.sh home.
    pub home: Home,
    /// The parsed `account.conf` (empty when missing).
    pub account_conf: Conf,
}

/// Everything `--issue` needs.
#[derive(Clone, Debug)]
pub struct IssueSettings {
    /// Identifiers in order; the first is the main domain.
    pub identifiers: Vec<Identifier>,
    /// The validation mode of each identifier (same order).
    pub modes: Vec<Mode>,
    /// `Le_Webroot`: the modes as typed, comma-joined.
    pub webroot_conf: String,
    /// Domain key type.
    pub key_type: KeyType,
    /// Key type for a new account key.
    pub account_key_type: KeyType,
    /// ACME directory URL.
    pub server: String,
    /// Extra trusted roots for the CA's HTTPS.
    pub ca_bundle: Option<PathBuf>,
    /// Account contact email.
    pub email: Option<String>,
    /// Standalone port (saved as `Le_HTTPPort` when given).
    pub http_port: Option<u16>,
    /// Standalone bind address.
    pub local_address: Option<IpAddr>,
    /// Authorization wait limit.
    pub validation_timeout: Duration,
    /// Order wait limit.
    pub order_timeout: Duration,
    /// `--force`.
    pub force: bool,
    /// `--days` (or the saved `Le_RenewalDays` on a renewal).
    pub days: Option<i64>,
    /// Hooks given on the command line (saved in the conf; the conf's are used when absent).
    pub hooks: Hooks,
    /// Install targets given on the command line (saved like the hooks).
    pub install: Install,
    /// Limit for each hook and the reload command.
    pub hook_timeout: Duration,
    /// How long to wait for a lineage another process is working on.
    pub lock_timeout: Duration,
    /// A renewal (`--renew`, `--renew-all`, `--cron`) rather than `--issue`: the renew hook
    /// runs after success.
    pub renewal: bool,
}

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

/// `--install-cert` targets and the reload command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Install {
    /// `--cert-file`, `--key-file`, `--ca-file`, `--fullchain-file` (`Le_RealCertPath`,
    /// `Le_RealKeyPath`, `Le_RealCACertPath`, `Le_RealFullChainPath`).
    pub files: Targets,
    /// `--reloadcmd` / `Le_ReloadCmd`.
    pub reload: Option<String>,
}

impl Hooks {
    /// The hooks given on the command line.
    pub fn from_args(args: &Args) -> Self {
        Self {
            pre: args.pre_hook.clone(),
            post: args.post_hook.clone(),
            renew: args.renew_hook.clone(),
        }
    }
}

impl Install {
    /// The targets given on the command line.
    pub fn from_args(args: &Args) -> Self {
        Self {
            files: Targets {
                cert: args.cert_file.clone(),
                ca: args.ca_file.clone(),
                key: args.key_file.clone(),
                fullchain: args.fullchain_file.clone(),
            },
            reload: args.reloadcmd.clone(),
        }
    }

    /// Nothing to install and no command to run.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl IssueSettings {
    /// The main domain (folder and conf name).
    pub fn main_domain(&self) -> &str {
        self.identifiers[0].value()
    }
}

/// Resolve the home folders: `--home` > `LE_WORKING_DIR` > `~/.acme.sh`; config home:
/// `--config-home` > `LE_CONFIG_HOME` > home; cert home: `--cert-home` > `CERT_HOME` (env,
/// then account.conf) > config home.
pub fn globals(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Globals, SettingsError> {
    let working_dir = match (&args.home, env("LE_WORKING_DIR")) {
        (Some(home), _) => strip_trailing_slash(home),
        (None, Some(dir)) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(
            env("HOME")
                .filter(|h| !h.is_empty())
                .ok_or(SettingsError::NoHome)?,
        )
        .join(".acme.sh"),
    };
    let config_home = args.config_home.clone().or_else(|| {
        env("LE_CONFIG_HOME")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
    });
    let probe = Home::new(working_dir.clone(), config_home.clone(), None);
    // As root, `account.conf` chooses the CA, the certificate home, the log file and the CA
    // bundle: one another user controls is refused (docs/security.md).
    let account_conf =
        Conf::load_trusted(&probe.account_conf(), Policy::current())?.unwrap_or_default();
    let cert_home = args
        .cert_home
        .clone()
        .or_else(|| {
            env("CERT_HOME")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| {
            account_conf
                .get("CERT_HOME")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
        });
    Ok(Globals {
        home: Home::new(working_dir, config_home, cert_home),
        account_conf,
    })
}

fn strip_trailing_slash(path: &Path) -> PathBuf {
    let s = path.to_string_lossy();
    let trimmed = s.trim_end_matches('/');
    if trimmed.is_empty() {
        path.to_path_buf()
    } else {
        PathBuf::from(trimmed)
    }
}

/// Resolve `--server`/`--staging`/`DEFAULT_ACME_SERVER` to a directory URL. A URL must pass
/// the protocol client's own check ([`check_directory_url`]), so a command refuses it before it
/// creates anything.
pub fn resolve_server(
    server: Option<&str>,
    staging: bool,
    account_conf: &Conf,
    key_type: KeyType,
) -> Result<String, SettingsError> {
    let chosen = match (server, staging) {
        (Some(s), _) => s.to_owned(),
        (None, true) => return Ok(LETSENCRYPT_STAGING.into()),
        (None, false) => match account_conf.get("DEFAULT_ACME_SERVER") {
            Some(s) if !s.is_empty() => s,
            _ => return Ok(DEFAULT_SERVER.into()),
        },
    };
    if ["sslcom", "ssl.com"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(&chosen))
    {
        let [rsa, ecc] = SSLCOM_URLS;
        return Ok((if key_type.is_ecc() { ecc } else { rsa }).into());
    }
    if let Some((_, url)) = CA_NAMES
        .iter()
        .find(|(names, _)| names.iter().any(|n| n.eq_ignore_ascii_case(&chosen)))
    {
        return Ok((*url).into());
    }
    match check_directory_url(&chosen) {
        Ok(_) => Ok(chosen),
        Err(_) if chosen.contains("://") => Err(SettingsError::DirectoryUrl(chosen)),
        Err(_) => Err(SettingsError::UnknownServer(chosen)),
    }
}

pub(crate) fn parse_key_type(
    value: Option<&str>,
    default: KeyType,
) -> Result<KeyType, SettingsError> {
    match value {
        None => Ok(default),
        Some(v) => KeyType::parse_acmesh(v).map_err(|_| SettingsError::KeyLength(v.to_owned())),
    }
}

/// Resolve `--issue`.
pub fn issue(
    args: &Args,
    modes: &[ModeArg],
    globals: &Globals,
) -> Result<IssueSettings, SettingsError> {
    let identifiers = names::parse_domains(&args.domains)?;
    let key_type = parse_key_type(args.key_length.as_deref(), KeyType::Ec256)?;
    let account_key_type = parse_key_type(args.account_key_length.as_deref(), KeyType::Ec256)?;
    let main = identifiers[0].value().to_owned();
    if modes.is_empty() {
        return Err(SettingsError::NoMode(main));
    }
    let typed: Vec<Mode> = modes
        .iter()
        .map(|m| match m {
            ModeArg::Webroot(dir) => Mode::Webroot(dir.clone()),
            ModeArg::Standalone => Mode::Standalone,
        })
        .collect();
    if typed.len() > identifiers.len() {
        return Err(SettingsError::UnusedModes {
            modes: typed.len(),
            domains: identifiers.len(),
            unused: typed[identifiers.len()..]
                .iter()
                .map(|m| format!("`{}`", m.option()))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let per_domain = modes_per_domain(&typed, identifiers.len());
    let webroot_conf = typed
        .iter()
        .map(Mode::conf_entry)
        .collect::<Vec<_>>()
        .join(",");
    if let Some(wild) = identifiers.iter().find(|id| names::is_wildcard(id)) {
        return Err(SettingsError::WildcardHttp(wild.value().to_owned()));
    }
    let local_address = match args.local_address.first() {
        None => None,
        Some(a) => Some(
            a.parse::<IpAddr>()
                .map_err(|_| SettingsError::LocalAddress(a.clone()))?,
        ),
    };
    let server = resolve_server(
        args.server.as_deref(),
        args.staging,
        &globals.account_conf,
        key_type,
    )?;
    let ca_bundle = ca_bundle(args, globals);
    let email = email(args, globals);
    Ok(IssueSettings {
        identifiers,
        modes: per_domain,
        webroot_conf,
        key_type,
        account_key_type,
        server,
        ca_bundle,
        email,
        http_port: args.http_port,
        local_address,
        validation_timeout: Duration::from_secs(args.validation_timeout),
        order_timeout: Duration::from_secs(args.order_timeout),
        force: args.force,
        days: args.days,
        hooks: Hooks::from_args(args),
        install: Install::from_args(args),
        hook_timeout: Duration::from_secs(args.hook_timeout),
        lock_timeout: Duration::from_secs(args.lock_timeout),
        renewal: false,
    })
}

/// acme.sh: the i-th mode applies to the i-th domain, the last one to the rest. `typed` must
/// not be empty.
pub fn modes_per_domain(typed: &[Mode], domains: usize) -> Vec<Mode> {
    (0..domains)
        .map(|i| typed[i.min(typed.len() - 1)].clone())
        .collect()
}

/// `--ca-bundle`, else `CA_BUNDLE` saved in account.conf.
pub fn ca_bundle(args: &Args, globals: &Globals) -> Option<PathBuf> {
    args.ca_bundle.clone().or_else(|| {
        globals
            .account_conf
            .get("CA_BUNDLE")
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
    })
}

/// `-m/--email`, else `ACCOUNT_EMAIL` saved in account.conf.
pub fn email(args: &Args, globals: &Globals) -> Option<String> {
    args.email.clone().or_else(|| {
        globals
            .account_conf
            .get("ACCOUNT_EMAIL")
            .filter(|e| !e.is_empty())
    })
}

/// Resolve `--set-default-ca`: the directory URL to save.
pub fn set_default_ca(args: &Args, globals: &Globals) -> Result<String, SettingsError> {
    let server = args.server.as_deref().ok_or(SettingsError::Missing(
        "`--set-default-ca` needs `--server`",
    ))?;
    let key_type = parse_key_type(args.key_length.as_deref(), KeyType::Ec256)?;
    resolve_server(Some(server), false, &globals.account_conf, key_type)
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
