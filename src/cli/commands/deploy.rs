//! `--deploy -d D [--ecc] --deploy-hook NAME[,NAME…]` (acme.sh's `deploy`): save the hooks as
//! `Le_DeployHook` and run them with the lineage's files; renewals run them again.

use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{DeploySettings, Globals};
use crate::lineage::{self, Outcome};

/// Save the hooks in the lineage's conf and run them.
pub(crate) async fn run(
    settings: &DeploySettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let (lineage, _lock, mut record) = super::locked_issued(
        globals,
        (&settings.domain, settings.ecc),
        settings.lock_timeout,
    )
    .await?;
    let session = super::session(globals, settings.ca_bundle.as_deref(), false)?;
    let result = lineage::deploy(
        &session,
        &lineage,
        &mut record,
        &settings.hooks,
        (settings.hook_timeout, printer),
    )
    .await;
    session.finish(printer).await?;
    result?;
    Ok(Outcome::Done)
}
