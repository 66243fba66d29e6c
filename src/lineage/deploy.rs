//! Deploy hooks (acme.sh's `_deploy`): each hook saved in `Le_DeployHook` is found by
//! acme.sh's lookup (`<home>/deploy/<name>.sh`, …) and its
//! `<name>_deploy <domain> <keyfile> <certfile> <cafile> <fullchain> <pfxfile>` run with the
//! lineage's files, after every renewal and by `--deploy`. Until every hook succeeded the
//! lineage is marked deploy-pending, and the next run retries the hooks without a new order.

use std::path::Path;
use std::time::Duration;

use super::session::Session;
use super::{Error, Progress, plugins};
use crate::plugin::{self, DeployFiles};
use crate::store::Lineage;
use crate::store::record::DomainRecord;
use crate::store::trust::Policy;

/// Run every deploy hook of `record` in order, stopping at the first failure; then clear the
/// pending mark (the caller saves the record).
pub(super) async fn run_hooks(
    session: &Session,
    lineage: &Lineage,
    record: &mut DomainRecord,
    time_limit: Duration,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let hooks = record.deploy_hooks();
    if hooks.is_empty() {
        record.set_deploy_pending(false);
        return Ok(());
    }
    let runner = plugins::runner(session, lineage, time_limit)?;
    let exe = std::env::current_exe().ok();
    let domain = record
        .main_domain()
        .unwrap_or_else(|| lineage.domain.clone());
    let files = DeployFiles {
        key: lineage.key(),
        cert: lineage.cer(),
        ca: lineage.ca_cer(),
        fullchain: lineage.fullchain(),
        // acme.sh passes its `CERT_PFX_PATH` whether or not a PFX was made.
        pfx: Some(lineage.pfx()),
    };
    for hook in &hooks {
        // Like every hook, a signal stops it (the runner's process group is killed).
        plugin::deploy(
            &runner,
            exe.as_deref().and_then(Path::parent),
            hook,
            &domain,
            &files,
        )
        .await
        .map_err(|source| Error::Deploy {
            hook: hook.clone(),
            domain: domain.clone(),
            source,
        })?;
        progress.info(&"Success");
    }
    // The hooks may have saved settings in the conf (`_savedeployconf`); this run changed
    // nothing in it since it was last saved, so the file is the record now.
    if let Some(saved) = DomainRecord::load_trusted(&lineage.conf(), Policy::current())? {
        *record = saved;
    }
    record.set_deploy_pending(false);
    Ok(())
}

/// `--deploy`: save `hooks` as `Le_DeployHook` (renewals run them again) and run them now.
///
/// # Errors
///
/// The conf cannot be saved; a hook is missing, untrusted or fails ([`Error::Deploy`]).
pub async fn deploy(
    session: &Session,
    lineage: &Lineage,
    record: &mut DomainRecord,
    hooks: &[String],
    (time_limit, progress): (Duration, &dyn Progress),
) -> Result<(), Error> {
    record.set_deploy_hooks(hooks);
    record.set_deploy_pending(true);
    record.save(&lineage.conf())?;
    run_hooks(session, lineage, record, time_limit, progress).await?;
    record.save(&lineage.conf())?;
    Ok(())
}
