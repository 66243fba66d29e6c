//! When a certificate is due for renewal: the one decision every command takes for a lineage
//! ([`decide`]), and the next renewal time. Pure: every function takes the time it needs.
//!
//! - With `--days N` (saved as `Le_RenewalDays`) acme.sh's rule: positive N renews N days
//!   after issuance minus one day; negative N renews |N| days before notAfter.
//! - Without it, acmers is lifetime-aware instead of acme.sh's fixed 30 days: renew at 2/3 of
//!   the certificate's real lifetime (1/2 when it is shorter than 10 days), so 6-day and
//!   45-day certificates renew in time (a documented difference from acme.sh).
//! - With ARI (RFC 9773; docs/ari.md) the CA's renewal window rules: a lineage whose saved
//!   window has a chosen time renews at that time, whatever the rules above say; they apply
//!   while no window is known.
//! - After a failure the lineage waits before the next attempt ([`next_attempt`]: 1 min,
//!   10 min, 100 min, then daily, or the CA's `Retry-After` when later; at most hourly in the
//!   last tenth of the certificate's lifetime). The fleet pass honours that wait; `--force`
//!   and a user's own `--renew` or `--issue` do not (docs/renewal.md, "Backoff").

use std::time::Duration;

use crate::store::record::{DomainRecord, time_str};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// The ARI check interval when the CA gives no `Retry-After`, and after a failed check.
pub const ARI_DEFAULT_CHECK: i64 = 6 * 3600;
/// The shortest ARI check interval: a smaller `Retry-After` waits this long.
pub const ARI_MIN_CHECK: i64 = 3600;
/// The longest ARI check interval: a larger `Retry-After` waits this long (RFC 9773 §4.3).
pub const ARI_MAX_CHECK: i64 = DAY;
/// The next ARI check when there is nothing to ask: the CA has no `renewalInfo`, or the
/// certificate has no Authority Key Identifier to name it by.
pub const ARI_UNSUPPORTED_CHECK: i64 = 7 * DAY;

/// The waits after the first, second and third failed attempt in a row (seconds); every
/// later failure waits [`DAY`].
pub const BACKOFF: [i64; 3] = [60, 600, 6000];
/// The longest wait after a failure in the last tenth of a certificate's lifetime.
pub const NEAR_EXPIRY_RETRY: i64 = 3600;

/// The environment variable that shifts the clock of [`now`] by a number of seconds, so a
/// test or benchmark can run a pass "as if" hours or days later (docs/testing.md). Read only
/// when set; not a user setting.
pub const CLOCK_SHIFT_VAR: &str = "ACMERS_TEST_CLOCK_SHIFT";

/// The time (unix seconds) every renewal decision is given: the system clock, shifted by
/// [`CLOCK_SHIFT_VAR`] when that is set to a number of seconds.
pub fn now() -> i64 {
    let shift = std::env::var_os(CLOCK_SHIFT_VAR)
        .and_then(|v| v.to_str()?.trim().parse::<i64>().ok())
        .unwrap_or(0);
    jiff::Timestamp::now().as_second().saturating_add(shift)
}

/// When the next attempt is allowed after the `attempts`-th failure in a row at `now`: the
/// [`BACKOFF`] schedule, then daily; no later than the start of the last tenth of the
/// certificate's lifetime (`validity`: notBefore, notAfter) and at most
/// [`NEAR_EXPIRY_RETRY`] apart within it; the CA's `Retry-After` when that is later (a CA
/// that says when to come back is not asked before).
pub fn next_attempt(
    now: i64,
    attempts: u32,
    retry_after: Option<Duration>,
    validity: Option<(i64, i64)>,
) -> i64 {
    let step = usize::try_from(attempts.saturating_sub(1)).unwrap_or(usize::MAX);
    let mut wait = BACKOFF.get(step).copied().unwrap_or(DAY);
    if let Some((not_before, not_after)) = validity {
        let last_tenth = not_after - (not_after - not_before).max(0) / 10;
        wait = wait.min(last_tenth.saturating_sub(now).max(NEAR_EXPIRY_RETRY));
    }
    let asked = retry_after.map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    now.saturating_add(wait.max(asked))
}

/// What a lineage needs, judged from its record at a given time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Its first issuance never finished (no `Le_CertCreateTime`): `--issue` and `--renew -d`
    /// finish it, `--renew-all` and `--cron` skip it (acme.sh's cron rule; docs/renewal.md).
    NeverIssued,
    /// An earlier run left work behind; finish it whether or not the lineage is due.
    Finish(Unfinished),
    /// Due: renew now.
    Renew(Because),
    /// Due (or an order to finish), but an earlier attempt failed and the next one is not
    /// allowed before `at` (unix seconds); `attempts` failed in a row. Only the fleet pass
    /// asks for this ([`decide`]'s `backoff`).
    BackedOff {
        /// `Acmers_NextAttempt`.
        at: i64,
        /// `Acmers_FailedAttempts`.
        attempts: u32,
    },
    /// Not due until `at` (unix seconds; `at_str` as saved). The caller still renews a
    /// lineage whose files are damaged (a check that needs the files, not the record).
    Skip {
        /// `Le_NextRenewTime`.
        at: i64,
        /// `Le_NextRenewTimeStr`.
        at_str: String,
    },
}

/// Work an earlier run left unfinished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unfinished {
    /// A saved order at the lineage's CA, to resume.
    Order(String),
    /// A new certificate whose install targets, reload command or deploy hooks are still to
    /// be done.
    Install,
}

/// Why a lineage is renewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Because {
    /// `--force`.
    Forced,
    /// `Le_NextRenewTime` has passed (or is missing).
    Due,
    /// The time chosen in the CA's renewal window (ARI) has passed.
    RenewalWindow,
}

/// The renewal decision for `record` at `now` (unix seconds). A pending order is resumed
/// first, then a pending install is finished; `force` renews anything issued. With `ari`
/// (`NO_ARI` unset) a saved renewal window's chosen time replaces `Le_NextRenewTime`. With
/// `backoff` (the fleet pass) a lineage whose next attempt after a failure has not come is
/// [`Decision::BackedOff`] instead of renewed or resumed, unless `force`.
pub fn decide(now: i64, record: &DomainRecord, force: bool, ari: bool, backoff: bool) -> Decision {
    let decision = decide_due(now, record, force, ari);
    let contacts_ca = matches!(
        decision,
        Decision::Finish(Unfinished::Order(_))
            | Decision::Renew(Because::Due | Because::RenewalWindow)
    );
    match record.backoff() {
        Some((at, attempts)) if backoff && !force && contacts_ca && now < at => {
            Decision::BackedOff { at, attempts }
        }
        _ => decision,
    }
}

/// [`decide`] without the backoff.
fn decide_due(now: i64, record: &DomainRecord, force: bool, ari: bool) -> Decision {
    if !record.is_issued() {
        return Decision::NeverIssued;
    }
    if let Some(order) = record
        .api()
        .and_then(|server| record.pending_order(&server))
    {
        return Decision::Finish(Unfinished::Order(order));
    }
    if force {
        return Decision::Renew(Because::Forced);
    }
    let (at, because) = match record.ari_renew_at().filter(|_| ari) {
        Some(at) => (Some(at), Because::RenewalWindow),
        None => (record.next_renew_time(), Because::Due),
    };
    match at {
        Some(at) if now < at => {
            if record.install_pending() || record.deploy_pending() {
                return Decision::Finish(Unfinished::Install);
            }
            Decision::Skip {
                at,
                at_str: match because {
                    Because::RenewalWindow => time_str(at),
                    _ => record.next_renew_time_str(),
                },
            }
        }
        _ => Decision::Renew(because),
    }
}

/// The earliest time (unix seconds) at which the fleet pass may have work for `record`: the
/// first time [`decide`] (with the backoff) could ask for a renewal, a resumed order or a
/// pending deploy, or (`ari`) the renewal window is to be asked for. `None` for a lineage
/// never issued, which no pass touches. The fleet store keeps it in an index, so a pass finds
/// the lineages that need it with one query (docs/fleet.md).
///
/// The window is asked for on its own only while the lineage is not due and has no order to
/// finish (the pass's rule); from the renewal time on it is asked for with the renewal, so
/// it waits for the backoff as the renewal does.
pub fn next_due(record: &DomainRecord, ari: bool) -> Option<i64> {
    if !record.is_issued() {
        return None;
    }
    let pending = record
        .api()
        .and_then(|server| record.pending_order(&server))
        .is_some();
    let renew_at = (record.ari_renew_at().filter(|_| ari)).or_else(|| record.next_renew_time());
    let due = if pending { 0 } else { renew_at.unwrap_or(0) };
    let work = due.max(record.backoff().map_or(0, |(at, _)| at));
    let check = match record.ari_next_check().unwrap_or(0) {
        at if ari && !pending && at < due => at,
        _ => i64::MAX,
    };
    let deploy = if record.deploy_pending() { 0 } else { i64::MAX };
    Some(work.min(check).min(deploy).max(0))
}

/// Whether an issued lineage's renewal window is to be asked for at `now`: never asked, or
/// its next check time has come.
pub fn ari_check_due(now: i64, record: &DomainRecord) -> bool {
    record.is_issued() && record.ari_next_check().is_none_or(|at| now >= at)
}

/// The time to renew in `window` (start, end; end after start): the saved choice when the
/// window is the saved one, else `random` mapped uniformly into the window (RFC 9773 §4.2).
pub fn ari_renew_at(window: (i64, i64), saved: Option<((i64, i64), i64)>, random: u64) -> i64 {
    match saved {
        Some((w, at)) if w == window && (window.0..window.1).contains(&at) => at,
        _ => {
            let (start, end) = window;
            let span = u64::try_from(end.saturating_sub(start)).unwrap_or(1).max(1);
            start.saturating_add(i64::try_from(random % span).unwrap_or(0))
        }
    }
}

/// The next ARI check after one at `now`: the CA's `Retry-After` bounded to
/// [`ARI_MIN_CHECK`]..=[`ARI_MAX_CHECK`], else [`ARI_DEFAULT_CHECK`].
pub fn ari_next_check(now: i64, retry_after: Option<Duration>) -> i64 {
    let wait = retry_after.map_or(ARI_DEFAULT_CHECK, |d| {
        i64::try_from(d.as_secs())
            .unwrap_or(i64::MAX)
            .clamp(ARI_MIN_CHECK, ARI_MAX_CHECK)
    });
    now.saturating_add(wait)
}

/// The next renewal time (unix seconds) of a certificate created at `created` with validity
/// `not_before`..`not_after`.
pub fn next_renew_time(created: i64, not_before: i64, not_after: i64, days: Option<i64>) -> i64 {
    match days {
        Some(d) if d < 0 => not_after.saturating_add(d.saturating_mul(DAY)),
        Some(d) => created.saturating_add(d.saturating_mul(DAY)) - DAY,
        None => {
            let lifetime = (not_after - not_before).max(0);
            let elapsed = if lifetime < 10 * DAY {
                lifetime / 2
            } else {
                lifetime / 3 * 2
            };
            not_before.saturating_add(elapsed)
        }
    }
}

#[cfg(test)]
#[path = "renew_tests.rs"]
mod tests;
