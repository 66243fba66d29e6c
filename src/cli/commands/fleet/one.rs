//! The commands on one named lineage of the store (`--issue`, `--renew`, `--remove`,
//! `--revoke`, `--deploy`): the lineage is taken under its lease, fetched into the node's work
//! home, the command runs there as on a home, and the folder is written back fenced.

use std::future::Future;
use std::sync::Arc;

use anyhow::anyhow;

use super::StoreSettings;
use super::fence::{self, Fence};
use super::installs::run_node;
use super::work::{self, WorkHome, id_of};
use crate::cli::args::{Command, Parsed};
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{
    DeploySettings, Globals, IssueSettings, RemoveSettings, RenewSettings, RevokeSettings,
};
use crate::fleet::{Store, installs, lease};
use crate::lineage::{self, Kind, Outcome, Session};
use crate::store::Lineage;
use crate::store::record::DomainRecord;

/// A lineage of the store held by this node for one command.
struct One<'a> {
    store: &'a Arc<Store>,
    settings: &'a StoreSettings,
    work: WorkHome,
    globals: Globals,
    fence: Arc<Fence>,
}

impl<'a> One<'a> {
    /// The work home, with the store's settings.
    async fn new(
        store: &'a Arc<Store>,
        settings: &'a StoreSettings,
        node: &Globals,
    ) -> Result<Self, Failure> {
        let work = WorkHome::new(store, &node.home).await?;
        let globals = work.globals(node)?;
        Ok(Self {
            store,
            settings,
            work,
            globals,
            fence: Fence::new(store, settings.ttl),
        })
    }

    /// The store id of `domain`: its `_ecc` folder when only that exists and `--ecc` was not
    /// given, as acme.sh finds a lineage.
    async fn resolve(&self, domain: &str, ecc: bool) -> Result<String, Failure> {
        Ok(work::find(self.store, domain, ecc)
            .await?
            .unwrap_or_else(|| id_of(domain, ecc)))
    }

    /// Take lineage `id`'s lease and fetch it (an empty folder for a new one).
    async fn take(&self, id: &str) -> Result<Lineage, Failure> {
        let name = lease::lineage(id);
        let node = &self.settings.node;
        let Some(held) =
            lease::try_acquire(self.store.db(), &name, node, self.settings.ttl).await?
        else {
            return Err(
                Failure::from(anyhow!("another node is working on {id} in the store"))
                    .hint("try again when it is done (its lease expires if that node is gone)"),
            );
        };
        let lineage = self.work.fetch(self.store, id).await?;
        self.fence.held.insert(&lineage.dir, held);
        Ok(lineage)
    }

    /// The engine's session, fenced by this node's leases.
    fn session(&self, ca_bundle: Option<&std::path::Path>) -> Result<Session, Failure> {
        fence::session(&self.globals, ca_bundle, false, &self.fence)
    }

    /// Run `command` with the lease renewed meanwhile.
    async fn run<T>(&self, command: impl Future<Output = T>) -> T {
        tokio::select! {
            result = command => result,
            () = self.fence.heartbeat() => unreachable!("the heartbeat never ends"),
        }
    }

    /// Write the folder back fenced (not when it holds nothing: a failed first issuance
    /// removed what it made), release the lease, write back `account.conf`.
    async fn finish(
        &self,
        lineage: &Lineage,
        result: Result<Outcome, Failure>,
        printer: &Printer,
    ) -> Result<Outcome, Failure> {
        let id = work::folder_name(lineage);
        let kept = std::fs::read_dir(&lineage.dir).is_ok_and(|mut d| d.next().is_some());
        let saved = match kept {
            true => self.fence.save(&lineage.dir, &id, (true, 0)).await,
            false => Ok(()),
        };
        if let Some(held) = self.fence.held.remove(&lineage.dir) {
            lease::release(self.store.db(), &held).await?;
        }
        self.work
            .save_home(
                self.store,
                (&self.settings.node, self.settings.ttl),
                printer,
            )
            .await?;
        match (result, saved) {
            (Ok(outcome), Ok(())) => Ok(outcome),
            (Err(e), Ok(())) => Err(e),
            (Err(e), Err(why)) => Err(e.detail(format!("store: not written: {why}"))),
            (Ok(_), Err(why)) => Err(Failure::from(anyhow!(
                "{id} was not written to the store: {why}"
            ))),
        }
    }

    /// Make sure the store has the account of `ca` before the engine needs it.
    async fn account(
        &self,
        session: &Session,
        ca: &lineage::Ca,
        lock: std::time::Duration,
        printer: &Printer,
    ) -> Result<(), Failure> {
        self.work
            .account(
                &self.fence,
                session,
                (ca, lock),
                &self.settings.node,
                printer,
            )
            .await
    }
}

/// Run `command` (one of the named-lineage commands) on the store.
pub(super) async fn run(
    command: Command,
    store: &Arc<Store>,
    settings: &StoreSettings,
    parsed: &Parsed,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let one = One::new(store, settings, globals).await?;
    match command {
        Command::Issue => issue(&one, parsed, printer).await,
        Command::Renew => renew(&one, parsed, printer).await,
        Command::Remove => {
            let remove = RemoveSettings::resolve(&parsed.args)?;
            let id = one.resolve(&remove.domain, remove.ecc).await?;
            let lineage = one.take(&id).await?;
            let result = crate::cli::commands::remove::run(&remove, &one.globals, printer);
            one.finish(&lineage, result, printer).await
        }
        Command::Revoke => {
            let revoke = RevokeSettings::resolve(&parsed.args, &one.globals)?;
            let id = one.resolve(&revoke.domain, revoke.ecc).await?;
            let lineage = one.take(&id).await?;
            let result = one
                .run(crate::cli::commands::revoke::run(
                    &revoke,
                    &one.globals,
                    printer,
                ))
                .await;
            one.finish(&lineage, result, printer).await
        }
        Command::Deploy => {
            let deploy = DeploySettings::resolve(&parsed.args, &one.globals)?;
            let id = one.resolve(&deploy.domain, deploy.ecc).await?;
            let lineage = one.take(&id).await?;
            let result = one
                .run(crate::cli::commands::deploy::run(
                    &deploy,
                    &one.globals,
                    printer,
                ))
                .await;
            one.finish(&lineage, result, printer).await
        }
        _ => unreachable!("not a command on one lineage"),
    }
}

/// `--issue` into the store; install targets given become this node's.
async fn issue(one: &One<'_>, parsed: &Parsed, printer: &Printer) -> Result<Outcome, Failure> {
    let issue = IssueSettings::resolve(parsed, &one.globals)?;
    let id = id_of(&issue.request.main, issue.request.key_type.is_ecc());
    let lineage = one.take(&id).await?;
    let session = one.session(issue.ca_bundle.as_deref())?;
    let result = one
        .run(async {
            one.account(&session, &issue.ca, issue.limits.lock, printer)
                .await?;
            let job = (&issue.request, &issue.ca, &issue.limits);
            Ok::<_, Failure>(lineage::run(&session, job, &lineage, printer).await?)
        })
        .await;
    session.finish(printer).await?;
    let outcome = one.finish(&lineage, result, printer).await?;
    if let Kind::Issue(given) = &issue.request.kind
        && !given.install.is_empty()
        && outcome == Outcome::Done
    {
        let mut conf = DomainRecord::default();
        conf.set_install(&given.install);
        installs::set(
            one.store.db(),
            &one.settings.node,
            &id,
            &conf.render_bytes(),
        )
        .await?;
        run_node(one.store, one.settings, &one.work, printer).await?;
    }
    Ok(outcome)
}

/// `--renew -d D [--ecc] [--force]` on the store: exit 2 when not due or unknown (acme.sh).
async fn renew(one: &One<'_>, parsed: &Parsed, printer: &Printer) -> Result<Outcome, Failure> {
    let renew = RenewSettings::resolve(&parsed.args, &one.globals)?;
    let domain = renew
        .domain
        .clone()
        .ok_or_else(|| anyhow!("`--renew` needs `-d DOMAIN`"))?;
    let id = one.resolve(&domain, renew.ecc).await?;
    let lineage = one.take(&id).await?;
    let Some(record) = DomainRecord::load(&lineage.conf())?.filter(DomainRecord::is_issued) else {
        printer.info(format_args!(
            "'{domain}' is not an issued domain, skipping."
        ));
        return one.finish(&lineage, Ok(Outcome::Skipped), printer).await;
    };
    printer.info(format_args!("Renewing: '{domain}'"));
    let session = one.session(renew.ca_bundle.as_deref())?;
    let result = one
        .run(async {
            let (request, ca) = renew.request(&record)?;
            printer.info(format_args!("Renewing using Le_API={}", ca.server));
            one.account(&session, &ca, renew.limits.lock, printer)
                .await?;
            let job = (&request, &ca, &renew.limits);
            Ok::<_, Failure>(lineage::run(&session, job, &lineage, printer).await?)
        })
        .await;
    session.finish(printer).await?;
    one.finish(&lineage, result, printer).await
}
