//! `--install-cert -d D [--ecc] --cert-file … --reloadcmd …` (acme.sh's `installcert`).

use anyhow::anyhow;

use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{Globals, InstallSettings};
use crate::lineage::{self, Outcome};
use crate::store::record::DomainRecord;
use crate::store::trust::Policy;
use crate::store::{journal, lock, scan};

/// Save the targets in the lineage's conf, copy the files and run the reload command.
pub(crate) async fn run(
    settings: &InstallSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let domain = &settings.domain;
    let lineage = scan::resolve(&globals.home.cert_home, domain, settings.ecc)?;
    let not_issued = || {
        Failure::from(anyhow!("'{domain}' is not an issued domain"))
            .hint("issue it first with `--issue`")
    };
    let load = || DomainRecord::load_trusted(&lineage.conf(), Policy::current());
    if load()?.is_none() {
        return Err(not_issued());
    }
    let _lock = lock::lock(&lineage.dir, settings.lock_timeout)
        .await?
        .ok_or_else(|| {
            anyhow!(
                "another acmers process is working on `{}`; try again later",
                lineage.dir.display()
            )
        })?;
    journal::roll_forward(&lineage.dir)?;
    let mut record = load()?.ok_or_else(not_issued)?;
    lineage::record_install(&lineage, &mut record, &settings.install)?;
    lineage::install_and_reload(&lineage, &mut record, settings.hook_timeout, printer).await?;
    Ok(Outcome::Done)
}
