//! The web server's own commands (`nginx -t`, `apache2ctl graceful`, …), run without a shell.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use super::Error;

/// How long one command may take.
const LIMIT: Duration = Duration::from_secs(60);
/// Where a program is looked for when it is not on `PATH` (cron's `PATH` often lacks sbin).
const SBIN: &[&str] = &["/usr/sbin", "/usr/local/sbin", "/sbin"];

/// The first of `names` found on `PATH` or in the usual sbin folders.
pub(super) fn find(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .chain(SBIN.iter().map(PathBuf::from))
        .collect();
    names
        .iter()
        .find_map(|name| dirs.iter().map(|dir| dir.join(name)).find(|p| p.is_file()))
}

/// Run `program` with `args` (no shell, stdin from `/dev/null`, killed after a minute or when
/// dropped) and return its stdout and stderr together.
///
/// # Errors
///
/// [`Error::Command`] when it cannot start, times out or exits non-zero (with the end of its
/// output).
pub(super) async fn run<S: AsRef<OsStr>>(program: &PathBuf, args: &[S]) -> Result<String, Error> {
    let shown = std::iter::once(program.display().to_string())
        .chain(
            args.iter()
                .map(|a| a.as_ref().to_string_lossy().into_owned()),
        )
        .collect::<Vec<_>>()
        .join(" ");
    let failed = |output: String| Error::Command {
        command: shown.clone(),
        output,
    };
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = match tokio::time::timeout(LIMIT, child).await {
        Err(_) => return Err(failed(format!("no answer in {} s", LIMIT.as_secs()))),
        Ok(Err(e)) => return Err(failed(e.to_string())),
        Ok(Ok(output)) => output,
    };
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    if output.status.success() {
        Ok(text)
    } else {
        let lines: Vec<&str> = text.trim_end().lines().collect();
        let end = lines[lines.len().saturating_sub(5)..].join(" | ");
        Err(failed(crate::acme::text::sanitize(&end)))
    }
}
