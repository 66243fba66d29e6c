//! The HTTPS settings every client of a run shares: acmers' user agent and time limits
//! ([`HttpConfig::standard`]) and the extra roots of `--ca-bundle` (`CA_BUNDLE`), read under
//! the root trust policy. Used by the engine and by the plugin helper, which must make the
//! same choices.

use std::path::Path;
use std::sync::{Arc, OnceLock};

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

/// The `User-Agent` that replaces acmers' own for the whole run (acme.sh's `--useragent`).
static USER_AGENT: OnceLock<String> = OnceLock::new();

/// Send `user_agent` instead of `acmers/<version>` from every client [`config`] makes from
/// now on (acme.sh's `--useragent`). Set once, by the command line, before any client is
/// made; a later call changes nothing.
pub fn set_user_agent(user_agent: String) {
    let _ = USER_AGENT.set(user_agent);
}

/// The configuration of an HTTPS client: [`HttpConfig::standard`] plus the roots of
/// `ca_bundle`, read and checked, and the run's `--useragent` if given.
///
/// # Errors
///
/// The bundle cannot be read (as root: one another user controls is refused) or used.
pub fn config(ca_bundle: Option<&Path>) -> Result<HttpConfig, SetupError> {
    // As root, a bundle another user controls would let them choose whom root trusts.
    let extra_roots_pem = match ca_bundle {
        Some(path) => Some(
            Policy::current()
                .read_file(path, file::MAX_FILE)
                .and_then(|loaded| {
                    loaded.ok_or_else(|| store::Error::Read {
                        path: path.to_owned(),
                        source: std::io::ErrorKind::NotFound.into(),
                    })
                })
                .map_err(|e| {
                    SetupError::new(format!("cannot read the CA bundle `{}`", path.display()), e)
                })?
                .bytes,
        ),
        None => None,
    };
    let mut config = HttpConfig::standard(extra_roots_pem);
    if let Some(user_agent) = USER_AGENT.get() {
        config.user_agent.clone_from(user_agent);
    }
    ReqwestClient::check(&config).map_err(|e| SetupError::new("cannot set up HTTPS", e))?;
    Ok(config)
}

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
