//! Running one function of an acme.sh plugin (docs/plugins.md, "How a plugin runs").
//!
//! `sh -c` evaluates the helper library ([`LIB`]), sources the plugin and calls the
//! function with its arguments, through [`crate::deploy::hook::run`]: stdin closed, the
//! process's environment plus the variables below, its own process group, and the whole group
//! stopped at the time limit. Each call gets a private temporary folder (0700) for the
//! response headers (`HTTP_HEADER`: parallel calls never share one) and the `_err` lines
//! (`ACMERS_PLUGIN_ERRORS`), removed afterwards.
//!
//! Stdout and stderr are captured (at most 64 KiB each) and forwarded line by line to
//! `tracing::debug!` (shown at `--debug`). A failed call's error carries the plugin's `_err`
//! lines, or else the end of its stderr.

use std::io::{self, Read as _};
use std::os::unix::fs::DirBuilderExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{Error, LIB};
use crate::acme::text::{escape_controls, sanitize};
use crate::deploy::hook::{self, HookError};
use crate::store::Home;

/// At most this much of the `_err` lines is read back.
const ERRORS_CAP: u64 = 64 * 1024;

/// Lines from the end of stderr that make the error of a call that printed no `_err` line.
const TAIL_LINES: usize = 5;

/// How plugins are run: the same for every call of one lineage.
#[derive(Clone)]
pub struct Runner {
    /// The acmers executable the library calls back (`--acmers-plugin-helper`): the running
    /// binary in acmers, `CARGO_BIN_EXE_acmers` in tests.
    pub helper: PathBuf,
    /// The acme.sh home: `LE_WORKING_DIR` and `LE_CONFIG_HOME`.
    pub home: Home,
    /// `ACCOUNT_CONF_PATH`: `account.conf` (`_readaccountconf`, `_saveaccountconf_mutable`).
    pub account_conf: PathBuf,
    /// `DOMAIN_CONF`: the lineage's `<d>.conf` (`_readdomainconf`, `_savedomainconf`).
    pub domain_conf: Option<PathBuf>,
    /// Whether the settings of [`domain_conf`](Self::domain_conf) (`Le_Keylength`,
    /// `Le_OCSP_Staple`, `SAVED_*`, …) are shell variables in the plugin, as acme.sh's
    /// `deploy` and `renew` source the domain conf: parsed as data like account.conf's, after
    /// them, the environment winning. For deploy hooks.
    pub domain_vars: bool,
    /// The time limit of one call.
    pub time_limit: Duration,
    /// `DEBUG`: acme.sh's debug level (0 none, 1 to 3 for `_debug`, `_debug2`, `_debug3`).
    pub debug: u8,
    /// `CA_BUNDLE`: extra roots the helper's HTTPS requests trust (`--ca-bundle`).
    pub ca_bundle: Option<PathBuf>,
    /// More variables for the plugin (they win over the inherited environment).
    pub env: Vec<(String, String)>,
}

/// What a successful call printed (each capped at 64 KiB, invalid UTF-8 replaced).
#[derive(Clone, Debug)]
pub struct Output {
    /// Its stdout (`_info` lines and anything else it printed).
    pub stdout: String,
    /// Its stderr (`_debug` lines at `--debug`, tools' messages).
    pub stderr: String,
}

impl Runner {
    /// Run `function` of the plugin file `script` with `args` (for dnsapi:
    /// `dns_foo_add <fqdn> <value>`).
    ///
    /// # Errors
    ///
    /// [`Error::Failed`] when the function (or sourcing the file) fails, or the file has no
    /// such function; [`Error::TimedOut`] at the time limit; [`Error::Spawn`] when `sh` or the
    /// call's temporary folder cannot be made.
    pub async fn call(
        &self,
        script: &Path,
        function: &str,
        args: &[&str],
    ) -> Result<Output, Error> {
        let spawn_error = |reason: String| Error::Spawn {
            script: script.to_owned(),
            reason,
        };
        let dir = CallDir::create()
            .map_err(|e| spawn_error(format!("cannot create a temporary folder: {e}")))?;
        let cwd = std::env::current_dir().unwrap_or_else(|_| self.home.config_home.clone());
        let command = command(script, function, args);
        let result = hook::run(&command, &self.env(&dir), &cwd, self.time_limit).await;
        let name = script.file_name().map_or_else(
            || script.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        match result {
            Ok(output) => {
                forward(&name, &output.stdout);
                forward(&name, &output.stderr);
                Ok(Output {
                    stdout: output.stdout,
                    stderr: output.stderr,
                })
            }
            Err(HookError::Failed {
                code,
                signal,
                stderr_tail,
                ..
            }) => {
                forward(&name, &stderr_tail);
                Err(Error::Failed {
                    script: script.to_owned(),
                    function: function.to_owned(),
                    message: failure(&dir.errors(), &stderr_tail, code, signal),
                })
            }
            Err(HookError::TimedOut { after, .. }) => Err(Error::TimedOut {
                script: script.to_owned(),
                function: function.to_owned(),
                after,
            }),
            Err(HookError::Spawn { source, .. }) => Err(spawn_error(source.to_string())),
        }
    }

    /// The variables a call adds to the inherited environment.
    fn env(&self, dir: &CallDir) -> Vec<(String, String)> {
        let path = |p: &Path| p.to_string_lossy().into_owned();
        let mut env = vec![
            ("LE_WORKING_DIR".into(), path(&self.home.working_dir)),
            ("LE_CONFIG_HOME".into(), path(&self.home.config_home)),
            ("ACCOUNT_CONF_PATH".into(), path(&self.account_conf)),
            ("DEBUG".into(), self.debug.to_string()),
            // Lines go to acmers' log, which has its own time stamps.
            ("NO_TIMESTAMP".into(), "1".into()),
        ];
        if let Some(conf) = &self.domain_conf {
            env.push(("DOMAIN_CONF".into(), path(conf)));
            if self.domain_vars {
                env.push(("ACMERS_PLUGIN_DOMAIN_VARS".into(), "1".into()));
            }
        }
        if let Some(bundle) = &self.ca_bundle {
            env.push(("CA_BUNDLE".into(), path(bundle)));
        }
        // `--ca-path`, `--insecure`, `--useragent`, `--request-v4`/`-v6` for the helper.
        env.extend(crate::https::run_options().plugin_env());
        env.extend(self.env.iter().cloned());
        env.extend([
            ("ACMERS_PLUGIN_HELPER".into(), path(&self.helper)),
            ("ACMERS_PLUGIN_LIB".into(), LIB.into()),
            ("ACMERS_PLUGIN_ERRORS".into(), path(&dir.errors())),
            ("HTTP_HEADER".into(), path(&dir.path.join("http.header"))),
        ]);
        env
    }
}

/// The shell command: the library from the environment (so `ps` shows this line, not the
/// library), then the plugin function; every argument single-quoted.
fn command(script: &Path, function: &str, args: &[&str]) -> String {
    // `.` looks a name without `/` up in PATH.
    let script = script.to_string_lossy();
    let script = if script.contains('/') {
        script.into_owned()
    } else {
        format!("./{script}")
    };
    let mut command =
        String::from("eval \"$ACMERS_PLUGIN_LIB\" && unset ACMERS_PLUGIN_LIB && __acmers_main");
    for word in [script.as_str(), function]
        .into_iter()
        .chain(args.iter().copied())
    {
        command.push(' ');
        command.push_str(&quote(word));
    }
    command
}

/// `word` as one single-quoted shell word.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Each line of `text` to the debug log, control characters escaped.
fn forward(name: &str, text: &str) {
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        tracing::debug!("{name}: {}", escape_controls(line));
    }
}

/// The message of a failed call: its `_err` lines, else the last lines of its stderr, else how
/// it exited; sanitized.
fn failure(errors: &Path, stderr_tail: &str, code: Option<i32>, signal: Option<i32>) -> String {
    let mut text = Vec::new();
    let read = std::fs::File::open(errors).and_then(|f| f.take(ERRORS_CAP).read_to_end(&mut text));
    let errors = String::from_utf8_lossy(if read.is_ok() { &text } else { &[] });
    let lines = |text: &str, keep: usize| {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        lines[lines.len().saturating_sub(keep)..].join("; ")
    };
    let mut message = lines(&errors, usize::MAX);
    if message.is_empty() {
        message = lines(stderr_tail, TAIL_LINES);
    }
    if message.is_empty() {
        message = match (code, signal) {
            (Some(code), _) => format!("it exited with code {code} without a message"),
            (None, Some(signal)) => format!("it was killed by signal {signal}"),
            (None, None) => "it failed without a message".into(),
        };
    }
    sanitize(&message)
}

/// A call's private folder (0700) under the system's temporary folder, removed on drop.
struct CallDir {
    path: PathBuf,
}

impl CallDir {
    fn create() -> io::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        // `mkdir` fails on a name that exists (whoever made it), so the folder is ours.
        for _ in 0..100 {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let path = base.join(format!("acmers-plugin-{}-{n}", std::process::id()));
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(Self { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("no free name in `{}`", base.display()),
        ))
    }

    /// The file the library appends the `_err` lines to.
    fn errors(&self) -> PathBuf {
        self.path.join("errors")
    }
}

impl Drop for CallDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
