//! `--issue --store …`: issue a lineage into the store, under its lease.

use std::sync::Arc;

use anyhow::anyhow;

use super::StoreSettings;
use super::installs::{id_of, run_node};
use super::work::{self, Fence, WorkHome};
use crate::cli::args::Parsed;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{Globals, IssueSettings};
use crate::fleet::{Store, installs, lease};
use crate::lineage::{self, Kind, Outcome};
use crate::store::record::DomainRecord;

/// Take the lineage's lease, fetch it (a new one is empty), run the engine, write it back
/// fenced, and save the install targets given as this node's.
pub(super) async fn run(
    store: &Arc<Store>,
    settings: &StoreSettings,
    parsed: &Parsed,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let work = WorkHome::new(store, &globals.home).await?;
    let work_globals = work.globals(globals)?;
    let issue = IssueSettings::resolve(parsed, &work_globals)?;
    let id = id_of(&issue.request.main, issue.request.key_type.is_ecc());
    let Some(held) = lease::try_acquire(
        store.db(),
        &lease::lineage(&id),
        &settings.node,
        settings.ttl,
    )
    .await?
    else {
        return Err(
            Failure::from(anyhow!("another node is working on {id} in the store"))
                .hint("try again when it is done (its lease expires if that node is gone)"),
        );
    };
    let fence = Fence::new(store, settings.ttl);
    let lineage = work.fetch(store, &id).await?;
    fence.held.insert(&lineage.dir, held);
    let session = work::session(&work_globals, issue.ca_bundle.as_deref(), false, &fence)?;
    let result = async {
        work.account(
            &fence,
            &session,
            (&issue.ca, issue.limits.lock),
            &settings.node,
            printer,
        )
        .await?;
        let job = (&issue.request, &issue.ca, &issue.limits);
        Ok::<_, Failure>(lineage::run(&session, job, &lineage, printer).await?)
    };
    let result = tokio::select! {
        result = result => result,
        () = fence.heartbeat() => unreachable!("the heartbeat never ends"),
    };
    session.finish(printer).await?;
    // A failed first issuance removed what it made: nothing to write.
    let issued = DomainRecord::load(&lineage.conf())?.is_some();
    let saved = match issued {
        true => fence.save(&lineage.dir, &id, true).await,
        false => Ok(()),
    };
    if let Some(held) = fence.held.remove(&lineage.dir) {
        lease::release(store.db(), &held).await?;
    }
    work.save_home(store, (&settings.node, settings.ttl), printer)
        .await?;
    let outcome = result?;
    saved.map_err(|why| Failure::from(anyhow!("{id} was not written to the store: {why}")))?;
    if let Kind::Issue(given) = &issue.request.kind
        && !given.install.is_empty()
        && outcome == Outcome::Done
    {
        let mut conf = DomainRecord::default();
        conf.set_install(&given.install);
        installs::set(store.db(), &settings.node, &id, &conf.render_bytes()).await?;
        run_node(store, settings, &work, printer).await?;
    }
    Ok(outcome)
}
