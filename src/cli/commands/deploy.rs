//! `--deploy -d D [--ecc] --deploy-hook NAME[,NAME…]` (acme.sh's `deploy`): save the hooks as
//! `Le_DeployHook` and run them with the lineage's files; renewals run them again.

use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{DeploySettings, Globals};
use crate::lineage::{self, Outcome, Session};

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
    let mut session = Session::new(globals.home.clone(), settings.ca_bundle.as_deref(), false)?;
    session.debug = globals.debug;
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
