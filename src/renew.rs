//! When a certificate is due for renewal: the one decision every command takes for a lineage
//! ([`decide`]), and the next renewal time. Pure: every function takes the time it needs.
//!
//! - With `--days N` (saved as `Le_RenewalDays`) acme.sh's rule: positive N renews N days
//!   after issuance minus one day; negative N renews |N| days before notAfter.
//! - Without it, acmers is lifetime-aware instead of acme.sh's fixed 30 days: renew at 2/3 of
//!   the certificate's real lifetime (1/2 when it is shorter than 10 days), so 6-day and
//!   45-day certificates renew in time (a documented difference from acme.sh).

use crate::store::record::DomainRecord;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

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
}

/// The renewal decision for `record` at `now` (unix seconds). A pending order is resumed
/// first, then a pending install is finished; `force` renews anything issued.
pub fn decide(now: i64, record: &DomainRecord, force: bool) -> Decision {
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
    match record.next_renew_time() {
        Some(at) if now < at => {
            if record.install_pending() || record.deploy_pending() {
                return Decision::Finish(Unfinished::Install);
            }
            Decision::Skip {
                at,
                at_str: record.next_renew_time_str(),
            }
        }
        _ => Decision::Renew(Because::Due),
    }
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
