use rcgen::{CertificateParams, DistinguishedName, DnType, SanType};

use super::*;
use crate::csr::build;
use crate::keys::PrivateKey;

fn dns(name: &str) -> Identifier {
    Identifier::Dns(name.to_owned())
}

fn ip(value: &str) -> Identifier {
    Identifier::Ip(value.to_owned())
}

/// A CSR for `sans` with subject `cn` (none when `None`), signed by a new P-256 key.
fn csr_with(cn: Option<&str>, sans: Vec<SanType>) -> (PrivateKey, Vec<u8>) {
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    if let Some(cn) = cn {
        dn.push(DnType::CommonName, cn);
    }
    params.distinguished_name = dn;
    params.subject_alt_names = sans;
    let pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(
        &key.pkcs8_der().as_slice().into(),
        &rcgen::PKCS_ECDSA_P256_SHA256,
    )
    .unwrap();
    let der = params.serialize_request(&pair).unwrap().der().to_vec();
    (key, der)
}

#[test]
fn reads_what_acmers_own_csr_says_for_every_key_type() {
    let ids = [dns("example.test"), dns("www.example.test")];
    for kind in [
        KeyType::Ec256,
        KeyType::Ec384,
        KeyType::Ec521,
        KeyType::Rsa(2048),
    ] {
        let key = PrivateKey::generate(kind).unwrap();
        let made = build(&key, &ids).unwrap();
        let read = CsrFile::parse(made.pem.as_bytes()).unwrap();
        assert_eq!(read.der, made.der, "{kind}");
        assert_eq!(read.bytes, made.pem.as_bytes());
        assert_eq!(read.spki_der, key.spki_der());
        assert_eq!(read.key_type, kind);
        assert_eq!(read.common_name.as_deref(), Some("example.test"));
        assert_eq!(read.names, ids);
        assert_eq!(
            read.main_and_others(),
            Some((ids[0].clone(), vec![ids[1].clone()]))
        );
        assert_eq!(read.alt_names_line(), "www.example.test");
        // DER works too, and gives the same request.
        assert_eq!(CsrFile::parse(&made.der).unwrap().der, made.der);
    }
}

#[test]
fn without_a_common_name_the_first_san_is_the_main_name() {
    let (_, der) = csr_with(
        None,
        vec![
            SanType::DnsName("a.example.test".try_into().unwrap()),
            SanType::DnsName("b.example.test".try_into().unwrap()),
        ],
    );
    let read = CsrFile::parse(&der).unwrap();
    assert_eq!(read.common_name, None);
    assert_eq!(read.alt_names_line(), "a.example.test,b.example.test");
    assert_eq!(
        read.main_and_others(),
        Some((dns("a.example.test"), vec![dns("b.example.test")]))
    );
}

#[test]
fn a_common_name_that_is_no_domain_is_dropped() {
    // acme.sh's `signcsr`: a subject with a space, or without a dot, is not a domain.
    for cn in ["My Server", "localhost"] {
        let (_, der) = csr_with(
            Some(cn),
            vec![SanType::DnsName("a.example.test".try_into().unwrap())],
        );
        let read = CsrFile::parse(&der).unwrap();
        assert_eq!(read.common_name.as_deref(), Some(cn));
        assert_eq!(
            read.main_and_others(),
            Some((dns("a.example.test"), Vec::new())),
            "{cn}"
        );
    }
    let (_, der) = csr_with(Some("localhost"), Vec::new());
    assert_eq!(CsrFile::parse(&der).unwrap().main_and_others(), None);
}

#[test]
fn ip_sans_are_read() {
    let (_, der) = csr_with(
        Some("192.0.2.10"),
        vec![
            SanType::IpAddress("192.0.2.10".parse().unwrap()),
            SanType::IpAddress("2001:db8::1".parse().unwrap()),
            SanType::DnsName("a.example.test".try_into().unwrap()),
        ],
    );
    let read = CsrFile::parse(&der).unwrap();
    assert_eq!(
        read.names,
        [ip("192.0.2.10"), ip("2001:db8::1"), dns("a.example.test")]
    );
    assert_eq!(
        read.main_and_others(),
        Some((
            ip("192.0.2.10"),
            vec![ip("2001:db8::1"), dns("a.example.test")]
        ))
    );
    assert_eq!(read.alt_names_line(), "2001:db8::1,a.example.test");
}

#[test]
fn a_bad_signature_is_refused() {
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    let mut der = build(&key, &[dns("a.example.test")]).unwrap().der;
    // Change one name byte: the signature no longer covers what the request says.
    let at = der
        .windows(14)
        .position(|w| w == b"a.example.test")
        .unwrap();
    der[at] = b'b';
    assert!(matches!(
        CsrFile::parse(&der),
        Err(ReadError::BadSignature(_))
    ));
}

#[test]
fn oversize_garbage_and_trailing_data_are_refused() {
    assert!(matches!(
        CsrFile::parse(&vec![b'A'; MAX_CSR + 1]),
        Err(ReadError::TooLarge)
    ));
    assert!(matches!(
        CsrFile::parse(b"not a csr"),
        Err(ReadError::NotCsr | ReadError::Pem(_))
    ));
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    let made = build(&key, &[dns("a.example.test")]).unwrap();
    // A certificate block is not a request.
    let cert = crate::keys::pem_encode("CERTIFICATE", &made.der);
    assert!(matches!(
        CsrFile::parse(cert.as_bytes()),
        Err(ReadError::NotCsr)
    ));
    let mut der = made.der.clone();
    der.push(0);
    assert!(matches!(CsrFile::parse(&der), Err(ReadError::TrailingData)));
}

#[test]
fn rsa_modulus_size_ignores_the_sign_byte() {
    assert_eq!(modulus_bits(&[0x00, 0x80, 0, 0]), 24);
    assert_eq!(modulus_bits(&[0x7f, 0]), 15);
    assert_eq!(modulus_bits(&[]), 0);
}
