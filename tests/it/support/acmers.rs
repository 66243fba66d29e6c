//! Running the `acmers` binary under test: the command builder, a run in the background,
//! and the [`Output`] a run produced with its assertions.

use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What one `acmers` run produced; printed if the test panics while holding it.
///
/// The `assert_*` methods return `&Self` so checks chain; a failing one panics with the
/// needle, the command line, the exit code and both streams whole.
#[derive(Debug)]
pub(crate) struct Output {
    /// The exit code (-1 when killed by a signal).
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    args: Vec<OsString>,
}

impl Output {
    /// Panic unless the exit code is `expected` (the streams are printed by `Drop`).
    #[track_caller]
    /// The `ACCOUNT_THUMBPRINT='…'` acmers printed (a registration or an issuance).
    pub(crate) fn thumbprint(&self) -> &str {
        self.stdout
            .split("ACCOUNT_THUMBPRINT='")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("no thumbprint printed:\n{}\n{}", self.stdout, self.stderr))
    }

    pub(crate) fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(self.code, expected, "acmers exit code");
        self
    }

    /// Panic unless stdout contains `needle`.
    #[track_caller]
    pub(crate) fn assert_stdout_has(&self, needle: &str) -> &Self {
        self.assert_stream("stdout", &self.stdout, needle, true)
    }

    /// Panic unless stderr contains `needle`.
    #[track_caller]
    pub(crate) fn assert_stderr_has(&self, needle: &str) -> &Self {
        self.assert_stream("stderr", &self.stderr, needle, true)
    }

    /// Panic if stdout contains `needle`.
    #[track_caller]
    pub(crate) fn assert_stdout_lacks(&self, needle: &str) -> &Self {
        self.assert_stream("stdout", &self.stdout, needle, false)
    }

    /// Panic if stderr contains `needle`.
    #[track_caller]
    pub(crate) fn assert_stderr_lacks(&self, needle: &str) -> &Self {
        self.assert_stream("stderr", &self.stderr, needle, false)
    }

    #[track_caller]
    fn assert_stream(&self, name: &str, text: &str, needle: &str, wanted: bool) -> &Self {
        if text.contains(needle) != wanted {
            let verb = if wanted { "lacks" } else { "must not have" };
            panic!("{name} {verb} {needle:?}\n{}", self.transcript());
        }
        self
    }

    /// The command line, exit code and both streams, for failure messages.
    fn transcript(&self) -> String {
        format!(
            "--- acmers {:?} exited {} ---\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args, self.code, self.stdout, self.stderr
        )
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.transcript());
        }
    }
}

/// Builder for one run of the `acmers` binary under test. It always passes `--home`, sets
/// `NO_COLOR=1`, points `$HOME` at a separate directory and clears acme.sh variables.
pub(crate) struct Acmers {
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    user_home: PathBuf,
    current_dir: Option<PathBuf>,
    timeout: Duration,
}

impl Acmers {
    /// A command using `home` as the acme.sh home; `$HOME` becomes `<home>/../user-home`.
    pub(crate) fn new(home: &Path) -> Self {
        let top = home.parent().expect("home has a parent");
        Self::bare(top).args(["--home".as_ref(), home.as_os_str()])
    }

    /// A command with no arguments at all (not even `--home`); `$HOME` becomes
    /// `<top>/user-home`.
    pub(crate) fn bare(top: &Path) -> Self {
        let user_home = top.join("user-home");
        fs::create_dir_all(&user_home).expect("create user home");
        Self {
            args: Vec::new(),
            envs: Vec::new(),
            user_home,
            current_dir: None,
            timeout: Duration::from_secs(120),
        }
        .env("NO_COLOR", "1")
    }

    /// Run the child in `dir` instead of the test's working directory.
    pub(crate) fn current_dir(mut self, dir: &Path) -> Self {
        self.current_dir = Some(dir.to_owned());
        self
    }

    /// Append one argument.
    pub(crate) fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Append arguments.
    pub(crate) fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Set an environment variable for the child.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Kill the run and fail the test if it takes longer than this (a hang guard).
    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Run to completion and capture everything.
    pub(crate) fn run(&self) -> Output {
        self.spawn().wait()
    }

    /// Start the run in the background (see [`Running`]).
    pub(crate) fn spawn(&self) -> Running {
        let dir = tempfile::tempdir().expect("output tempdir");
        let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_acmers"));
        cmd.args(&self.args)
            .env("HOME", &self.user_home)
            .stdin(Stdio::null())
            .stdout(File::create(&out_path).expect("stdout file"))
            .stderr(File::create(&err_path).expect("stderr file"));
        for var in [
            "LE_WORKING_DIR",
            "LE_CONFIG_HOME",
            "CERT_HOME",
            "CA_HOME",
            "ACME_DIRECTORY",
            "ACCOUNT_EMAIL",
            "DEFAULT_RENEW",
            "RUST_LOG",
            "DEBUG",
            "STAGE",
            "CA_BUNDLE",
            "HTTPS_INSECURE",
            "ACME_FORCE_COLOR",
            "CA_PATH",
            "USER_AGENT",
            "LOG_FILE",
            "LOG_LEVEL",
            "SYS_LOG",
            "ACCOUNT_CONF_PATH",
            "ACCOUNT_KEY_PATH",
            "ACME_USE_IPV4_REQUESTS",
            "ACME_USE_IPV6_REQUESTS",
            "ACMERS_SYSLOG_SOCKET",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(self.envs.iter().map(|(k, v)| (k, v)));
        if let Some(dir) = &self.current_dir {
            cmd.current_dir(dir);
        }
        Running {
            child: cmd.spawn().expect("spawn acmers"),
            deadline: Instant::now() + self.timeout,
            args: self.args.clone(),
            timeout: self.timeout,
            out_path,
            err_path,
            _dir: dir,
        }
    }

    /// The directory `$HOME` pointed at (tests check acmers left it alone).
    pub(crate) fn user_home(&self) -> &Path {
        &self.user_home
    }
}

/// An `acmers` run in the background: it can be sent signals, then waited for.
pub(crate) struct Running {
    child: Child,
    deadline: Instant,
    args: Vec<OsString>,
    timeout: Duration,
    out_path: PathBuf,
    err_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Running {
    /// Send `signal` (`TERM`, `INT`, `HUP`, …) to the process.
    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Wait for the end (killed, failing the test, past the builder's timeout).
    pub(crate) fn wait(mut self) -> Output {
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait acmers") {
                break status;
            }
            if Instant::now() > self.deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "acmers {:?} did not finish within {:?}: killed\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    self.args,
                    self.timeout,
                    fs::read_to_string(&self.out_path).unwrap_or_default(),
                    fs::read_to_string(&self.err_path).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        Output {
            code: status.code().unwrap_or(-1),
            stdout: fs::read_to_string(&self.out_path).expect("read stdout"),
            stderr: fs::read_to_string(&self.err_path).expect("read stderr"),
            args: self.args,
        }
    }
}
