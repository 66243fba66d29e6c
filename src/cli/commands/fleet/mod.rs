//! The commands on the fleet store (`--store postgres://…`, docs/fleet.md): `--cron` and
//! `--renew-all` as a work queue shared by every node, the commands on one lineage
//! (`--issue`, `--renew`, `--remove`, `--revoke`, `--deploy`), `--install-cert` per node,
//! `--list`, `--info`, `--import-home` and `--export-home`, and the commands on the settings
//! and accounts the nodes share (`--set-default-ca`, `--set-notify`, `--register-account`, …).
//!
//! A node works on a lineage in a private folder of its own home (`<home>/fleet/<pid>/`),
//! filled from the store, with the same engine as the file home; the store is written only
//! under the lineage's lease, fenced ([`work`]).

mod cron;
mod fence;
mod home;
mod installs;
mod list;
mod one;
mod work;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::anyhow;

use crate::cli::args::{Command, Parsed};
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::Globals;
use crate::fleet::crypt::{KEY_VAR, StoreKey};
use crate::fleet::{Store, connect, migrate};
use crate::lineage::Outcome;

/// The environment variable naming the store (also read from account.conf).
pub(crate) const STORE_VAR: &str = "ACMERS_STORE";
/// The environment variable naming this node (also read from account.conf).
const NODE_VAR: &str = "ACMERS_NODE";
/// The environment variable with the lease time in seconds (tuning and tests).
const TTL_VAR: &str = "ACMERS_LEASE_TTL";
/// How long a lease lasts without being renewed (docs/fleet.md, "Guarantees").
const DEFAULT_TTL: Duration = Duration::from_secs(120);
/// How long connecting to the store may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Where the store is and who this node is.
#[derive(Clone, Debug)]
pub(crate) struct StoreSettings {
    /// `--store` > `ACMERS_STORE` (environment, then account.conf).
    url: String,
    /// `ACMERS_STORE_KEY` (environment, then account.conf).
    key_file: Option<PathBuf>,
    /// `--node` > `ACMERS_NODE` > the host name.
    node: String,
    /// `ACMERS_LEASE_TTL` seconds, else [`DEFAULT_TTL`].
    ttl: Duration,
    /// `--ca-bundle` (else account.conf's): trusted for the database's TLS too.
    ca_bundle: Option<PathBuf>,
    /// `--hook-timeout`: each reload command of this node's installs.
    hook: Duration,
}

impl StoreSettings {
    /// The store of this run, `None` without one (the file home).
    ///
    /// # Errors
    ///
    /// A node name or lease time that cannot be used.
    pub(crate) fn resolve(
        parsed: &Parsed,
        globals: &Globals,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, Failure> {
        let args = &parsed.args;
        let nonempty = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        let Some(url) = nonempty(args.store.clone())
            .or_else(|| nonempty(env(STORE_VAR)))
            .or_else(|| globals.account_conf.store())
        else {
            return Ok(None);
        };
        let node = nonempty(args.node.clone())
            .or_else(|| nonempty(env(NODE_VAR)))
            .or_else(|| globals.account_conf.node())
            .unwrap_or_else(host_name);
        if !valid_node(&node) {
            return Err(
                Failure::from(anyhow!("refusing node name `{}`", node.escape_debug())).hint(
                    "a node name is 1-64 letters, digits, `.`, `_` or `-`: give `--node NAME`",
                ),
            );
        }
        let ttl = match nonempty(env(TTL_VAR)) {
            Some(v) => match v.trim().parse::<u64>() {
                Ok(s) if s >= 1 => Duration::from_secs(s),
                _ => {
                    return Err(Failure::from(anyhow!(
                        "{TTL_VAR}=`{}` is not a number of seconds (1 or more)",
                        v.escape_debug()
                    )));
                }
            },
            None => DEFAULT_TTL,
        };
        Ok(Some(Self {
            url,
            key_file: nonempty(env(KEY_VAR))
                .map(PathBuf::from)
                .or_else(|| globals.account_conf.store_key()),
            node,
            ttl,
            ca_bundle: args
                .ca_bundle
                .clone()
                .or_else(|| globals.account_conf.ca_bundle()),
            hook: Duration::from_secs(args.hook_timeout),
        }))
    }
}

/// This machine's host name (a node's default name).
fn host_name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// Whether a node name is usable: it names rows and appears in messages.
fn valid_node(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Whether `command` is about this machine only (its cron line, its installed copy, a CSR
/// file), so it runs as without a store.
pub(crate) fn node_local(command: Command) -> bool {
    matches!(
        command,
        Command::InstallCronjob
            | Command::UninstallCronjob
            | Command::InstallSystemdTimer
            | Command::Install
            | Command::Uninstall
            | Command::Upgrade
            | Command::ShowCsr
            | Command::Help
            | Command::Version
    )
}

/// Whether `command` works on the settings and accounts the nodes share (the store's
/// `account.conf` and `ca/` folders): it runs as on a home, in the work home, and what it
/// changed is written back, each part under its lease.
fn shared_settings(command: Command) -> bool {
    matches!(
        command,
        Command::SetDefaultCa
            | Command::SetDefaultChain
            | Command::SetNotify
            | Command::ListProfiles
            | Command::RegisterAccount
            | Command::UpdateAccount
            | Command::DeactivateAccount
            | Command::UpdateAccountKey
            | Command::CreateAccountKey
            | Command::Deactivate
    )
}

/// Run `command` on the store.
///
/// # Errors
///
/// The command's failure; a command that does not work on the store yet.
pub(crate) fn run(
    command: Command,
    parsed: &Parsed,
    globals: &Globals,
    printer: &Printer,
    settings: &StoreSettings,
) -> Result<Outcome, Failure> {
    if shared_settings(command) {
        return on_shared_settings(command, parsed, globals, printer, settings);
    }
    if !matches!(
        command,
        Command::Cron
            | Command::RenewAll
            | Command::Issue
            | Command::Renew
            | Command::Remove
            | Command::Revoke
            | Command::Deploy
            | Command::InstallCert
            | Command::List
            | Command::Info
            | Command::ImportHome
            | Command::ExportHome
    ) {
        return Err(Failure::from(anyhow!(
            "`{}` does not work on the fleet store (`--store`) yet",
            command.flag()
        ))
        .hint(
            "run it without `--store` on a home (`--export-home DIR`, then `--home DIR`), \
             or see docs/fleet.md for the commands a store supports",
        ));
    }
    if command == Command::Cron {
        // The node's own `USER_PATH`, as for a home (before any thread exists).
        crate::cli::export_user_path(globals);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (store, shown) = open(settings, printer).await?;
        let store = std::sync::Arc::new(store);
        match command {
            Command::Cron | Command::RenewAll => {
                cron::run(&store, settings, parsed, globals, printer, command).await
            }
            Command::Issue
            | Command::Renew
            | Command::Remove
            | Command::Revoke
            | Command::Deploy => {
                one::run(command, &store, settings, parsed, globals, printer).await
            }
            Command::InstallCert => {
                installs::install_cert(&store, settings, parsed, globals, printer).await
            }
            Command::List => list::list(&store, parsed, printer).await,
            Command::Info => list::info(&store, (&shown, &settings.node), parsed, printer).await,
            Command::ImportHome => home::import(&store, settings, parsed, printer).await,
            Command::ExportHome => home::export(&store, settings, parsed, printer).await,
            _ => unreachable!("refused above"),
        }
    })
}

/// A command on the shared settings and accounts: the store opened and fetched into a work
/// home, the command run there as on a home (with its own runtime, as every command), then
/// `account.conf` and the accounts written back where it changed them.
fn on_shared_settings(
    command: Command,
    parsed: &Parsed,
    globals: &Globals,
    printer: &Printer,
    settings: &StoreSettings,
) -> Result<Outcome, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (store, work) = runtime.block_on(async {
        let (store, _) = open(settings, printer).await?;
        let work = work::WorkHome::new(&store, &globals.home).await?;
        Ok::<_, Failure>((store, work))
    })?;
    let mut work_globals = work.globals(globals)?;
    let result = crate::cli::run(command, parsed, &mut work_globals, printer);
    runtime.block_on(async {
        let node = (settings.node.as_str(), settings.ttl);
        work.save_home(&store, node, printer).await?;
        work.save_accounts(&store, node, printer).await
    })?;
    result
}

/// Connect (twice: statements and write transactions), bring the schema up to date, and
/// check the store key; with the store's URL as shown (password hidden).
async fn open(settings: &StoreSettings, printer: &Printer) -> Result<(Store, String), Failure> {
    let env = |k: &str| std::env::var(k).ok();
    let target = connect::parse(&settings.url, &env)?;
    let https = crate::https::config(settings.ca_bundle.as_deref())
        .map_err(|e| Failure::from(anyhow::Error::new(e)))?;
    let place = || format!("store: {}", target.display());
    let hint = "check the URL, that the database is up and reachable from this node, and the \
                password (in the URL or the password file; docs/fleet.md)";
    let mut db = connect::connect(&target, &https, CONNECT_TIMEOUT)
        .await
        .map_err(|e| Failure::from(e).detail(place()).hint(hint))?;
    let applied = migrate::migrate(&mut db)
        .await
        .map_err(|e| Failure::from(e).detail(place()))?;
    if let Some(version) = applied.last() {
        printer.info(format_args!(
            "Store schema brought to version {version} at {}",
            target.display()
        ));
    }
    let writer = connect::connect(&target, &https, CONNECT_TIMEOUT)
        .await
        .map_err(|e| Failure::from(e).detail(place()).hint(hint))?;
    let key = match &settings.key_file {
        Some(path) => Some(
            StoreKey::load(path)
                .map_err(|e| Failure::from(e).detail(format!("{KEY_VAR}: {}", path.display())))?,
        ),
        None => None,
    };
    let store = Store::new(db, writer, key, settings.ttl)
        .await
        .map_err(|e| Failure::from(e).detail(place()))?;
    Ok((store, target.display().to_owned()))
}

#[cfg(test)]
mod tests;
