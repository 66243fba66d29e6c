//! `--install-cert -d D [--ecc] --cert-file … --reloadcmd …` (acme.sh's `installcert`).

use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{Globals, InstallSettings};
use crate::lineage::{self, Outcome};

/// Save the targets in the lineage's conf, copy the files and run the reload command.
pub(crate) async fn run(
    settings: &InstallSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let (lineage, _lock, mut record) = super::locked_issued(
        globals,
        (&settings.domain, settings.ecc),
        settings.lock_timeout,
    )
    .await?;
    lineage::record_install(&lineage, &mut record, &settings.install)?;
    lineage::install_and_reload(&lineage, &mut record, settings.hook_timeout, printer).await?;
    Ok(Outcome::Done)
}
