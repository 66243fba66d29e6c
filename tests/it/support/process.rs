//! Child processes the tests start (Pebble, nginx): stopped and reaped on drop, with their
//! logs printed when the test fails.

use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::net::wait_for_tcp;

/// A child process that is stopped (SIGTERM, then SIGKILL after 10 s) and reaped on drop.
/// Its stdout and stderr go to files in `log_dir`; when the owning test panics, their tails
/// are printed.
pub(crate) struct Subprocess {
    name: String,
    child: Child,
    logs: [PathBuf; 2],
}

impl Subprocess {
    /// Spawn `cmd`, logging to `<log_dir>/<name>.{stdout,stderr}.log`.
    pub(crate) fn spawn(name: &str, mut cmd: Command, log_dir: &Path) -> Self {
        let logs = [
            log_dir.join(format!("{name}.stdout.log")),
            log_dir.join(format!("{name}.stderr.log")),
        ];
        let out = File::create(&logs[0]).expect("create stdout log");
        let err = File::create(&logs[1]).expect("create stderr log");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({cmd:?}): {e}"));
        Self {
            name: name.to_owned(),
            child,
            logs,
        }
    }

    /// Wait until the process listens on `addr`; panic with its logs if it exits or times out.
    pub(crate) fn wait_listening(&mut self, addr: SocketAddr) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!(
                    "{} exited with {status} before listening on {addr}\n{}",
                    self.name,
                    self.log_tail()
                );
            }
            if wait_for_tcp(addr, Duration::from_millis(250)) {
                return;
            }
        }
        panic!(
            "{} did not listen on {addr} within 30 s\n{}",
            self.name,
            self.log_tail()
        );
    }

    /// The last lines of the process's stdout and stderr.
    pub(crate) fn log_tail(&self) -> String {
        let mut out = String::new();
        for path in &self.logs {
            let text = fs::read_to_string(path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(60)..];
            out += &format!("--- {} (last {} lines) ---\n", path.display(), tail.len());
            for line in tail {
                out += line;
                out.push('\n');
            }
        }
        out
    }

    /// Everything the process wrote to stdout and stderr so far.
    pub(crate) fn logs(&self) -> String {
        self.logs
            .iter()
            .map(|p| fs::read_to_string(p).unwrap_or_default())
            .collect()
    }
}

impl Drop for Subprocess {
    fn drop(&mut self) {
        // SIGTERM first: a SIGKILLed nginx master leaves its workers running, holding the
        // port. The child is not reaped yet, so its pid cannot have been reused.
        if matches!(self.child.try_wait(), Ok(None)) {
            let pid = self.child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("{}", self.log_tail());
        }
    }
}
