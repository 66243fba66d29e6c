//! `--cron` and `--renew-all` on the store: a work queue every node draws from.
//!
//! One indexed query finds the lineages that need a node, in order of due time, and claims
//! one for this node with a new lease (`FOR UPDATE SKIP LOCKED`, so nodes claiming at once
//! get different ones). The lineage is fetched after the claim and decided again from its
//! fresh conf — another node may have just renewed it — then worked like a lineage of a home
//! (ARI first, then the renewal), and its folder written back fenced. `--parallel N` lineages
//! are in flight at once. A pass with nothing due costs one query, however many lineages the
//! store holds. The pass ends with this node's installs ([`super::installs`]).

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::anyhow;
use futures_util::StreamExt as _;

use super::StoreSettings;
use super::fence::{self, Fence};
use super::work::WorkHome;
use crate::cli::args::{Command, Parsed};
use crate::cli::commands::renew::{Breaker, Plan, plan, renew_one};
use crate::cli::commands::set_notify;
use crate::cli::error::Failure;
use crate::cli::exit_code;
use crate::cli::printer::Printer;
use crate::cli::settings::{Globals, RenewSettings};
use crate::fleet::lease;
use crate::fleet::{Store, lineages};
use crate::interrupt::Interrupted;
use crate::lineage::{Outcome, Session};
use crate::notify::{self, Notifier};
use crate::renew;
use crate::store::record::DomainRecord;

/// One claimed lineage's result.
type Worked = (String, Result<Outcome, Failure>);

/// `--cron` / `--renew-all` on the store.
pub(super) async fn run(
    store: &Arc<Store>,
    settings: &StoreSettings,
    parsed: &Parsed,
    globals: &Globals,
    printer: &Printer,
    command: Command,
) -> Result<Outcome, Failure> {
    let cron = command == Command::Cron;
    if cron {
        printer.info("===Starting cron===");
    }
    let work = WorkHome::new(store, &globals.home).await?;
    let work_globals = work.globals(globals)?;
    let renew_settings = RenewSettings::resolve(&parsed.args, &work_globals)?;
    let fence = Fence::new(store, settings.ttl);
    let mut session = fence::session(
        &work_globals,
        renew_settings.ca_bundle.as_deref(),
        cron,
        &fence,
    )?;
    session.fleet = true;
    let pass = Pass {
        store,
        settings,
        renew: &renew_settings,
        work: &work,
        fence: &fence,
        session: &session,
        printer,
        breaker: Breaker::default(),
        stop: AtomicBool::new(false),
        now: renew::now(),
        seen: RefCell::new(HashSet::new()),
        notifier: super::super::renew::notifier(&renew_settings, &work_globals),
        events: RefCell::new(Vec::new()),
    };
    let worked = tokio::select! {
        worked = pass.run() => worked,
        () = fence.heartbeat() => unreachable!("the heartbeat never ends"),
    };
    let (notifier, events) = (pass.notifier, pass.events.into_inner());
    let interrupted = session.interrupt.received();
    session.finish(printer).await?;
    // acme.sh's `renewAll` notifications, for the lineages this node worked on.
    for message in notify::for_run(&notifier.config, &events) {
        set_notify::deliver(&notifier, &message, printer, "warning").await;
    }
    let saved = work
        .save_home(store, (&settings.node, settings.ttl), printer)
        .await;
    let installed = if interrupted.is_none() {
        super::installs::run_node(store, settings, &work, printer).await
    } else {
        Ok(())
    };
    if cron {
        printer.info("===End cron===");
    }
    if let Some(signal) = interrupted {
        return Err(Failure::from(Interrupted { signal }));
    }
    // The pass's own failure first: the ones after it often share its cause.
    let (failures, code) = worked?;
    saved?;
    installed?;
    match code {
        None => Ok(Outcome::Done),
        Some(code) => Err(Failure::from(anyhow!(
            "{failures} certificate(s) could not be renewed; see the errors above"
        ))
        .with_code(code.max(exit_code::ERROR))),
    }
}

/// Whether a lineage failed because its CA could not be reached: the node stops claiming (the
/// lineages not claimed yet wait, unmarked, for the next pass or another node) instead of
/// failing every one of them at once with the remembered cause.
fn unreachable_ca(failure: &Failure) -> bool {
    failure
        .error
        .chain()
        .filter_map(|e| e.downcast_ref::<crate::acme::Error>())
        .any(|e| crate::acme::error::Unreachable::of(e).is_some())
}

/// One pass over the store.
struct Pass<'a> {
    store: &'a Arc<Store>,
    settings: &'a StoreSettings,
    renew: &'a RenewSettings,
    work: &'a WorkHome,
    fence: &'a Arc<Fence>,
    session: &'a Session,
    printer: &'a Printer,
    breaker: Breaker,
    stop: AtomicBool,
    /// The pass's time: lineages due by then are claimed.
    now: i64,
    /// The lineages this pass worked: one is never claimed twice in a pass.
    seen: RefCell<HashSet<String>>,
    /// How the pass notifies, and what happened to each lineage.
    notifier: Notifier,
    events: RefCell<Vec<notify::Event>>,
}

impl Pass<'_> {
    /// Claim and work lineages until none is due; (failures, exit code of the last one).
    async fn run(&self) -> Result<(usize, Option<u8>), Failure> {
        let claims = futures_util::stream::unfold(false, |done| async move {
            if done || self.session.interrupt.received().is_some() {
                return None;
            }
            match self.claim().await {
                Ok(Some(claim)) => Some((Ok(claim), false)),
                Ok(None) => None,
                Err(e) => Some((Err(e), true)),
            }
        });
        let mut work = Box::pin(
            claims
                .map(|claim| async move {
                    match claim {
                        Ok((id, lease)) => Ok(self.work_one(id, lease).await),
                        Err(e) => Err(e),
                    }
                })
                .buffer_unordered(self.renew.parallel),
        );
        let mut failures = 0;
        let mut code = None;
        let mut fatal = None;
        while let Some(item) = work.next().await {
            match item {
                Ok((_, Ok(_))) => {}
                Ok((id, Err(failure))) => {
                    failure.render(self.printer);
                    self.printer.error(format_args!("Error renewing {id}."));
                    failures += 1;
                    code = Some(failure.code);
                    if self.renew.stop_on_error || unreachable_ca(&failure) {
                        self.stop.store(true, Ordering::Relaxed);
                    }
                }
                Err(e) => fatal = Some(e),
            }
        }
        match fatal {
            Some(e) => Err(e.hint(
                "the pass stopped; the lineages it held are taken by the next pass once their \
                 leases expire",
            )),
            None => Ok((failures, code)),
        }
    }

    /// Claim the next due lineage; `None` when none is (or the pass stopped).
    async fn claim(&self) -> Result<Option<(String, lease::Lease)>, Failure> {
        if self.stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let claimed = lineages::claim_due(
            self.store.db(),
            &self.settings.node,
            self.now,
            1,
            self.settings.ttl,
        )
        .await
        .map_err(|e| Failure::from(e).detail("store: claiming the next due lineage"))?;
        let Some((id, lease)) = claimed.into_iter().next() else {
            return Ok(None);
        };
        // Worked once in this pass already and still due (it could not be fetched, so its
        // due time did not move): leave it, and the rest, for the next pass.
        if !self.seen.borrow_mut().insert(id.clone()) {
            lease::release(self.store.db(), &lease).await?;
            return Ok(None);
        }
        Ok(Some((id, lease)))
    }

    /// Work one claimed lineage: fetch, decide again, renew when due, write back fenced,
    /// release.
    async fn work_one(&self, id: String, lease: lease::Lease) -> Worked {
        let lineage = match self.work.fetch(self.store, &id).await {
            Ok(lineage) => lineage,
            Err(e) => {
                let _ = lease::release(self.store.db(), &lease).await;
                return (id, Err(e));
            }
        };
        self.fence.held.insert(&lineage.dir, lease);
        let result = self.renew_lineage(&lineage).await;
        // The due time kept in the store counts ARI checks only where ARI is on.
        let ari = DomainRecord::load(&lineage.conf())
            .ok()
            .flatten()
            .and_then(|r| r.api())
            .is_none_or(|server| self.session.ari_enabled(&server));
        // Nothing to do now (not due after all, or left for later): not again in this pass.
        let not_before = match result {
            Ok(Outcome::Skipped) => self.now + 1,
            _ => 0,
        };
        let saved = self.fence.save(&lineage.dir, &id, (ari, not_before)).await;
        if let Some(lease) = self.fence.held.remove(&lineage.dir) {
            let _ = lease::release(self.store.db(), &lease).await;
        }
        let result = match (result, saved) {
            (Err(e), Ok(())) => Err(e),
            (Err(e), Err(why)) => Err(e.detail(format!("store: not written: {why}"))),
            (Ok(outcome), Ok(())) => Ok(outcome),
            (Ok(_), Err(why)) => Err(Failure::from(anyhow!(
                "the result for {id} was not written to the store: {why}"
            ))),
        };
        if self.notifier.config.active() {
            self.events
                .borrow_mut()
                .push(super::super::renew::event(&lineage, &result));
        }
        let _ = std::fs::remove_dir_all(&lineage.dir);
        (id, result)
    }

    /// The renewal of a fetched lineage, as the file home's pass does it.
    async fn renew_lineage(&self, lineage: &crate::store::Lineage) -> Result<Outcome, Failure> {
        let now = renew::now();
        let planned = plan(self.session, lineage.clone(), now, self.renew.force)?;
        let item = match planned {
            None => return Ok(Outcome::Skipped),
            Some(Plan::Skip(line)) => {
                self.printer.info(line);
                return Ok(Outcome::Skipped);
            }
            Some(Plan::Work(lineage, record)) => (lineage, record, false),
            Some(Plan::Check(lineage, record)) => (lineage, record, true),
        };
        if let Ok((_, ca)) = self.renew.request(&item.1) {
            let printer = self.printer.prefixed(&lineage.domain);
            self.work
                .account(
                    self.fence,
                    self.session,
                    (&ca, self.renew.limits.lock),
                    &self.settings.node,
                    &printer,
                )
                .await?;
        }
        let (_, result, printed) = renew_one(
            self.session,
            Ok(item),
            self.renew,
            self.printer,
            (&self.stop, &self.breaker),
        )
        .await;
        match result {
            Ok(Outcome::Skipped) if !printed => {
                self.printer
                    .info(format_args!("Skipped {}", lineage.domain));
                Ok(Outcome::Skipped)
            }
            other => other,
        }
    }
}
