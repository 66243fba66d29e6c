//! Tests of [`super::run`] with a real `sh`. No test asserts on elapsed time: a wait for a
//! process to disappear is bounded only so that a failure ends instead of hanging.

use std::fs;
use std::path::Path;

use rustix::process::{Pid, Signal, kill_process};

use super::*;

const LONG: Duration = Duration::from_secs(30);

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Whether `pid` is a live (not zombie) process.
fn alive(pid: i32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the parenthesised command name, which may itself contain ")".
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.trim().chars().next());
    !matches!(state, Some('Z' | 'X') | None)
}

/// Waits (bounded) until `pid` is gone; returns whether it still lives.
async fn still_alive_after_wait(pid: i32) -> bool {
    for _ in 0..500 {
        if !alive(pid) {
            return false;
        }
        sleep(Duration::from_millis(20)).await;
    }
    alive(pid)
}

fn read_pid(path: &Path) -> i32 {
    fs::read_to_string(path).unwrap().trim().parse().unwrap()
}

fn kill(pid: i32) {
    let _ = kill_process(Pid::from_raw(pid).unwrap(), Signal::KILL);
}

#[tokio::test]
async fn success_sees_added_and_inherited_env_and_captures_both_streams() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        r#"printf '%s|%s' "$HOOK_VAR" "$PATH"; echo warn >&2"#,
        &env(&[("HOOK_VAR", "hello world")]),
        dir.path(),
        LONG,
    )
    .await
    .unwrap();
    assert!(out.status.success());
    let path = std::env::var("PATH").unwrap();
    assert_eq!(out.stdout, format!("hello world|{path}"));
    assert_eq!(out.stderr, "warn\n");
}

#[tokio::test]
async fn stdin_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let out = run("wc -c", &[], dir.path(), LONG).await.unwrap();
    assert_eq!(out.stdout.trim(), "0");
}

#[tokio::test]
async fn cwd_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let out = run("pwd -P; echo x > here", &[], dir.path(), LONG)
        .await
        .unwrap();
    let canonical = fs::canonicalize(dir.path()).unwrap();
    assert_eq!(out.stdout.trim_end(), canonical.to_str().unwrap());
    assert_eq!(fs::read(dir.path().join("here")).unwrap(), b"x\n");
}

#[tokio::test]
async fn non_zero_exit_is_failed_with_code_and_never_shows_env_values() {
    let dir = tempfile::tempdir().unwrap();
    let command = r#"echo "oops $SECRET_TOKEN" >&2; exit 3"#;
    let err = run(
        command,
        &env(&[("SECRET_TOKEN", "s3cr3t-v4lue")]),
        dir.path(),
        LONG,
    )
    .await
    .unwrap_err();
    let HookError::Failed {
        command: c,
        code,
        signal,
        stderr_tail,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!((c.as_str(), *code, *signal), (command, Some(3), None));
    // The tail is the hook's own output (it echoed the value itself).
    assert_eq!(stderr_tail, "oops s3cr3t-v4lue");
    assert_eq!(err.to_string(), format!("`{command}` exited with code 3"));
    assert!(!err.to_string().contains("s3cr3t"));
}

#[tokio::test]
async fn death_by_signal_is_failed_with_signal() {
    let dir = tempfile::tempdir().unwrap();
    let err = run("kill -9 $$", &[], dir.path(), LONG).await.unwrap_err();
    assert!(
        matches!(
            err,
            HookError::Failed {
                code: None,
                signal: Some(9),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "`kill -9 $$` was killed by signal 9");
}

#[tokio::test]
async fn stderr_tail_is_the_bounded_end() {
    let dir = tempfile::tempdir().unwrap();
    let err = run(
        "head -c 10000 /dev/zero | tr '\\0' x >&2; echo END >&2; false",
        &[],
        dir.path(),
        LONG,
    )
    .await
    .unwrap_err();
    let HookError::Failed { stderr_tail, .. } = err else {
        panic!("{err:?}");
    };
    assert!(stderr_tail.len() <= STDERR_TAIL, "{}", stderr_tail.len());
    assert!(stderr_tail.ends_with("xxxEND"), "{stderr_tail}");
}

#[tokio::test]
async fn missing_cwd_is_a_spawn_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = run("true", &[], &dir.path().join("missing"), LONG)
        .await
        .unwrap_err();
    assert!(matches!(err, HookError::Spawn { .. }), "{err:?}");
    assert_eq!(err.to_string(), "failed to run `true`");
}

#[tokio::test]
async fn output_is_capped_and_the_writer_is_not_blocked() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        "head -c 200000 /dev/zero | tr '\\0' a; head -c 100000 /dev/zero | tr '\\0' b >&2",
        &[],
        dir.path(),
        LONG,
    )
    .await
    .unwrap();
    assert_eq!(out.stdout.len(), OUTPUT_CAP);
    assert!(out.stdout.bytes().all(|b| b == b'a'));
    assert_eq!(out.stderr.len(), OUTPUT_CAP);
    assert!(out.stderr.bytes().all(|b| b == b'b'));
}

#[tokio::test]
async fn timeout_kills_the_shell_and_its_background_child() {
    let dir = tempfile::tempdir().unwrap();
    let err = run(
        "echo $$ > sh.pid; sleep 100 & echo $! > bg.pid; sleep 100",
        &[],
        dir.path(),
        Duration::from_secs(1),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, HookError::TimedOut { after, .. } if *after == Duration::from_secs(1)),
        "{err:?}"
    );
    assert!(err.to_string().ends_with("timed out after 1s"), "{err}");
    for file in ["sh.pid", "bg.pid"] {
        let pid = read_pid(&dir.path().join(file));
        let survived = still_alive_after_wait(pid).await;
        kill(pid);
        assert!(!survived, "{file}: {pid} survived the timeout");
    }
}

#[tokio::test]
async fn timeout_sigkills_a_group_that_ignores_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let err = run(
        "trap '' TERM; echo $$ > sh.pid; sleep 100 & echo $! > bg.pid; sleep 100",
        &[],
        dir.path(),
        Duration::from_secs(1),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, HookError::TimedOut { .. }), "{err:?}");
    for file in ["sh.pid", "bg.pid"] {
        let pid = read_pid(&dir.path().join(file));
        let survived = still_alive_after_wait(pid).await;
        kill(pid);
        assert!(!survived, "{file}: {pid} ignored SIGTERM and survived");
    }
}

/// A daemon started on purpose keeps running and, though it holds stdout open, the call
/// returns once the shell has exited.
#[tokio::test]
async fn background_child_holding_stdout_does_not_hold_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        run(
            "sleep 100 & echo $! > bg.pid; echo done",
            &[],
            dir.path(),
            Duration::from_secs(60),
        ),
    )
    .await;
    let pid = read_pid(&dir.path().join("bg.pid"));
    let daemon_alive = alive(pid);
    kill(pid);
    let out = result
        .expect("run waited for the background child")
        .unwrap();
    assert_eq!(out.stdout, "done\n");
    assert!(
        daemon_alive,
        "a successful hook's background child was killed"
    );
}

/// Dropping the future (the caller gave up) kills the whole group too.
#[tokio::test]
async fn dropping_the_call_kills_the_group() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("bg.pid");
    {
        let call = run(
            "echo $$ > sh.pid; sleep 100 & echo $! > bg.pid.tmp && mv bg.pid.tmp bg.pid; sleep 100",
            &[],
            dir.path(),
            Duration::from_secs(60),
        );
        tokio::pin!(call);
        let appeared = async {
            while !pid_file.exists() {
                sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::select! {
            r = &mut call => panic!("the hook ended early: {r:?}"),
            () = appeared => {}
        }
    }
    for file in ["sh.pid", "bg.pid"] {
        let pid = read_pid(&dir.path().join(file));
        let survived = still_alive_after_wait(pid).await;
        kill(pid);
        assert!(!survived, "{file}: {pid} survived the dropped call");
    }
}

#[test]
fn tail_cuts_at_a_char_boundary() {
    assert_eq!(tail("abcdé".as_bytes(), 2), "é");
    assert_eq!(tail("abcdé".as_bytes(), 1), "");
    assert_eq!(tail(b"  x  ", 100), "x");
}
