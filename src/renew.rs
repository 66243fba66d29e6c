//! When a certificate is due for renewal. Pure: every function takes the time it needs.
//!
//! - With `--days N` (saved as `Le_RenewalDays`) acme.sh's rule: positive N renews N days
//!   after issuance minus one day; negative N renews |N| days before notAfter.
//! - Without it, acmers is lifetime-aware instead of acme.sh's fixed 30 days: renew at 2/3 of
//!   the certificate's real lifetime (1/2 when it is shorter than 10 days), so 6-day and
//!   45-day certificates renew in time (a documented difference from acme.sh).

/// Seconds in a day.
pub const DAY: i64 = 86_400;

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

/// Whether a lineage is due: `--force`, no saved time, or now ≥ `Le_NextRenewTime`.
pub fn is_due(now: i64, next_renew_time: Option<i64>, force: bool) -> bool {
    force || next_renew_time.is_none_or(|next| now >= next)
}

/// acme.sh's `Le_*TimeStr` form: `YYYY-MM-DDTHH:MM:SSZ` in UTC.
pub fn time_str(unix: i64) -> String {
    jiff::Timestamp::from_second(unix)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_795_898_536; // 2026-11-28T20:42:16Z, fixture a.example.test

    #[test]
    fn acmesh_days_rules() {
        // Fixture b.example.test: --days 20 → 19 days after creation.
        assert_eq!(
            next_renew_time(T0, T0, T0 + 90 * DAY, Some(20)),
            T0 + 19 * DAY
        );
        assert_eq!(
            next_renew_time(T0, T0, T0 + 90 * DAY, Some(30)),
            T0 + 29 * DAY
        );
        assert_eq!(
            next_renew_time(T0, T0, T0 + 90 * DAY, Some(-10)),
            T0 + 80 * DAY
        );
    }

    #[test]
    fn lifetime_aware_default() {
        assert_eq!(next_renew_time(T0, T0, T0 + 90 * DAY, None), T0 + 60 * DAY);
        assert_eq!(next_renew_time(T0, T0, T0 + 45 * DAY, None), T0 + 30 * DAY);
        assert_eq!(next_renew_time(T0, T0, T0 + 6 * DAY, None), T0 + 3 * DAY);
        // Backdated notBefore (Let's Encrypt backdates by an hour) counts from notBefore.
        assert_eq!(
            next_renew_time(T0, T0 - 3600, T0 - 3600 + 90 * DAY, None),
            T0 - 3600 + 60 * DAY
        );
    }

    #[test]
    fn due() {
        assert!(is_due(T0, None, false));
        assert!(is_due(T0, Some(T0), false));
        assert!(!is_due(T0, Some(T0 + 1), false));
        assert!(is_due(T0, Some(T0 + 1), true));
    }

    #[test]
    fn time_strings_match_acmesh() {
        assert_eq!(time_str(T0), "2026-11-28T20:42:16Z");
        assert_eq!(time_str(1_798_404_136), "2026-12-27T20:42:16Z");
    }
}
