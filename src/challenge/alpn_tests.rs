//! The listener against a real TLS client (tokio-rustls) on loopback.

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{ServerName, UnixTime};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::*;
use crate::acme::types::KeyAuthorization;

/// Accepts any certificate: the test checks the served certificate itself. The signature
/// checks are skipped too, as rustls' would refuse the critical `acmeIdentifier` extension.
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

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn challenge(identifier: Identifier, token: &str) -> Challenge {
    let token = Token::parse(token).unwrap();
    Challenge {
        identifier,
        kind: ChallengeType::TlsAlpn01,
        key_authorization: KeyAuthorization::new(&token, "thumbprint"),
        token,
    }
}

async fn listener() -> TlsAlpn {
    let bound = TcpListener::bind("127.0.0.1:0").await.unwrap();
    TlsAlpn::from_listener(bound).unwrap()
}

/// Connect as a CA would, with SNI `sni` and the ALPN list `alpn`: the served certificate
/// (DER) and the negotiated protocol, or the handshake error.
async fn handshake(
    server: &TlsAlpn,
    sni: &str,
    alpn: &[&[u8]],
) -> Result<(Vec<u8>, Option<Vec<u8>>), std::io::Error> {
    let mut config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny))
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    let name = ServerName::try_from(sni.to_owned()).unwrap();
    let tls = TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await?;
    let (_, connection) = tls.get_ref();
    let cert = connection.peer_certificates().unwrap()[0].to_vec();
    Ok((cert, connection.alpn_protocol().map(<[u8]>::to_vec)))
}

/// The `acmeIdentifier` digest and the subjectAltNames of a served certificate.
fn inspect(der: &[u8]) -> ([u8; 32], Vec<String>) {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    let ext = cert
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == "1.3.6.1.5.5.7.1.31")
        .expect("acmeIdentifier extension");
    assert!(ext.critical);
    assert_eq!(ext.value[..2], [0x04, 32], "an OCTET STRING of 32 bytes");
    let names = cert
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
        .iter()
        .map(ToString::to_string)
        .collect();
    (ext.value[2..].try_into().unwrap(), names)
}

#[test]
fn sni_names_of_identifiers() {
    let name = |id| sni_name(&id);
    assert_eq!(
        name(Identifier::Dns("A.Example.test".into())),
        "a.example.test"
    );
    assert_eq!(
        name(Identifier::Ip("192.0.2.1".into())),
        "1.2.0.192.in-addr.arpa"
    );
    // RFC 8738 §6's example form: nibbles, last first.
    assert_eq!(
        name(Identifier::Ip("2001:db8::1".into())),
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
    );
}

#[tokio::test]
async fn serves_the_presented_names_over_acme_tls_1_only() {
    let server = listener().await;
    let dns = challenge(Identifier::Dns("a.example.test".into()), "dnsToken");
    let ip = challenge(Identifier::Ip("127.0.0.1".into()), "ipToken");
    let batch = [dns.clone(), ip.clone()];
    server.present(&batch).await.unwrap();

    let (cert, protocol) = handshake(&server, "a.example.test", &[ACME_TLS_1])
        .await
        .unwrap();
    assert_eq!(protocol.as_deref(), Some(ACME_TLS_1));
    let (digest, names) = inspect(&cert);
    assert_eq!(digest, dns.key_authorization.sha256());
    assert_eq!(names, ["DNSName(a.example.test)"]);

    // The CA offers other protocols too; acme-tls/1 is picked.
    let (cert, protocol) = handshake(&server, "1.0.0.127.in-addr.arpa", &[b"h2", ACME_TLS_1])
        .await
        .unwrap();
    assert_eq!(protocol.as_deref(), Some(ACME_TLS_1));
    let (digest, names) = inspect(&cert);
    assert_eq!(digest, ip.key_authorization.sha256());
    assert_eq!(names, ["IPAddress(7f:00:00:01)"]);

    // Refused: no ALPN, another protocol only, a name not presented.
    assert!(handshake(&server, "a.example.test", &[]).await.is_err());
    assert!(
        handshake(&server, "a.example.test", &[b"http/1.1"])
            .await
            .is_err()
    );
    assert!(
        handshake(&server, "b.example.test", &[ACME_TLS_1])
            .await
            .is_err()
    );

    // After cleanup the name is refused too; the listener stays up for other batches.
    server.cleanup(&batch[..1]).await.unwrap();
    assert!(
        handshake(&server, "a.example.test", &[ACME_TLS_1])
            .await
            .is_err()
    );
    assert!(
        handshake(&server, "1.0.0.127.in-addr.arpa", &[ACME_TLS_1])
            .await
            .is_ok()
    );
    server.cleanup(&batch[1..]).await.unwrap();
    assert!(server.certificates().is_empty());
}

#[tokio::test]
async fn two_challenges_for_one_name_are_cleaned_up_apart() {
    let server = listener().await;
    let first = challenge(Identifier::Dns("a.example.test".into()), "firstToken");
    let second = challenge(Identifier::Dns("a.example.test".into()), "secondToken");
    server.present(std::slice::from_ref(&first)).await.unwrap();
    server.present(std::slice::from_ref(&second)).await.unwrap();
    server.cleanup(std::slice::from_ref(&second)).await.unwrap();
    let (cert, _) = handshake(&server, "a.example.test", &[ACME_TLS_1])
        .await
        .unwrap();
    assert_eq!(inspect(&cert).0, first.key_authorization.sha256());
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let server = listener().await;
    let addr = server.local_addr();
    server.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err());
}
