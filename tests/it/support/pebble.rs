//! A real Pebble (Debian's `pebble` 2.4) plus `pebble-challtestsrv` as its DNS server, on
//! loopback with fresh ports, a throwaway TLS certificate and a temp config per test.
//!
//! The mock DNS answers every `A` query with 127.0.0.1 and no `AAAA` (unless
//! [`PebbleOpts::dns_ipv4`] / [`PebbleOpts::dns_ipv6`] say otherwise, or [`Pebble::add_a`]
//! adds a name's own answer), so Pebble validates http-01 against `127.0.0.1:<http_port>`,
//! where the test runs acmers' standalone server or nginx, and tls-alpn-01 against
//! `127.0.0.1:<tls_port>`. Both processes are killed on drop; when the test panics their logs
//! are printed.

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::support::certs::LocalTls;
use crate::support::net::free_port;
use crate::support::net::https_request;
use crate::support::process::Subprocess;

/// How to start Pebble.
pub(crate) struct PebbleOpts {
    /// Percentage of valid nonces Pebble rejects as `badNonce` (`PEBBLE_WFE_NONCEREJECT`).
    pub(crate) nonce_reject: u8,
    /// The port Pebble validates http-01 challenges against.
    pub(crate) http_port: u16,
    /// The port Pebble validates tls-alpn-01 challenges against.
    pub(crate) tls_port: u16,
    /// The mock DNS's answer to every `A` query (empty: none).
    pub(crate) dns_ipv4: &'static str,
    /// The mock DNS's answer to every `AAAA` query (empty: none).
    pub(crate) dns_ipv6: &'static str,
    /// A real DNS server (BIND, PowerDNS) Pebble asks instead of `pebble-challtestsrv`,
    /// which is then not started.
    pub(crate) dns_server: Option<SocketAddr>,
    /// External account binding keys (key id, base64url HMAC key): when given, Pebble
    /// requires a binding for every new account (`externalAccountBindingRequired`).
    pub(crate) eab_keys: Vec<(String, String)>,
    /// Percentage of valid authorizations Pebble reuses for a new order of the same account
    /// (`PEBBLE_AUTHZREUSE`; 0: every order is validated).
    pub(crate) authz_reuse: u8,
    /// How many alternate roots (and chains to them) Pebble serves besides its default one
    /// (`PEBBLE_ALTERNATE_ROOTS`): each certificate download links them as
    /// `rel="alternate"`.
    pub(crate) alternate_roots: u8,
}

/// The environment variable that sets [`PebbleOpts::nonce_reject`]'s default (0 when unset),
/// so a whole test run can be repeated against a Pebble that rejects nonces
/// (docs/testing.md).
const NONCE_REJECT_VAR: &str = "ACMERS_TEST_NONCE_REJECT";

impl Default for PebbleOpts {
    fn default() -> Self {
        let nonce_reject = std::env::var(NONCE_REJECT_VAR).map_or(0, |v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{NONCE_REJECT_VAR}={v:?} is not a percentage"))
        });
        Self {
            nonce_reject,
            http_port: free_port(),
            tls_port: free_port(),
            dns_ipv4: "127.0.0.1",
            dns_ipv6: "",
            dns_server: None,
            eab_keys: Vec::new(),
            authz_reuse: 0,
            alternate_roots: 0,
        }
    }
}

/// A running Pebble and its mock DNS server.
pub(crate) struct Pebble {
    // Field order matters: processes die before their temp dir is removed.
    pebble: Subprocess,
    _challtestsrv: Option<Subprocess>,
    listen: SocketAddr,
    management: SocketAddr,
    /// `pebble-challtestsrv`'s management API, when it runs.
    dns_management: Option<SocketAddr>,
    http_port: u16,
    tls_port: u16,
    ca_pem: String,
    ca_bundle: PathBuf,
    dir: TempDir,
}

/// Fail (never skip) when a Pebble binary is missing.
fn require(binary: &str) {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(binary).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{binary} not found: run scripts/test, which installs it"
    );
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

impl Pebble {
    /// Start `pebble-challtestsrv` and `pebble`, and wait until both listen.
    pub(crate) fn start(opts: PebbleOpts) -> Self {
        require("pebble");
        if opts.dns_server.is_none() {
            require("pebble-challtestsrv");
        }
        let dir = tempfile::Builder::new()
            .prefix("pebble-")
            .tempdir()
            .expect("tempdir");
        let tls = LocalTls::generate();
        let ca_bundle = dir.path().join("test-ca.pem");
        fs::write(&ca_bundle, &tls.ca_pem).expect("write CA");
        fs::write(dir.path().join("cert.pem"), &tls.cert_pem).expect("write cert");
        fs::write(dir.path().join("key.pem"), &tls.key_pem).expect("write key");

        let listen = loopback(free_port());
        let management = loopback(free_port());
        let mac_keys: serde_json::Map<String, serde_json::Value> = opts
            .eab_keys
            .iter()
            .map(|(kid, key)| (kid.clone(), key.clone().into()))
            .collect();
        let config = serde_json::json!({
            "pebble": {
                "listenAddress": listen.to_string(),
                "managementListenAddress": management.to_string(),
                "certificate": dir.path().join("cert.pem"),
                "privateKey": dir.path().join("key.pem"),
                "httpPort": opts.http_port,
                "tlsPort": opts.tls_port,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": !mac_keys.is_empty(),
                "externalAccountMACKeys": mac_keys
            }
        });
        let config_path = dir.path().join("pebble-config.json");
        fs::write(&config_path, config.to_string()).expect("write config");

        let (dns, dns_management, challtestsrv) = match opts.dns_server {
            Some(server) => (server, None, None),
            None => {
                let dns = loopback(free_port());
                let dns_management = loopback(free_port());
                let mut dns_cmd = Command::new("pebble-challtestsrv");
                dns_cmd.args([
                    "-defaultIPv4",
                    opts.dns_ipv4,
                    "-defaultIPv6",
                    opts.dns_ipv6,
                    "-dns01",
                    &dns.to_string(),
                    "-http01",
                    "",
                    "-https01",
                    "",
                    "-tlsalpn01",
                    "",
                    "-management",
                    &dns_management.to_string(),
                ]);
                clear_proxies(&mut dns_cmd);
                let mut challtestsrv =
                    Subprocess::spawn("pebble-challtestsrv", dns_cmd, dir.path());
                challtestsrv.wait_listening(dns_management);
                challtestsrv.wait_listening(dns);
                (dns, Some(dns_management), Some(challtestsrv))
            }
        };
        let mut cmd = Command::new("pebble");
        cmd.arg("-config")
            .arg(&config_path)
            .arg("-dnsserver")
            .arg(dns.to_string())
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_AUTHZREUSE", opts.authz_reuse.to_string())
            .env("PEBBLE_WFE_NONCEREJECT", opts.nonce_reject.to_string())
            .env("PEBBLE_ALTERNATE_ROOTS", opts.alternate_roots.to_string());
        clear_proxies(&mut cmd);
        let mut pebble = Subprocess::spawn("pebble", cmd, dir.path());
        pebble.wait_listening(listen);
        pebble.wait_listening(management);

        Self {
            pebble,
            _challtestsrv: challtestsrv,
            listen,
            management,
            dns_management,
            http_port: opts.http_port,
            tls_port: opts.tls_port,
            ca_pem: tls.ca_pem,
            ca_bundle,
            dir,
        }
    }

    /// The ACME directory URL, `https://127.0.0.1:<port>/dir`.
    pub(crate) fn directory_url(&self) -> String {
        format!("https://{}/dir", self.listen)
    }

    /// The PEM file that makes Pebble's listener trusted (`--ca-bundle`).
    pub(crate) fn ca_bundle_path(&self) -> &Path {
        &self.ca_bundle
    }

    /// The port Pebble validates http-01 against.
    pub(crate) fn http_port(&self) -> u16 {
        self.http_port
    }

    /// The port Pebble validates tls-alpn-01 against.
    pub(crate) fn tls_port(&self) -> u16 {
        self.tls_port
    }

    /// Make the mock DNS answer `A` queries for `host` with `address` (its management API's
    /// `/add-a`), so Pebble validates that name there.
    pub(crate) fn add_a(&self, host: &str, address: &str) {
        let management = self.dns_management.expect("pebble-challtestsrv runs");
        let body =
            serde_json::json!({ "host": format!("{host}."), "addresses": [address] }).to_string();
        let mut stream = TcpStream::connect(management).expect("connect to challtestsrv");
        write!(
            stream,
            "POST /add-a HTTP/1.1\r\nHost: {management}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("send /add-a");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read /add-a");
        assert!(response.starts_with("HTTP/1.1 200"), "/add-a: {response}");
    }

    /// Pebble's issuing root (`GET /roots/0` on the management interface), PEM.
    pub(crate) fn root_pem(&self) -> String {
        self.root_pem_at(0)
    }

    /// Pebble's root number `index` (`GET /roots/<index>`; 1 and up are the
    /// [`PebbleOpts::alternate_roots`]), PEM.
    pub(crate) fn root_pem_at(&self, index: u8) -> String {
        let url = format!("https://{}/roots/{index}", self.management);
        let response = https_request(reqwest::Method::GET, &url, &self.ca_pem, None);
        assert_eq!(response.status, 200, "{url}: {}", response.body);
        response.body
    }

    /// Pebble's record of the certificate with serial `serial_hex` (`GET
    /// /cert-status-by-serial/<hex>` on the management interface): `Status` is `Valid` or
    /// `Revoked`; a revoked one has `RevokedAt` and, when the request gave one, `Reason`.
    pub(crate) fn cert_status(&self, serial_hex: &str) -> serde_json::Value {
        let url = format!(
            "https://{}/cert-status-by-serial/{serial_hex}",
            self.management
        );
        let response = https_request(reqwest::Method::GET, &url, &self.ca_pem, None);
        assert_eq!(response.status, 200, "{url}: {}", response.body);
        serde_json::from_str(&response.body).expect("cert status is JSON")
    }

    /// The directory object, parsed.
    pub(crate) fn directory(&self) -> serde_json::Value {
        let response = https_request(
            reqwest::Method::GET,
            &self.directory_url(),
            &self.ca_pem,
            None,
        );
        assert_eq!(response.status, 200, "directory: {}", response.body);
        serde_json::from_str(&response.body).expect("directory is JSON")
    }

    /// How many orders Pebble has created so far, read from its log.
    pub(crate) fn orders_created(&self) -> usize {
        self.pebble.logs().matches("Added order ").count()
    }

    /// Where the config and logs live.
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Pebble's validation client honours proxy variables for names like `a.example.test`.
fn clear_proxies(cmd: &mut Command) {
    for var in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ] {
        cmd.env_remove(var);
    }
}
