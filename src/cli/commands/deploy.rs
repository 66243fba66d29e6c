//! `--deploy -d D [--ecc] --deploy-hook NAME[,NAME…]` (acme.sh's `deploy`): save the hooks as
//! `Le_DeployHook` and run them with the lineage's files; renewals run them again.

use anyhow::anyhow;

use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{DeploySettings, Globals};
use crate::lineage::{self, Outcome, Session};
use crate::store::record::DomainRecord;
use crate::store::trust::Policy;
use crate::store::{journal, lock, scan};

/// Save the hooks in the lineage's conf and run them.
pub(crate) async fn run(
    settings: &DeploySettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let domain = &settings.domain;
    let lineage = scan::resolve(&globals.home.cert_home, domain, settings.ecc)?;
    let not_issued = || {
        Failure::from(anyhow!(
            "The domain '{domain}' is not a cert name. You must use the cert name to specify the cert to install."
        ))
        .hint("issue it first with `--issue`")
    };
    let load = || DomainRecord::load_trusted(&lineage.conf(), Policy::current());
    if !load()?.is_some_and(|r| r.is_issued()) {
        return Err(not_issued());
    }
    let mut session = Session::new(globals.home.clone(), settings.ca_bundle.as_deref(), false)?;
    session.debug = globals.debug;
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
