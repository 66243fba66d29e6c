//! Lines to the local syslog (`--syslog`, `SYS_LOG`), as acme.sh's `_syslog` sends them with
//! `logger -i -t acme.sh -p user.<level>`: one RFC 3164 datagram per line to the `/dev/log`
//! socket, `<PRI>Mmm dd hh:mm:ss acme.sh[<pid>]: <line>`, facility `user`.
//!
//! Which lines go follows acme.sh's levels (`SYSLOG_LEVEL_*`): from 1 every error line
//! (`_err`), from 6 also info lines (`_info`), from 7 debug lines (`_debug`), from 8 the finer
//! ones (`_debug2`), at 9 the HTTP stack's own (`_debug3`). Sending never fails the run.

use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::Arc;

/// The local syslog socket (what `logger` writes to).
const SOCKET: &str = "/dev/log";

/// Test hook: the socket to write to instead of [`SOCKET`] (docs/testing.md).
const SOCKET_VAR: &str = "ACMERS_SYSLOG_SOCKET";

/// The tag acme.sh's lines carry (`PROJECT_NAME`), kept so existing filters match.
const TAG: &str = "acme.sh";

/// The `user` facility (RFC 5424 table 1).
const FACILITY_USER: u8 = 1;

/// A line's severity (RFC 5424 table 2), as acme.sh's `SYSLOG_ERROR`, `SYSLOG_INFO`,
/// `SYSLOG_DEBUG`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Severity {
    /// `user.error`.
    Error = 3,
    /// `user.info`.
    Info = 6,
    /// `user.debug`.
    Debug = 7,
}

/// Whether `SYS_LOG=level` sends lines of `severity` (debug lines: the tracing filter of
/// `init_tracing` decides which).
pub(crate) fn wanted(level: u8, severity: Severity) -> bool {
    let from = match severity {
        Severity::Error => 1,
        Severity::Info => 6,
        Severity::Debug => 7,
    };
    level >= from
}

/// One datagram: `<PRI>Mmm dd hh:mm:ss acme.sh[pid]: message`, as `logger` sends to the local
/// socket (RFC 3164 without the host name, which the local daemon adds).
pub(crate) fn datagram(severity: Severity, now: &jiff::Zoned, pid: u32, message: &str) -> String {
    let pri = FACILITY_USER * 8 + severity as u8;
    format!(
        "<{pri}>{} {TAG}[{pid}]: {}",
        now.strftime("%b %e %H:%M:%S"),
        message.trim_end_matches('\n')
    )
}

/// The run's connection to syslog.
#[derive(Debug)]
pub(crate) struct Syslog {
    socket: UnixDatagram,
    level: u8,
}

/// The syslog socket could not be reached.
#[derive(Debug, thiserror::Error)]
#[error("cannot write to syslog through `{}`: {source}", path.display())]
pub(crate) struct Unreachable {
    path: PathBuf,
    source: io::Error,
}

impl Syslog {
    /// Connect for `SYS_LOG=level` to `/dev/log` (or `ACMERS_SYSLOG_SOCKET`); `None` at level 0.
    ///
    /// # Errors
    ///
    /// The socket is missing or refuses the connection.
    pub(crate) fn connect(
        level: u8,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Arc<Self>>, Unreachable> {
        if level == 0 {
            return Ok(None);
        }
        let path = PathBuf::from(
            env(SOCKET_VAR)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| SOCKET.into()),
        );
        let socket = UnixDatagram::unbound()
            .and_then(|socket| socket.connect(&path).map(|()| socket))
            .map_err(|source| Unreachable { path, source })?;
        Ok(Some(Arc::new(Self { socket, level })))
    }

    /// `SYS_LOG`.
    pub(crate) fn level(&self) -> u8 {
        self.level
    }

    /// Send `line` when its severity is wanted; a failed send is dropped.
    pub(crate) fn send(&self, severity: Severity, line: &str) {
        if wanted(self.level, severity) {
            let now = jiff::Timestamp::now().to_zoned(super::printer::local_zone().clone());
            let text = datagram(severity, &now, std::process::id(), line);
            let _ = self.socket.send(text.as_bytes());
        }
    }
}

/// A writer for the tracing layer: each formatted event (one `write` call) is one debug line.
pub(crate) struct DebugLines(pub(crate) Arc<Syslog>);

impl io::Write for DebugLines {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .send(Severity::Debug, String::from_utf8_lossy(buf).trim_end());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
#[path = "syslog_tests.rs"]
mod tests;
