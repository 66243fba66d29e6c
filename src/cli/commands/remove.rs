//! `--remove -d D [--ecc]`: stop renewing a certificate. Its conf is renamed
//! `<d>.conf` → `<d>.conf.removed` (one atomic `rename`, then the folder is synced); the key
//! and certificate files stay where they are (acme.sh's `remove`).

use std::fs::File;
use std::path::Path;

use anyhow::anyhow;

use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::Globals;
use crate::cli::settings::RemoveSettings;
use crate::store::{self, Lineage, scan};

/// Run `--remove`.
pub(crate) fn run(
    settings: &RemoveSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let domain = &settings.domain;
    let lineage = scan::resolve(&globals.home.cert_home, domain, settings.ecc)?;
    if lineage.ecc && !settings.ecc {
        printer.info(format_args!(
            "The domain '{domain}' seems to already have an ECC cert, let's use it."
        ));
    }
    let (conf, removed) = (lineage.conf(), lineage.conf_removed());
    if !conf.is_file() {
        return Err(not_issued(
            domain,
            &lineage,
            &globals.home.cert_home,
            settings.ecc,
        ));
    }
    rename_durably(&conf, &removed)?;
    printer.info(format_args!(
        "{domain} is removed, the key and cert files are in {}",
        lineage.dir.display()
    ));
    printer.info("You can remove them by yourself.");
    Ok(Outcome::Done)
}

/// The error for a lineage without a conf, with a hint that fits what is on disk.
fn not_issued(domain: &str, lineage: &Lineage, cert_home: &Path, ecc: bool) -> Failure {
    if lineage.conf_removed().is_file() {
        return Failure::from(anyhow!("`{domain}` has already been removed")).hint(format!(
            "its key and certificate files are still in `{}`; delete the folder yourself if you \
             no longer need them",
            lineage.dir.display()
        ));
    }
    let other = Lineage::at(cert_home, domain, !ecc)
        .ok()
        .filter(|other| other.conf().is_file());
    let hint = match other {
        Some(_) if ecc => {
            format!("`{domain}` has an RSA certificate: run the command without `--ecc`")
        }
        Some(_) => format!("`{domain}` has an EC certificate: add `--ecc`"),
        None => "`acmers --list` shows the issued domains".to_owned(),
    };
    Failure::from(anyhow!(
        "'{domain}' is not an issued domain, skipping (no `{}`)",
        lineage.conf().display()
    ))
    .hint(hint)
}

/// `rename(from, to)` (atomic; an existing `to` is replaced, as acme.sh's `mv` does), then
/// `fsync` of the folder so the rename survives a crash.
fn rename_durably(from: &Path, to: &Path) -> Result<(), store::Error> {
    std::fs::rename(from, to).map_err(|source| store::Error::Write {
        path: to.to_owned(),
        source,
    })?;
    let dir = from.parent().unwrap_or_else(|| Path::new("."));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| store::Error::SyncDir {
            path: dir.to_owned(),
            source,
        })
}

#[cfg(test)]
#[path = "remove_tests.rs"]
mod tests;
