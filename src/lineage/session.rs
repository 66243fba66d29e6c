//! What the certificates of one run share: the HTTP client, one client and account per CA
//! (registered at most once, under the account lock), and one standalone http-01 server and
//! one tls-alpn-01 listener per address and port, so concurrent renewals on port 80 or 443 do
//! not fight over them.
//!
//! A CA that cannot be reached while it is being set up is remembered as such for the run:
//! the renewals waiting for it, and every later one, fail at once with the same cause instead
//! of each waiting for the timeouts again, in turn.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{Mutex, OnceCell};

use super::account::{self, AccountState};
use super::{Ca, Error, Progress, Request};
use crate::acme::error::Unreachable;
use crate::acme::http::{HttpClient, HttpConfig};
use crate::acme::{Client, Error as AcmeError, RetryConfig};
use crate::challenge::{self, Bind, Standalone, TlsAlpn};
use crate::deploy::hook;
use crate::https;
use crate::interrupt::Interrupt;
use crate::store::Home;
use crate::store::record::CaRecord;
use crate::store::record::Mode;
use crate::store::trust::Policy;

/// The listeners of one kind, by where they listen.
type Listeners<T> = Mutex<HashMap<Bind, Arc<T>>>;

/// One CA's client and account.
pub(super) struct CaState {
    /// The protocol client (directory fetched, nonces pooled).
    pub client: Arc<Client>,
    /// The account and where it lives.
    pub account: AccountState,
}

/// A CA of the run: set up, or found unreachable while being set up. Empty while being set
/// up, and again after a failure that is not remembered (the next renewal tries again).
type CaCell = OnceCell<Result<Arc<CaState>, Unreachable>>;

/// A CA's directory client (no account), as [`CaCell`].
type ClientCell = OnceCell<Result<Arc<Client>, Unreachable>>;

/// State shared by the certificates of one run.
pub struct Session {
    /// The acme.sh home.
    pub home: Home,
    /// `--cron`: locked lineages are skipped at once.
    pub cron: bool,
    /// Whether a signal asked the run to stop.
    pub interrupt: Interrupt,
    /// `--debug` level, passed on to plugins (acme.sh's `DEBUG`).
    pub debug: u8,
    /// `--ca-bundle`, passed on to plugins' HTTPS requests.
    pub ca_bundle: Option<PathBuf>,
    /// `NO_ARI=1` from the environment or account.conf: ARI off, unless a CA's `ca.conf`
    /// says otherwise (docs/ari.md).
    pub no_ari: bool,
    /// A fleet pass (`--renew-all`, `--cron`): a lineage waiting after failures is skipped
    /// (docs/renewal.md, "Backoff"); a user's own `--renew` or `--issue` tries anyway.
    pub fleet: bool,
    /// Called at the steps of every order (the fleet store's leases; docs/fleet.md).
    pub checkpoint: Option<Arc<dyn super::Checkpoint>>,
    /// Install targets and reload command are run after a new certificate. Off on a fleet
    /// node: there each node installs for itself (docs/fleet.md, "Serving the fleet").
    pub installs: bool,
    /// Built on first use: a pass with nothing due never pays for loading the trust store.
    http: OnceLock<Arc<dyn HttpClient>>,
    http_config: HttpConfig,
    cas: Mutex<HashMap<String, Arc<CaCell>>>,
    clients: Mutex<HashMap<String, Arc<ClientCell>>>,
    /// Whether ARI is on, per CA (its `ca.conf` read once per run).
    ari: std::sync::Mutex<HashMap<String, bool>>,
    standalone: Listeners<Standalone>,
    alpn: Listeners<TlsAlpn>,
}

/// The run's HTTP configuration ([`crate::https::config`]).
///
/// # Errors
///
/// The bundle cannot be read (as root: one another user controls is refused) or used.
pub fn http_config(ca_bundle: Option<&Path>) -> Result<HttpConfig, Error> {
    Ok(https::config(ca_bundle)?)
}

/// Build the HTTP client of a [`http_config`].
///
/// # Errors
///
/// The TLS configuration cannot be built.
pub fn http_client(config: &HttpConfig) -> Result<Arc<dyn HttpClient>, Error> {
    Ok(https::client(config)?)
}

impl Session {
    /// Pass the [`super::Checkpoint`] of `step`, if there is one.
    ///
    /// # Errors
    ///
    /// [`Error::Checkpoint`] when the lineage is no longer this run's.
    pub(super) async fn checkpoint(
        &self,
        lineage: &crate::store::Lineage,
        step: super::Step,
    ) -> Result<(), Error> {
        match &self.checkpoint {
            Some(checkpoint) => checkpoint
                .reached(lineage, step)
                .await
                .map_err(|why| Error::Checkpoint { step, why }),
            None => Ok(()),
        }
    }

    /// A session whose HTTP client trusts `ca_bundle` in addition to the system roots (the
    /// bundle is read and checked now; the client is built when a CA is first needed).
    ///
    /// From here on SIGINT, SIGTERM and SIGHUP stop the run's waits instead of killing it
    /// ([`Interrupt`]); must be called inside the run's Tokio runtime.
    ///
    /// # Errors
    ///
    /// As [`http_config`]; the signal handlers cannot be installed.
    pub fn new(home: Home, ca_bundle: Option<&Path>, cron: bool) -> Result<Self, Error> {
        Ok(Self {
            interrupt: Interrupt::listen(hook::kill_running)
                .map_err(|e| Error::setup("cannot catch SIGINT/SIGTERM/SIGHUP", e))?,
            home,
            cron,
            debug: 0,
            ca_bundle: ca_bundle.map(Path::to_owned),
            http: OnceLock::new(),
            http_config: http_config(ca_bundle)?,
            no_ari: false,
            fleet: false,
            checkpoint: None,
            installs: true,
            cas: Mutex::default(),
            clients: Mutex::default(),
            ari: std::sync::Mutex::default(),
            standalone: Mutex::default(),
            alpn: Mutex::default(),
        })
    }

    /// Set up `ca`'s client and account now (registering the account when the home has none),
    /// as the first order at that CA would.
    ///
    /// # Errors
    ///
    /// As the order's account step: the CA cannot be reached, refuses the registration, or
    /// the account files cannot be written.
    pub async fn prepare_account(
        &self,
        ca: &Ca,
        lock_timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<(), Error> {
        self.ca(ca, lock_timeout, progress).await.map(drop)
    }

    /// The client and account for `ca`, made on first use. Concurrent callers wait for the
    /// one setting it up; when the CA cannot be reached, that one returns its failure and
    /// every other caller of the run gets [`AcmeError::Unreachable`] at once.
    pub(super) async fn ca(
        &self,
        ca: &Ca,
        lock_timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<Arc<CaState>, Error> {
        let cell = self
            .cas
            .lock()
            .await
            .entry(ca.server.clone())
            .or_default()
            .clone();
        let mut own_failure = None;
        let state = cell
            .get_or_try_init(|| async {
                match self.set_up(ca, lock_timeout, progress).await {
                    Ok(state) => Ok(Ok(state)),
                    Err(error) => match error.acme().and_then(Unreachable::of) {
                        Some(cause) => {
                            own_failure = Some(error);
                            Ok(Err(cause))
                        }
                        None => Err(error),
                    },
                }
            })
            .await?;
        if let Some(error) = own_failure {
            return Err(error);
        }
        match state {
            Ok(state) => Ok(state.clone()),
            Err(cause) => Err(Error::at_ca(
                AcmeError::Unreachable(cause.clone()),
                &ca.server,
            )),
        }
    }

    /// Load or register the account at `ca.server` (its directory fetched once per run).
    async fn set_up(
        &self,
        ca: &Ca,
        lock_timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<Arc<CaState>, Error> {
        let client = self.client(&ca.server).await?;
        let account =
            account::load_or_register(client.clone(), &self.home, ca, lock_timeout, progress)
                .await?;
        Ok(Arc::new(CaState { client, account }))
    }

    /// The directory client of `server`, its directory fetched on first use (once per run;
    /// a CA found unreachable is remembered as in [`Session::ca`]). ARI checks need no account.
    pub(super) async fn client(&self, server: &str) -> Result<Arc<Client>, Error> {
        let cell = self
            .clients
            .lock()
            .await
            .entry(server.to_owned())
            .or_default()
            .clone();
        let mut own_failure = None;
        let client = cell
            .get_or_try_init(|| async {
                match Client::new(self.http()?, server, RetryConfig::default()).await {
                    Ok(client) => Ok(Ok(Arc::new(client))),
                    Err(e) => match Unreachable::of(&e) {
                        Some(cause) => {
                            own_failure = Some(Error::at_ca(e, server));
                            Ok(Err(cause))
                        }
                        None => Err(Error::at_ca(e, server)),
                    },
                }
            })
            .await?;
        if let Some(error) = own_failure {
            return Err(error);
        }
        match client {
            Ok(client) => Ok(client.clone()),
            Err(cause) => Err(Error::at_ca(AcmeError::Unreachable(cause.clone()), server)),
        }
    }

    /// Whether ARI is on for lineages at `server`: `NO_ARI` in the CA's `ca.conf` when it is
    /// there, else [`Session::no_ari`] (acme.sh reads account.conf, then ca.conf).
    pub fn ari_enabled(&self, server: &str) -> bool {
        let read = || {
            let conf = self.home.ca_dir(server).ok()?.ca_conf();
            CaRecord::load_trusted(&conf, Policy::current())
                .ok()?
                .no_ari()
        };
        let Ok(mut known) = self.ari.lock() else {
            return !self.no_ari;
        };
        *known
            .entry(server.to_owned())
            .or_insert_with(|| !read().unwrap_or(self.no_ari))
    }

    pub(super) fn http(&self) -> Result<Arc<dyn HttpClient>, Error> {
        if let Some(http) = self.http.get() {
            return Ok(http.clone());
        }
        let http = http_client(&self.http_config)?;
        Ok(self.http.get_or_init(|| http).clone())
    }

    /// The standalone server for `bind`, started on first use.
    pub(super) async fn standalone(&self, bind: Bind) -> Result<Arc<Standalone>, challenge::Error> {
        shared(&self.standalone, bind, |bind| {
            Ok(Standalone::from_listener(
                bind.listen(challenge::standalone::SERVER)?,
            ))
        })
        .await
    }

    /// The tls-alpn-01 listener for `bind`, started on first use.
    pub(super) async fn alpn(&self, bind: Bind) -> Result<Arc<TlsAlpn>, challenge::Error> {
        shared(&self.alpn, bind, |bind| {
            TlsAlpn::from_listener(bind.listen(challenge::alpn::SERVER)?)
        })
        .await
    }

    /// Start every listener `request` needs, so a busy port fails before an order exists.
    pub(super) async fn listeners(&self, request: &Request) -> Result<(), challenge::Error> {
        for ((_, mode), bind) in request.names.iter().zip(request.binds()) {
            match (mode, bind) {
                (Mode::Standalone, Some(bind)) => drop(self.standalone(bind).await?),
                (Mode::Alpn, Some(bind)) => drop(self.alpn(bind).await?),
                _ => {}
            }
        }
        Ok(())
    }

    /// End of the run: stop the listeners, save accounts the CA made us register
    /// again, and log how many requests each CA got.
    ///
    /// # Errors
    ///
    /// A re-registration could not be saved.
    pub async fn finish(self, progress: &dyn Progress) -> Result<(), Error> {
        for (_, server) in self.standalone.into_inner() {
            if let Ok(server) = Arc::try_unwrap(server) {
                server.shutdown().await;
            }
        }
        for (_, listener) in self.alpn.into_inner() {
            if let Ok(listener) = Arc::try_unwrap(listener) {
                listener.shutdown().await;
            }
        }
        for (server, cell) in self.cas.into_inner() {
            if let Some(Ok(ca)) = cell.get() {
                tracing::debug!(%server, requests = ca.client.requests(), "requests sent to the CA");
                ca.account.save_if_reregistered(progress)?;
            }
        }
        Ok(())
    }
}

/// The listener of `listeners` at `bind`, started with `start` when there is none yet.
async fn shared<T>(
    listeners: &Listeners<T>,
    bind: Bind,
    start: impl FnOnce(Bind) -> Result<T, challenge::Error>,
) -> Result<Arc<T>, challenge::Error> {
    let mut listeners = listeners.lock().await;
    if let Some(listener) = listeners.get(&bind) {
        return Ok(listener.clone());
    }
    let listener = Arc::new(start(bind)?);
    listeners.insert(bind, listener.clone());
    Ok(listener)
}
