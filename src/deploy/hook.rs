//! Running a user's shell command (`--reloadcmd`, `--pre-hook`, `--post-hook`, `--renew-hook`)
//! the way acme.sh does, but bounded.
//!
//! acme.sh runs these with `eval` in a subshell. acmers runs `sh -c <command>` with stdin
//! closed (`/dev/null`), the given working directory and the given variables added to the
//! inherited environment. The command is its own process group, so a timeout ends everything
//! it started: `SIGTERM` to the group, then `SIGKILL` to the group after [`KILL_GRACE`].
//! Stdout and stderr are captured, at most [`OUTPUT_CAP`] bytes of each.
//!
//! When the shell exits on its own, the group is left alone: a reload command may start a
//! daemon on purpose. Output is then read for at most [`DRAIN_GRACE`] more, so a background
//! child that keeps stdout open cannot hold the caller. A command that leaves its process group
//! (`setsid`) is out of reach of the timeout, as with any process supervisor.

use std::io;
use std::os::unix::process::ExitStatusExt as _;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use rustix::io::Errno;
use rustix::process::{Pid, Signal, kill_process_group, test_kill_process_group};
use tokio::io::{AsyncRead, AsyncReadExt as _};
use tokio::process::{Child, Command};
use tokio::time::{Instant, sleep, sleep_until, timeout_at};

/// At most this many bytes of stdout, and of stderr, are kept; the rest is read and dropped.
pub const OUTPUT_CAP: usize = 64 * 1024;

/// After `SIGTERM`, the process group gets this long to exit before `SIGKILL`.
pub const KILL_GRACE: Duration = Duration::from_secs(2);

/// After the shell exits, its output pipes are read for at most this long.
pub const DRAIN_GRACE: Duration = Duration::from_millis(100);

/// How much of stderr (the end of it) a [`HookError::Failed`] carries.
const STDERR_TAIL: usize = 2048;

/// How often the process group is checked for having exited after `SIGTERM`.
const GROUP_POLL: Duration = Duration::from_millis(20);

/// What a command that exited with status 0 printed.
#[derive(Debug, Clone)]
pub struct HookOutput {
    /// The exit status (always a success).
    pub status: ExitStatus,
    /// Stdout, at most [`OUTPUT_CAP`] bytes, invalid UTF-8 replaced.
    pub stdout: String,
    /// Stderr, at most [`OUTPUT_CAP`] bytes, invalid UTF-8 replaced.
    pub stderr: String,
}

/// Why a command did not succeed. The command text is shown (it is the user's own
/// configuration); the values of the environment variables never are.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// `sh` could not be started (missing working directory, no `sh`, out of processes).
    #[error("failed to run `{command}`")]
    Spawn {
        /// The command.
        command: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The command exited with a non-zero status or was killed by a signal.
    #[error("`{command}` {}", describe_exit(*code, *signal))]
    Failed {
        /// The command.
        command: String,
        /// The exit code, when it exited.
        code: Option<i32>,
        /// The signal that killed it, when it was killed.
        signal: Option<i32>,
        /// The last (at most 2 KiB) of its stderr, trimmed.
        stderr_tail: String,
    },
    /// The command ran longer than its timeout; its whole process group was killed.
    #[error("`{command}` timed out after {after:?}")]
    TimedOut {
        /// The command.
        command: String,
        /// The timeout.
        after: Duration,
    },
}

/// "exited with code 3" / "was killed by signal 9".
fn describe_exit(code: Option<i32>, signal: Option<i32>) -> String {
    match (code, signal) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => "failed".to_owned(),
    }
}

/// Runs `sh -c command` in `cwd` with `env` added to the inherited environment, for at most
/// `timeout` (see the module documentation for what happens at the timeout).
///
/// # Errors
///
/// [`HookError::Spawn`] when `sh` cannot be started or waited for, [`HookError::Failed`] for a
/// non-zero exit or death by a signal, [`HookError::TimedOut`] when the timeout passed.
pub async fn run(
    command: &str,
    env: &[(String, String)],
    cwd: &Path,
    timeout: Duration,
) -> Result<HookOutput, HookError> {
    let spawn_err = |source| HookError::Spawn {
        command: command.to_owned(),
        source,
    };
    let deadline = deadline_after(timeout);
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(spawn_err)?;
    let (Some(pgid), Some(stdout), Some(stderr)) = (
        child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(Pid::from_raw),
        child.stdout.take(),
        child.stderr.take(),
    ) else {
        // Not reachable: a freshly spawned child has an id and the pipes asked for above.
        return Err(spawn_err(io::Error::other("child without id or pipes")));
    };
    // From here until the shell is known to have exited, dropping this future (or any error)
    // kills the whole group.
    let mut guard = GroupGuard::new(pgid);

    let mut out = Vec::new();
    let mut err = Vec::new();
    let status = {
        let reading = async {
            tokio::join!(read_capped(stdout, &mut out), read_capped(stderr, &mut err));
        };
        tokio::pin!(reading);
        let mut read_done = false;
        let exited = loop {
            tokio::select! {
                () = &mut reading, if !read_done => read_done = true,
                status = child.wait() => break Some(status),
                () = sleep_until(deadline) => break None,
            }
        };
        let status = match exited {
            Some(status) => status.map_err(spawn_err)?,
            None => {
                terminate_group(&mut child, pgid).await;
                guard.disarm();
                return Err(HookError::TimedOut {
                    command: command.to_owned(),
                    after: timeout,
                });
            }
        };
        guard.disarm();
        if !read_done {
            let _ = timeout_at(Instant::now() + DRAIN_GRACE, &mut reading).await;
        }
        status
    };

    if status.success() {
        Ok(HookOutput {
            status,
            stdout: String::from_utf8_lossy(&out).into_owned(),
            stderr: String::from_utf8_lossy(&err).into_owned(),
        })
    } else {
        Err(HookError::Failed {
            command: command.to_owned(),
            code: status.code(),
            signal: status.signal(),
            stderr_tail: tail(&err, STDERR_TAIL),
        })
    }
}

/// `now + timeout`, or a far future for a timeout too large to add.
fn deadline_after(timeout: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(timeout)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600))
}

/// Reads `reader` to its end (or first error), keeping at most [`OUTPUT_CAP`] bytes in `buf`.
/// Reading on past the cap keeps the writer from blocking on a full pipe.
async fn read_capped<R: AsyncRead + Unpin>(mut reader: R, buf: &mut Vec<u8>) {
    let mut chunk = [0u8; 8192];
    loop {
        match reader.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let room = OUTPUT_CAP.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..n.min(room)]);
            }
        }
    }
}

/// `SIGTERM` to the group; once the shell is reaped and the group is empty, done; otherwise
/// `SIGKILL` to the group after [`KILL_GRACE`]. The shell is reaped in every case (bounded).
async fn terminate_group(child: &mut Child, pgid: Pid) {
    // Errors are ignored here and below: ESRCH means the group is already gone, and nothing
    // else can be done about EPERM (a member that became setuid).
    let _ = kill_process_group(pgid, Signal::TERM);
    let grace = sleep(KILL_GRACE);
    tokio::pin!(grace);
    loop {
        // The shell is reaped first: as a zombie it would keep the group alive.
        if matches!(child.try_wait(), Ok(Some(_))) && group_is_gone(pgid) {
            return;
        }
        tokio::select! {
            () = &mut grace => break,
            () = sleep(GROUP_POLL) => {}
        }
    }
    let _ = kill_process_group(pgid, Signal::KILL);
    // Bounded: a process stuck in the kernel is left to `kill_on_drop` and the runtime.
    let _ = tokio::time::timeout(KILL_GRACE, child.wait()).await;
}

/// Whether no process is left in the group (`kill(-pgid, 0)` fails with `ESRCH`).
fn group_is_gone(pgid: Pid) -> bool {
    test_kill_process_group(pgid) == Err(Errno::SRCH)
}

/// Sends `SIGKILL` to the process group when dropped while armed.
struct GroupGuard(Option<Pid>);

/// The process groups of the commands running now (see [`kill_running`]).
static RUNNING: Mutex<Vec<Pid>> = Mutex::new(Vec::new());

fn running() -> std::sync::MutexGuard<'static, Vec<Pid>> {
    RUNNING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl GroupGuard {
    fn new(pgid: Pid) -> Self {
        running().push(pgid);
        Self(Some(pgid))
    }

    /// The shell has been reaped: its group may hold daemons started on purpose, leave it.
    fn disarm(&mut self) {
        if let Some(pgid) = self.0.take() {
            running().retain(|p| *p != pgid);
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.0 {
            let _ = kill_process_group(pgid, Signal::KILL);
            running().retain(|p| *p != pgid);
        }
    }
}

/// Kill the process group of every command still running (`SIGKILL`), for a process about to
/// exit without unwinding (a second SIGINT/SIGTERM): no hook outlives acmers then.
pub fn kill_running() {
    for pgid in running().drain(..) {
        let _ = kill_process_group(pgid, Signal::KILL);
    }
}

/// The last at most `max` bytes of `bytes` (starting at a UTF-8 boundary), lossy, trimmed.
fn tail(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].trim().to_owned()
}

#[cfg(test)]
#[path = "hook_tests.rs"]
mod tests;
