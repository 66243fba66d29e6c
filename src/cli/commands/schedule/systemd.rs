//! `--install-systemd-timer` (acmers only): `acmers.service` runs `--cron` once, and
//! `acmers.timer` starts it daily.
//!
//! Where the units go:
//! - `$ACMERS_SYSTEMD_DIR` when set (packagers, tests): the files are written and nothing else
//!   is done;
//! - `/etc/systemd/system` when running as root;
//! - `$XDG_CONFIG_HOME/systemd/user` (default `~/.config/systemd/user`) otherwise.
//!
//! Then `systemctl [--user] daemon-reload` and `systemctl [--user] enable --now acmers.timer`
//! run; when they cannot, the commands to run are printed and the exit code is 1 (the timer is
//! not active yet).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, anyhow};

use super::{CronCommand, find_program, spread};
use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::Globals;
use crate::store::atomic::write_atomic;

/// The service unit's file name.
pub(crate) const SERVICE: &str = "acmers.service";
/// The timer unit's file name.
pub(crate) const TIMER: &str = "acmers.timer";

/// Where the unit files go, and which systemd manager loads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UnitDir {
    /// `$ACMERS_SYSTEMD_DIR`: write only.
    Given(PathBuf),
    /// The system manager (`/etc/systemd/system`).
    System(PathBuf),
    /// The user's manager (`systemctl --user`).
    User(PathBuf),
}

impl UnitDir {
    /// Choose from the environment and the effective user id.
    pub(crate) fn choose(
        env: &dyn Fn(&str) -> Option<OsString>,
        euid: Option<u32>,
    ) -> anyhow::Result<Self> {
        if let Some(dir) = env("ACMERS_SYSTEMD_DIR").filter(|d| !d.is_empty()) {
            return Ok(Self::Given(dir.into()));
        }
        if euid == Some(0) {
            return Ok(Self::System("/etc/systemd/system".into()));
        }
        let config = env("XDG_CONFIG_HOME")
            .filter(|d| Path::new(d).is_absolute())
            .map(PathBuf::from)
            .or_else(|| {
                env("HOME")
                    .filter(|h| !h.is_empty())
                    .map(|h| PathBuf::from(h).join(".config"))
            })
            .ok_or_else(|| {
                anyhow!("cannot find the user's systemd folder: set HOME or ACMERS_SYSTEMD_DIR")
            })?;
        Ok(Self::User(config.join("systemd").join("user")))
    }

    /// The folder.
    pub(crate) fn path(&self) -> &Path {
        match self {
            Self::Given(p) | Self::System(p) | Self::User(p) => p,
        }
    }

    /// `systemctl` arguments for this manager (`--user` for the user's).
    fn systemctl_args<'a>(&self, args: &[&'a str]) -> Vec<&'a str> {
        let mut out = Vec::with_capacity(args.len() + 1);
        if matches!(self, Self::User(_)) {
            out.push("--user");
        }
        out.extend_from_slice(args);
        out
    }
}

/// Run `--install-systemd-timer`.
pub(crate) fn install(globals: &Globals, printer: &Printer) -> Result<Outcome, Failure> {
    let cmd = CronCommand::current(&globals.home)?;
    let env = |key: &str| std::env::var_os(key);
    let dir = UnitDir::choose(&env, effective_uid())?;
    let service = service_unit(&cmd, !matches!(dir, UnitDir::User(_)))?;
    let timer = timer_unit(jiff::Timestamp::now().as_second());
    std::fs::create_dir_all(dir.path())
        .with_context(|| format!("failed to create directory `{}`", dir.path().display()))?;
    for (name, text) in [(SERVICE, &service), (TIMER, &timer)] {
        let path = dir.path().join(name);
        write_atomic(&path, text.as_bytes(), 0o644)?;
        printer.info(format_args!("Wrote {}", path.display()));
    }
    let steps = [
        dir.systemctl_args(&["daemon-reload"]),
        dir.systemctl_args(&["enable", "--now", TIMER]),
    ];
    let shown: Vec<String> = steps
        .iter()
        .map(|args| format!("systemctl {}", args.join(" ")))
        .collect();
    if let UnitDir::Given(_) = dir {
        printer.info(format_args!(
            "ACMERS_SYSTEMD_DIR is set: not running systemctl. To activate the timer: {}",
            shown.join(" && ")
        ));
        return Ok(Outcome::Done);
    }
    let hint = format!("run `{}`", shown.join(" && "));
    let Some(systemctl) = find_program("systemctl", std::env::var_os("PATH").as_deref()) else {
        return Err(Failure::from(anyhow!(
            "systemctl not found: the timer is written but not active"
        ))
        .hint(hint));
    };
    for (args, text) in steps.iter().zip(&shown) {
        printer.info(format_args!("Running: {text}"));
        run(&systemctl, args).map_err(|e| Failure::from(e).hint(hint.clone()))?;
    }
    printer.info(format_args!(
        "The timer is active: `systemctl {}` shows the next run",
        dir.systemctl_args(&["list-timers", TIMER]).join(" ")
    ));
    if let UnitDir::User(_) = dir {
        printer.info(
            "A user timer runs only while you are logged in, unless lingering is on \
             (`loginctl enable-linger`)",
        );
    }
    Ok(Outcome::Done)
}

fn run(systemctl: &Path, args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new(systemctl)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run `{}`", systemctl.display()))?;
    if out.status.success() {
        return Ok(());
    }
    Err(anyhow!(
        "`systemctl {}` failed ({}): {}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    ))
}

/// The effective user id: the owner of `/proc/self` (systemd only exists on Linux).
fn effective_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

/// Quote `s` as one word of a unit file's command line: double quotes with `\` and `"`
/// escaped, `%` doubled (specifiers) and `$` doubled (variable expansion).
pub(crate) fn unit_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' | '"' => {
                out.push('\\');
                out.push(c);
            }
            '%' => out.push_str("%%"),
            '$' => out.push_str("$$"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `acmers.service`: one `--cron` run. Exit code 2 (a certificate skipped) is success, as in
/// acme.sh's documented unit. `network` adds the network-online dependency (the user manager
/// has no such target).
pub(crate) fn service_unit(cmd: &CronCommand, network: bool) -> anyhow::Result<String> {
    let mut unit = String::from(
        "[Unit]\n\
         Description=Renew certificates with acmers\n\
         Documentation=https://github.com/acmers/acmers\n",
    );
    if network {
        unit.push_str("Wants=network-online.target\nAfter=network-online.target\n");
    }
    unit.push_str(&format!(
        "\n[Service]\n\
         Type=oneshot\n\
         ExecStart={}\n\
         SuccessExitStatus=0 2\n",
        cmd.render(unit_quote)?
    ));
    Ok(unit)
}

/// `acmers.timer`: daily at the install time's minute and hour (see [`spread`]), up to an hour
/// later at random, and at the next boot when a run was missed.
pub(crate) fn timer_unit(epoch: i64) -> String {
    let (minute, hour) = spread(epoch);
    format!(
        "[Unit]\n\
         Description=Run acmers --cron daily\n\
         \n\
         [Timer]\n\
         OnCalendar=*-*-* {hour:02}:{minute:02}:00\n\
         RandomizedDelaySec=1h\n\
         Persistent=true\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n"
    )
}

#[cfg(test)]
#[path = "systemd_tests.rs"]
mod tests;
