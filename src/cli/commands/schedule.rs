//! Running `--cron` every day: a crontab line ([`cron`], acme.sh's `installcronjob`) or a systemd
//! service and timer ([`systemd`]).
//!
//! Both run this executable as `"<exe>" --cron --home "<home>" [--config-home "<dir>"]`, at a
//! minute and hour taken from the install time (acme.sh's spread: minute = epoch mod 60,
//! hour = epoch / 60 mod 24), so a fleet installed at different times does not hit the CA at
//! once.

pub(crate) mod cron;
pub(crate) mod systemd;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use crate::store::Home;

/// What the scheduler runs: this executable with `--cron` and the homes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CronCommand {
    /// This executable, absolute.
    pub exe: PathBuf,
    /// `--home`, absolute.
    pub home: PathBuf,
    /// `--config-home`, when it differs from the home.
    pub config_home: Option<PathBuf>,
}

impl CronCommand {
    /// The command for this executable and `home` (paths made absolute: cron and systemd
    /// start in another directory).
    pub(crate) fn current(home: &Home) -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find the path of this executable")?;
        Self::new(exe, home)
    }

    /// The command for `exe` and `home`.
    pub(crate) fn new(exe: PathBuf, home: &Home) -> anyhow::Result<Self> {
        let absolute = |p: &Path| {
            std::path::absolute(p)
                .with_context(|| format!("cannot make `{}` absolute", p.display()))
        };
        let working = absolute(&home.working_dir)?;
        let config = absolute(&home.config_home)?;
        Ok(Self {
            exe: absolute(&exe)?,
            config_home: (config != working).then_some(config),
            home: working,
        })
    }

    /// `"<exe>" --cron --home "<home>" [--config-home "<dir>"]`, every path written by `quote`.
    pub(crate) fn render(&self, quote: fn(&str) -> String) -> anyhow::Result<String> {
        Ok(quote(text(&self.exe)?) + &self.render_args(quote)?)
    }

    /// What follows the program: ` --cron --home "<home>" [--config-home "<dir>"]`.
    pub(crate) fn render_args(&self, quote: fn(&str) -> String) -> anyhow::Result<String> {
        let mut line = format!(" --cron --home {}", quote(text(&self.home)?));
        if let Some(config) = &self.config_home {
            line.push_str(" --config-home ");
            line.push_str(&quote(text(config)?));
        }
        Ok(line)
    }
}

/// The name of the copy `--install` makes in the home, which acme.sh's cron line, its alias
/// and existing scripts run (acme.sh's `PROJECT_ENTRY`).
pub(crate) const ENTRY: &str = "acme.sh";

/// A path as text that a one-line crontab entry or unit file can hold.
fn text(path: &Path) -> anyhow::Result<&str> {
    let Some(s) = path.to_str() else {
        bail!(
            "`{}` is not valid UTF-8; it cannot be written into a schedule",
            path.display()
        );
    };
    if s.chars().any(char::is_control) {
        bail!(
            "`{}` holds a control character; it cannot be written into a schedule",
            s.escape_debug()
        );
    }
    Ok(s)
}

/// The first executable file called `name` in the directories of `path` (a `PATH` value).
pub(crate) fn find_program(name: &str, path: Option<&OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    std::env::split_paths(path?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The install time's minute and hour: acme.sh's `epoch mod 60` and `epoch / 60 mod 24`.
pub(crate) fn spread(epoch: i64) -> (u8, u8) {
    let minute = u8::try_from(epoch.rem_euclid(60)).unwrap_or(0);
    let hour = u8::try_from((epoch.div_euclid(60)).rem_euclid(24)).unwrap_or(0);
    (minute, hour)
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
