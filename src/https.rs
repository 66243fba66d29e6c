//! The HTTPS settings every client of a run shares: acmers' user agent and time limits
//! ([`HttpConfig::standard`]), the extra roots of `--ca-bundle` (`CA_BUNDLE`) and
//! `--ca-path` (`CA_PATH`), read under the root trust policy, and the run's
//! [`RunOptions`] (`--useragent`, `--insecure`, `--request-v4`/`--request-v6`). Used by the
//! engine and by the plugin helper, which must make the same choices.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

pub use crate::acme::http::IpFamily as Family;
use crate::acme::http::{HttpClient, HttpConfig, ReqwestClient};
use crate::store::trust::Policy;
use crate::store::{self, file};

/// The HTTPS settings could not be made.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub struct SetupError {
    /// What failed.
    pub what: String,
    /// Why.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl SetupError {
    fn new(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            what: what.into(),
            source: source.into(),
        }
    }
}

/// What the command line (or the environment, or account.conf) chose for every HTTPS client
/// of the run: acme.sh's `USER_AGENT`, `HTTPS_INSECURE`, `CA_PATH` and
/// `ACME_USE_IPV4_REQUESTS`/`ACME_USE_IPV6_REQUESTS` (docs/environment.md).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Sent instead of `acmers/<version>`.
    pub user_agent: Option<String>,
    /// Accept any server certificate (never saved: docs/differences.md).
    pub insecure: bool,
    /// A folder of PEM files whose certificates are extra trusted roots, like `--ca-bundle`.
    pub ca_path: Option<PathBuf>,
    /// Connect over this address family only (`--request-v4`/`--request-v6`).
    pub family: Option<Family>,
}

// The variables a plugin gets so that the helper's requests ([`RunOptions::from_env`]) make
// the same choices as the run's own (acme.sh's names).
const USER_AGENT: &str = "USER_AGENT";
const HTTPS_INSECURE: &str = "HTTPS_INSECURE";
const CA_PATH: &str = "CA_PATH";
const IPV4: &str = "ACME_USE_IPV4_REQUESTS";
const IPV6: &str = "ACME_USE_IPV6_REQUESTS";

impl RunOptions {
    /// The options the plugin helper inherits through [`plugin_env`](Self::plugin_env).
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let set = |key: &str| env(key).filter(|v| !v.is_empty());
        let on = |key: &str| set(key).is_some_and(|v| v != "0");
        Self {
            user_agent: set(USER_AGENT),
            insecure: on(HTTPS_INSECURE),
            ca_path: set(CA_PATH).map(PathBuf::from),
            family: if on(IPV6) {
                Some(Family::V6)
            } else if on(IPV4) {
                Some(Family::V4)
            } else {
                None
            },
        }
    }

    /// The variables that carry these options to a plugin (acme.sh's names, which its own
    /// `_get`/`_post` read), read back by [`from_env`](Self::from_env).
    pub fn plugin_env(&self) -> Vec<(String, String)> {
        let mut env = Vec::new();
        if let Some(user_agent) = &self.user_agent {
            env.push((USER_AGENT.into(), user_agent.clone()));
        }
        if self.insecure {
            env.push((HTTPS_INSECURE.into(), "1".into()));
        }
        if let Some(path) = &self.ca_path {
            env.push((CA_PATH.into(), path.to_string_lossy().into_owned()));
        }
        match self.family {
            Some(Family::V4) => env.push((IPV4.into(), "1".into())),
            Some(Family::V6) => env.push((IPV6.into(), "1".into())),
            None => {}
        }
        env
    }
}

/// The run's options, set once by the command line before any client is made.
static RUN: OnceLock<RunOptions> = OnceLock::new();

/// Use `options` for every client [`config`] makes from now on. Set once, by the command
/// line, before any client is made; a later call changes nothing.
pub fn set_run_options(options: RunOptions) {
    let _ = RUN.set(options);
}

/// The run's options ([`set_run_options`]; the defaults when none were set).
pub fn run_options() -> &'static RunOptions {
    static DEFAULT: RunOptions = RunOptions {
        user_agent: None,
        insecure: false,
        ca_path: None,
        family: None,
    };
    RUN.get().unwrap_or(&DEFAULT)
}

/// The configuration of an HTTPS client: [`config_for`] with the run's options.
///
/// # Errors
///
/// As [`config_for`].
pub fn config(ca_bundle: Option<&Path>) -> Result<HttpConfig, SetupError> {
    config_for(ca_bundle, run_options())
}

/// The configuration of an HTTPS client: [`HttpConfig::standard`] plus the roots of
/// `ca_bundle` and of the files of `run.ca_path`, read and checked, and the rest of `run`.
///
/// # Errors
///
/// The bundle or folder cannot be read (as root: one another user controls is refused), or
/// holds no usable certificate.
pub fn config_for(ca_bundle: Option<&Path>, run: &RunOptions) -> Result<HttpConfig, SetupError> {
    // As root, a bundle another user controls would let them choose whom root trusts.
    let mut extra_roots_pem = match ca_bundle {
        Some(path) => Some(read_trusted(path).map_err(|e| {
            SetupError::new(format!("cannot read the CA bundle `{}`", path.display()), e)
        })?),
        None => None,
    };
    if let Some(dir) = &run.ca_path {
        let what = || format!("cannot read the CA folder `{}`", dir.display());
        let pem = read_ca_path(dir).map_err(|e| SetupError::new(what(), e))?;
        if pem.is_empty() {
            return Err(SetupError::new(what(), "it holds no PEM certificate"));
        }
        extra_roots_pem.get_or_insert_with(Vec::new).extend(pem);
    }
    let mut config = HttpConfig::standard(extra_roots_pem);
    if let Some(user_agent) = &run.user_agent {
        config.user_agent.clone_from(user_agent);
    }
    config.insecure = run.insecure;
    config.family = run.family;
    ReqwestClient::check(&config).map_err(|e| SetupError::new("cannot set up HTTPS", e))?;
    Ok(config)
}

/// A file under the root trust policy; a missing one is an error.
fn read_trusted(path: &Path) -> Result<Vec<u8>, store::Error> {
    let loaded = Policy::current().read_file(path, file::MAX_FILE)?;
    loaded.map(|l| l.bytes).ok_or_else(|| store::Error::Read {
        path: path.to_owned(),
        source: std::io::ErrorKind::NotFound.into(),
    })
}

/// The PEM certificates of every file in `dir` (acme.sh's `--ca-path`, curl's `--capath`),
/// in name order; files holding no certificate and sub-folders are skipped. As root the
/// folder and every file (or link) in it must be closed to other users, as a bundle is.
fn read_ca_path(dir: &Path) -> Result<Vec<u8>, store::Error> {
    let read_err = |source| store::Error::Read {
        path: dir.to_owned(),
        source,
    };
    Policy::current().check_dir(dir)?;
    let mut names = std::fs::read_dir(dir)
        .map_err(read_err)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(read_err)?;
    names.sort();
    let mut pem = Vec::new();
    for path in names.into_iter().filter(|p| !p.is_dir()) {
        // A dangling link holds nothing.
        let Some(bytes) = Policy::current()
            .read_file(&path, file::MAX_FILE)?
            .map(|l| l.bytes)
        else {
            continue;
        };
        if bytes
            .windows(PEM_CERT.len())
            .any(|w| w == PEM_CERT.as_bytes())
        {
            pem.extend_from_slice(&bytes);
            pem.push(b'\n');
        }
    }
    Ok(pem)
}

/// What starts a PEM certificate.
const PEM_CERT: &str = "-----BEGIN CERTIFICATE-----";

/// The client of a [`config`].
///
/// # Errors
///
/// The TLS configuration cannot be built.
pub fn client(config: &HttpConfig) -> Result<Arc<dyn HttpClient>, SetupError> {
    let client =
        ReqwestClient::new(config).map_err(|e| SetupError::new("cannot set up HTTPS", e))?;
    Ok(Arc::new(client))
}

#[cfg(test)]
#[path = "https_tests.rs"]
mod tests;
