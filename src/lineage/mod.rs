//! The per-certificate engine: everything `--issue`, `--renew`, `--renew-all` and `--cron`
//! do for one lineage, below the command line.
//!
//! [`run`] takes one lineage from "maybe due" to "installed": lock → finish an interrupted
//! update → decide ([`crate::renew::decide`]) → record the settings → pre hook → account →
//! order (or the saved one, resumed) → authorizations through the solvers → finalize →
//! bounded wait → download → verify → journalled commit → install and reload → post and
//! renew hooks. It takes a resolved [`Request`] (names with their validation modes), the
//! [`Ca`] to use and the [`Limits`], reports through [`Progress`] and fails with [`Error`].
//!
//! Layering (docs/architecture.md): this module uses `acme`, `challenge`, `store`,
//! `deploy`, `keys`, `csr`, `cert`, `renew` and `interrupt`, and never the command layer.

mod account;
mod account_change;
mod ari;
mod authorize;
mod checkpoint;
mod deactivate;
mod deploy;
mod dns;
mod error;
mod failover;
mod files;
mod hooks;
mod install;
mod local;
mod obtain;
mod plugins;
mod progress;
mod run;
mod session;
mod validity;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

pub use account::{AccountState, create_account_key, key_hash, register};
pub use account_change::{change_account_key, deactivate_account, update_account};
pub use ari::check_renewal_window;
pub use checkpoint::{Checkpoint, Step};
pub use deactivate::deactivate;
pub use deploy::deploy;
pub use error::{AtCa, CaError, Error};
pub use files::damage;
pub use install::{install_and_reload, record_install, reload};
pub use local::{create_csr, create_domain_key, to_pkcs8, to_pkcs12};
pub use progress::{Progress, one_line, warn_error};
pub use run::{backed_off, run};
pub use session::{Session, http_client, http_config};
pub use validity::{ValidityError, Window, window};

use crate::acme::http::IpFamily;
use crate::acme::types::Identifier;
use crate::challenge::Bind;
use crate::csr::CsrFile;
use crate::keys::KeyType;
use crate::store::record::{Hooks, Install, Mode, OrderOptions};

/// What a certificate is for and how to get it.
#[derive(Clone, Debug)]
pub struct Request {
    /// The main name as saved in `Le_Domain` and used for the folder: as typed (acme.sh keeps
    /// an IDN in Unicode), where `names[0]` holds its normalized identifier.
    pub main: String,
    /// Every identifier with the mode that validates it, the main one first.
    pub names: Vec<(Identifier, Mode)>,
    /// Domain key type.
    pub key_type: KeyType,
    /// `--force`: renew even when not due; replace a key of another type.
    pub force: bool,
    /// `--days` (or the saved `Le_RenewalDays` on a renewal).
    pub days: Option<i64>,
    /// Where the standalone and tls-alpn-01 listeners listen.
    pub listen: Listen,
    /// `--issue` with its settings to record, or a renewal of a saved lineage.
    pub kind: Kind,
    /// How dns-01 names are answered and checked.
    pub dns: DnsOptions,
    /// What each order asks for besides the names (docs/order-options.md).
    pub order: OrderOptions,
}

/// The dns-01 settings of a request (docs/dns.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsOptions {
    /// `--dnssleep` / `Le_DNSSleep`: sleep this many seconds instead of checking.
    pub sleep: Option<u64>,
    /// `--dns-timeout`: the longest wait for the authoritative servers.
    pub timeout: Duration,
    /// `--dns-resolver` (saved): the one server every DNS query goes to.
    pub resolver: Option<SocketAddr>,
    /// `--challenge-alias` / `--domain-alias` / `Le_ChallengeAlias`: one entry per name, in
    /// order (`alias.tld`, `=name.tld`, or `no`/empty for none).
    pub aliases: Vec<String>,
    /// `--yes-I-know-dns-manual-mode-enough-go-ahead-please`: manual mode is allowed.
    pub manual: bool,
}

impl Default for DnsOptions {
    fn default() -> Self {
        Self {
            sleep: None,
            timeout: Duration::from_secs(300),
            resolver: None,
            aliases: Vec::new(),
            manual: false,
        }
    }
}

/// Whether a request issues (and records what the command line gave) or renews.
#[derive(Clone, Debug)]
pub enum Kind {
    /// `--issue`: the settings are recorded in the conf before the CA is asked.
    Issue(Box<Given>),
    /// `--renew`, `--renew-all`, `--cron`: the renew hook runs after success; only the CA
    /// and `--days` can change.
    Renewal,
}

/// What `--issue` records besides the names and modes.
#[derive(Clone, Debug, Default)]
pub struct Given {
    /// Hooks given on the command line (saved; the saved ones stay when none is given).
    pub hooks: Hooks,
    /// Install targets given on the command line.
    pub install: Install,
    /// `--signcsr`: the CSR to sign instead of a domain key's (docs/csr.md); written as
    /// `<d>.csr` with the certificate.
    pub csr: Option<Box<CsrFile>>,
    /// `--fallback-server` given on the command line, as directory URLs: saved for the
    /// renewals (none given: none saved; docs/failover.md).
    pub fallbacks: Vec<String>,
}

impl Request {
    /// Where each name's listener binds, `None` for a name that needs none.
    pub fn binds(&self) -> Vec<Option<Bind>> {
        let modes = || self.names.iter().map(|(_, mode)| mode);
        modes()
            .zip(self.listen.addresses_for(modes()))
            .map(|(mode, address)| self.listen.bind(mode, address))
            .collect()
    }

    /// The identifiers in order.
    pub fn identifiers(&self) -> Vec<Identifier> {
        self.names.iter().map(|(id, _)| id.clone()).collect()
    }

    /// A renewal (the renew hook runs after success).
    pub fn is_renewal(&self) -> bool {
        matches!(self.kind, Kind::Renewal)
    }
}

/// The CA and the account to use there.
#[derive(Clone, Debug)]
pub struct Ca {
    /// ACME directory URL.
    pub server: String,
    /// Key type for a new account key.
    pub account_key_type: KeyType,
    /// Account contact email.
    pub email: Option<String>,
    /// External account binding from the command line (`--eab-kid`, `--eab-hmac-key`),
    /// saved in `ca.conf` at registration; else the saved one is used.
    pub eab: Option<crate::acme::Eab>,
    /// ZeroSSL's EAB endpoint, when the CA is ZeroSSL: a new account without a binding
    /// fetches one there for its email (acme.sh's `_regAccount`).
    pub zerossl_eab: Option<String>,
    /// The CAs to try next, in order, when this one fails in a way retrying will not fix
    /// soon, each with its own account there (docs/failover.md).
    pub fallbacks: Vec<Self>,
}

/// Where the built-in listeners listen: the standalone http-01 server and the tls-alpn-01
/// TLS listener (docs/validation.md).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listen {
    /// `--httpport` / `Le_HTTPPort` (80 when `None`).
    pub port: Option<u16>,
    /// `--tlsport` / `Le_TLSPort` (443 when `None`).
    pub tls_port: Option<u16>,
    /// `--local-address` / `Le_LocalAddress`: the i-th listener name (standalone or alpn, in
    /// the order of the names) binds the i-th address, the rest the last one; every address
    /// when empty.
    pub addresses: Vec<IpAddr>,
    /// `--listen-v4` / `--listen-v6` (`Le_Listen_V4` / `Le_Listen_V6`): without an address,
    /// listen on this family only.
    pub family: Option<IpFamily>,
}

impl Listen {
    /// Where the listener of a name with `mode` binds, given the name's `address`
    /// ([`addresses_for`](Self::addresses_for)); `None` when the mode needs no listener.
    pub fn bind(&self, mode: &Mode, address: Option<IpAddr>) -> Option<Bind> {
        let port = match mode {
            Mode::Standalone => self.port.unwrap_or(80),
            Mode::Alpn => self.tls_port.unwrap_or(443),
            _ => return None,
        };
        Some(Bind {
            address,
            family: self.family,
            port,
        })
    }

    /// The address each name's listener binds, by position in `modes` (one per name):
    /// `None` for a name that needs no listener or when no address was given. acme.sh's
    /// `_on_before_issue` counts the standalone and alpn names and takes the address at that
    /// count with `_getfield` (the last one for the rest).
    pub fn addresses_for<'m>(
        &self,
        modes: impl IntoIterator<Item = &'m Mode>,
    ) -> Vec<Option<IpAddr>> {
        let mut listeners = 0;
        modes
            .into_iter()
            .map(|mode| {
                if !mode.is_listener() || self.addresses.is_empty() {
                    return None;
                }
                let address = self.addresses[listeners.min(self.addresses.len() - 1)];
                listeners += 1;
                Some(address)
            })
            .collect()
    }
}

/// Time limits of one lineage's run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Authorization wait.
    pub validation: Duration,
    /// Order wait (processing after finalize).
    pub order: Duration,
    /// Each hook and the reload command.
    pub hook: Duration,
    /// Waiting for a lineage or account another process holds.
    pub lock: Duration,
}

/// How a lineage's run ended when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A certificate was issued (or a pending install finished and it was due).
    Done,
    /// Nothing to do: not due, or another process has it.
    Skipped,
}
