//! Resolved settings ("high args"): the command line ("low args", [`Args`]) merged with
//! `account.conf` and the environment, one value per command (`IssueSettings::resolve`,
//! `RenewSettings::resolve`, …). Commands never see [`Args`]. acme.sh's precedence rules live
//! here, so they can be tested without a CA.

mod account;
mod csr;
mod deactivate;
mod deploy;
mod install;
mod issue;
mod keys;
mod list;
mod notify;
mod renew;
mod revoke;
mod run_env;
mod setup;

pub(crate) use account::{AccountSettings, eab, zerossl_eab};
pub(crate) use csr::{SHOW_USAGE, SIGN_USAGE, csr_path};
pub(crate) use deactivate::DeactivateSettings;
pub(crate) use deploy::DeploySettings;
pub(crate) use install::InstallSettings;
pub(crate) use issue::IssueSettings;
pub(crate) use keys::KeyFileSettings;
pub(crate) use list::{Format, InfoSettings, ListSettings, RemoveSettings};
pub(crate) use notify::{SetNotifySettings, notifier};
pub(crate) use renew::RenewSettings;
pub(crate) use revoke::RevokeSettings;
pub(crate) use run_env::{RunEnv, remember};
pub(crate) use setup::SetupSettings;

use std::path::{Path, PathBuf};

use crate::acme::client::check_directory_url;
use crate::cli::args::Args;
use crate::keys::KeyType;
use crate::lineage::Ca;
use crate::names;
use crate::store::Home;
use crate::store::record::AccountConf;
use crate::store::trust::Policy;

/// The default CA: Let's Encrypt (acme.sh defaults to ZeroSSL; see docs/differences.md).
pub(crate) const DEFAULT_SERVER: &str = LETSENCRYPT;

/// Let's Encrypt's directory (also what acme.sh assumes for an empty `Le_API`).
pub(crate) const LETSENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
/// ZeroSSL's directory, as acme.sh's `CA_ZEROSSL`.
pub(crate) const ZEROSSL: &str = "https://acme.zerossl.com/v2/DV90";
const LETSENCRYPT_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";
const SSLCOM_URLS: [&str; 2] = [
    "https://acme.ssl.com/sslcom-dv-rsa",
    "https://acme.ssl.com/sslcom-dv-ecc",
];

/// acme.sh's CA names (matched case-insensitively; the first is how `--list` shows the CA)
/// and their directory URLs. SSL.com's URL depends on the key type and is handled in
/// [`resolve_server`] and [`ca_display_name`].
const CA_NAMES: &[(&[&str], &str)] = &[
    (&["ZeroSSL.com", "zerossl"], ZEROSSL),
    (&["LetsEncrypt.org", "letsencrypt"], LETSENCRYPT),
    (
        &[
            "LetsEncrypt.org_test",
            "letsencrypt_test",
            "letsencrypttest",
        ],
        LETSENCRYPT_STAGING,
    ),
    (&["Google.com", "google"], crate::csr::GOOGLE[0]),
    (
        &["Google.com_test", "googletest", "google_test"],
        crate::csr::GOOGLE[1],
    ),
    (
        &["Actalis.com", "actalis"],
        "https://acme-api.actalis.com/acme/directory",
    ),
];

/// acme.sh's name for a CA directory URL (the first name of its row), if it has one.
pub(crate) fn ca_display_name(url: &str) -> Option<&'static str> {
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
pub(crate) enum SettingsError {
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
    #[error(
        "no validation mode given for `{0}`: add `--webroot DIR`, `--standalone` or `--dns PROVIDER`"
    )]
    NoMode(String),
    /// `--dns` with something that is no provider name.
    #[error(
        "`--dns {0}` names no DNS provider: use acme.sh's hook names (`dns_cf`, `dns_nsupdate`, …, \
         see `--help`), the path of a plugin file named `dns_<name>.sh`, or `--dns` alone for \
         manual mode"
    )]
    DnsProvider(String),
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
        "`{0}` is a wildcard name, which only dns-01 can validate; http-01 (`--webroot`, `--standalone`) and tls-alpn-01 (`--alpn`) cannot"
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
    #[error(transparent)]
    Saved(#[from] crate::store::record::Invalid),
    /// A saved validation mode acmers does not implement.
    #[error(
        "the certificate is validated with `{0}`, which acmers does not support yet (only webroot, standalone, alpn, stateless, nginx, apache and dns)"
    )]
    UnsupportedMode(String),
    /// account.conf could not be read.
    #[error("cannot read `account.conf`")]
    Store(#[from] crate::store::Error),
    /// `--sign-csr` with `--key-file`.
    #[error("`--sign-csr` has no private key to install: leave out `--key-file`")]
    CsrKeyFile,
    /// A CSR with neither a domain common name nor a subjectAltName.
    #[error("Cannot read subject from CSR: {}", .0.display())]
    CsrNoName(PathBuf),
    /// `--eab-kid` / `--eab-hmac-key` cannot be used.
    #[error("{0}")]
    Eab(&'static str),
    /// `--valid-from` / `--valid-to` cannot be used.
    #[error(transparent)]
    Validity(#[from] crate::lineage::ValidityError),
    /// `--extended-key-usage` cannot be used.
    #[error(transparent)]
    KeyUsage(#[from] crate::csr::CsrError),
}

/// Settings every command shares.
#[derive(Clone, Debug)]
pub(crate) struct Globals {
    /// The acme.sh home.
    pub home: Home,
    /// The parsed `account.conf` (empty when missing).
    pub account_conf: AccountConf,
    /// `--debug` level (0 without it), passed on to plugins.
    pub debug: u8,
    /// Log level, syslog and the HTTPS options of the run.
    pub run: RunEnv,
}

/// Resolve the home folders: `--home` > `LE_WORKING_DIR` > `~/.acme.sh`; config home:
/// `--config-home` > `LE_CONFIG_HOME` > home; cert home: `--cert-home` > `CERT_HOME` (env,
/// then account.conf) > config home; account.conf: `--accountconf` > `ACCOUNT_CONF_PATH`
/// (env, then the default account.conf) > `<config home>/account.conf`; account key:
/// `--accountkey` > `ACCOUNT_KEY_PATH` (env, then account.conf) > each CA folder's; and the
/// run's environment ([`RunEnv`]).
pub(crate) fn globals(
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
    let load = |path: &Path| AccountConf::load_trusted(path, Policy::current());
    let mut default_conf = None;
    let account_conf_path = run_env::account_conf_path(args, env, || {
        let conf = load(&probe.default_account_conf());
        let named = conf.as_ref().ok().and_then(AccountConf::account_conf_path);
        default_conf = Some(conf);
        named
    });
    let account_conf = match (&account_conf_path, default_conf) {
        (Some(path), _) => load(path)?,
        (None, Some(conf)) => conf?,
        (None, None) => load(&probe.default_account_conf())?,
    };
    let cert_home = args
        .cert_home
        .clone()
        .or_else(|| {
            env("CERT_HOME")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| account_conf.cert_home());
    let mut home = Home::new(working_dir, config_home, cert_home);
    home.account_key_path = run_env::account_key_path(args, env, &account_conf);
    home.account_conf_path = account_conf_path;
    Ok(Globals {
        home,
        run: RunEnv::resolve(args, env, &account_conf),
        account_conf,
        debug: args.debug.unwrap_or(0),
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
pub(crate) fn resolve_server(
    server: Option<&str>,
    staging: bool,
    account_conf: &AccountConf,
    key_type: KeyType,
) -> Result<String, SettingsError> {
    let chosen = match (server, staging) {
        (Some(s), _) => s.to_owned(),
        (None, true) => return Ok(LETSENCRYPT_STAGING.into()),
        (None, false) => match account_conf.default_server() {
            Some(s) => s,
            None => return Ok(DEFAULT_SERVER.into()),
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

/// The fallback CAs of `primary` (docs/failover.md): the first non-empty list of `lists`
/// (`--fallback-server`, then a lineage's saved list, then `FALLBACK_ACME_SERVERS`), each
/// resolved as `--server` is; the primary and repeats are left out. Each uses the primary's
/// account settings with the binding saved in its own `ca.conf` (or ZeroSSL's fetched one).
pub(crate) fn fallback_cas(
    primary: &Ca,
    lists: &[&[String]],
    account_conf: &AccountConf,
    key_type: KeyType,
) -> Result<Vec<Ca>, SettingsError> {
    let chosen = lists.iter().find(|l| !l.is_empty()).copied().unwrap_or(&[]);
    let mut cas: Vec<Ca> = Vec::new();
    for name in chosen {
        let server = resolve_server(Some(name), false, account_conf, key_type)?;
        if server == primary.server || cas.iter().any(|ca| ca.server == server) {
            continue;
        }
        cas.push(Ca {
            zerossl_eab: zerossl_eab(&server),
            server,
            account_key_type: primary.account_key_type,
            email: primary.email.clone(),
            eab: None,
            fallbacks: Vec::new(),
        });
    }
    Ok(cas)
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

/// `--ca-bundle`, else `CA_BUNDLE` saved in account.conf.
pub(crate) fn ca_bundle(args: &Args, globals: &Globals) -> Option<PathBuf> {
    args.ca_bundle
        .clone()
        .or_else(|| globals.account_conf.ca_bundle())
}

/// `-m/--email`, else `ACCOUNT_EMAIL` saved in account.conf.
pub(crate) fn email(args: &Args, globals: &Globals) -> Option<String> {
    args.email.clone().or_else(|| globals.account_conf.email())
}

/// Resolve `--set-default-ca`: the directory URL to save, and the fallback CAs'
/// (`--fallback-server`; none given: none, and the saved list is cleared).
pub(crate) fn set_default_ca(
    args: &Args,
    globals: &Globals,
) -> Result<(String, Vec<String>), SettingsError> {
    let server = args.server.as_deref().ok_or(SettingsError::Missing(
        "`--set-default-ca` needs `--server`",
    ))?;
    let key_type = parse_key_type(args.key_length.as_deref(), KeyType::Ec256)?;
    let server = resolve_server(Some(server), false, &globals.account_conf, key_type)?;
    let primary = Ca {
        server: server.clone(),
        account_key_type: key_type,
        email: None,
        eab: None,
        zerossl_eab: None,
        fallbacks: Vec::new(),
    };
    let fallbacks = fallback_cas(
        &primary,
        &[&args.fallback_server],
        &globals.account_conf,
        key_type,
    )?;
    Ok((server, fallbacks.into_iter().map(|ca| ca.server).collect()))
}

#[cfg(test)]
mod tests;
