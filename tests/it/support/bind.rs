//! A real BIND 9 (`named`) per test: authoritative for `acme.test` on a free loopback port,
//! taking RFC 2136 updates signed with a fresh TSIG key (docs/testing.md, docs/dns.md).
//!
//! The zone has an SOA, `NS ns.acme.test` (→ 127.0.0.1) and apex and wildcard `A 127.0.0.1`
//! records, so Pebble pointed at this server can validate http-01 too. `named` runs with
//! `recursion no` (it never asks anyone else), an empty `controls { };` (otherwise, with
//! Debian's `/etc/bind/rndc.key` present, it also opens an rndc channel on port 953) and the
//! query log on, so a test can see which queries arrived and with which flags. The key may
//! update anything in the zone (`update-policy { grant acmers-key. zonesub ANY; }`). It is
//! killed on drop; when the test panics its log is printed. A missing `named` fails the
//! test.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::support::net::free_port;
use crate::support::process::Subprocess;

/// The zone `named` serves.
pub(crate) const ZONE: &str = "acme.test";

/// The TSIG key's name.
const KEY_NAME: &str = "acmers-key";

/// A running `named`.
pub(crate) struct Bind {
    // Field order matters: the process dies before its temp dir is removed.
    process: Subprocess,
    addr: SocketAddr,
    secret: String,
    dir: TempDir,
}

/// `binary` from PATH or an sbin folder (BIND's daemons live in /usr/sbin, which a normal
/// user's PATH may lack); panics (never skips) when absent.
fn binary(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/local/sbin".into()])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("{name} not found: run scripts/test, which installs it"))
}

/// Run `cmd` to its end; panic with its output when it fails.
fn run(mut cmd: Command, stdin: Option<&str>) -> String {
    use std::io::Write as _;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut input = child.stdin.take().expect("stdin");
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .expect("write stdin");
    drop(input);
    let output = child.wait_with_output().expect("wait");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{cmd:?} failed ({}):\n{stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

impl Bind {
    /// Write the key, zone and config, start `named` and wait until it answers the zone's
    /// SOA.
    pub(crate) fn start() -> Self {
        let named = binary("named");
        let dir = tempfile::Builder::new()
            .prefix("bind-")
            .tempdir()
            .expect("tempdir");
        let d = dir.path().display();

        let mut keygen = Command::new(binary("tsig-keygen"));
        keygen.args(["-a", "hmac-sha256", KEY_NAME]);
        let key = run(keygen, None);
        let secret = key
            .lines()
            .find_map(|l| l.trim().strip_prefix("secret \"")?.strip_suffix("\";"))
            .unwrap_or_else(|| panic!("no secret in tsig-keygen's output:\n{key}"))
            .to_owned();
        fs::write(dir.path().join("tsig.key"), key).expect("write key");

        let zone = "$ORIGIN acme.test.\n$TTL 60\n\
                    @ IN SOA ns.acme.test. hostmaster.acme.test. ( 1 60 60 600 5 )\n\
                    @ IN NS ns.acme.test.\n\
                    ns IN A 127.0.0.1\n\
                    @ IN A 127.0.0.1\n\
                    * IN A 127.0.0.1\n";
        fs::write(dir.path().join("acme.test.zone"), zone).expect("write zone");

        let port = free_port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let config = format!(
            "include \"{d}/tsig.key\";\n\
             options {{\n\
             \x20   directory \"{d}\";\n\
             \x20   listen-on port {port} {{ 127.0.0.1; }};\n\
             \x20   listen-on-v6 {{ none; }};\n\
             \x20   pid-file \"{d}/named.pid\";\n\
             \x20   session-keyfile \"{d}/session.key\";\n\
             \x20   managed-keys-directory \"{d}\";\n\
             \x20   recursion no;\n\
             \x20   dnssec-validation no;\n\
             \x20   notify no;\n\
             \x20   allow-query {{ 127.0.0.1; }};\n\
             \x20   allow-transfer {{ none; }};\n\
             \x20   empty-zones-enable no;\n\
             \x20   querylog yes;\n\
             }};\n\
             controls {{ }};\n\
             zone \"{ZONE}\" {{\n\
             \x20   type primary;\n\
             \x20   file \"{d}/acme.test.zone\";\n\
             \x20   update-policy {{ grant {KEY_NAME}. zonesub ANY; }};\n\
             }};\n"
        );
        let config_path = dir.path().join("named.conf");
        fs::write(&config_path, config).expect("write config");
        let mut check = Command::new(binary("named-checkconf"));
        check.arg(&config_path);
        run(check, None);

        // -g: foreground, log to stderr; -n 1: one worker thread is plenty.
        let mut cmd = Command::new(named);
        cmd.arg("-g").arg("-n").arg("1").arg("-c").arg(&config_path);
        let mut process = Subprocess::spawn("named", cmd, dir.path());
        process.wait_listening(addr);
        let bind = Self {
            process,
            addr,
            secret,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while bind.dig("SOA", ZONE).trim().is_empty() {
            assert!(
                Instant::now() < deadline,
                "named does not answer the SOA of {ZONE} within 30 s\n{}",
                bind.process.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        bind
    }

    /// Where it listens (UDP and TCP).
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The TSIG key file, as `tsig-keygen` wrote it.
    pub(crate) fn key_path(&self) -> PathBuf {
        self.dir.path().join("tsig.key")
    }

    /// The key's name.
    pub(crate) fn key_name(&self) -> &'static str {
        KEY_NAME
    }

    /// The key's base64 secret.
    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    /// The zone it serves.
    pub(crate) fn zone(&self) -> &'static str {
        ZONE
    }

    /// Everything `named` logged so far (its query log included).
    pub(crate) fn log(&self) -> String {
        self.process.logs()
    }

    /// The query-log lines of queries for `name` (`… query: NAME IN TYPE FLAGS (…)`, where
    /// FLAGS starts with `+` when recursion was desired and `-` when not) in `log`.
    pub(crate) fn queries<'a>(log: &'a str, name: &str) -> Vec<&'a str> {
        let needle = format!("query: {name} IN ");
        log.lines().filter(|l| l.contains(&needle)).collect()
    }

    /// The TXT values at `name`, sorted (a non-recursive `dig`).
    pub(crate) fn txt(&self, name: &str) -> Vec<String> {
        let mut values: Vec<String> = self
            .dig("TXT", name)
            .lines()
            .map(|l| l.trim().trim_matches('"').to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        values.sort();
        values
    }

    /// Apply `nsupdate` commands (`update add …`, one per line) to the zone with the key.
    pub(crate) fn nsupdate(&self, commands: &str) {
        let mut cmd = Command::new(binary("nsupdate"));
        cmd.arg("-k").arg(self.key_path());
        let input = format!(
            "server 127.0.0.1 {}\nzone {ZONE}.\n{commands}\nsend\n",
            self.addr.port()
        );
        run(cmd, Some(&input));
    }

    /// `dig +short +norecurse` for one record type at `name` (empty on no answer).
    fn dig(&self, rtype: &str, name: &str) -> String {
        let output = Command::new(binary("dig"))
            .args([
                "+short",
                "+norecurse",
                "+time=2",
                "+tries=1",
                "@127.0.0.1",
                "-p",
            ])
            .arg(self.addr.port().to_string())
            .args([rtype, name])
            .stdin(Stdio::null())
            .output()
            .expect("run dig");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for Bind {
    /// `named` takes about 2 s to stop on SIGTERM; nothing of its state outlives the test,
    /// so it gets SIGKILL — only when the pid it recorded is our child called `named`.
    fn drop(&mut self) {
        let pid = fs::read_to_string(self.dir.path().join("named.pid")).unwrap_or_default();
        let pid = pid.trim();
        let proc = Path::new("/proc").join(pid);
        let comm = fs::read_to_string(proc.join("comm")).unwrap_or_default();
        let parent = fs::read_to_string(proc.join("stat")).ok().and_then(|stat| {
            let after_name = stat.rsplit_once(')')?.1.to_owned();
            after_name.split_whitespace().nth(1)?.parse::<u32>().ok()
        });
        if !pid.is_empty() && comm.trim() == "named" && parent == Some(std::process::id()) {
            let _ = Command::new("kill").args(["-KILL", pid]).status();
        }
    }
}
