//! One module per command; each takes resolved settings and a printer.

pub mod account;
pub mod authorize;
pub mod context;
pub mod hooks;
pub mod info;
pub mod install;
pub mod issue;
pub mod lineage;
pub mod list;
pub mod obtain;
pub mod remove;
pub mod renew;
pub mod revoke;
pub mod schedule;
pub mod set_default_ca;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::acme::http::{HttpClient, HttpConfig, ReqwestClient};
use crate::cli::exit_code;
use crate::store::trust::Policy;
use crate::store::{self, file};

/// How a command ended when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Did its work.
    Done,
    /// Nothing to do (not due).
    Skipped,
}

impl Outcome {
    /// The exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Done => exit_code::SUCCESS,
            Self::Skipped => exit_code::RENEW_SKIP,
        }
    }
}

/// The configuration of the run's one HTTP client: `User-Agent: acmers/<version>`, 10 s
/// connect, 15 s read-idle and 60 s total timeouts, and the extra roots of `--ca-bundle`,
/// read and checked.
pub fn http_config(ca_bundle: Option<&Path>) -> anyhow::Result<HttpConfig> {
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
                .with_context(|| format!("cannot read the CA bundle `{}`", path.display()))?
                .bytes,
        ),
        None => None,
    };
    let config = HttpConfig {
        user_agent: format!("acmers/{}", env!("CARGO_PKG_VERSION")),
        extra_roots_pem,
        connect_timeout: Duration::from_secs(10),
        read_idle_timeout: Duration::from_secs(15),
        request_timeout: Duration::from_secs(60),
    };
    ReqwestClient::check(&config).context("cannot set up HTTPS")?;
    Ok(config)
}

/// Build the HTTP client of a [`http_config`].
pub fn http_client(config: &HttpConfig) -> anyhow::Result<Arc<dyn HttpClient>> {
    let client = ReqwestClient::new(config).context("cannot set up HTTPS")?;
    Ok(Arc::new(client))
}
