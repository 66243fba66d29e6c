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
