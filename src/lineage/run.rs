//! The procedure of one lineage, start to end, under its lock (acme.sh's `issue`).

use super::deploy;
use super::failover::obtain_with_failover;
use super::files::damage;
use super::hooks::Runner;
use super::install::install_and_reload;
use super::session::Session;
use super::{Ca, Error, Kind, Limits, Outcome, Progress, Request, one_line, warn_error};
use crate::acme::order::same_identifiers;
use crate::renew::{self, Because, Decision, Unfinished};
use crate::store::atomic::create_private_dir_all;
use crate::store::record::{DomainRecord, Mode, time_str};
use crate::store::trust::Policy;
use crate::store::{Lineage, journal, lock};
use crate::webserver;

/// Issue or renew one lineage, start to end, under its lock: finish an interrupted update,
/// decide whether it is due ([`renew::decide`]), pre hook, order, switch the files in,
/// install, reload, post and renew hooks (acme.sh's `issue`; docs/renewal.md, "Hooks"). A
/// failure is recorded in the conf for `--list --json`; a failed first issuance removes what
/// it created instead (docs/renewal.md).
///
/// # Errors
///
/// Every step's failure, as [`Error`].
pub async fn run(
    session: &Session,
    (request, ca, limits): (&Request, &Ca, &Limits),
    lineage: &Lineage,
    progress: &dyn Progress,
) -> Result<Outcome, Error> {
    // As root, nothing is created in, locked in or read from a folder another user controls.
    Policy::current().check_dir(&lineage.dir)?;
    let first = First::before(lineage);
    create_private_dir_all(&lineage.dir)?;
    let Some(_lock) = lock_lineage(session, lineage, limits, progress).await? else {
        return Ok(Outcome::Skipped);
    };
    if journal::roll_forward(&lineage.dir)? {
        progress.info(&format_args!(
            "Finished the interrupted update of {}",
            lineage.dir.display()
        ));
    }
    // A run killed while a web server config was changed left its backup: put it back first.
    let place = webserver::Place::of(&lineage.dir, limits.lock);
    for path in webserver::repair(&place).await? {
        progress.info(&format_args!(
            "Restored {} as it was before an interrupted run changed it",
            path.display()
        ));
    }
    let loaded = DomainRecord::load_trusted(&lineage.conf(), Policy::current())?;
    let first = loaded.is_none().then_some(first);
    let mut record = loaded.unwrap_or_default();
    let now = renew::now();
    // A saved order at this CA is resumed whatever the decision (when it still fits).
    let pending = record.pending_order(&ca.server);
    // The CA's renewal window first, when it is time to ask (docs/ari.md); a certificate
    // from a fallback CA has its window there (docs/failover.md).
    let issuer = match record.primary_api() {
        Some(_) => record.api().unwrap_or_else(|| ca.server.clone()),
        None => ca.server.clone(),
    };
    let ari = session.ari_enabled(&issuer);
    if ari
        && request.is_renewal()
        && !request.force
        && pending.is_none()
        && renew::ari_check_due(now, &record)
    {
        super::ari::refresh(session, &issuer, lineage, &mut record, progress).await;
    }
    let decision = due(now, &record, request, lineage, ari, session.fleet);
    if let Decision::BackedOff { at, attempts } = decision {
        progress.info(&backed_off(&lineage.domain, at, attempts));
        return Ok(Outcome::Skipped);
    }
    // A user's own `--renew` or `--issue` is not held back by the backoff, but says so.
    if let Some((at, attempts)) = record.backoff().filter(|(at, _)| now < *at)
        && !session.fleet
        && !request.force
        && matches!(
            decision,
            Decision::Renew(_) | Decision::Finish(Unfinished::Order(_))
        )
    {
        progress.info(&format_args!(
            "{attempts} attempt(s) for {} failed in a row and the next was planned for {}; \
             trying now, as asked",
            lineage.domain,
            time_str(at)
        ));
    }
    if decision == Decision::Renew(Because::RenewalWindow) {
        progress.info(&format_args!(
            "The time chosen in the CA's renewal window (ARI) has passed: renewing {}",
            lineage.domain
        ));
        if let Some(why) = record.ari_explanation() {
            progress.info(&format_args!("The CA explains why: {why}"));
        }
    }
    // Not due (a pending install is finished by `skip`), unless the files are damaged.
    let next = match decision {
        Decision::Skip { at_str, .. } => Some(at_str),
        Decision::Finish(Unfinished::Install) => Some(record.next_renew_time_str()),
        Decision::NeverIssued
        | Decision::BackedOff { .. }
        | Decision::Renew(_)
        | Decision::Finish(Unfinished::Order(_)) => None,
    };
    if let Some(next) = next {
        match damage(lineage, &record, now) {
            Some(why) => progress.info(&format_args!("Renewing {} now: {why}", lineage.domain)),
            None => {
                return skip(
                    session,
                    lineage,
                    &mut record,
                    request,
                    limits,
                    &next,
                    progress,
                )
                .await;
            }
        }
    }
    // acme.sh's `issue` refuses manual dns-01 unless the user said they know what it means.
    if !request.dns.manual && request.names.iter().any(|(_, m)| *m == Mode::DnsManual) {
        return Err(Error::DnsManualRefused);
    }
    record_request(&mut record, request, ca);
    record.save(&lineage.conf())?;
    let saved_hooks = record.hooks();
    let hooks = Runner::new(lineage, limits.hook, progress);
    let mut result = match &saved_hooks.pre {
        Some(pre) => hooks.run("pre hook", pre, &record).await,
        None => Ok(()),
    };
    if result.is_ok() {
        result = async {
            let issuer = obtain_with_failover(
                session,
                (request, ca, limits),
                lineage,
                &mut record,
                pending,
                progress,
            )
            .await?;
            // The new certificate's renewal window, at the CA that issued it.
            if session.ari_enabled(&issuer.server) {
                super::ari::refresh(session, &issuer.server, lineage, &mut record, progress).await;
            }
            super::local::export_pfx_again(lineage, &record, progress);
            if !session.installs {
                return Ok(());
            }
            install_and_reload(lineage, &mut record, limits.hook, progress).await
        }
        .await;
        if let Some(post) = &saved_hooks.post
            && let Err(e) = hooks.run("post hook", post, &record).await
        {
            match result {
                Ok(()) => result = Err(e),
                // The attempt's own error is the one to return; show this one too.
                Err(_) => warn_error(progress, &e),
            }
        }
    }
    if result.is_ok()
        && request.is_renewal()
        && let Some(renew) = &saved_hooks.renew
    {
        result = hooks.run("renew hook", renew, &record).await;
    }
    // acme.sh's `renew` deploys after a renewal (not `--issue`): the hooks run from the saved
    // settings; until they all succeed the lineage stays deploy-pending, and the next run
    // retries them without a new order.
    if result.is_ok() && request.is_renewal() && !record.deploy_hooks().is_empty() {
        record.set_deploy_pending(true);
        record.save(&lineage.conf())?;
        result = deploy::run_hooks(session, lineage, &mut record, limits.hook, progress).await;
        if result.is_ok() {
            record.save(&lineage.conf())?;
        }
    }
    // Manual dns-01 stopping for the user's records is no failure: the lineage and its order
    // stay for `--renew`.
    if let Err(error) = &result
        && !matches!(error, Error::DnsManual { .. })
    {
        let order_saved = record.order().url.is_some();
        // A web server config that could not be restored keeps its backup in the folder.
        let backup_kept = lineage.dir.join(webserver::edits::MARKER).exists();
        match first {
            Some(first) if !error.resumable(order_saved) && !backup_kept => {
                first.undo(lineage, progress);
            }
            _ => record_failure(lineage, error, progress),
        }
    }
    result.map(|()| Outcome::Done)
}

/// [`renew::decide`] for a request: `--issue` with other names than the saved ones, or
/// `--sign-csr` with another CSR than the saved one, is due (a new certificate for the new
/// set or key), and a lineage never issued is finished here (only the fleet pass skips those).
fn due(
    now: i64,
    record: &DomainRecord,
    request: &Request,
    lineage: &Lineage,
    ari: bool,
    backoff: bool,
) -> Decision {
    let same_names = record
        .identifiers()
        .is_ok_and(|saved| same_identifiers(&saved, &request.identifiers()));
    let other_csr = match &request.kind {
        Kind::Issue(given) => given.csr.as_ref().is_some_and(|csr| {
            crate::store::file::read(&lineage.csr(), crate::csr::MAX_CSR as u64)
                .ok()
                .flatten()
                .is_none_or(|saved| saved.bytes != csr.bytes)
        }),
        Kind::Renewal => false,
    };
    if !same_names || other_csr {
        return Decision::Renew(Because::Due);
    }
    renew::decide(now, record, request.force, ari, backoff)
}

/// The line that says a lineage waits after failures, and until when.
pub fn backed_off(domain: &str, at: i64, attempts: u32) -> String {
    format!(
        "Skipped {domain}: {attempts} attempt(s) failed in a row; next attempt at {}",
        time_str(at)
    )
}

/// Record the request in the conf, as acme.sh does before contacting the CA: `--issue`
/// records its settings; a renewal records only what it can change (`--server` moves the
/// lineage to another CA for good, `--days` replaces the saved value, and the order options
/// read from the conf lose must-staple at Let's Encrypt).
fn record_request(record: &mut DomainRecord, request: &Request, ca: &Ca) {
    record.set_order_options(&request.order);
    if let Kind::Issue(given) = &request.kind {
        let alt: Vec<&str> = request.names[1..]
            .iter()
            .map(|(id, _)| id.value())
            .collect();
        record.set_names(&request.main, &alt);
        record.set_modes(&typed_modes(request));
        record.set_hooks(&given.hooks);
        record.set_issuing_api(&ca.server, &ca.server);
        record.set_fallback_servers(&given.fallbacks);
        record.set_http_port(request.listen.port);
        record.set_tls_port(request.listen.tls_port);
        record.set_local_addresses(&request.listen.addresses);
        record.set_listen_family(request.listen.family);
        // A CSR's key length as acme.sh's `signcsr` saves it (openssl's curve name).
        record.set_key_length(&match given.csr {
            Some(_) => request.key_type.as_openssl(),
            None => request.key_type.as_acmesh(),
        });
        record.set_renewal_days(request.days);
        record.set_dns_sleep(request.dns.sleep);
        record.set_challenge_aliases(&request.dns.aliases);
        record.set_dns_resolver(request.dns.resolver);
        // acme.sh's install keys come last (its `--install-cert` runs after the issue).
        if !given.install.is_empty() {
            record.set_install(&given.install);
        }
    } else {
        // A renewal starts again at the lineage's own CA (docs/failover.md).
        record.set_issuing_api(&ca.server, &ca.server);
        if request.days.is_some() {
            record.set_renewal_days(request.days);
        }
    }
}

/// The modes as acme.sh saves them in `Le_Webroot`: one per name, without the repeats at
/// the end that the last entry implies.
fn typed_modes(request: &Request) -> Vec<Mode> {
    let mut modes: Vec<Mode> = request.names.iter().map(|(_, m)| m.clone()).collect();
    while modes.len() > 1 && modes[modes.len() - 1] == modes[modes.len() - 2] {
        modes.pop();
    }
    modes
}

/// Not due: finish an install or deploy a crash or a failure left pending, and say so.
async fn skip(
    session: &Session,
    lineage: &Lineage,
    record: &mut DomainRecord,
    request: &Request,
    limits: &Limits,
    next: &str,
    progress: &dyn Progress,
) -> Result<Outcome, Error> {
    let pending = record.install_pending() || record.deploy_pending();
    if record.install_pending() && session.installs {
        install_and_reload(lineage, record, limits.hook, progress).await?;
    }
    if record.deploy_pending() {
        progress.info(&format_args!(
            "Deploying {} (left pending by an earlier run)",
            lineage.domain
        ));
        deploy::run_hooks(session, lineage, record, limits.hook, progress).await?;
        record.save(&lineage.conf())?;
    }
    // A next key a `--force` run staged before it was stopped, with no order saved (else the
    // lineage would not be skipped): nothing will use it.
    crate::store::file::remove(&lineage.next_key())?;
    // The failure that left them pending is over.
    if pending && record.clear_failure() {
        record.save(&lineage.conf())?;
    }
    // acme.sh's `issue` says this instead of the usual lines.
    if let Some(end) = record.order_options().valid_to
        && super::validity::is_fixed_end(&end)
    {
        super::validity::tell_fixed_end(progress, "to", &end);
        return Ok(Outcome::Skipped);
    }
    if !request.is_renewal() {
        progress.info(&"Domains not changed.");
    }
    progress.info(&format_args!("Skipping. Next renewal time is: {next}"));
    progress.info(&"Add '--force' to force renewal.");
    Ok(Outcome::Skipped)
}

/// What existed before a lineage's first issuance, so a failed one can remove what it made.
#[derive(Clone, Copy, Debug)]
struct First {
    dir_existed: bool,
    key_existed: bool,
}

impl First {
    /// Looked at before the folder is created; it matters only when no conf existed either.
    fn before(lineage: &Lineage) -> Self {
        let exists = |p: &std::path::Path| std::fs::symlink_metadata(p).is_ok();
        Self {
            dir_existed: exists(&lineage.dir),
            key_existed: exists(&lineage.key()),
        }
    }

    /// Remove what the failed first issuance created: the whole folder when it made it, else
    /// the conf, the lock file, and a key it generated. A key that was there before (acme.sh's
    /// `--create-domain-key`) stays.
    fn undo(self, lineage: &Lineage, progress: &dyn Progress) {
        let removed = if self.dir_existed {
            let mut files = vec![lineage.conf(), lineage.dir.join(lock::LOCK_FILE)];
            if !self.key_existed {
                files.push(lineage.key());
            }
            files
                .iter()
                .try_for_each(|f| crate::store::file::remove(f).map_err(|e| one_line(&e)))
        } else {
            std::fs::remove_dir_all(&lineage.dir).map_err(|e| e.to_string())
        };
        match removed {
            Ok(()) => progress.info(&format_args!(
                "Removed what the failed first issuance of {} created in {}",
                lineage.domain,
                lineage.dir.display()
            )),
            Err(e) => progress.warn(&format_args!(
                "warning: cannot remove what the failed first issuance created in {}: {e}",
                lineage.dir.display()
            )),
        }
    }
}

/// Take the lineage's lock: at once or not at all in cron; else wait up to the lock limit.
/// `None` (skip) when another process keeps it, or finished this lineage while we waited
/// (two `--renew --force` at once make one order).
async fn lock_lineage(
    session: &Session,
    lineage: &Lineage,
    limits: &Limits,
    progress: &dyn Progress,
) -> Result<Option<lock::Lock>, Error> {
    if let Some(held) = lock::try_lock(&lineage.dir)? {
        return Ok(Some(held));
    }
    // The certificate URL changes with every issuance (the time only by the second).
    let created = || -> Result<_, Error> {
        Ok(DomainRecord::load(&lineage.conf())?.map(|r| (r.order().cert, r.cert_create_time())))
    };
    let before = created()?;
    if !session.cron && !limits.lock.is_zero() {
        progress.info(&format_args!(
            "Another acmers process is working on {}; waiting up to {} s",
            lineage.domain,
            limits.lock.as_secs()
        ));
        let waited = session
            .interrupt
            .guard(async { Ok::<_, Error>(lock::lock(&lineage.dir, limits.lock).await?) });
        if let Some(held) = waited.await? {
            if created()? == before {
                return Ok(Some(held));
            }
            progress.info(&format_args!(
                "Skipping {}: another acmers process renewed it meanwhile.",
                lineage.domain
            ));
            return Ok(None);
        }
    }
    progress.info(&format_args!(
        "Skipping {}: another acmers process is working on it (lock `{}`).",
        lineage.domain,
        lineage.dir.join(lock::LOCK_FILE).display()
    ));
    Ok(None)
}

/// Keep the failure in the conf (`--list --json` shows it) with when the next attempt is
/// allowed ([`renew::next_attempt`]: the backoff, the CA's `Retry-After`, the certificate's
/// lifetime); the run's outcome does not depend on this succeeding.
fn record_failure(lineage: &Lineage, error: &Error, progress: &dyn Progress) {
    let now = renew::now();
    let retry_after = match error.acme() {
        Some(crate::acme::Error::Api { retry_after, .. }) => *retry_after,
        _ => None,
    };
    let validity = crate::store::file::read(&lineage.cer(), crate::acme::http::MAX_BODY as u64)
        .ok()
        .flatten()
        .and_then(|file| crate::cert::read_leaf(&file.bytes).ok())
        .map(|leaf| (leaf.not_before, leaf.not_after));
    let saved = (|| {
        let mut record = DomainRecord::load(&lineage.conf())?.unwrap_or_default();
        let attempts = record.failed_attempts().saturating_add(1);
        let next = renew::next_attempt(now, attempts, retry_after, validity);
        record.set_last_error(&one_line(error), now);
        record.set_backoff(next, attempts);
        record.save(&lineage.conf())?;
        Ok::<_, crate::store::Error>(next)
    })();
    match saved {
        Ok(next) => progress.info(&format_args!(
            "The next attempt for {} is allowed at {}",
            lineage.domain,
            time_str(next)
        )),
        Err(e) => progress.warn(&format_args!("warning: cannot record the failure: {e}")),
    }
}
