//! `--valid-from` / `--valid-to`: the `notBefore` / `notAfter` of a newOrder (RFC 8555 §7.4),
//! from a time or acme.sh's relative `+Nd` / `+Nh` (acme.sh's `_convertValidaty`), and the
//! renewal time of a certificate that asked for its end (acme.sh's `issue`).

use super::Progress;
use crate::acme::text::sanitize;
use crate::store::record::time_str;

/// Seconds in an hour and in a day.
const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;

/// Why a validity option cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ValidityError {
    /// Neither a time nor `+Nd` / `+Nh`.
    #[error(
        "`{value}` is not a validity time: use a UTC time (2030-01-31T00:00:00Z, 2030-01-31) or \
         `+Nd` / `+Nh`"
    )]
    Format {
        /// The value (sanitized).
        value: String,
    },
    /// A time that has passed (acme.sh: "The validity end date is in the past").
    #[error("the validity time `{value}` is in the past")]
    Past {
        /// The value (sanitized).
        value: String,
    },
}

/// The validity asked of one order, unix seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Window {
    /// `notBefore`: `None` when not asked, or when the asked start is already here.
    pub not_before: Option<i64>,
    /// `notAfter`, when asked.
    pub not_after: Option<i64>,
}

impl Window {
    /// `notBefore` and `notAfter` as the newOrder sends them (`YYYY-MM-DDTHH:MM:SSZ`).
    pub fn rfc3339(&self) -> (Option<String>, Option<String>) {
        (self.not_before.map(time_str), self.not_after.map(time_str))
    }
}

/// The window of `--valid-from` / `--valid-to` at `now`: a relative start counts from now,
/// a relative end from the start (or now); a time that has passed is refused, and a start
/// that has come is left out (acme.sh's `issue`).
///
/// # Errors
///
/// [`ValidityError`] for a value that is not a time or has passed.
pub fn window(from: Option<&str>, to: Option<&str>, now: i64) -> Result<Window, ValidityError> {
    let not_before = from
        .map(|from| convert(now, from, now))
        .transpose()?
        .filter(|start| *start >= now);
    let not_after = to
        .map(|to| convert(not_before.unwrap_or(now), to, now))
        .transpose()?;
    Ok(Window {
        not_before,
        not_after,
    })
}

/// Whether `--valid-to` is a fixed time: such a certificate is not renewed before its end
/// (acme.sh: "It cannot be renewed automatically").
pub(super) fn is_fixed_end(valid_to: &str) -> bool {
    !valid_to.starts_with('+')
}

/// acme.sh's lines about a certificate with a fixed end: `how` is `until` after an issuance,
/// `to` when a run skips it.
pub(super) fn tell_fixed_end(progress: &dyn Progress, how: &str, valid_to: &str) {
    progress.info(&format_args!(
        "The domain is set to be valid {how}: {valid_to}"
    ));
    progress.info(&"It cannot be renewed automatically");
    progress.info(&"See: https://github.com/acmesh-official/acme.sh/wiki/Validity");
}

/// The renewal time of a certificate whose order asked for `not_after` (acme.sh's `issue`):
/// a fixed end renews at that end; a relative one a day before it, or an hour before when
/// less than a day is left.
pub(super) fn next_renew_time(now: i64, not_after: i64, valid_to: &str) -> i64 {
    if is_fixed_end(valid_to) {
        not_after
    } else if not_after - now > DAY {
        not_after - DAY
    } else {
        not_after - HOUR
    }
}

/// One value: `+N` hours or days after `begin`, or a time not before `now`.
fn convert(begin: i64, value: &str, now: i64) -> Result<i64, ValidityError> {
    let format = || ValidityError::Format {
        value: sanitize(value),
    };
    if let Some(relative) = value.strip_prefix('+') {
        let (count, unit) = match relative.split_at(relative.len().saturating_sub(1)) {
            (count, "h") => (count, HOUR),
            (count, "d") => (count, DAY),
            _ => return Err(format()),
        };
        if count.is_empty() || !count.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format());
        }
        let count: i64 = count.parse().map_err(|_| format())?;
        return count
            .checked_mul(unit)
            .and_then(|span| begin.checked_add(span))
            .ok_or_else(format);
    }
    let time = parse_time(value).ok_or_else(format)?;
    if now > time {
        return Err(ValidityError::Past {
            value: sanitize(value),
        });
    }
    Ok(time)
}

/// An RFC 3339 time, or a date or date and time without an offset, read as UTC (acme.sh
/// hands these to `date -u -d`).
fn parse_time(value: &str) -> Option<i64> {
    if let Ok(t) = value.parse::<jiff::Timestamp>() {
        return Some(t.as_second());
    }
    let civil = value
        .trim_end_matches('Z')
        .parse::<jiff::civil::DateTime>()
        .ok()?;
    civil
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp().as_second())
}

#[cfg(test)]
#[path = "validity_tests.rs"]
mod tests;
