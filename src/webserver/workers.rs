//! Waiting until a reloaded server answers with its new config.
//!
//! `nginx -s reload` and `apachectl graceful` return once the signal is sent; the master then
//! reads the config, starts new workers and lets the old ones finish. The old workers are
//! the master's children before the signal: once none of them is left, every request is
//! served with the new config. Without a pid file to find the master, acmers waits one
//! second, as acme.sh does after setting up nginx.

use std::path::Path;
use std::time::Duration;

/// The longest wait for the old workers to exit.
const LIMIT: Duration = Duration::from_secs(30);

/// The server's master process and its workers, read before the reload.
#[derive(Debug)]
pub(super) struct Before {
    master: Option<u32>,
    workers: Vec<u32>,
}

/// Read the master's pid from `pid_file` and its children now.
pub(super) fn before(pid_file: Option<&Path>) -> Before {
    let master = pid_file
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|pid| Path::new(&format!("/proc/{pid}")).exists());
    Before {
        master,
        workers: master.map(children).unwrap_or_default(),
    }
}

/// The pids whose parent is `master`.
fn children(master: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| parent(*pid) == Some(master))
        .collect()
}

/// The parent pid of `pid` from `/proc/<pid>/stat` (after the command name's last `)`).
fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

impl Before {
    /// Return once none of the old workers is a child of the master any more (at most
    /// [`LIMIT`]), or after one second when the master was not found.
    pub(super) async fn reloaded(self) {
        let Some(master) = self.master.filter(|_| !self.workers.is_empty()) else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            return;
        };
        let deadline = tokio::time::Instant::now() + LIMIT;
        while tokio::time::Instant::now() < deadline {
            let now = children(master);
            if !now.is_empty() && !self.workers.iter().any(|w| now.contains(w)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
