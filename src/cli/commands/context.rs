//! What the certificates of one run share: the HTTP client, one client and account per CA
//! (registered at most once, under the account lock), and one standalone http-01 server per
//! address, so concurrent renewals on port 80 do not fight over it.
//!
//! A CA that cannot be reached while it is being set up is remembered as such for the run:
//! the renewals waiting for it, and every later one, fail at once with the same cause instead
//! of each waiting for the timeouts again, in turn.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use anyhow::Context as _;
use tokio::sync::{Mutex, OnceCell};

use crate::acme::error::Unreachable;
use crate::acme::http::{HttpClient, HttpConfig};
use crate::acme::{Client, Error as AcmeError, RetryConfig};
use crate::challenge::Standalone;
use crate::cli::commands::account::{self, AccountState};
use crate::cli::commands::{http_client, http_config};
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::IssueSettings;
use crate::deploy::hook;
use crate::interrupt::Interrupt;
use crate::store::Home;

/// Where a standalone server listens: `--local-address` (all when `None`) and port.
type Bind = (Option<IpAddr>, u16);

/// One CA's client and account.
pub struct Ca {
    /// The protocol client (directory fetched, nonces pooled).
    pub client: Arc<Client>,
    /// The account and where it lives.
    pub account: AccountState,
}

/// A CA of the run: set up, or found unreachable while being set up. Empty while being set
/// up, and again after a failure that is not remembered (the next renewal tries again).
type CaCell = OnceCell<Result<Arc<Ca>, Unreachable>>;

/// State shared by the certificates of one run.
pub struct Context {
    /// The acme.sh home.
    pub home: Home,
    /// `--cron`: locked lineages are skipped at once.
    pub cron: bool,
    /// Whether a signal asked the run to stop.
    pub interrupt: Interrupt,
    /// Built on first use: a pass with nothing due never pays for loading the trust store.
    http: OnceLock<Arc<dyn HttpClient>>,
    http_config: HttpConfig,
    cas: Mutex<HashMap<String, Arc<CaCell>>>,
    standalone: Mutex<HashMap<Bind, Arc<Standalone>>>,
}

impl Context {
    /// A context whose HTTP client trusts `ca_bundle` in addition to the system roots (the
    /// bundle is read and checked now; the client is built when a CA is first needed).
    ///
    /// From here on SIGINT, SIGTERM and SIGHUP stop the run's waits instead of killing it
    /// ([`Interrupt`]); must be called inside the run's Tokio runtime.
    pub fn new(home: Home, ca_bundle: Option<&Path>, cron: bool) -> anyhow::Result<Self> {
        Ok(Self {
            interrupt: Interrupt::listen(hook::kill_running)
                .context("cannot catch SIGINT/SIGTERM/SIGHUP")?,
            home,
            cron,
            http: OnceLock::new(),
            http_config: http_config(ca_bundle)?,
            cas: Mutex::default(),
            standalone: Mutex::default(),
        })
    }

    /// The client and account for `settings.server`, made on first use. Concurrent callers
    /// wait for the one setting it up; when the CA cannot be reached, that one returns its
    /// failure and every other caller of the run gets [`AcmeError::Unreachable`] at once.
    pub async fn ca(
        &self,
        settings: &IssueSettings,
        printer: &Printer,
    ) -> Result<Arc<Ca>, Failure> {
        let cell = self
            .cas
            .lock()
            .await
            .entry(settings.server.clone())
            .or_default()
            .clone();
        let mut own_failure = None;
        let ca = cell
            .get_or_try_init(|| async {
                match self.set_up(settings, printer).await {
                    Ok(ca) => Ok(Ok(ca)),
                    Err(failure) => match unreachable(&failure) {
                        Some(cause) => {
                            own_failure = Some(failure);
                            Ok(Err(cause))
                        }
                        None => Err(failure),
                    },
                }
            })
            .await?;
        if let Some(failure) = own_failure {
            return Err(failure);
        }
        match ca {
            Ok(ca) => Ok(ca.clone()),
            Err(cause) => Err(Failure::from(AcmeError::Unreachable(cause.clone()))
                .detail(format!("CA: {}", settings.server))),
        }
    }

    /// Fetch the directory of `settings.server` and load or register the account.
    async fn set_up(
        &self,
        settings: &IssueSettings,
        printer: &Printer,
    ) -> Result<Arc<Ca>, Failure> {
        let client = Arc::new(
            Client::new(self.http()?, &settings.server, RetryConfig::default())
                .await
                .map_err(|e| Failure::from(e).detail(format!("CA: {}", settings.server)))?,
        );
        let account = account::load_or_register(
            client.clone(),
            &self.home,
            &settings.server,
            settings.account_key_type,
            settings.email.as_deref(),
            settings.lock_timeout,
            printer,
        )
        .await?;
        Ok(Arc::new(Ca { client, account }))
    }

    fn http(&self) -> anyhow::Result<Arc<dyn HttpClient>> {
        if let Some(http) = self.http.get() {
            return Ok(http.clone());
        }
        let http = http_client(&self.http_config)?;
        Ok(self.http.get_or_init(|| http).clone())
    }

    /// The standalone server for the settings' address and port, started on first use:
    /// `--local-address` or every address (IPv6 dual-stack, else IPv4), port `--httpport` or 80.
    pub async fn standalone(
        &self,
        settings: &IssueSettings,
    ) -> Result<Arc<Standalone>, crate::challenge::Error> {
        let port = settings.http_port.unwrap_or(80);
        let mut servers = self.standalone.lock().await;
        if let Some(server) = servers.get(&(settings.local_address, port)) {
            return Ok(server.clone());
        }
        let server = match settings.local_address {
            Some(ip) => Standalone::bind(SocketAddr::new(ip, port)).await?,
            None => {
                let any6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port);
                match Standalone::bind(any6).await {
                    Ok(server) => server,
                    Err(_) => {
                        Standalone::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port))
                            .await?
                    }
                }
            }
        };
        let server = Arc::new(server);
        servers.insert((settings.local_address, port), server.clone());
        Ok(server)
    }

    /// End of the run: stop the standalone servers, save accounts the CA made us register
    /// again, and log how many requests each CA got.
    pub async fn finish(self, printer: &Printer) -> anyhow::Result<()> {
        for (_, server) in self.standalone.into_inner() {
            if let Ok(server) = Arc::try_unwrap(server) {
                server.shutdown().await;
            }
        }
        for (server, cell) in self.cas.into_inner() {
            if let Some(Ok(ca)) = cell.get() {
                tracing::debug!(%server, requests = ca.client.requests(), "requests sent to the CA");
                ca.account.save_if_reregistered(printer)?;
            }
        }
        Ok(())
    }
}

/// The unreachability of the CA a failure shows, if any (see [`Unreachable::of`]).
fn unreachable(failure: &Failure) -> Option<Unreachable> {
    failure
        .error
        .chain()
        .find_map(|cause| cause.downcast_ref::<AcmeError>())
        .and_then(Unreachable::of)
}
