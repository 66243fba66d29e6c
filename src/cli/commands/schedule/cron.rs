//! `--install-cronjob` and `--uninstall-cronjob`: the daily line in the user's crontab,
//! read with `crontab -l` and written back with `crontab -` (acme.sh's `installcronjob`).
//!
//! - The line is `<M> <H> * * * "<exe>" --cron --home "<home>" [--config-home "<dir>"] > /dev/null`
//!   (`"<home>"/acme.sh` for the copy `--install` makes, as acme.sh writes it).
//! - It is added only when no line runs acmers' or acme.sh's `--cron` already (a line that
//!   contains `--cron` and `acmers`, `acme.sh` or this executable's path); comment lines do
//!   not count and are never removed.
//! - `crontab -l` failing with "no crontab for …" means an empty crontab; any other failure
//!   stops the install, because writing back an incomplete list would wipe the user's jobs
//!   (acme.sh issue #3079).
//! - `crontab` is looked up on `PATH`, then `fcrontab`, as acme.sh does.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context as _, anyhow, bail};

use super::{CronCommand, ENTRY, find_program, spread, text};
use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::Globals;

/// Run `--install-cronjob`.
pub(crate) fn install(globals: &Globals, printer: &Printer) -> Result<Outcome, Failure> {
    add(&CronCommand::current(&globals.home)?, printer)
}

/// Add the daily line that runs `cmd` (`--install-cronjob`, and `--install` with its copy).
pub(crate) fn add(cmd: &CronCommand, printer: &Printer) -> Result<Outcome, Failure> {
    let line = cron_line(cmd, jiff::Timestamp::now().as_second())?;
    let Some(crontab) = crontab_program() else {
        return Err(Failure::from(anyhow!(
            "crontab/fcrontab doesn't exist, so we cannot install cron jobs"
        ))
        .detail("Your certs will not be renewed automatically.")
        .hint(format!(
            "install cron (for example `apt install cron`), or use `--install-systemd-timer`; \
             or add a daily job yourself that runs: {line}"
        )));
    };
    printer.info("Installing cron job");
    let current = list(&crontab).map_err(|e| {
        Failure::from(e)
            .detail("Refusing to install the cron job: that could wipe your existing cron jobs.")
            .hint(format!("add this line with `crontab -e` yourself: {line}"))
    })?;
    let exe = cmd.exe.to_string_lossy();
    match add_line(&current, &line, &exe) {
        Ok(updated) => {
            write(&crontab, &updated).map_err(|e| {
                Failure::from(e).hint(format!("add this line with `crontab -e` yourself: {line}"))
            })?;
            printer.info(format_args!("Cron job installed: {line}"));
        }
        Err(existing) => {
            printer.info(format_args!("A cron job exists already: {existing}"));
        }
    }
    Ok(Outcome::Done)
}

/// Run `--uninstall-cronjob`.
pub(crate) fn uninstall(printer: &Printer) -> Result<Outcome, Failure> {
    let Some(crontab) = crontab_program() else {
        printer.info("crontab/fcrontab doesn't exist: there is no cron job to remove.");
        return Ok(Outcome::Done);
    };
    let exe = std::env::current_exe()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    printer.info("Removing cron job");
    let current = list(&crontab)?;
    let (kept, removed) = remove_lines(&current, &exe);
    if removed.is_empty() {
        printer.info("No cron job found.");
        return Ok(Outcome::Done);
    }
    write(&crontab, &kept)?;
    for line in removed {
        printer.info(format_args!("Removed: {line}"));
    }
    Ok(Outcome::Done)
}

/// `crontab` on `PATH`, else `fcrontab`.
pub(crate) fn crontab_program() -> Option<PathBuf> {
    let path = std::env::var_os("PATH");
    find_program("crontab", path.as_deref()).or_else(|| find_program("fcrontab", path.as_deref()))
}

/// The crontab line for `cmd`, at the minute and hour of `epoch` (see [`spread`]). When
/// `cmd` runs the installed copy `<home>/acme.sh`, the program is written as acme.sh's
/// `installcronjob` writes it: `"<home>"/acme.sh`.
pub(crate) fn cron_line(cmd: &CronCommand, epoch: i64) -> anyhow::Result<String> {
    let (minute, hour) = spread(epoch);
    let program = if cmd.exe == cmd.home.join(ENTRY) {
        format!("{}/{ENTRY}", cron_quote(text(&cmd.home)?))
    } else {
        cron_quote(text(&cmd.exe)?)
    };
    Ok(format!(
        "{minute} {hour} * * * {program}{} > /dev/null",
        cmd.render_args(cron_quote)?
    ))
}

/// Double-quote `s` for the shell cron starts, as acme.sh writes its paths. Inside the quotes
/// `\`, `"`, `$` and `` ` `` get a backslash; `%` gets one too, because cron itself turns an
/// unescaped `%` into a newline (and removes the backslash before `%`).
pub(crate) fn cron_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if matches!(c, '\\' | '"' | '$' | '`' | '%') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Whether `line` runs acmers' or acme.sh's `--cron` (comment lines never do).
pub(crate) fn is_cron_job(line: &str, exe: &str) -> bool {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') || !trimmed.contains("--cron") {
        return false;
    }
    trimmed.contains("acmers")
        || trimmed.contains("acme.sh")
        || (!exe.is_empty() && trimmed.contains(exe))
}

/// `crontab` with `line` appended, or the existing job's line when there is one.
pub(crate) fn add_line(crontab: &str, line: &str, exe: &str) -> Result<String, String> {
    if let Some(existing) = crontab.lines().find(|l| is_cron_job(l, exe)) {
        return Err(existing.to_owned());
    }
    let mut out = crontab.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(line);
    out.push('\n');
    Ok(out)
}

/// `crontab` without acmers' and acme.sh's `--cron` lines, and the lines removed.
pub(crate) fn remove_lines(crontab: &str, exe: &str) -> (String, Vec<String>) {
    let mut kept = String::with_capacity(crontab.len());
    let mut removed = Vec::new();
    for line in crontab.lines() {
        if is_cron_job(line, exe) {
            removed.push(line.to_owned());
        } else {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    (kept, removed)
}

/// `crontab -l`; "no crontab for <user>" (and fcrontab's wording) is an empty crontab.
fn list(crontab: &Path) -> anyhow::Result<String> {
    let out = Command::new(crontab)
        .arg("-l")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run `{} -l`", crontab.display()))?;
    if out.status.success() {
        return String::from_utf8(out.stdout).map_err(|_| {
            anyhow!(
                "`{} -l` printed text that is not UTF-8; not touching the crontab",
                crontab.display()
            )
        });
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lower = stderr.to_lowercase();
    if ["no crontab", "no fcrontab", "can't open"]
        .iter()
        .any(|m| lower.contains(m))
    {
        return Ok(String::new());
    }
    bail!(
        "cannot list the current cron jobs: `{} -l` failed ({}): {}",
        crontab.display(),
        out.status,
        stderr.trim()
    )
}

/// `crontab -` with `text` on stdin.
fn write(crontab: &Path, text: &str) -> anyhow::Result<()> {
    let fail = || {
        format!(
            "failed to install the crontab with `{} -`",
            crontab.display()
        )
    };
    let mut child = Command::new(crontab)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(fail)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes()).with_context(fail)?;
    }
    let out = child.wait_with_output().with_context(fail)?;
    if !out.status.success() {
        bail!(
            "{} ({}): {}",
            fail(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
#[path = "cron_tests.rs"]
mod tests;
