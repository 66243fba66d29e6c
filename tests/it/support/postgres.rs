//! A real PostgreSQL (Debian's `postgresql`; its newest `/usr/lib/postgresql/<major>/bin`)
//! as a throwaway cluster on loopback, for the fleet store's tests (docs/testing.md).
//!
//! [`Postgres::start`] makes a cluster of its own with `initdb` in a temp dir: superuser
//! `postgres` with a random password (scram-sha-256 over TCP, trust on its Unix socket, which
//! lives in the temp dir), `listen_addresses = '127.0.0.1'` on a fresh port, room for 300
//! connections, and `fsync`, `synchronous_commit` and `full_page_writes` off (test speed
//! only: a crashed cluster is thrown away). [`Postgres::shared`] is one such cluster per test
//! process, never restarted or stopped; a test that restarts or stops its cluster starts its
//! own. [`Postgres::database`] gives each test a fresh, empty database.
//!
//! `initdb` refuses to run as root, so when the tests run as root the cluster runs as the
//! `postgres` user the package creates. The cluster never outlives the test process: a
//! watchdog child (its own process group, so a Ctrl-C of the tests does not stop it early)
//! waits for end-of-file on a pipe only this process holds, then stops the server
//! (`pg_ctl stop -m immediate`) and removes the temp dir. Dropping a [`Postgres`] closes that
//! pipe and waits for the watchdog; the shared cluster, never dropped, is cleaned up when the
//! process exits, and so is every cluster of a killed test. When the owning test panics, the
//! server log's tail is printed. Missing binaries fail the test (never skip).

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::support::net::free_port;

/// Where Debian installs each major version's server binaries.
const DEBIAN_LIB: &str = "/usr/lib/postgresql";

/// The superuser every cluster is made with.
const SUPERUSER: &str = "postgres";

/// A running throwaway cluster; stopped and removed on drop (or when the process exits).
pub(crate) struct Postgres {
    /// The server binaries (`initdb`, `pg_ctl`, `psql`).
    bin: PathBuf,
    /// The temp dir: `data/` (the cluster), the socket, `postgres.log`, the TLS files.
    dir: PathBuf,
    /// The uid and gid the cluster runs as when the tests run as root.
    owner: Option<(u32, u32)>,
    port: u16,
    password: String,
    tls: bool,
    /// The [`Postgres::shared`] cluster, which must never be restarted or stopped.
    shared: bool,
    next_database: AtomicU32,
    /// Stops the server and removes `dir` once its stdin closes.
    watchdog: Child,
}

impl Postgres {
    /// A new cluster of the caller's own, running and accepting connections.
    pub(crate) fn start() -> Self {
        Self::launch(None, false)
    }

    /// A new cluster that accepts TCP connections only over TLS (`ssl = on`, `hostssl` in
    /// `pg_hba.conf`) with `cert_pem` (the server certificate, then any intermediates) and
    /// `key_pem`; its URLs say `sslmode=require`.
    pub(crate) fn start_with_tls(cert_pem: &str, key_pem: &str) -> Self {
        Self::launch(Some((cert_pem, key_pem)), false)
    }

    /// The cluster this test process shares (started by the first caller): for tests that
    /// only need a database of their own. It is never restarted or stopped.
    pub(crate) fn shared() -> &'static Self {
        static SHARED: OnceLock<Postgres> = OnceLock::new();
        SHARED.get_or_init(|| Self::launch(None, true))
    }

    fn launch(tls: Option<(&str, &str)>, shared: bool) -> Self {
        let bin = server_binaries();
        let owner = rustix::process::geteuid().is_root().then(postgres_user_ids);
        let dir = tempfile::Builder::new()
            .prefix("postgres-")
            .tempdir()
            .expect("tempdir")
            .keep();
        let dir_text = dir.to_str().expect("temp dir path is UTF-8");
        assert!(
            !dir_text.contains(['\'', '\\']),
            "temp dir {dir_text} cannot be quoted in postgresql.conf"
        );
        chown(&dir, owner);
        let watchdog = Self::command_as(&bin, &dir, owner, "sh")
            .args([
                "-c",
                "cat >/dev/null; \"$1\" stop -D \"$2\" -m immediate -w >/dev/null 2>&1; \
                 rm -rf -- \"$3\"",
                "sh",
            ])
            .arg(bin.join("pg_ctl"))
            .arg(dir.join("data"))
            .arg(&dir)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the cluster's watchdog (sh)");
        let cluster = Self {
            bin,
            dir,
            owner,
            port: free_port(),
            password: random_hex(),
            tls: tls.is_some(),
            shared,
            next_database: AtomicU32::new(1),
            watchdog,
        };
        cluster.init(tls);
        cluster.pg_ctl(&["start"]);
        cluster
    }

    /// `initdb`, then the settings, the TLS files and `pg_hba.conf` (which replaces
    /// initdb's).
    fn init(&self, tls: Option<(&str, &str)>) {
        let pwfile = self.dir.join("pwfile");
        self.write_owned(&pwfile, &self.password, 0o600);
        let mut initdb = self.command("initdb");
        initdb
            .arg("-D")
            .arg(self.data())
            .args([
                "-U",
                SUPERUSER,
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ])
            .arg(format!("--pwfile={}", pwfile.display()));
        self.run("initdb", initdb);
        fs::remove_file(&pwfile).expect("remove pwfile");

        let dir = self.dir.display();
        let mut conf = format!(
            "\n# acmers test cluster (tests/it/support/postgres.rs)\n\
             listen_addresses = '127.0.0.1'\n\
             port = {port}\n\
             unix_socket_directories = '{dir}'\n\
             max_connections = 300\n\
             shared_buffers = 16MB\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n",
            port = self.port
        );
        if let Some((cert_pem, key_pem)) = tls {
            let (cert, key) = (self.dir.join("server.crt"), self.dir.join("server.key"));
            self.write_owned(&cert, cert_pem, 0o644);
            self.write_owned(&key, key_pem, 0o600);
            conf += &format!(
                "ssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
                cert.display(),
                key.display()
            );
        }
        let conf_path = self.data().join("postgresql.conf");
        let mut text = fs::read_to_string(&conf_path).expect("read postgresql.conf");
        text += &conf;
        self.write_owned(&conf_path, &text, 0o600);
        let host = if self.tls { "hostssl" } else { "host" };
        self.write_owned(
            &self.data().join("pg_hba.conf"),
            &format!("local all all trust\n{host} all all 127.0.0.1/32 scram-sha-256\n"),
            0o600,
        );
    }

    /// A fresh, empty database with a name no other call on this cluster gives, as the URL
    /// `postgres://postgres:<password>@127.0.0.1:<port>/<name>?sslmode=disable` (`require`
    /// on a TLS cluster).
    pub(crate) fn database(&self) -> String {
        let name = format!(
            "test_{}",
            self.next_database.fetch_add(1, Ordering::Relaxed)
        );
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// The URL of database `db` (a name, or a URL from [`Postgres::database`]) with the
    /// superuser's password.
    pub(crate) fn url(&self, db: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{}?sslmode={}",
            self.password,
            self.port,
            name_of(db),
            self.sslmode()
        )
    }

    /// The URL of database `db` without a password (for tests of the password file).
    pub(crate) fn url_without_password(&self, db: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@127.0.0.1:{}/{}?sslmode={}",
            self.port,
            name_of(db),
            self.sslmode()
        )
    }

    /// The superuser's password.
    pub(crate) fn password(&self) -> &str {
        &self.password
    }

    /// The loopback port the server listens on (the same after a restart).
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    fn sslmode(&self) -> &'static str {
        if self.tls { "require" } else { "disable" }
    }

    /// Run `sql` in database `db` (a name or a URL) as the superuser with `psql` over the
    /// Unix socket, stopping at the first error (which panics with psql's message). Returns
    /// the rows unaligned (`|` between columns, one row a line, no header, no command tags),
    /// without the last newline.
    pub(crate) fn psql(&self, db: &str, sql: &str) -> String {
        let mut psql = self.command("psql");
        psql.args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.dir)
            .args(["-p", &self.port.to_string(), "-U", SUPERUSER, "-d"])
            .arg(name_of(db))
            .args(["-c", sql]);
        let mut out = self.run("psql", psql);
        if out.ends_with('\n') {
            out.pop();
        }
        out
    }

    /// A `tokio_postgres` client of database `db` (a name or a URL), its connection driven
    /// by a task on the current runtime. Plain clusters only (a TLS test builds its client
    /// with its own trust).
    pub(crate) async fn client(&self, db: &str) -> tokio_postgres::Client {
        assert!(!self.tls, "Postgres::client does not do TLS");
        let url = self.url(db);
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
        tokio::spawn(async move {
            let _ = connection.await;
        });
        client
    }

    /// End every session of database `db` (a name or a URL) with `pg_terminate_backend`,
    /// waiting up to 10 s for each to exit; returns how many ended.
    pub(crate) fn terminate_backends(&self, db: &str) -> usize {
        let literal = name_of(db).replace('\'', "''");
        let ended = self.psql(
            "postgres",
            &format!(
                "SELECT count(*) FILTER (WHERE ended) FROM (SELECT \
                 pg_terminate_backend(pid, 10000) AS ended FROM pg_stat_activity \
                 WHERE datname = '{literal}' AND pid <> pg_backend_pid()) AS sessions"
            ),
        );
        ended.parse().expect("a count")
    }

    /// Restart the server (`pg_ctl restart -m fast`, same port and data), waiting until it
    /// accepts connections again. Not on the shared cluster.
    pub(crate) fn restart(&self) {
        self.assert_own();
        self.pg_ctl(&["restart", "-m", "fast"]);
    }

    /// Stop the server (`pg_ctl stop -m fast`) until [`Postgres::start_again`]. Not on the
    /// shared cluster.
    pub(crate) fn stop(&self) {
        self.assert_own();
        self.pg_ctl(&["stop", "-m", "fast"]);
    }

    /// Start the server stopped by [`Postgres::stop`] again, on the same port, and wait until
    /// it accepts connections.
    pub(crate) fn start_again(&self) {
        self.assert_own();
        self.pg_ctl(&["start"]);
    }

    fn assert_own(&self) {
        assert!(
            !self.shared,
            "the shared cluster is never restarted or stopped: use Postgres::start()"
        );
    }

    /// `pg_ctl <action> -w` on the cluster (`start` and `restart` log to `postgres.log`).
    fn pg_ctl(&self, action: &[&str]) {
        let mut pg_ctl = self.command("pg_ctl");
        pg_ctl
            .args(action)
            .arg("-w")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.log());
        self.run("pg_ctl", pg_ctl);
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn log(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    /// The server binary `program`, run as the cluster's owner with a clean environment.
    fn command(&self, program: &str) -> Command {
        Self::command_as(&self.bin, &self.dir, self.owner, self.bin.join(program))
    }

    fn command_as(
        bin: &Path,
        dir: &Path,
        owner: Option<(u32, u32)>,
        program: impl AsRef<std::ffi::OsStr>,
    ) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .env("HOME", dir)
            .env("LC_ALL", "C")
            .current_dir(dir);
        if let Some((uid, gid)) = owner {
            // As root, std also drops the supplementary groups.
            cmd.uid(uid).gid(gid);
        }
        cmd
    }

    /// Run `cmd` to its end; panic with its output and the server log's tail on failure.
    /// Returns its stdout.
    fn run(&self, what: &str, mut cmd: Command) -> String {
        let output = cmd
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {what} ({cmd:?}): {e}"));
        assert!(
            output.status.success(),
            "{what} failed ({}): {cmd:?}\n--- stdout ---\n{}\n--- stderr ---\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.log_tail()
        );
        String::from_utf8(output.stdout).expect("UTF-8 output")
    }

    /// Write a file in the temp dir that the cluster's owner owns, with `mode`.
    fn write_owned(&self, path: &Path, contents: &str, mode: u32) {
        fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
        chown(path, self.owner);
    }

    /// The last lines of the server log.
    fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.log()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(60)..];
        format!(
            "--- {} (last {} lines) ---\n{}",
            self.log().display(),
            tail.len(),
            tail.join("\n")
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", self.log_tail());
        }
        // End-of-file for the watchdog, which stops the server and removes the temp dir.
        drop(self.watchdog.stdin.take());
        let _ = self.watchdog.wait();
    }
}

/// The database name in `db`: `db` itself, or the path of a URL without its query.
fn name_of(db: &str) -> &str {
    match db.split_once("://") {
        None => db,
        Some((_, rest)) => {
            let path = rest.split_once('/').map_or("", |(_, path)| path);
            path.split_once('?').map_or(path, |(name, _)| name)
        }
    }
}

/// The newest major version's binaries under [`DEBIAN_LIB`]; panics (never skips) when none
/// has `initdb`, `pg_ctl`, `postgres` and `psql`.
fn server_binaries() -> PathBuf {
    let versions = fs::read_dir(DEBIAN_LIB).into_iter().flatten().flatten();
    versions
        .filter_map(|entry| {
            let major: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            ["initdb", "pg_ctl", "postgres", "psql"]
                .iter()
                .all(|b| bin.join(b).is_file())
                .then_some((major, bin))
        })
        .max()
        .map(|(_, bin)| bin)
        .unwrap_or_else(|| {
            panic!(
                "PostgreSQL's server binaries not found in {DEBIAN_LIB}/<major>/bin: install \
                 Debian's postgresql (scripts/test installs it)"
            )
        })
}

/// The uid and gid of the `postgres` user (from `/etc/passwd`), which Debian's package
/// creates.
fn postgres_user_ids() -> (u32, u32) {
    let passwd = fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    passwd
        .lines()
        .find_map(|line| {
            // name:password:uid:gid:…
            let mut fields = line.split(':');
            if fields.next()? != "postgres" {
                return None;
            }
            let uid = fields.nth(1)?.parse().ok()?;
            Some((uid, fields.next()?.parse().ok()?))
        })
        .unwrap_or_else(|| {
            panic!(
                "no postgres user: the tests run as root and PostgreSQL refuses root; install \
                 Debian's postgresql (scripts/test installs it), which creates the user"
            )
        })
}

fn chown(path: &Path, owner: Option<(u32, u32)>) {
    if let Some((uid, gid)) = owner {
        std::os::unix::fs::chown(path, Some(uid), Some(gid))
            .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    }
}

/// A random password: hex of 16 bytes from the system's generator.
fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).expect("random bytes");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
