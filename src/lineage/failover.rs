//! CA failover (docs/failover.md): when the lineage's CA fails in a way retrying will not fix
//! soon, the certificate is obtained from the next CA of [`Ca::fallbacks`], in order, with
//! the account this home has (or registers) there.
//!
//! The conf records the CA of the certificate in `Le_API`, as acme.sh reads it (its `renew`
//! and `revoke` use that CA), and the lineage's own CA in `Acmers_PrimaryAPI` while the
//! certificate comes from a fallback; the next renewal starts again with the primary.

use super::obtain::obtain;
use super::session::Session;
use super::{Ca, Error, Limits, Progress, Request, one_line, warn_error};
use crate::acme;
use crate::store::Lineage;
use crate::store::record::DomainRecord;

/// Obtain the certificate at `ca`, then at each of its fallbacks in turn while the failure
/// is one another CA can avoid ([`fails_over`]). `pending` is the order saved at `ca`.
/// Returns the CA that issued it. When every CA tried failed, the conf is put back as the
/// primary's attempt left it (`Le_API`, and its order for the next run to resume).
///
/// # Errors
///
/// The failure that ended the attempts (the last CA's, or one no failover helps with);
/// when more than one CA was tried, every CA's failure is shown first.
pub(super) async fn obtain_with_failover<'c>(
    session: &Session,
    (request, ca, limits): (&Request, &'c Ca, &Limits),
    lineage: &Lineage,
    record: &mut DomainRecord,
    pending: Option<String>,
    progress: &dyn Progress,
) -> Result<&'c Ca, Error> {
    let mut failures: Vec<(&str, String)> = Vec::new();
    let mut pending = pending;
    let mut primary_left: Option<DomainRecord> = None;
    let (mut this, mut rest) = (ca, ca.fallbacks.iter());
    loop {
        let attempt = obtain(
            session,
            (request, this, limits),
            lineage,
            record,
            pending.take(),
            progress,
        )
        .await;
        let error = match attempt {
            Ok(()) => return Ok(this),
            Err(error) => error,
        };
        let why = one_line(&error);
        let Some(next) = rest.next().filter(|_| fails_over(&error)) else {
            if let Some(left) = primary_left {
                *record = left;
                if let Err(e) = record.save(&lineage.conf()) {
                    warn_error(progress, &e);
                }
                failures.push((&this.server, why));
                progress.warn(&format_args!("Every CA tried failed ({}):", failures.len()));
                for (server, why) in &failures {
                    progress.warn(&format_args!("  {server}: {why}"));
                }
            }
            return Err(error);
        };
        progress.warn(&format_args!(
            "The CA {} failed: {why}; trying the next CA: {}",
            this.server, next.server
        ));
        failures.push((&this.server, why));
        primary_left.get_or_insert_with(|| record.clone());
        // From here the lineage's certificate is the fallback's: acme.sh reads `Le_API` as
        // the CA of the certificate, and a renewal starts again at `Acmers_PrimaryAPI`.
        record.set_issuing_api(&next.server, &ca.server);
        record.save(&lineage.conf())?;
        this = next;
    }
}

/// Whether another CA may succeed where this one failed: the CA did not finish in time (an
/// order still `processing`, an authorization still `pending` after our answer), refused
/// with a rate limit it would not lift within the run (a 429 the client did not wait out),
/// kept failing (5xx after the bounded retries, nonces rejected without end, answers that
/// are no ACME, a body over the cap or a refused redirect) or could not be reached. Not our
/// own failures: a validation the CA judged (the webroot not served, a DNS record missing),
/// a refused order, CSR or account, a DNS provider, hook, key or file error, or a signal.
pub(super) fn fails_over(error: &Error) -> bool {
    let Some(error) = error.acme() else {
        return false;
    };
    match error {
        acme::Error::Timeout { .. }
        | acme::Error::Transport { .. }
        | acme::Error::Unreachable(_)
        | acme::Error::BadNonceExhausted { .. }
        | acme::Error::NoNonce { .. }
        | acme::Error::NotADirectory { .. }
        | acme::Error::BadResponse { .. } => true,
        acme::Error::Api {
            status, problem, ..
        } => *status == 429 || *status >= 500 || problem.is("rateLimited"),
        _ => false,
    }
}

#[cfg(test)]
#[path = "failover_tests.rs"]
mod tests;
