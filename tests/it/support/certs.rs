//! Certificates for tests: throwaway CAs and TLS server certificates (rcgen), PEM parsing,
//! SAN extraction, and verifying an issued chain against a root with rustls/webpki.

use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, CertifiedIssuer, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

/// A throwaway CA and a server certificate for `localhost` and `127.0.0.1` signed by it.
pub(crate) struct LocalTls {
    /// The CA certificate (what clients trust).
    pub(crate) ca_pem: String,
    /// The server certificate.
    pub(crate) cert_pem: String,
    /// The server's PKCS#8 private key.
    pub(crate) key_pem: String,
}

impl LocalTls {
    /// Generate a fresh chain.
    pub(crate) fn generate() -> Self {
        let ca = ca_issuer("acmers test TLS CA", None);
        let key = KeyPair::generate().expect("server key");
        let params = leaf_params(&["localhost", "127.0.0.1"]);
        let cert = params.signed_by(&key, &ca).expect("sign server cert");
        Self {
            ca_pem: ca.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }
}

/// A CA certificate named `cn`, self-signed or signed by `parent`.
pub(crate) fn ca_issuer(
    cn: &str,
    parent: Option<&CertifiedIssuer<'static, KeyPair>>,
) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(match parent {
        None => BasicConstraints::Unconstrained,
        Some(_) => BasicConstraints::Constrained(0),
    });
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = KeyPair::generate().expect("CA key");
    match parent {
        None => CertifiedIssuer::self_signed(params, key),
        Some(parent) => CertifiedIssuer::signed_by(params, key, parent),
    }
    .expect("CA certificate")
}

/// Parameters for a TLS server leaf valid from yesterday for 90 days covering `names`.
fn leaf_params(names: &[&str]) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("leaf params");
    params.distinguished_name = rcgen::DistinguishedName::new();
    if let Some(first) = names.first() {
        params.distinguished_name.push(DnType::CommonName, *first);
    }
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // As real CAs do: ARI (RFC 9773) names a certificate by its issuer's key identifier.
    params.use_authority_key_identifier_extension = true;
    // A serial of its own (rcgen derives one from the key, which a renewal keeps).
    let mut serial = [0_u8; 16];
    aws_lc_rs::rand::fill(&mut serial).expect("random serial");
    serial[0] = (serial[0] & 0x7f) | 1;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    let today = jiff::Zoned::now().date();
    let ymd = |d: jiff::civil::Date| {
        rcgen::date_time_ymd(i32::from(d.year()), d.month() as u8, d.day() as u8)
    };
    params.not_before = ymd(today.yesterday().expect("yesterday"));
    params.not_after = ymd(today.checked_add(jiff::Span::new().days(90)).expect("+90d"));
    params
}

/// A leaf for the CSR's key and SANs (or `fallback` names when it has none), signed by
/// `issuer`, followed by the issuer's certificate: what a CA returns for finalize.
pub(crate) fn sign_csr(
    csr_der: &[u8],
    issuer: &CertifiedIssuer<'static, KeyPair>,
    fallback: &[String],
) -> Result<String, rcgen::Error> {
    let csr = CertificateSigningRequestParams::from_der(&csr_der.into())?;
    let mut names: Vec<String> = csr
        .params
        .subject_alt_names
        .iter()
        .filter_map(|san| match san {
            SanType::DnsName(dns) => Some(dns.as_str().to_owned()),
            SanType::IpAddress(ip) => Some(ip.to_string()),
            _ => None,
        })
        .collect();
    if names.is_empty() {
        names = fallback.to_vec();
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let leaf = leaf_params(&names).signed_by(&csr.public_key, issuer)?;
    Ok(format!("{}{}", leaf.pem(), issuer.pem()))
}

/// A leaf for `names` whose key is a fresh one (not the requester's), signed by `issuer`,
/// followed by the issuer's certificate: a CA that mixed up keys.
pub(crate) fn sign_for_new_key(
    names: &[String],
    issuer: &CertifiedIssuer<'static, KeyPair>,
) -> Result<String, rcgen::Error> {
    let key = KeyPair::generate()?;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let leaf = leaf_params(&names).signed_by(&key, issuer)?;
    Ok(format!("{}{}", leaf.pem(), issuer.pem()))
}

/// A leaf for the CSR's key covering `names` (expired ten days ago when `expired`), signed by
/// `signer` and followed by `next`'s certificate: with `next` other than `signer`, a chain
/// that does not chain. The certificates of a CA that got something wrong.
pub(crate) fn sign_bent(
    csr_der: &[u8],
    names: &[&str],
    expired: bool,
    signer: &CertifiedIssuer<'static, KeyPair>,
    next: &CertifiedIssuer<'static, KeyPair>,
) -> Result<String, rcgen::Error> {
    let csr = CertificateSigningRequestParams::from_der(&csr_der.into())?;
    let mut params = leaf_params(names);
    if expired {
        let now = jiff::Timestamp::now();
        let days_ago = |days: i64| {
            let t = now - jiff::SignedDuration::from_hours(24 * days);
            let d = t.to_zoned(jiff::tz::TimeZone::UTC).date();
            rcgen::date_time_ymd(i32::from(d.year()), d.month() as u8, d.day() as u8)
        };
        params.not_before = days_ago(100);
        params.not_after = days_ago(10);
    }
    let leaf = params.signed_by(&csr.public_key, signer)?;
    Ok(format!("{}{}", leaf.pem(), next.pem()))
}

/// The DER certificates in a PEM bundle, in order.
pub(crate) fn pem_certs(pem: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .expect("PEM certificates")
}

/// The SANs of the first certificate in `pem`: DNS names as text, IPs in their text form.
pub(crate) fn leaf_sans(pem: &str) -> Vec<String> {
    use x509_parser::extensions::GeneralName;
    let certs = pem_certs(pem);
    let leaf = certs.first().expect("at least one certificate");
    let (_, cert) = x509_parser::parse_x509_certificate(leaf).expect("parse leaf");
    let san = cert
        .subject_alternative_name()
        .expect("SAN extension parses")
        .expect("leaf has a SAN extension");
    san.value
        .general_names
        .iter()
        .map(|name| match name {
            GeneralName::DNSName(dns) => dns.to_string(),
            GeneralName::IPAddress(raw) => match raw.len() {
                4 => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*raw).expect("4")).to_string(),
                16 => std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*raw).expect("16")).to_string(),
                n => panic!("IP SAN with {n} bytes"),
            },
            other => panic!("unexpected SAN {other:?}"),
        })
        .collect()
}

/// Verify with rustls/webpki that `fullchain_pem` (leaf first) chains to `root_pem` and is
/// valid now as a TLS server certificate for every one of `names` (DNS names or IPs; a
/// wildcard `*.d` is checked as a name it covers, `wildcard.d`).
pub(crate) fn verify_chain_against_root(fullchain_pem: &str, root_pem: &str, names: &[&str]) {
    let mut roots = rustls::RootCertStore::empty();
    for root in pem_certs(root_pem) {
        roots.add(root).expect("add root");
    }
    let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
    )
    .build()
    .expect("verifier");
    let chain = pem_certs(fullchain_pem);
    let (leaf, intermediates) = chain.split_first().expect("chain is not empty");
    for name in names {
        let covered = name.strip_prefix("*.").map(|d| format!("wildcard.{d}"));
        let name = covered.as_deref().unwrap_or(name);
        let server_name = ServerName::try_from(name).expect("valid server name");
        verifier
            .verify_server_cert(leaf, intermediates, &server_name, &[], UnixTime::now())
            .unwrap_or_else(|e| panic!("chain does not verify for {name}: {e}"));
    }
}

/// The private key types acmers writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// `ec-256`, `ec-384`, `ec-521`: SEC 1 `EC PRIVATE KEY`.
    Ec(u16),
    /// `2048`, `3072`, `4096`: PKCS #1 `RSA PRIVATE KEY`.
    Rsa(u16),
}

impl KeyKind {
    /// The acme.sh keylength spelling (`ec-256`, `2048`).
    pub(crate) fn keylength(self) -> String {
        match self {
            Self::Ec(bits) => format!("ec-{bits}"),
            Self::Rsa(bits) => bits.to_string(),
        }
    }
}

/// Check that `key_pem` is a `kind` key in acme.sh's format and that it is the key of the
/// first certificate in `cert_pem`.
pub(crate) fn assert_key_matches_leaf(key_pem: &str, cert_pem: &str, kind: KeyKind) {
    use aws_lc_rs::signature::{self, KeyPair as _};
    let (label, public) = match kind {
        KeyKind::Ec(bits) => {
            let alg = match bits {
                256 => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                521 => &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
                other => panic!("no EC curve with {other} bits"),
            };
            let der = pem_block(key_pem, "EC PRIVATE KEY");
            let key = signature::EcdsaKeyPair::from_private_key_der(alg, &der)
                .unwrap_or_else(|e| panic!("not a P-{bits} SEC 1 key: {e}"));
            ("EC", key.public_key().as_ref().to_vec())
        }
        KeyKind::Rsa(bits) => {
            let der = pem_block(key_pem, "RSA PRIVATE KEY");
            let key = signature::RsaKeyPair::from_der(&der)
                .unwrap_or_else(|e| panic!("not a PKCS #1 RSA key: {e}"));
            assert_eq!(key.public_modulus_len() * 8, usize::from(bits), "RSA size");
            ("RSA", key.public_key().as_ref().to_vec())
        }
    };
    let certs = pem_certs(cert_pem);
    let (_, leaf) = x509_parser::parse_x509_certificate(&certs[0]).expect("parse leaf");
    let spki = &leaf.tbs_certificate.subject_pki.subject_public_key.data;
    assert_eq!(
        spki.as_ref(),
        public.as_slice(),
        "the {label} key file does not match the certificate"
    );
}

/// The contents of the only PEM block in `text`, which must be labelled `label`.
fn pem_block(text: &str, label: &str) -> Vec<u8> {
    let blocks = pem::parse_many(text).expect("key file is PEM");
    assert_eq!(blocks.len(), 1, "one PEM block expected in the key file");
    assert_eq!(blocks[0].tag(), label, "key file PEM label");
    blocks[0].contents().to_vec()
}
