use super::*;

#[test]
fn second_lock_is_refused_until_the_first_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let first = try_lock(dir.path()).unwrap().unwrap();
    assert!(try_lock(dir.path()).unwrap().is_none());
    drop(first);
    assert!(try_lock(dir.path()).unwrap().is_some());
    let mode = std::fs::metadata(dir.path().join(LOCK_FILE)).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );
}

#[tokio::test(start_paused = true)]
async fn waiting_lock_gives_up_at_the_timeout_and_wins_when_released() {
    let dir = tempfile::tempdir().unwrap();
    let held = try_lock(dir.path()).unwrap().unwrap();
    assert!(
        lock(dir.path(), Duration::from_secs(3))
            .await
            .unwrap()
            .is_none()
    );
    let path = dir.path().to_owned();
    let waiter = tokio::spawn(async move { lock(&path, Duration::from_secs(60)).await });
    tokio::time::sleep(Duration::from_secs(5)).await;
    drop(held);
    assert!(waiter.await.unwrap().unwrap().is_some());
}

#[test]
fn symlinked_lock_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join(LOCK_FILE)).unwrap();
    assert!(matches!(try_lock(dir.path()), Err(Error::Lock { .. })));
}
