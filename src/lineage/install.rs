//! The install step after every issuance, and of `--install-cert`: copy the lineage's files
//! to the saved targets (each replaced atomically) and run the reload command (acme.sh's
//! `installcert` and `_installcert`).
//!
//! The record's pending-install mark is set together with a new certificate and cleared only
//! after the targets and the reload command succeeded, so an install that a crash (or a
//! failing reload) interrupted is finished by the next run even when nothing is due.

use std::time::Duration;

use super::files::signs_csr;
use super::hooks::Runner;
use super::{Error, Progress};
use crate::deploy::install;
use crate::store::Lineage;
use crate::store::files::Files;
use crate::store::record::{DomainRecord, Install};

/// Install the lineage's files to the targets saved in `record` and run the reload command,
/// then clear the pending mark.
///
/// # Errors
///
/// A target cannot be written, the reload command fails, or the record cannot be saved.
pub async fn install_and_reload(
    lineage: &Lineage,
    record: &mut DomainRecord,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let saved = record.install();
    refuse_key_target(lineage, record, &saved)?;
    if !saved.is_empty() {
        for done in install::install(&Files::issued(lineage), &saved.files)? {
            progress.info(&format_args!(
                "Installing {} to: {}",
                done.kind.label(),
                done.path.display()
            ));
            if let Some(old) = done.tightened_from {
                progress.warn(&format_args!(
                    "warning: `{}` was readable by every user (mode {old:o}); the new key file \
                     is not (mode {:o})",
                    done.path.display(),
                    old & !0o007
                ));
            }
        }
        if let Some(command) = &saved.reload {
            reload(lineage, record, command, timeout, progress).await?;
        }
    }
    if record.install_pending() {
        record.set_install_pending(false);
        record.save(&lineage.conf())?;
    }
    Ok(())
}

/// Run a reload command once, with the variables of `lineage` (a fleet node reloads once
/// after installing several lineages that name the same command).
///
/// # Errors
///
/// The command fails or runs out of time.
pub async fn reload(
    lineage: &Lineage,
    record: &DomainRecord,
    command: &str,
    timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), Error> {
    Runner::new(lineage, timeout, progress)
        .run("reload cmd", command, record)
        .await?;
    progress.info(&"Reload successful");
    Ok(())
}

/// `--install-cert`: save `install` as the lineage's targets and mark them pending, so a
/// crash before they are done is finished by the next run.
///
/// # Errors
///
/// A key target for a lineage without a key ([`Error::NoKeyToInstall`]); the record cannot be
/// saved.
pub fn record_install(
    lineage: &Lineage,
    record: &mut DomainRecord,
    install: &Install,
) -> Result<(), Error> {
    refuse_key_target(lineage, record, install)?;
    record.set_install(install);
    record.set_install_pending(true);
    record.save(&lineage.conf())?;
    Ok(())
}

/// A lineage that signs a CSR made elsewhere has no private key: a key target is refused
/// before anything is saved or copied (acme.sh would copy a missing file).
fn refuse_key_target(
    lineage: &Lineage,
    record: &DomainRecord,
    install: &Install,
) -> Result<(), Error> {
    match &install.files.key {
        Some(target) if signs_csr(lineage, record) => Err(Error::NoKeyToInstall {
            lineage: lineage.dir.clone(),
            target: target.clone(),
        }),
        _ => Ok(()),
    }
}
