//! Shared test plumbing: free ports, child-process guards, the `acmers` command builder,
//! and a reader for acme.sh conf files. HTTP(S) clients are in [`crate::net`].

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::fs::{self, File};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A loopback port that was free a moment ago for both TCP and UDP, and that this process
/// has never handed out before (so parallel tests do not collide with each other).
pub(crate) fn free_port() -> u16 {
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = tcp.local_addr().expect("local addr").port();
        if UdpSocket::bind(("127.0.0.1", port)).is_err() {
            continue;
        }
        let mut given = GIVEN.lock().expect("port registry");
        if given.get_or_insert_with(HashSet::new).insert(port) {
            return port;
        }
    }
}

/// Whether something accepts TCP connections on `addr` before `timeout` passes.
pub(crate) fn wait_for_tcp(addr: SocketAddr, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

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

/// What one `acmers` run produced; printed if the test panics while holding it.
#[derive(Debug)]
pub(crate) struct Output {
    /// The exit code (-1 when killed by a signal).
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Output {
    /// Panic unless the exit code is `expected` (the streams are printed by `Drop`).
    pub(crate) fn assert_code(&self, expected: i32) -> &Self {
        assert_eq!(self.code, expected, "acmers exit code");
        self
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- acmers exited {} ---\n--- stdout ---\n{}\n--- stderr ---\n{}",
                self.code, self.stdout, self.stderr
            );
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
        }
    }
}

/// A parsed acme.sh conf file. Indexing with a missing key panics with the file's path
/// and contents.
#[derive(Debug)]
pub(crate) struct Conf {
    path: PathBuf,
    map: BTreeMap<String, String>,
}

impl Conf {
    /// The value of `key`, if present.
    pub(crate) fn get(&self, key: &str) -> Option<&String> {
        self.map.get(key)
    }

    /// How many keys the file sets.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

impl std::ops::Index<&str> for Conf {
    type Output = String;

    fn index(&self, key: &str) -> &String {
        self.map
            .get(key)
            .unwrap_or_else(|| panic!("no {key} in {}: {:#?}", self.path.display(), self.map))
    }
}

/// Read an acme.sh conf file (`KEY='value'` lines; `'\''` escapes, double quotes and bare
/// values are accepted too). Panics if the file is missing.
pub(crate) fn read_conf(path: &Path) -> Conf {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read conf {}: {e}", path.display()));
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let value = if let Some(v) = raw.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
            v.replace("'\\''", "'")
        } else if let Some(v) = raw.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            v.to_owned()
        } else {
            raw.to_owned()
        };
        map.insert(key.to_owned(), value);
    }
    Conf {
        path: path.to_owned(),
        map,
    }
}

/// acme.sh's own home made by acme.sh 3.1.4 (tests/fixtures/README.md).
pub(crate) const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/acmesh-home-basic"
);

/// Copy the fixture home's contents into `home` (created when missing), keeping nothing
/// read-only.
pub(crate) fn copy_fixture_home(home: &Path) {
    fn copy_tree(from: &Path, to: &Path) {
        use std::os::unix::fs::PermissionsExt as _;
        fs::create_dir_all(to).expect("mkdir");
        // Fixed modes whatever the umask: acmers refuses, as root, to run hooks saved in a
        // conf that others can write.
        fs::set_permissions(to, fs::Permissions::from_mode(0o755)).expect("chmod dir");
        for entry in fs::read_dir(from).expect("read_dir fixture") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("file type").is_dir() {
                copy_tree(&entry.path(), &target);
            } else {
                fs::copy(entry.path(), &target).expect("copy fixture file");
                fs::set_permissions(&target, fs::Permissions::from_mode(0o644))
                    .expect("chmod file");
            }
        }
    }
    copy_tree(Path::new(FIXTURE), home);
}

/// Every file under `dir`, relative path → bytes.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root").to_owned();
                out.insert(rel, fs::read(&path).expect("read file"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}
