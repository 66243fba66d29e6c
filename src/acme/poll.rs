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
mod tests {
    use std::cell::RefCell;
    use std::convert::Infallible;

    use super::*;

    /// How long each scripted request takes unless a test says otherwise: twice it is 50 ms,
    /// a round first step for the schedules below.
    const TOOK: Duration = Duration::from_millis(25);

    fn wait(status: &str, retry_after: Option<u64>) -> Check<&'static str> {
        Check::Wait {
            status: status.into(),
            retry_after: retry_after.map(Duration::from_secs),
            took: TOOK,
        }
    }

    /// A `pending` answer whose request took `took`.
    fn pending_after(took: Duration) -> Check<&'static str> {
        Check::Wait {
            status: "pending".into(),
            retry_after: None,
            took,
        }
    }

    fn millis(sleeps: &[Duration]) -> Vec<u128> {
        sleeps.iter().map(Duration::as_millis).collect()
    }

    /// Runs the poller over a script of states, recording when each fetch happened.
    async fn run(
        policy: PollPolicy,
        first: Check<&'static str>,
        script: Vec<Check<&'static str>>,
    ) -> (
        Result<&'static str, PollError<Infallible>>,
        Vec<Duration>,
        Vec<Duration>,
    ) {
        let start = Instant::now();
        let fetch_times = RefCell::new(Vec::new());
        let sleeps = RefCell::new(Vec::new());
        let script = RefCell::new(script.into_iter());
        let result = poll(
            &policy,
            first,
            || {
                fetch_times.borrow_mut().push(start.elapsed());
                let next = script
                    .borrow_mut()
                    .next()
                    .unwrap_or_else(|| wait("pending", None));
                async move { Ok::<_, Infallible>(next) }
            },
            |w| sleeps.borrow_mut().push(w.next),
        )
        .await;
        (result, fetch_times.into_inner(), sleeps.into_inner())
    }

    fn no_jitter(timeout: u64) -> PollPolicy {
        PollPolicy {
            jitter: 0.0,
            ..PollPolicy::with_timeout(Duration::from_secs(timeout))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn done_first_never_sleeps() {
        let (result, fetches, sleeps) = run(no_jitter(300), Check::Done("ok"), vec![]).await;
        assert_eq!(result.unwrap(), "ok");
        assert!(fetches.is_empty());
        assert!(sleeps.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_step_is_twice_the_time_the_answer_took() {
        let took = Duration::from_millis(40);
        let script = vec![pending_after(took), Check::Done("valid")];
        let (result, fetches, sleeps) = run(no_jitter(300), pending_after(took), script).await;
        assert_eq!(result.unwrap(), "valid");
        assert_eq!(millis(&sleeps), [80, 160]);
        assert_eq!(millis(&fetches), [80, 240]);
    }

    /// A CA on loopback answers in well under a millisecond: the first re-poll comes after the
    /// 5 ms floor, and the doubling keeps the number of polls small however long it takes.
    #[tokio::test(start_paused = true)]
    async fn a_fast_answer_is_re_polled_after_the_5ms_floor_and_the_polls_stay_few() {
        let took = Duration::from_micros(200);
        let script: Vec<_> = (0..1000).map(|_| pending_after(took)).collect();
        let (result, fetches, sleeps) = run(no_jitter(1), pending_after(took), script).await;
        assert!(matches!(result, Err(PollError::Expired(_))));
        // 5 ms doubling, the last step cut at the 1 s deadline: 8 polls in the second.
        assert_eq!(millis(&sleeps), [5, 10, 20, 40, 80, 160, 320, 365]);
        assert_eq!(fetches.len(), 8);
    }

    #[tokio::test(start_paused = true)]
    async fn a_very_slow_answer_waits_at_most_1s_before_the_first_re_poll() {
        let took = Duration::from_secs(3);
        let script = vec![pending_after(took), Check::Done("valid")];
        let (result, _, sleeps) = run(no_jitter(300), pending_after(took), script).await;
        assert_eq!(result.unwrap(), "valid");
        // Then twice the first step, which is already more than the 1 s the distance gives.
        assert_eq!(millis(&sleeps), [1000, 2000]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_poll_that_takes_longer_raises_the_step() {
        let fast = Duration::from_millis(1);
        let script = vec![
            pending_after(Duration::from_millis(200)),
            pending_after(fast),
            Check::Done("valid"),
        ];
        let (result, _, sleeps) = run(no_jitter(300), pending_after(fast), script).await;
        assert_eq!(result.unwrap(), "valid");
        // 5 ms, then twice the 200 ms the poll took instead of 10 ms, then doubling from there.
        assert_eq!(millis(&sleeps), [5, 400, 800]);
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_doubles_and_caps_at_10s() {
        let mut script: Vec<_> = (0..11).map(|_| wait("processing", None)).collect();
        script.push(Check::Done("valid"));
        let (result, _, sleeps) = run(no_jitter(300), wait("processing", None), script).await;
        assert_eq!(result.unwrap(), "valid");
        assert_eq!(
            millis(&sleeps),
            [
                50, 100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000, 10_000
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_replaces_the_step() {
        let script = vec![wait("processing", Some(7)), Check::Done("valid")];
        let (result, fetches, sleeps) = run(no_jitter(300), wait("pending", Some(3)), script).await;
        assert_eq!(result.unwrap(), "valid");
        assert_eq!(sleeps, [Duration::from_secs(3), Duration::from_secs(7)]);
        assert_eq!(fetches, [Duration::from_secs(3), Duration::from_secs(10)]);
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_past_deadline_ends_at_once() {
        let (result, fetches, sleeps) =
            run(no_jitter(300), wait("processing", Some(86_400)), vec![]).await;
        let Err(PollError::Expired(e)) = result else {
            panic!("expected expiry")
        };
        assert_eq!(e.status, "processing");
        assert!(e.retry_after_past_deadline);
        assert!(fetches.is_empty() && sleeps.is_empty());
        assert_eq!(Instant::now().elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_is_checked_before_each_sleep_and_never_overslept() {
        let start = Instant::now();
        let (result, fetches, sleeps) = run(no_jitter(3), wait("processing", None), vec![]).await;
        let Err(PollError::Expired(e)) = result else {
            panic!("expected expiry")
        };
        assert!(!e.retry_after_past_deadline);
        assert_eq!(e.timeout, Duration::from_secs(3));
        // Every fetch happened at or before the deadline, the last one exactly at it.
        assert!(fetches.iter().all(|t| *t <= Duration::from_secs(3)));
        assert_eq!(fetches.last(), Some(&Duration::from_secs(3)));
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        assert_eq!(sleeps.iter().sum::<Duration>(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_every_second_with_three_second_deadline() {
        let script = vec![
            wait("processing", Some(1)),
            wait("processing", Some(1)),
            wait("processing", Some(1)),
        ];
        let start = Instant::now();
        let (result, fetches, _) = run(no_jitter(3), wait("processing", Some(1)), script).await;
        assert!(matches!(result, Err(PollError::Expired(_))));
        assert_eq!(fetches.len(), 3);
        assert_eq!(start.elapsed(), Duration::from_secs(3));
    }

    /// `Retry-After: 0` on every answer (or a date in the past, which parses to zero) must
    /// neither spin nor outlive the deadline: each wait is at least the backoff step.
    #[tokio::test(start_paused = true)]
    async fn retry_after_zero_follows_the_backoff_and_keeps_the_deadline() {
        let zero = || wait("processing", Some(0));
        let script: Vec<_> = (0..10_000).map(|_| zero()).collect();
        let start = Instant::now();
        let (result, fetches, sleeps) = run(no_jitter(5), zero(), script).await;
        let Err(PollError::Expired(e)) = result else {
            panic!("expected expiry")
        };
        assert!(!e.retry_after_past_deadline);
        // 50 ms doubling, the last step cut at the 5 s deadline: 7 polls, not thousands.
        assert_eq!(millis(&sleeps), [50, 100, 200, 400, 800, 1600, 1850]);
        assert_eq!(fetches.len(), 7);
        assert_eq!(fetches.last(), Some(&Duration::from_secs(5)));
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[tokio::test(start_paused = true)]
    async fn a_short_retry_after_is_raised_to_the_current_step() {
        // After four polls the step is 800 ms; a CA asking for 1 s is obeyed, one asking for
        // 0 s waits the step.
        let mut script: Vec<_> = (0..3).map(|_| wait("pending", None)).collect();
        script.extend([wait("pending", Some(1)), wait("pending", Some(0))]);
        script.push(Check::Done("valid"));
        let (result, _, sleeps) = run(no_jitter(300), wait("pending", None), script).await;
        assert_eq!(result.unwrap(), "valid");
        assert_eq!(millis(&sleeps), [50, 100, 200, 400, 1000, 1600]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_at_the_deadline_ends_the_wait() {
        // Polled once at 3 s (Retry-After 3 with a 3 s deadline), then the deadline holds even
        // though the CA keeps asking for zero.
        let script = vec![wait("processing", Some(0))];
        let (result, fetches, _) = run(no_jitter(3), wait("processing", Some(3)), script).await;
        assert!(matches!(result, Err(PollError::Expired(_))));
        assert_eq!(fetches, [Duration::from_secs(3)]);
    }

    #[tokio::test(start_paused = true)]
    async fn fetch_errors_propagate() {
        let policy = no_jitter(10);
        let result: Result<&str, PollError<&str>> = poll(
            &policy,
            pending_after(TOOK),
            || async { Err("boom") },
            |_| {},
        )
        .await;
        assert!(matches!(result, Err(PollError::Fetch("boom"))));
    }

    #[test]
    fn jitter_bounds() {
        let step = Duration::from_millis(1000);
        assert_eq!(jittered(step, 0.2, 0.0), Duration::from_millis(800));
        assert_eq!(jittered(step, 0.2, 0.5), Duration::from_millis(1000));
        assert!(jittered(step, 0.2, 0.999_999) < Duration::from_millis(1200));
        for _ in 0..1000 {
            let d = jittered(step, 0.2, random_unit());
            assert!(d >= Duration::from_millis(800) && d < Duration::from_millis(1200));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn jittered_steps_stay_within_twenty_percent() {
        let policy = PollPolicy::with_timeout(Duration::from_secs(300));
        let mut script: Vec<_> = (0..8).map(|_| wait("pending", None)).collect();
        script.push(Check::Done("valid"));
        let (_, _, sleeps) = run(policy, wait("pending", None), script).await;
        let mut base = None;
        for sleep in sleeps {
            let step = policy.step(base, TOOK);
            assert!(sleep >= step.mul_f64(0.8) && sleep <= step.mul_f64(1.2));
            base = Some(step);
        }
    }

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }
}
