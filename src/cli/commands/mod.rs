//! One module per command; each takes resolved settings and a printer.

pub(crate) mod account;
pub(crate) mod csr;
pub(crate) mod deactivate;
pub(crate) mod deploy;
pub(crate) mod fleet;
pub(crate) mod info;
pub(crate) mod install;
pub(crate) mod issue;
pub(crate) mod keys;
pub(crate) mod list;
pub(crate) mod list_profiles;
pub(crate) mod remove;
pub(crate) mod renew;
pub(crate) mod revoke;
pub(crate) mod schedule;
pub(crate) mod set_default_ca;
pub(crate) mod set_default_chain;
pub(crate) mod set_notify;
pub(crate) mod setup;

use crate::cli::exit_code;
use anyhow::anyhow;

use crate::cli::error::Failure;
use crate::cli::settings::Globals;
use crate::store::record::DomainRecord;
use crate::store::trust::Policy;
use crate::store::{Lineage, journal, lock, scan};

pub(crate) use crate::lineage::Outcome;

/// The exit code of a command that did not fail.
pub(crate) fn exit(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Done => exit_code::SUCCESS,
        Outcome::Skipped => exit_code::RENEW_SKIP,
    }
}

/// The engine's session of a command run: the home, the CA bundle and whether it is the cron
/// pass, with the run's `--debug` and `NO_ARI`.
///
/// # Errors
///
/// The signal handlers cannot be installed.
pub(crate) fn session(
    globals: &Globals,
    ca_bundle: Option<&std::path::Path>,
    cron: bool,
) -> Result<crate::lineage::Session, Failure> {
    let mut session = crate::lineage::Session::new(globals.home.clone(), ca_bundle, cron)?;
    session.debug = globals.debug;
    session.no_ari = globals.run.no_ari;
    Ok(session)
}

/// An issued lineage, locked (waiting up to `lock_timeout`), its interrupted update finished,
/// and its record: what `--install-cert` and `--deploy` work on.
///
/// # Errors
///
/// `domain` is not an issued certificate; its lock stays taken; the home cannot be read.
pub(crate) async fn locked_issued(
    globals: &Globals,
    (domain, ecc): (&str, bool),
    lock_timeout: std::time::Duration,
) -> Result<(Lineage, lock::Lock, DomainRecord), Failure> {
    let lineage = scan::resolve(&globals.home.cert_home, domain, ecc)?;
    let not_issued = || {
        Failure::from(anyhow!("'{domain}' is not an issued domain"))
            .hint("issue it first with `--issue`")
    };
    let load = || DomainRecord::load_trusted(&lineage.conf(), Policy::current());
    if !load()?.is_some_and(|r| r.is_issued()) {
        return Err(not_issued());
    }
    let held = lock::lock(&lineage.dir, lock_timeout)
        .await?
        .ok_or_else(|| {
            anyhow!(
                "another acmers process is working on `{}`; try again later",
                lineage.dir.display()
            )
        })?;
    journal::roll_forward(&lineage.dir)?;
    let record = load()?.ok_or_else(not_issued)?;
    Ok((lineage, held, record))
}
