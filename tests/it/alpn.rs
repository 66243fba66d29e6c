//! tls-alpn-01 (`--alpn`, `--tlsport`), `--listen-v4`/`--listen-v6` and `--local-address`
//! lists against a real Pebble (its VA validates tls-alpn-01 on its `tlsPort` and http-01 on
//! its `httpPort`, at the addresses its mock DNS answers), and the listener under a signal
//! against the fake CA (authorizations pending forever), probed with a real TLS client.

use std::fs;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::support::acmers::{Acmers, Output};
use crate::support::certs::leaf_sans;
use crate::support::conf::read_conf;
use crate::support::fake_acme::{FakeAcme, Fault};
use crate::support::home::{copy_fixture_home, read, site};
use crate::support::lineage::{ecc_dir, renew_forced};
use crate::support::net::free_port;
use crate::support::pebble::{Pebble, PebbleOpts};

const NAME: &str = "alpn.example.test";

/// `--issue` of `names` at Pebble with the extra `args`.
fn issue(home: &Path, pebble: &Pebble, names: &[&str], args: &[&str]) -> Output {
    let mut cmd = Acmers::new(home).arg("--issue");
    for name in names {
        cmd = cmd.args(["-d", name]);
    }
    cmd.args(args)
        .args(["--server", &pebble.directory_url()])
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path())
        .run()
}

/// Nothing listens on `port` on any address: a dual-stack bind of `[::]:port` conflicts with
/// every IPv4 and IPv6 listener on the port.
fn assert_port_free(port: u16) {
    let bound = TcpListener::bind(SocketAddr::from(([0u16; 8], port)));
    assert!(bound.is_ok(), "port {port} is still taken: {bound:?}");
}

#[test]
fn alpn_dns_and_ip_names_then_renewal_from_the_saved_conf() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let port = pebble.tls_port().to_string();
    let out = issue(
        &site.home,
        &pebble,
        &[NAME, "127.0.0.1"],
        &["--alpn", "--tlsport", &port],
    );
    out.assert_code(0).assert_stdout_has("Cert success.");
    let dir = ecc_dir(&site.home, NAME);
    let conf_path = dir.join(format!("{NAME}.conf"));
    let conf = read_conf(&conf_path);
    assert_eq!(conf["Le_Webroot"], "alpn");
    assert_eq!(conf["Le_TLSPort"], port);
    assert_eq!(
        leaf_sans(&read(&dir.join("fullchain.cer"))),
        [NAME, "127.0.0.1"]
    );
    assert_port_free(pebble.tls_port());

    // The renewal takes mode and port from the conf alone.
    let cert_before = read(&dir.join(format!("{NAME}.cer")));
    let out = Acmers::new(&site.home)
        .args(["--renew", "-d", NAME, "--force"])
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path())
        .run();
    out.assert_code(0).assert_stdout_has("Cert success.");
    assert_ne!(read(&dir.join(format!("{NAME}.cer"))), cert_before);
    assert_port_free(pebble.tls_port());
}

#[test]
fn an_acmesh_alpn_lineage_renews() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    copy_fixture_home(&site.home);
    let conf_path = ecc_dir(&site.home, "a.example.test").join("a.example.test.conf");
    let conf = read(&conf_path);
    assert!(
        conf.contains("Le_Webroot='no'\n"),
        "the fixture is standalone"
    );
    let conf = conf.replace("Le_Webroot='no'\n", "Le_Webroot='alpn'\n")
        + &format!("Le_TLSPort='{}'\n", pebble.tls_port());
    fs::write(&conf_path, conf).expect("write conf");

    let server = pebble.directory_url().replace("127.0.0.1", "localhost");
    renew_forced(&site.home, &pebble, "a.example.test", &server)
        .assert_code(0)
        .assert_stdout_has("Cert success.");
}

#[test]
fn a_failed_alpn_validation_leaves_no_listener() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    // Pebble looks on its own tlsPort, where nothing answers.
    let port = free_port();
    let out = issue(
        &site.home,
        &pebble,
        &[NAME],
        &["--alpn", "--tlsport", &port.to_string()],
    );
    out.assert_code(1)
        .assert_stderr_has(&format!("validation of `{NAME}` failed"));
    assert_port_free(port);
}

#[test]
fn a_busy_tls_port_fails_before_an_order() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let out = issue(
        &site.home,
        &pebble,
        &[NAME],
        &["--alpn", "--tlsport", &port, "--local-address", "127.0.0.1"],
    );
    out.assert_code(1).assert_stderr_has(&format!(
        "cannot listen on 127.0.0.1:{port} for the tls-alpn-01 listener"
    ));
    assert_eq!(pebble.orders_created(), 0);
}

/// Accepts any certificate: the probe only asks whether the listener answers.
#[derive(Debug)]
struct AcceptAny;

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        rustls::crypto::aws_lc_rs::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A TLS handshake with `127.0.0.1:port` for SNI `name` offering the ALPN protocols `alpn`.
fn handshake(port: u16, name: &str, alpn: &[&[u8]]) -> io::Result<()> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny))
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let server_name = ServerName::try_from(name.to_owned()).map_err(io::Error::other)?;
    let mut client =
        rustls::ClientConnection::new(Arc::new(config), server_name).map_err(io::Error::other)?;
    let mut tcp = TcpStream::connect(("127.0.0.1", port))?;
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    while client.is_handshaking() {
        client.complete_io(&mut tcp)?;
    }
    Ok(())
}

#[test]
fn a_signal_stops_the_listener_which_answers_acme_tls_1_only() {
    let top = tempfile::tempdir().expect("tempdir");
    let fake = FakeAcme::start_with(Fault::PendingForever);
    let port = free_port();
    let run = Acmers::new(&top.path().join("home"))
        .args([
            "--issue",
            "-d",
            NAME,
            "--alpn",
            "--tlsport",
            &port.to_string(),
        ])
        .arg("--server")
        .arg(fake.directory_url())
        .arg("--ca-bundle")
        .arg(fake.ca_bundle_path())
        .args(["--validation-timeout", "3600"])
        .timeout(Duration::from_secs(60))
        .spawn();
    // Presented once a CA-like handshake succeeds (a hang guard of 30 s, not a timing check).
    let deadline = Instant::now() + Duration::from_secs(30);
    while handshake(port, NAME, &[b"acme-tls/1"]).is_err() {
        assert!(Instant::now() < deadline, "the challenge was never served");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(handshake(port, NAME, &[]).is_err(), "no ALPN: refused");
    assert!(
        handshake(port, NAME, &[b"h2", b"http/1.1"]).is_err(),
        "other protocols: refused"
    );
    assert!(
        handshake(port, "other.example.test", &[b"acme-tls/1"]).is_err(),
        "other name: refused"
    );
    run.signal("TERM");
    run.wait()
        .assert_code(143)
        .assert_stderr_has("interrupted by SIGTERM");
    assert_port_free(port);
}

#[test]
fn listen_v6_and_listen_v4() {
    // The mock DNS answers `::1` only: Pebble connects over IPv6.
    let pebble = Pebble::start(PebbleOpts {
        dns_ipv4: "",
        dns_ipv6: "::1",
        ..PebbleOpts::default()
    });
    let site = site();
    let http = pebble.http_port().to_string();
    let tls = pebble.tls_port().to_string();
    issue(
        &site.home,
        &pebble,
        &[NAME],
        &["--standalone", "--httpport", &http, "--listen-v6"],
    )
    .assert_code(0);
    let conf_path = ecc_dir(&site.home, NAME).join(format!("{NAME}.conf"));
    assert_eq!(read_conf(&conf_path)["Le_Listen_V6"], "1");
    let b = "b.example.test";
    issue(
        &site.home,
        &pebble,
        &[b],
        &["--alpn", "--tlsport", &tls, "--listen-v6"],
    )
    .assert_code(0);
    let conf = read_conf(&ecc_dir(&site.home, b).join(format!("{b}.conf")));
    assert_eq!(conf["Le_Listen_V6"], "1");
    assert_eq!(conf.get("Le_Listen_V4"), None);

    // IPv4 only: Pebble's IPv6 connection finds nothing.
    let c = "c.example.test";
    let out = issue(
        &site.home,
        &pebble,
        &[c],
        &["--standalone", "--httpport", &http, "--listen-v4"],
    );
    out.assert_code(1)
        .assert_stderr_has("dial tcp [::1]:")
        .assert_stderr_has("connection refused");

    // The renewal keeps IPv6 only from the conf.
    Acmers::new(&site.home)
        .args(["--renew", "-d", NAME, "--force"])
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path())
        .run()
        .assert_code(0);
}

#[test]
fn a_local_address_list_binds_each_name_its_own_address() {
    let pebble = Pebble::start(PebbleOpts::default());
    let (a, b) = ("a.example.test", "b.example.test");
    pebble.add_a(b, "127.0.0.2");
    let site = site();
    let http = pebble.http_port().to_string();
    let out = issue(
        &site.home,
        &pebble,
        &[a, b],
        &[
            "--standalone",
            "--httpport",
            &http,
            "--local-address",
            "127.0.0.1",
            "--local-address",
            "127.0.0.2",
        ],
    );
    out.assert_code(0)
        .assert_stderr_lacks("only the first is used");
    let conf_path = ecc_dir(&site.home, a).join(format!("{a}.conf"));
    assert_eq!(
        read_conf(&conf_path)["Le_LocalAddress"],
        "127.0.0.1,127.0.0.2,"
    );

    // Renewed from the saved list.
    Acmers::new(&site.home)
        .args(["--renew", "-d", a, "--force"])
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path())
        .run()
        .assert_code(0);

    // The list in the other order binds each name where Pebble does not look.
    let out = issue(
        &site.home,
        &pebble,
        &[a, b],
        &[
            "--standalone",
            "--httpport",
            &http,
            "--local-address",
            "127.0.0.2,127.0.0.1",
            "--force",
        ],
    );
    // Both names fail (each server has only its own name's token); either may be reported.
    out.assert_code(1).assert_stderr_has("validation of `");
}
