//! The one bounded poller, used for both waits of an issuance: an authorization being
//! validated and an order being `processing` after finalize.
//!
//! The rules (RFC 8555 §7.5.1, §8.2; docs/architecture.md, "Waiting"):
//! - the state in the response to the action itself is checked first (no sleep when the
//!   CA already answered `valid`);
//! - the first re-poll waits in proportion to the CA's distance: twice the time the request
//!   that returned the first `pending`/`processing` took (the challenge response or the
//!   finalize), at least 5 ms and at most 1 s. A CA 100 ms away is re-polled after ~200 ms,
//!   one on loopback after ~5 ms;
//! - then the step doubles per poll, capped at 10 s, and is never shorter than twice the time
//!   the latest poll took (at most 1 s), so a CA that slows down is not polled faster than it
//!   answers; every step gets ±20 % jitter. The doubling bounds the number of polls whatever
//!   the distance: a loopback CA still pending after a second has been polled 7 times, not 200;
//! - a `Retry-After` replaces the backoff step (no jitter: never earlier than the CA asked),
//!   but never shortens it: a value below the current step (`0`, an HTTP-date in the past) is
//!   raised to the step, so a CA cannot make acmers poll faster than its own schedule;
//! - the hard deadline is checked *before* each sleep, whatever the CA sent, and no sleep runs
//!   past it: a step is shortened to end at the deadline (one last poll there), while a
//!   `Retry-After` that lands past the deadline ends the wait at once;
//! - at the deadline the caller gets [`Expired`] with the last status seen.
//!
//! Time is `tokio::time`, so the whole thing runs under `tokio::time::pause()` in tests; the
//! durations of the requests come with the answers ([`Check::Wait::took`]), measured by the
//! protocol client on the same clock.

use std::future::Future;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

/// How to wait.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PollPolicy {
    /// Hard limit for the whole wait.
    pub timeout: Duration,
    /// A step is at least this many times the duration of the request whose answer it
    /// follows: the CA's distance sets the pace.
    pub distance_factor: u32,
    /// Shortest step the distance gives (the first re-poll of a loopback CA).
    pub min_first: Duration,
    /// Longest step the distance gives (the first re-poll of a CA that answers slowly).
    pub max_first: Duration,
    /// Growth factor of the backoff from one poll to the next.
    pub factor: u32,
    /// Largest backoff step.
    pub max: Duration,
    /// Relative jitter applied to backoff steps (0.2 = ±20 %).
    pub jitter: f64,
}

impl PollPolicy {
    /// The default schedule with the given deadline.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self {
            timeout,
            distance_factor: 2,
            min_first: Duration::from_millis(5),
            max_first: Duration::from_secs(1),
            factor: 2,
            max: Duration::from_secs(10),
            jitter: 0.2,
        }
    }

    /// The un-jittered backoff step after an answer whose request took `took`; `previous` is
    /// the step before it (`None` after the action's own answer): the previous step grown by
    /// [`factor`](Self::factor), at least [`distance_factor`](Self::distance_factor) × `took`
    /// within [`min_first`](Self::min_first)..=[`max_first`](Self::max_first), at most
    /// [`max`](Self::max).
    pub fn step(&self, previous: Option<Duration>, took: Duration) -> Duration {
        let distance = took
            .saturating_mul(self.distance_factor)
            .min(self.max_first)
            .max(self.min_first);
        let grown = previous.map_or(Duration::ZERO, |p| p.saturating_mul(self.factor.max(1)));
        grown.max(distance).min(self.max)
    }
}

/// What one look at the resource found.
#[derive(Clone, Debug, PartialEq)]
pub enum Check<T> {
    /// Finished (successfully or not: the caller decides what `T` carries).
    Done(T),
    /// Not yet; `status` is what the CA said, `retry_after` its requested delay.
    Wait {
        /// The CA's status word (`pending`, `processing`, …).
        status: String,
        /// The CA's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
        /// How long the request that returned this answer took (the CA's distance).
        took: Duration,
    },
}

/// The deadline passed before the resource finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expired {
    /// Last status the CA reported.
    pub status: String,
    /// The configured limit.
    pub timeout: Duration,
    /// Whether a `Retry-After` past the deadline ended the wait early.
    pub retry_after_past_deadline: bool,
}

/// The poller's outcome when it does not finish.
#[derive(Debug)]
pub enum PollError<E> {
    /// The deadline passed.
    Expired(Expired),
    /// Fetching the resource failed.
    Fetch(E),
}

/// Progress of a wait, for a terminal display.
#[derive(Clone, Debug)]
pub struct Waiting<'a> {
    /// The CA's status word.
    pub status: &'a str,
    /// Time spent so far.
    pub elapsed: Duration,
    /// The sleep about to start.
    pub next: Duration,
}

/// Poll until `fetch` reports [`Check::Done`] or the deadline passes.
///
/// `first` is the state from the response to the action that started the wait.
pub async fn poll<T, E, F, Fut>(
    policy: &PollPolicy,
    first: Check<T>,
    mut fetch: F,
    mut on_wait: impl FnMut(&Waiting<'_>),
) -> Result<T, PollError<E>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Check<T>, E>>,
{
    let start = Instant::now();
    let deadline = start + policy.timeout;
    let mut state = first;
    let mut step = None;
    loop {
        let (status, retry_after, took) = match state {
            Check::Done(value) => return Ok(value),
            Check::Wait {
                status,
                retry_after,
                took,
            } => (status, retry_after, took),
        };
        let now = Instant::now();
        let remaining = deadline.saturating_duration_since(now);
        let expired = |past| {
            PollError::Expired(Expired {
                status: status.clone(),
                timeout: policy.timeout,
                retry_after_past_deadline: past,
            })
        };
        // The deadline holds whatever the CA sends: a wait never starts at or past it.
        if remaining.is_zero() {
            return Err(expired(false));
        }
        let next = policy.step(step, took);
        step = Some(next);
        let sleep = match retry_after {
            Some(delay) if delay > remaining => return Err(expired(true)),
            // A CA cannot make acmers poll faster than its own schedule: `Retry-After: 0` or
            // a date in the past waits the current backoff step.
            Some(delay) => delay.max(next).min(remaining),
            None => jittered(next, policy.jitter, random_unit()).min(remaining),
        };
        tracing::debug!(%status, ?took, ?sleep, "waiting before the next poll");
        on_wait(&Waiting {
            status: &status,
            elapsed: now - start,
            next: sleep,
        });
        tokio::time::sleep(sleep).await;
        state = fetch().await.map_err(PollError::Fetch)?;
    }
}

/// Apply relative jitter: `unit` in [0, 1) maps to a factor in [1 − jitter, 1 + jitter).
pub fn jittered(step: Duration, jitter: f64, unit: f64) -> Duration {
    let jitter = jitter.clamp(0.0, 1.0);
    let factor = 1.0 - jitter + 2.0 * jitter * unit.clamp(0.0, 1.0);
    step.mul_f64(factor)
}

fn random_unit() -> f64 {
    use aws_lc_rs::rand::SecureRandom as _;
    let mut bytes = [0u8; 4];
    // A failing system RNG only loses the jitter, which is harmless here.
    if aws_lc_rs::rand::SystemRandom::new()
        .fill(&mut bytes)
        .is_err()
    {
        return 0.5;
    }
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

/// Parse a `Retry-After` value: delta-seconds or an HTTP-date ([RFC 9110 §10.2.3]).
/// A date in the past means "now" (zero). Garbage gives `None`.
///
/// [RFC 9110 §10.2.3]: https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly large values saturate; the deadline logic turns them into "give up".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
#[path = "poll_tests.rs"]
mod tests;
