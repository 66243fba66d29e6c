//! A real PowerDNS Authoritative server (Debian's `pdns-server` with the sqlite3 backend) on
//! loopback, per test: a temp dir, a database made from the Debian schema, fresh ports for
//! DNS and the HTTP API, a random API key, and the zone `acme.test` (SOA, NS `ns.acme.test`,
//! A records for the apex, the wildcard and `ns`, all 127.0.0.1) created through the API.
//!
//! Pebble can use [`PowerDns::dns_addr`] as its `-dnsserver` (and acmers as its
//! `--dns-resolver`); [`PowerDns::txt`] asks it with `dig`. The server is stopped on drop;
//! when the test panics its log is printed. A missing binary fails the test (never skips).

use std::fs::File;
use std::io::Read as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::support::net::free_port;
use crate::support::process::Subprocess;

/// The zone every server starts with.
pub(crate) const ZONE: &str = "acme.test";

/// A running PowerDNS; stopped on drop.
pub(crate) struct PowerDns {
    // Field order matters: the process dies before its temp dir is removed.
    process: Subprocess,
    api: SocketAddr,
    dns: SocketAddr,
    key: String,
    _dir: TempDir,
}

/// `name` from PATH, `/usr/sbin` or `/usr/bin`; panics (never skips) when absent.
fn binary(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("{name} not found: run scripts/test, which installs it"))
}

/// Debian's schema of the sqlite3 backend.
const SCHEMA: &str = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql";

/// A random API key (hex of 16 bytes from the system's generator).
fn random_key() -> String {
    let mut bytes = [0u8; 16];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("read /dev/urandom");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

impl PowerDns {
    /// Start a server holding `acme.test` and wait until it answers for it.
    pub(crate) fn start() -> Self {
        let pdns_server = binary("pdns_server");
        let sqlite3 = binary("sqlite3");
        binary("dig");
        assert!(
            Path::new(SCHEMA).is_file(),
            "{SCHEMA} not found (pdns-backend-sqlite3): run scripts/test, which installs it"
        );
        let dir = tempfile::Builder::new()
            .prefix("pdns-")
            .tempdir()
            .expect("tempdir");
        let db = dir.path().join("pdns.sqlite3");
        let made = Command::new(&sqlite3)
            .arg(&db)
            .stdin(File::open(SCHEMA).expect("open schema"))
            .stdout(Stdio::null())
            .status()
            .expect("run sqlite3");
        assert!(made.success(), "sqlite3 could not create {}", db.display());

        let dns = loopback(free_port());
        let api = loopback(free_port());
        let key = random_key();
        let mut cmd = Command::new(pdns_server);
        cmd.args([
            "--no-config",
            "--daemon=no",
            "--guardian=no",
            "--disable-syslog",
            "--launch=gsqlite3",
            &format!("--gsqlite3-database={}", db.display()),
            "--local-address=127.0.0.1",
            &format!("--local-port={}", dns.port()),
            "--api=yes",
            &format!("--api-key={key}"),
            "--webserver=yes",
            "--webserver-address=127.0.0.1",
            &format!("--webserver-port={}", api.port()),
            "--webserver-allow-from=127.0.0.0/8",
            &format!("--socket-dir={}", dir.path().display()),
            // No security-status lookup on the internet.
            "--security-poll-suffix=",
        ]);
        let mut process = Subprocess::spawn("pdns_server", cmd, dir.path());
        process.wait_listening(dns);
        process.wait_listening(api);
        let server = Self {
            process,
            api,
            dns,
            key,
            _dir: dir,
        };
        server.create_zone();
        server.wait_answering();
        server
    }

    /// The API's base URL, `http://127.0.0.1:<port>` (acme.sh's `PDNS_Url`; the server id
    /// is `localhost`).
    pub(crate) fn api_url(&self) -> String {
        format!("http://{}", self.api)
    }

    /// The API key (`PDNS_Token`).
    pub(crate) fn api_key(&self) -> &str {
        &self.key
    }

    /// Where it answers DNS queries (UDP and TCP).
    pub(crate) fn dns_addr(&self) -> SocketAddr {
        self.dns
    }

    /// The TXT values at `name`, as `dig` gets them from the server, sorted.
    pub(crate) fn txt(&self, name: &str) -> Vec<String> {
        let mut values: Vec<String> = dig(self.dns, name, "TXT")
            .unwrap_or_else(|e| panic!("{e}\n{}", self.process.log_tail()))
            .iter()
            .map(|line| unquote(line))
            .collect();
        values.sort();
        values
    }

    /// Create `acme.test` through the API.
    fn create_zone(&self) {
        let rrset = |name: &str, kind: &str, content: &str| {
            serde_json::json!({"name": name, "type": kind, "ttl": 60,
                               "records": [{"content": content, "disabled": false}]})
        };
        let zone = serde_json::json!({
            "name": format!("{ZONE}."),
            "kind": "Native",
            "nameservers": [],
            "rrsets": [
                rrset("acme.test.", "SOA", "ns.acme.test. hostmaster.acme.test. 1 3600 600 86400 60"),
                rrset("acme.test.", "NS", "ns.acme.test."),
                rrset("acme.test.", "A", "127.0.0.1"),
                rrset("*.acme.test.", "A", "127.0.0.1"),
                rrset("ns.acme.test.", "A", "127.0.0.1"),
            ],
        });
        let url = format!("{}/api/v1/servers/localhost/zones", self.api_url());
        let (status, body) = self.api_post(&url, zone.to_string());
        assert_eq!(
            status,
            201,
            "creating {ZONE}: {body}\n{}",
            self.process.log_tail()
        );
    }

    /// POST `body` to the API with the key; (status, body).
    fn api_post(&self, url: &str, body: String) -> (u16, String) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let response = reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client")
                .post(url)
                .header("X-API-Key", &self.key)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("POST {url}: {e}"));
            let status = response.status().as_u16();
            (status, response.text().await.expect("body"))
        })
    }

    /// Wait until the server answers the zone's SOA.
    fn wait_answering(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if dig(self.dns, ZONE, "SOA").is_ok_and(|lines| !lines.is_empty()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "PowerDNS did not answer for {ZONE} within 30 s\n{}",
            self.process.log_tail()
        );
    }
}

/// The answer lines of `dig +short` asking `server` for `name` `rtype`, or why it failed.
pub(crate) fn dig(server: SocketAddr, name: &str, rtype: &str) -> Result<Vec<String>, String> {
    let output = Command::new(binary("dig"))
        .args([
            "+short",
            "+tries=2",
            "+time=2",
            &format!("@{}", server.ip()),
            "-p",
            &server.port().to_string(),
            name,
            rtype,
        ])
        .output()
        .map_err(|e| format!("cannot run dig: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if output.status.success() {
        Ok(text.lines().map(str::to_owned).collect())
    } else {
        Err(format!(
            "dig @{server} {name} {rtype} failed: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// One line of `dig +short` TXT output (`"a" "b"`) as the value it stands for (`ab`).
fn unquote(line: &str) -> String {
    let mut value = String::new();
    let mut chars = line.trim().chars();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' => value.extend(chars.next()),
            ' ' if !quoted => {}
            other => value.push(other),
        }
    }
    value
}
