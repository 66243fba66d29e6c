//! `--renew`, `--renew-all` and `--cron` (acme.sh's `renew` and `renewAll`).
//!
//! The fleet pass reads each lineage's conf and decides from it alone ([`renew::decide`]): a
//! lineage that is not due, and whose ARI check time has not come, costs one small file read
//! and no network request. ARI checks (docs/ari.md) and due lineages run `--parallel` at a
//! time with one shared HTTP client, account and standalone server; each holds its own lock,
//! so one slow or broken lineage delays no other.
//!
//! A lineage waiting after failures ([`Decision::BackedOff`]) is skipped like a not-due one,
//! with no request. Within one pass, after [`CA_FAILURES_IN_A_ROW`] lineages in a row failed
//! at one CA in a way the CA caused, the remaining lineages of that CA are left for the next
//! pass without a request (docs/renewal.md, "Backoff").

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::anyhow;
use futures_util::StreamExt as _;

use crate::acme::order::same_identifiers;
use crate::cli::commands::issue;
use crate::cli::commands::set_notify;
use crate::cli::error::Failure;
use crate::cli::exit_code;
use crate::cli::printer::Printer;
use crate::cli::settings::{self, Globals, RenewSettings};
use crate::interrupt::Interrupted;
use crate::lineage::{self, Outcome, Request, Session};
use crate::names;
use crate::notify::{self, Event, Kind, Notifier};
use crate::renew::{self, Because, Decision};
use crate::store::record::DomainRecord;
use crate::store::trust::Policy;
use crate::store::{Lineage, journal, scan};

/// `--renew -d D [--ecc]`: not due → exit 2; unknown domain → exit 2 (acme.sh).
pub(crate) async fn run_one(
    settings: &RenewSettings,
    globals: &mut Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let domain = settings
        .domain
        .as_deref()
        .ok_or_else(|| anyhow!("`--renew` needs `-d DOMAIN`"))?;
    let lineage = scan::resolve(&globals.home.cert_home, domain, settings.ecc)?;
    let Some(record) = DomainRecord::load_trusted(&lineage.conf(), Policy::current())? else {
        printer.info(format_args!(
            "'{domain}' is not an issued domain, skipping."
        ));
        return Ok(Outcome::Skipped);
    };
    printer.info(format_args!("Renewing: '{domain}'"));
    let (request, ca) = settings.request(&record)?;
    check_folder(&lineage, &request)?;
    printer.info(format_args!("Renewing using Le_API={}", ca.server));
    let job = (&request, &ca, &settings.limits);
    let result = issue::run_one(
        job,
        &lineage,
        settings.ca_bundle.as_deref(),
        globals,
        printer,
    )
    .await;
    // acme.sh's `renew` outside `renewAll`: one message for this certificate, at its level,
    // named by its domain (`Le_Domain`).
    let notifier = notifier(settings, globals);
    if notifier.config.active() {
        let event = Event {
            domain: domain.to_owned(),
            ..event(&lineage, &result)
        };
        if let Some(message) = notify::for_one(&notifier.config, event) {
            set_notify::deliver(&notifier, &message, printer, "warning").await;
        }
    }
    result
}

/// How the renewal commands notify (`account.conf`'s settings, `--hook-timeout`, the run's
/// `--ca-bundle`).
pub(super) fn notifier(settings: &RenewSettings, globals: &Globals) -> Notifier {
    settings::notifier(globals, settings.ca_bundle.clone(), settings.limits.hook)
}

/// The notification event of one lineage's result: named by its folder as acme.sh names it,
/// with the CA and next renewal time its conf now holds.
pub(super) fn event(lineage: &Lineage, result: &Result<Outcome, Failure>) -> Event {
    let (kind, error) = match result {
        Ok(Outcome::Done) => (Kind::Renewed, None),
        Ok(Outcome::Skipped) => (Kind::Skipped, None),
        Err(failure) => (Kind::Failed, Some(format!("{:#}", failure.error))),
    };
    let name = lineage.dir.file_name().map_or_else(
        || lineage.domain.clone(),
        |n| n.to_string_lossy().into_owned(),
    );
    let record = DomainRecord::load(&lineage.conf()).ok().flatten();
    Event {
        kind,
        domain: name,
        ca: record.as_ref().and_then(DomainRecord::api),
        error,
        next_attempt: record
            .filter(|_| kind != Kind::Failed)
            .map(|r| r.next_renew_time_str())
            .filter(|t| !t.is_empty()),
    }
}

/// Failures in a row at one CA, within one pass, after which its other lineages wait for the
/// next pass.
pub(crate) const CA_FAILURES_IN_A_ROW: u32 = 3;

/// The fleet pass's count of failures in a row per CA (directory URL): a failure the CA
/// caused adds one, a renewal there resets it, other failures (validation, hooks) leave it.
#[derive(Default)]
pub(super) struct Breaker(RefCell<HashMap<String, u32>>);

impl Breaker {
    /// The line that defers a lineage of `server`, when the CA failed too often in a row.
    fn deferred(&self, server: &str, domain: &str) -> Option<String> {
        let count = self.0.borrow().get(server).copied().unwrap_or(0);
        (count >= CA_FAILURES_IN_A_ROW).then(|| {
            format!(
                "Skipped {domain}: {count} renewals at {server} failed in a row in this run; \
                 it is tried again in the next run"
            )
        })
    }

    fn record(&self, server: &str, result: &Result<Outcome, lineage::Error>) {
        let mut counts = self.0.borrow_mut();
        match result {
            Ok(Outcome::Done) => {
                counts.remove(server);
            }
            Err(e) if ca_fault(e) => *counts.entry(server.to_owned()).or_default() += 1,
            _ => {}
        }
    }
}

/// Whether a failure is the CA's (unreachable, 5xx, 429, a broken answer, an order it did not
/// finish or made invalid), not the lineage's own. A CA the run already found unreachable
/// fails the lineage without a request ([`crate::acme::Error::Unreachable`]): not counted.
fn ca_fault(error: &lineage::Error) -> bool {
    use crate::acme::{Error as E, WaitKind};
    matches!(
        error.acme(),
        Some(
            E::Transport { .. }
                | E::BadResponse { .. }
                | E::NotADirectory { .. }
                | E::BadNonceExhausted { .. }
                | E::NoNonce { .. }
                | E::OrderInvalid { .. }
                | E::Timeout {
                    kind: WaitKind::Order,
                    ..
                }
        )
    ) || matches!(error.acme(), Some(E::Api { status, .. }) if *status == 429 || *status >= 500)
}

/// What the fleet pass decided for one lineage from its conf.
pub(super) enum Plan {
    /// Not due, nothing pending: no work.
    Skip(String),
    /// Needs a run of the engine (due, forced, a saved order or an unfinished update).
    Work(Lineage, DomainRecord),
    /// Its renewal window is to be asked for first (docs/ari.md); then it may need work.
    Check(Lineage, DomainRecord),
}

/// Decide from the conf alone whether a lineage needs work. `None`: not a certificate
/// (no conf, e.g. removed).
pub(super) fn plan(
    session: &Session,
    lineage: Lineage,
    now: i64,
    force: bool,
) -> Result<Option<Plan>, Failure> {
    let Some(record) = DomainRecord::load(&lineage.conf())? else {
        return Ok(None);
    };
    // A web server config a killed run left changed is restored by the engine's run.
    if lineage.dir.join(crate::webserver::edits::MARKER).exists() {
        return Ok(Some(Plan::Work(lineage, record)));
    }
    let ari = record
        .api()
        .is_some_and(|server| session.ari_enabled(&server));
    // The engine decides again under the lock, and says why a damaged lineage is renewed.
    let decision = renew::decide(now, &record, force, ari, true);
    if ari
        && renew::ari_check_due(now, &record)
        && matches!(
            decision,
            Decision::Skip { .. } | Decision::Renew(Because::Due)
        )
    {
        return Ok(Some(Plan::Check(lineage, record)));
    }
    Ok(Some(match skip_line(&lineage, &record, decision, now) {
        Some(line) => Plan::Skip(line),
        None => Plan::Work(lineage, record),
    }))
}

/// The line that says why a lineage needs no work, or `None` when it does.
fn skip_line(
    lineage: &Lineage,
    record: &DomainRecord,
    decision: Decision,
    now: i64,
) -> Option<String> {
    match decision {
        // A first issuance that never finished is finished by running `--issue` (or `--renew
        // -d`) again, not by every pass: acme.sh's cron rule, for both commands
        // (docs/renewal.md).
        Decision::NeverIssued => Some(format!(
            "Skipping invalid cert {}: it was never issued.",
            lineage.domain
        )),
        Decision::BackedOff { at, attempts } => {
            Some(lineage::backed_off(&lineage.domain, at, attempts))
        }
        Decision::Skip { at_str, .. }
            if !lineage.dir.join(journal::JOURNAL).exists()
                && lineage::damage(lineage, record, now).is_none() =>
        {
            Some(format!(
                "Skipped {}: next renewal time is {at_str}",
                lineage.domain
            ))
        }
        _ => None,
    }
}

/// `--renew-all` and `--cron`: exit 0 when every lineage succeeded or was skipped, else the
/// code of the last failure (never 2).
pub(crate) async fn run_all(
    settings: &RenewSettings,
    globals: &Globals,
    printer: &Printer,
    cron: bool,
) -> Result<Outcome, Failure> {
    if cron {
        printer.info("===Starting cron===");
    }
    let mut session = super::session(globals, settings.ca_bundle.as_deref(), cron)?;
    session.fleet = true;
    let breaker = Breaker::default();
    let now = renew::now();
    let found = scan::lineages(&globals.home.cert_home)?;
    let stop = AtomicBool::new(false);
    let notifier = notifier(settings, globals);
    // Every lineage's result, for the notifications sent at the end (acme.sh's `renewAll`).
    let events = RefCell::new(Vec::new());
    let mut failed = None;
    let mut failures = 0_usize;
    // Lineages are planned lazily as the stream is pulled: the not-due ones are printed and
    // dropped at once, so memory does not grow with the fleet.
    let mut work = Box::pin(
        futures_util::stream::iter(found)
            // After a signal no further lineage is started; those in flight clean up.
            .take_while(|_| std::future::ready(session.interrupt.received().is_none()))
            .filter_map(|found| {
                let lineage = found.lineage.clone();
                let planned = plan(&session, found.lineage, now, settings.force);
                let events = &events;
                let active = notifier.config.active();
                async move {
                    match planned {
                        Ok(Some(Plan::Skip(line))) => {
                            printer.info(line);
                            if active {
                                events
                                    .borrow_mut()
                                    .push(event(&lineage, &Ok(Outcome::Skipped)));
                            }
                            None
                        }
                        Ok(None) => None,
                        Ok(Some(Plan::Work(lineage, record))) => Some(Ok((lineage, record, false))),
                        Ok(Some(Plan::Check(lineage, record))) => Some(Ok((lineage, record, true))),
                        Err(e) => Some(Err((lineage, e))),
                    }
                }
            })
            .map(|item| renew_one(&session, item, settings, printer, (&stop, &breaker)))
            .buffer_unordered(settings.parallel),
    );
    while let Some((lineage, result, printed)) = work.next().await {
        let domain = &lineage.domain;
        if notifier.config.active() {
            events.borrow_mut().push(event(&lineage, &result));
        }
        match result {
            Ok(Outcome::Done) => {}
            Ok(Outcome::Skipped) if !printed => printer.info(format_args!("Skipped {domain}")),
            Ok(Outcome::Skipped) => {}
            Err(failure) => {
                failure.render(printer);
                printer.error(format_args!("Error renewing {domain}."));
                failed = Some(failure.code);
                failures += 1;
                if settings.stop_on_error {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
    }
    drop(work);
    let interrupted = session.interrupt.received();
    session.finish(printer).await?;
    for message in notify::for_run(&notifier.config, &events.into_inner()) {
        set_notify::deliver(&notifier, &message, printer, "warning").await;
    }
    if cron {
        printer.info("===End cron===");
    }
    if let Some(signal) = interrupted {
        return Err(Failure::from(Interrupted { signal }));
    }
    match failed {
        None => Ok(Outcome::Done),
        Some(code) => Err(Failure::from(anyhow!(
            "{failures} certificate(s) could not be renewed; see the errors above"
        ))
        .with_code(code.max(exit_code::ERROR))),
    }
}

/// Renew one planned lineage (or report why it cannot be planned); `check`: ask for its
/// renewal window first, and renew only when that makes it due. The flag returned says the
/// lineage's skip line is printed already.
pub(super) async fn renew_one(
    session: &Session,
    item: Result<(Lineage, DomainRecord, bool), (Lineage, Failure)>,
    settings: &RenewSettings,
    printer: &Printer,
    (stop, breaker): (&AtomicBool, &Breaker),
) -> (Lineage, Result<Outcome, Failure>, bool) {
    let (lineage, record, check) = match item {
        Ok(work) => work,
        Err((lineage, failure)) => return (lineage, Err(failure), false),
    };
    let domain = lineage.domain.clone();
    if stop.load(Ordering::Relaxed) {
        return (lineage, Ok(Outcome::Skipped), false);
    }
    let printer = if settings.parallel > 1 {
        printer.prefixed(&domain)
    } else {
        printer.clone()
    };
    // The window is asked for at the lineage's saved CA (a lineage is only planned for a
    // check when it has one), before its saved settings are needed.
    let deferred = |server: &str| {
        let line = breaker.deferred(server, &domain)?;
        printer.info(line);
        Some(Outcome::Skipped)
    };
    if let Some(server) = record.api().filter(|_| check) {
        if let Some(skipped) = deferred(&server) {
            return (lineage, Ok(skipped), true);
        }
        let checked = lineage::check_renewal_window(session, &server, &lineage, &printer).await;
        let now = renew::now();
        match checked {
            // Another process has it: the engine says so.
            Ok(None) => {}
            Ok(Some(record)) => {
                let decision = renew::decide(now, &record, settings.force, true, true);
                if let Some(line) = skip_line(&lineage, &record, decision, now) {
                    printer.info(line);
                    return (lineage, Ok(Outcome::Skipped), true);
                }
            }
            Err(e) => return (lineage, Err(Failure::from(e)), false),
        }
    }
    let job = settings
        .request(&record)
        .map_err(|e| Failure::from(e).detail(format!("conf: {}", lineage.conf().display())))
        .and_then(|(request, ca)| check_folder(&lineage, &request).map(|()| (request, ca)));
    if let Ok((_, ca)) = &job
        && let Some(skipped) = deferred(&ca.server)
    {
        return (lineage, Ok(skipped), true);
    }
    printer.info(format_args!("Renewing: '{domain}'"));
    let (request, ca) = match job {
        Ok(job) => job,
        Err(failure) => return (lineage, Err(failure), false),
    };
    let job = (&request, &ca, &settings.limits);
    let result = lineage::run(session, job, &lineage, &printer).await;
    breaker.record(&ca.server, &result);
    (lineage, result.map_err(Failure::from), false)
}

/// A conf renews only the lineage of the folder it lives in: its `Le_Domain` and key type
/// must name that folder, or another name would be issued into another folder.
fn check_folder(found: &Lineage, request: &Request) -> Result<(), Failure> {
    let same_name = names::parse_domains(std::slice::from_ref(&found.domain))
        .is_ok_and(|ids| same_identifiers(&ids, std::slice::from_ref(&request.names[0].0)));
    if same_name && found.ecc == request.key_type.is_ecc() {
        return Ok(());
    }
    Err(Failure::from(anyhow!(
        "the conf `{}` is for `{}` with a {} key, which does not belong in the folder `{}`",
        found.conf().display(),
        request.main,
        request.key_type.as_acmesh(),
        found.dir.display()
    ))
    .hint(
        "acmers does not renew a certificate into another folder: fix `Le_Domain` and \
         `Le_Keylength` in the conf, or move the conf to its own folder",
    ))
}
