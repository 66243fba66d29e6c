//! ACME Renewal Information (RFC 9773; docs/ari.md) for one lineage: its certificate's CertID,
//! the renewal window asked from the CA and saved in the conf with the time chosen in it and
//! the next check time, and `replaces` for the order that renews it.
//!
//! Nothing here fails a lineage: a window that cannot be had leaves the saved state (or the
//! lifetime rule) in charge until the next check.

use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use tracing::debug;

use super::Progress;
use super::session::Session;
use crate::acme::ari::cert_id;
use crate::renew;
use crate::store::record::{DomainRecord, time_str};
use crate::store::trust::Policy;
use crate::store::{Lineage, lock};

/// The ARI CertID of the lineage's current certificate (`<d>.cer`), when it can be read and
/// names its issuer's key (Authority Key Identifier).
pub(super) fn current_cert_id(lineage: &Lineage) -> Option<String> {
    let file = crate::store::file::read(&lineage.cer(), crate::acme::http::MAX_BODY as u64)
        .ok()
        .flatten()?;
    let leaf = crate::cert::read_leaf(&file.bytes).ok()?;
    Some(cert_id(leaf.authority_key_id.as_deref()?, &leaf.serial))
}

/// Ask the CA at `server` for the renewal window of the lineage's certificate, and record in
/// `record` (saved to the conf) the window, the time chosen in it (kept while the window stays
/// the same) and the next check time. The caller holds the lineage lock. Never fails: a conf
/// that cannot be saved is a warning (the next run asks again).
pub(super) async fn refresh(
    session: &Session,
    server: &str,
    lineage: &Lineage,
    record: &mut DomainRecord,
    progress: &dyn Progress,
) {
    let now = jiff::Timestamp::now().as_second();
    let next = match fetch(session, server, lineage).await {
        Ok(info) => {
            let window = (info.start, info.end);
            let saved = record.ari_window().zip(record.ari_renew_at());
            let at = renew::ari_renew_at(window, saved, random());
            if saved.is_none_or(|(w, _)| w != window) {
                progress.info(&format_args!(
                    "ARI suggestedWindow: {} to {}",
                    time_str(info.start),
                    time_str(info.end)
                ));
                progress.info(&format_args!(
                    "Next renewal time picked from ARI window: {}",
                    time_str(at)
                ));
            }
            record.set_ari_window(window, at, info.explanation_url.as_deref());
            renew::ari_next_check(now, info.retry_after)
        }
        Err(NoWindow::Failed(why)) => {
            let next = renew::ari_next_check(now, None);
            progress.info(&format_args!(
                "No renewal window for {} ({why}); next check at {}",
                lineage.domain,
                time_str(next)
            ));
            next
        }
        Err(NoWindow::Unsupported(why)) => {
            debug!(why, "no renewal window to ask for");
            now.saturating_add(renew::ARI_UNSUPPORTED_CHECK)
        }
    };
    record.set_ari_next_check(next);
    // Off the run's one thread: the checks of a pass overlap their fsyncs.
    let (conf, path) = (record.clone(), lineage.conf());
    match tokio::task::spawn_blocking(move || conf.save(&path)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => super::warn_error(progress, &e),
        Err(e) => super::warn_error(progress, &e),
    }
}

/// Why there is no renewal window.
enum NoWindow {
    /// Nothing to ask (the CA has no `renewalInfo`, the certificate cannot be named): asked
    /// again after [`renew::ARI_UNSUPPORTED_CHECK`], quietly.
    Unsupported(&'static str),
    /// The CA could not be asked or gave no window: asked again at the default interval.
    Failed(String),
}

/// The renewal window from the CA, or why there is none.
async fn fetch(
    session: &Session,
    server: &str,
    lineage: &Lineage,
) -> Result<crate::acme::ari::RenewalInfo, NoWindow> {
    let id = current_cert_id(lineage).ok_or(NoWindow::Unsupported(
        "the certificate cannot be read or has no authority key identifier",
    ))?;
    let failed = |e: &dyn std::error::Error| NoWindow::Failed(super::one_line(e));
    let client = session.client(server).await.map_err(|e| failed(&e))?;
    if client.directory().renewal_info.is_none() {
        return Err(NoWindow::Unsupported("the CA has no renewalInfo"));
    }
    client.renewal_info(&id).await.map_err(|e| failed(&e))
}

/// A uniformly random number (0 when the system has none to give: the window's start).
fn random() -> u64 {
    let mut bytes = [0; 8];
    match SystemRandom::new().fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => 0,
    }
}

/// The fleet pass's ARI check of a lineage that is not due by its record (docs/ari.md): under
/// the lineage lock, ask the CA at `server` for its window and save it. `Ok(None)` when another
/// process holds the lineage (it is left to that one).
///
/// # Errors
///
/// The folder is not trusted, or the lock or the conf cannot be had.
pub async fn check_renewal_window(
    session: &Session,
    server: &str,
    lineage: &Lineage,
    progress: &dyn Progress,
) -> Result<Option<DomainRecord>, super::Error> {
    Policy::current().check_dir(&lineage.dir)?;
    let Some(_lock) = lock::try_lock(&lineage.dir)? else {
        return Ok(None);
    };
    let Some(mut record) = DomainRecord::load_trusted(&lineage.conf(), Policy::current())? else {
        return Ok(None);
    };
    refresh(session, server, lineage, &mut record, progress).await;
    Ok(Some(record))
}
