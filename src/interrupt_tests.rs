use std::time::Duration;

use super::*;

#[test]
fn exit_codes_are_the_shells() {
    assert_eq!(Signal::Interrupt.exit_code(), 130);
    assert_eq!(Signal::Terminate.exit_code(), 143);
    assert_eq!(Signal::Hangup.exit_code(), 129);
}

#[tokio::test(start_paused = true)]
async fn a_guarded_wait_ends_when_the_signal_arrives() {
    let (tx, received) = watch::channel(None);
    let interrupt = Interrupt { received };
    let wait = interrupt.guard(async {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        Ok::<_, Interrupted>("finished")
    });
    let send = async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        tx.send(Some(Signal::Terminate)).expect("send");
    };
    let (result, ()) = tokio::join!(wait, send);
    assert_eq!(
        result,
        Err(Interrupted {
            signal: Signal::Terminate
        })
    );
    assert_eq!(interrupt.received(), Some(Signal::Terminate));
    // Later guards end at once.
    let again = interrupt.guard(async { Ok::<_, Interrupted>(1) }).await;
    assert!(again.is_err());
}

#[tokio::test(start_paused = true)]
async fn without_a_signal_the_work_finishes() {
    let interrupt = Interrupt::never();
    let result = interrupt
        .guard(async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok::<_, Interrupted>(7)
        })
        .await;
    assert_eq!(result, Ok(7));
    assert_eq!(interrupt.received(), None);
}
