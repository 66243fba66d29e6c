//! The only code that writes to stdout and stderr.
//!
//! Lines look like acme.sh's: `[<date(1) output>] message` (acme.sh's `_printargs`). Info goes to
//! stdout, errors to stderr (red on a terminal unless `NO_COLOR`, `ACME_NO_COLOR` or
//! `--no-color`; always with `--force-color` or `ACME_FORCE_COLOR=1`). `NO_TIMESTAMP=1` drops
//! the date prefix. With `--log`, every line is also appended to the log file; with `--syslog`,
//! sent to syslog (errors from level 1, info from level 6: [`super::syslog`]).
//!
//! Info and error lines carry text from the command line, conf files and the network, so
//! their control characters are shown as `?` (see [`escape_controls`]): a typed `-d` cannot
//! recolour the terminal, move the cursor or forge a second line. [`Printer::raw`] is for
//! text acmers vouches for (help, PEM blocks) and is written as is.

use std::fmt::Display;
use std::fs::File;
use std::io::{IsTerminal as _, Write as _};
use std::sync::{Arc, Mutex};

use super::syslog::{Severity, Syslog};
use crate::acme::text::escape_controls;

/// The local time zone for `date(1)`-style stamps: `TZ` when set, else `/etc/localtime`
/// read directly (jiff's system lookup scans the whole zoneinfo tree to name the zone, which
/// costs ~10 ms per run), else UTC.
pub(crate) fn local_zone() -> &'static jiff::tz::TimeZone {
    static ZONE: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();
    ZONE.get_or_init(|| {
        use jiff::tz::TimeZone;
        if let Ok(tz) = std::env::var("TZ") {
            let name = tz.trim_start_matches(':');
            return TimeZone::get(name)
                .or_else(|_| TimeZone::posix(name))
                .unwrap_or(TimeZone::UTC);
        }
        std::fs::read("/etc/localtime")
            .ok()
            .and_then(|data| TimeZone::tzif("localtime", &data).ok())
            .unwrap_or(TimeZone::UTC)
    })
}

/// Write one line. A closed pipe (`acmers --list | head`) or a full disk must not abort the
/// run in the middle of its work, so write errors are ignored (`println!` would panic).
fn out(w: &mut dyn std::io::Write, line: std::fmt::Arguments<'_>) {
    let _ = writeln!(w, "{line}");
}

/// Writes acme.sh-style lines.
#[derive(Clone, Debug, Default)]
pub(crate) struct Printer {
    color: bool,
    timestamp: bool,
    log: Option<Arc<Mutex<File>>>,
    syslog: Option<Arc<Syslog>>,
    prefix: Option<Arc<str>>,
}

impl Printer {
    /// A printer configured from the environment (`NO_COLOR`, `ACME_NO_COLOR`,
    /// `ACME_FORCE_COLOR`, `NO_TIMESTAMP`), `--no-color` and `--force-color`. Forcing wins,
    /// as in acme.sh's `__green`.
    pub(crate) fn new(
        no_color_flag: bool,
        force_color_flag: bool,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Self {
        let set = |k: &str| env(k).is_some_and(|v| !v.is_empty() && v != "0");
        let color = force_color_flag
            || set("ACME_FORCE_COLOR")
            || (!no_color_flag
                && !set("NO_COLOR")
                && !set("ACME_NO_COLOR")
                && std::io::stderr().is_terminal());
        Self {
            color,
            timestamp: !set("NO_TIMESTAMP"),
            log: None,
            syslog: None,
            prefix: None,
        }
    }

    /// Also append every line to `file`.
    pub(crate) fn with_log(mut self, file: File) -> Self {
        self.log = Some(Arc::new(Mutex::new(file)));
        self
    }

    /// Also send lines to syslog, as its level wants them.
    pub(crate) fn with_syslog(mut self, syslog: Arc<Syslog>) -> Self {
        self.syslog = Some(syslog);
        self
    }

    /// The same printer, starting every line's message with `[<prefix>] ` (concurrent
    /// renewals name their certificate this way).
    pub(crate) fn prefixed(&self, prefix: &str) -> Self {
        Self {
            prefix: Some(Arc::from(format!("[{prefix}] "))),
            ..self.clone()
        }
    }

    /// `[date] [prefix] text`, control characters of the prefix and text escaped.
    fn line(&self, text: &dyn Display) -> String {
        let prefix = self.prefix.as_deref().unwrap_or_default();
        let message = format!("{prefix}{text}");
        let message = escape_controls(&message);
        if self.timestamp {
            let now = jiff::Timestamp::now().to_zoned(local_zone().clone());
            format!("[{}] {message}", now.strftime("%a %b %e %H:%M:%S %Z %Y"))
        } else {
            message.into_owned()
        }
    }

    fn to_log(&self, severity: Severity, line: &str) {
        if let Some(syslog) = &self.syslog {
            syslog.send(severity, line);
        }
        if let Some(log) = &self.log
            && let Ok(mut file) = log.lock()
        {
            // Logging must never fail the run.
            let _ = writeln!(file, "{line}");
        }
    }

    /// An info line on stdout.
    pub(crate) fn info(&self, text: impl Display) {
        let line = self.line(&text);
        out(&mut std::io::stdout().lock(), format_args!("{line}"));
        self.to_log(Severity::Info, &line);
    }

    /// acme.sh's two-argument form: `name='value'`.
    pub(crate) fn info_kv(&self, name: &str, value: impl Display) {
        self.info(format_args!("{name}='{value}'"));
    }

    /// An error line on stderr.
    pub(crate) fn error(&self, text: impl Display) {
        let line = self.line(&text);
        if self.color {
            out(
                &mut std::io::stderr().lock(),
                format_args!("\x1b[1;31m{line}\x1b[0m"),
            );
        } else {
            out(&mut std::io::stderr().lock(), format_args!("{line}"));
        }
        self.to_log(Severity::Error, &line);
    }

    /// Text as is on stdout (help, version, a PEM block).
    pub(crate) fn raw(&self, text: impl Display) {
        out(&mut std::io::stdout().lock(), format_args!("{text}"));
    }
}

impl crate::lineage::Progress for Printer {
    fn info(&self, line: &dyn Display) {
        Self::info(self, line);
    }

    fn info_kv(&self, key: &str, value: &str) {
        Self::info_kv(self, key, value);
    }

    fn warn(&self, line: &dyn Display) {
        self.error(line);
    }

    fn raw(&self, text: &str) {
        Self::raw(self, text);
    }
}

#[cfg(test)]
#[path = "printer_tests.rs"]
mod tests;
