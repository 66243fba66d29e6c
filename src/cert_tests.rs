use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, IsCa, KeyPair,
    SignatureAlgorithm,
};

use super::*;
use crate::keys::tests::fixture;
use crate::keys::{KeyType, PrivateKey};

/// Between the fixture certificates' notBefore (2026-11-28) and notAfter (2027-02-26).
const NOW: i64 = 1_796_000_000;
/// After the fixture certificates' notAfter.
const LATER: i64 = 1_804_000_000;

fn dns(name: &str) -> Identifier {
    Identifier::Dns(name.to_owned())
}

fn ip(value: &str) -> Identifier {
    Identifier::Ip(value.to_owned())
}

/// (folder, domain, names) of the fixture domains.
const FIXTURES: [(&str, &str, &[&str]); 3] = [
    ("a.example.test_ecc", "a.example.test", &["a.example.test"]),
    (
        "b.example.test_ecc",
        "b.example.test",
        &["b.example.test", "www.b.example.test"],
    ),
    ("c.example.test", "c.example.test", &["c.example.test"]),
];

struct Fixture {
    key: PrivateKey,
    ids: Vec<Identifier>,
    leaf: String,
    ca: String,
    fullchain: String,
}

fn load(n: usize) -> Fixture {
    let (dir, domain, names) = FIXTURES[n];
    Fixture {
        key: PrivateKey::from_pem(&fixture(&format!("{dir}/{domain}.key"))).unwrap(),
        ids: names.iter().map(|n| dns(n)).collect(),
        leaf: fixture(&format!("{dir}/{domain}.cer")),
        ca: fixture(&format!("{dir}/ca.cer")),
        fullchain: fixture(&format!("{dir}/fullchain.cer")),
    }
}

#[test]
fn fixture_chains_are_accepted_and_split_like_acmesh() {
    for n in 0..FIXTURES.len() {
        let f = load(n);
        let chain = verify_chain(f.fullchain.as_bytes(), &f.key.spki_der(), &f.ids, NOW).unwrap();
        assert_eq!(chain.leaf_pem, f.leaf);
        assert_eq!(chain.issuers_pem, f.ca);
        assert_eq!(chain.fullchain_pem, f.fullchain);
        assert!(chain.not_before < NOW && NOW < chain.not_after);
    }
}

#[test]
fn names_compare_case_insensitively_and_in_any_order() {
    let f = load(1);
    let ids = [dns("WWW.B.example.TEST"), dns("b.example.test")];
    verify_chain(f.fullchain.as_bytes(), &f.key.spki_der(), &ids, NOW).unwrap();
}

#[test]
fn wrong_key_is_refused() {
    let f = load(0);
    let other = load(2).key;
    let err = verify_chain(f.fullchain.as_bytes(), &other.spki_der(), &f.ids, NOW).unwrap_err();
    assert!(matches!(err, CertError::KeyMismatch), "{err}");
}

#[test]
fn missing_san_is_refused() {
    let f = load(0);
    let ids = [dns("a.example.test"), dns("www.a.example.test")];
    let err = verify_chain(f.fullchain.as_bytes(), &f.key.spki_der(), &ids, NOW).unwrap_err();
    let CertError::SanMismatch { missing, extra } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(missing, &["www.a.example.test"]);
    assert!(extra.is_empty());
    assert!(
        err.to_string()
            .contains("missing: www.a.example.test; unexpected: none")
    );
}

#[test]
fn extra_san_is_refused() {
    let f = load(1);
    let err = verify_chain(
        f.fullchain.as_bytes(),
        &f.key.spki_der(),
        &[dns("b.example.test")],
        NOW,
    )
    .unwrap_err();
    let CertError::SanMismatch { missing, extra } = &err else {
        panic!("{err:?}");
    };
    assert!(missing.is_empty());
    assert_eq!(extra, &["www.b.example.test"]);
}

#[test]
fn expired_leaf_is_refused() {
    let f = load(0);
    let err = verify_chain(f.fullchain.as_bytes(), &f.key.spki_der(), &f.ids, LATER).unwrap_err();
    assert!(
        matches!(err, CertError::Expired { now: LATER, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("2027-02-26T20:42:13Z"), "{err}");
}

#[test]
fn private_key_block_is_refused() {
    let f = load(0);
    let key_pem = f.key.to_pem();
    let pkcs8 = crate::keys::pem_encode("PRIVATE KEY", &f.key.pkcs8_der());
    for body in [
        format!("{}{key_pem}", f.fullchain),
        format!("{}{pkcs8}{}", f.leaf, f.ca),
        format!("{key_pem}{}", f.fullchain),
    ] {
        let err = verify_chain(body.as_bytes(), &f.key.spki_der(), &f.ids, NOW).unwrap_err();
        assert!(matches!(err, CertError::ForeignBlock { .. }), "{err}");
        assert!(err.to_string().contains("PRIVATE KEY"), "{err}");
    }
}

#[test]
fn empty_and_whitespace_bodies_are_refused() {
    let f = load(0);
    for body in [&b""[..], b" ", b"\n\r\n\t  \n"] {
        let err = verify_chain(body, &f.key.spki_der(), &f.ids, NOW).unwrap_err();
        assert!(matches!(err, CertError::Empty), "{err}");
    }
}

#[test]
fn der_and_other_non_pem_bodies_are_refused() {
    let f = load(0);
    let der = ::pem::parse(&f.leaf).unwrap().into_contents();
    for body in [der, b"<html>502 Bad Gateway</html>".to_vec(), b"x".to_vec()] {
        let err = verify_chain(&body, &f.key.spki_der(), &f.ids, NOW).unwrap_err();
        assert!(matches!(err, CertError::NotPem), "{err}");
    }
}

#[test]
fn truncated_pem_is_refused_at_every_cut() {
    let f = load(0);
    let full = f.fullchain.as_bytes();
    let leaf_end = f.leaf.trim_end().len();
    for cut in 1..full.len() {
        let result = verify_chain(&full[..cut], &f.key.spki_der(), &f.ids, NOW);
        // Cutting right after an END line leaves complete blocks (leaf only, or the whole
        // chain without its final newline).
        let complete =
            (leaf_end..=f.leaf.len()).contains(&cut) || cut >= f.fullchain.trim_end().len();
        assert_eq!(result.is_ok(), complete, "cut at {cut}: {result:?}");
    }
    let err = verify_chain(&full[..full.len() / 3], &f.key.spki_der(), &f.ids, NOW).unwrap_err();
    assert!(matches!(err, CertError::Truncated { line_no: 1 }), "{err}");
}

#[test]
fn text_between_or_around_blocks_is_refused() {
    let f = load(0);
    for body in [
        format!("{}garbage\n{}", f.leaf, f.ca),
        format!("hello\n{}", f.fullchain),
        format!("{}trailer", f.fullchain),
        format!("{}-----END CERTIFICATE-----\n", f.fullchain),
    ] {
        let err = verify_chain(body.as_bytes(), &f.key.spki_der(), &f.ids, NOW).unwrap_err();
        assert!(matches!(err, CertError::TextOutsideBlocks { .. }), "{err}");
    }
    // Blank lines and CRLF between blocks are fine.
    let body = format!("\r\n{}\r\n\r\n{}\n\n", f.leaf.replace('\n', "\r\n"), f.ca);
    let chain = verify_chain(body.as_bytes(), &f.key.spki_der(), &f.ids, NOW).unwrap();
    assert_eq!(chain.fullchain_pem, f.fullchain, "output is canonical");
}

#[test]
fn malformed_blocks_are_refused() {
    let f = load(0);
    type Check = fn(&CertError) -> bool;
    let cases: [(String, Check); 5] = [
        (
            f.fullchain
                .replacen("-----END CERTIFICATE-----", "-----END X509 CRL-----", 1),
            |e| matches!(e, CertError::MalformedPem { .. }),
        ),
        (f.fullchain.replacen("\n", "\nnot base64!\n", 1), |e| {
            matches!(e, CertError::MalformedPem { line_no: 2, .. })
        }),
        (
            "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n".to_owned(),
            |e| matches!(e, CertError::Base64 { position: 1, .. }),
        ),
        (
            "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".to_owned(),
            |e| matches!(e, CertError::Base64 { position: 1, .. }),
        ),
        (
            "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n".to_owned(),
            |e| matches!(e, CertError::X509 { position: 1, .. }),
        ),
    ];
    for (body, expected) in cases {
        let err = verify_chain(body.as_bytes(), &f.key.spki_der(), &f.ids, NOW).unwrap_err();
        assert!(expected(&err), "{err:?}");
    }
    let mut der = ::pem::parse(&f.leaf).unwrap().into_contents();
    der.push(0);
    let body = format!("{}{}", crate::keys::pem_encode("CERTIFICATE", &der), f.ca);
    let err = verify_chain(body.as_bytes(), &f.key.spki_der(), &f.ids, NOW).unwrap_err();
    assert!(
        matches!(err, CertError::TrailingData { position: 1 }),
        "{err}"
    );
}

#[test]
fn reversed_fixture_chain_is_refused() {
    let f = load(0);
    let body = format!("{}{}", f.ca, f.leaf);
    let err = verify_chain(body.as_bytes(), &f.key.spki_der(), &f.ids, NOW).unwrap_err();
    assert!(matches!(err, CertError::KeyMismatch), "{err}");
}

#[test]
fn too_many_certificates_are_refused() {
    let f = load(0);
    let body = f.leaf.repeat(MAX_CHAIN_LEN + 1);
    let err = verify_chain(body.as_bytes(), &f.key.spki_der(), &f.ids, NOW).unwrap_err();
    assert!(
        matches!(err, CertError::TooManyCertificates { count: 17 }),
        "{err}"
    );
}

// ---- chains built with rcgen ----

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
}

type Ca = CertifiedIssuer<'static, KeyPair>;

fn root(alg: &'static SignatureAlgorithm) -> Ca {
    CertifiedIssuer::self_signed(ca_params("Test Root"), KeyPair::generate_for(alg).unwrap())
        .unwrap()
}

fn intermediate(cn: &str, alg: &'static SignatureAlgorithm, parent: &Ca) -> Ca {
    CertifiedIssuer::signed_by(ca_params(cn), KeyPair::generate_for(alg).unwrap(), parent).unwrap()
}

/// A leaf for `key` with these SANs (DNS names and IP addresses), valid 2026–2027.
fn leaf(key: &PrivateKey, sans: &[&str], issuer: &Ca) -> String {
    let mut params =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name = name(sans[0]);
    params.not_before = rcgen::date_time_ymd(2026, 11, 1);
    params.not_after = rcgen::date_time_ymd(2027, 2, 1);
    let spki = rcgen::SubjectPublicKeyInfo::from_der(&key.spki_der()).unwrap();
    params.signed_by(&spki, issuer).unwrap().pem()
}

#[test]
fn rcgen_chain_with_ip_and_wildcard_names() {
    let root = root(&rcgen::PKCS_ECDSA_P256_SHA256);
    let inter = intermediate("Test Intermediate", &rcgen::PKCS_ECDSA_P384_SHA384, &root);
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    let leaf = leaf(
        &key,
        &["*.example.test", "192.0.2.1", "2001:db8::1"],
        &inter,
    );
    let body = format!("{leaf}{}", inter.pem());
    let ids = [
        dns("*.example.test"),
        ip("192.0.2.1"),
        ip("2001:0db8:0000::0001"),
    ];
    let chain = verify_chain(body.as_bytes(), &key.spki_der(), &ids, NOW).unwrap();
    assert_eq!(chain.issuers_pem, inter.pem());
    // With the root too.
    let body = format!("{leaf}{}{}", inter.pem(), root.pem());
    verify_chain(body.as_bytes(), &key.spki_der(), &ids, NOW).unwrap();
    // A different IP is both missing and unexpected.
    let wrong = [dns("*.example.test"), ip("192.0.2.2"), ip("2001:db8::1")];
    let err = verify_chain(body.as_bytes(), &key.spki_der(), &wrong, NOW).unwrap_err();
    let CertError::SanMismatch { missing, extra } = err else {
        panic!("{err:?}");
    };
    assert_eq!(
        (missing, extra),
        (vec!["192.0.2.2".to_owned()], vec!["192.0.2.1".to_owned()])
    );
}

#[test]
fn p521_and_rsa_issuers_are_verified() {
    for alg in [&rcgen::PKCS_ECDSA_P521_SHA512, &rcgen::PKCS_RSA_SHA256] {
        let root = root(&rcgen::PKCS_ECDSA_P256_SHA256);
        let inter = intermediate("Test Intermediate", alg, &root);
        let key = PrivateKey::generate(KeyType::Ec384).unwrap();
        let body = format!(
            "{}{}{}",
            leaf(&key, &["a.test"], &inter),
            inter.pem(),
            root.pem()
        );
        verify_chain(body.as_bytes(), &key.spki_der(), &[dns("a.test")], NOW).unwrap();
        let impostor = intermediate("Test Intermediate", alg, &root);
        let body = format!("{}{}", leaf(&key, &["a.test"], &inter), impostor.pem());
        let err =
            verify_chain(body.as_bytes(), &key.spki_der(), &[dns("a.test")], NOW).unwrap_err();
        assert!(
            matches!(err, CertError::BadSignature { position: 1, .. }),
            "{err}"
        );
    }
}

#[test]
fn out_of_order_chain_is_refused() {
    let root = root(&rcgen::PKCS_ECDSA_P256_SHA256);
    let inter = intermediate("Test Intermediate", &rcgen::PKCS_ECDSA_P256_SHA256, &root);
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    let leaf = leaf(&key, &["a.test"], &inter);
    let body = format!("{leaf}{}{}", root.pem(), inter.pem());
    let err = verify_chain(body.as_bytes(), &key.spki_der(), &[dns("a.test")], NOW).unwrap_err();
    let CertError::IssuerMismatch {
        position,
        issuer,
        next_subject,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(*position, 1);
    assert_eq!(issuer, "CN=Test Intermediate");
    assert_eq!(next_subject, "CN=Test Root");
    assert!(
        err.to_string().contains("certificate 1 was issued by"),
        "{err}"
    );
}

#[test]
fn leaf_not_signed_by_next_is_refused() {
    let root = root(&rcgen::PKCS_ECDSA_P256_SHA256);
    // Same subject DN, different keys.
    let real = intermediate("Test Intermediate", &rcgen::PKCS_ECDSA_P256_SHA256, &root);
    let impostor = intermediate("Test Intermediate", &rcgen::PKCS_ECDSA_P256_SHA256, &root);
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    let body = format!("{}{}", leaf(&key, &["a.test"], &real), impostor.pem());
    let err = verify_chain(body.as_bytes(), &key.spki_der(), &[dns("a.test")], NOW).unwrap_err();
    assert!(
        matches!(err, CertError::BadSignature { position: 1, .. }),
        "{err}"
    );
    // The intermediate itself not signed by the root that follows.
    let other_root = self::root(&rcgen::PKCS_ECDSA_P256_SHA256);
    let body = format!(
        "{}{}{}",
        leaf(&key, &["a.test"], &real),
        real.pem(),
        other_root.pem()
    );
    let err = verify_chain(body.as_bytes(), &key.spki_der(), &[dns("a.test")], NOW).unwrap_err();
    assert!(
        matches!(err, CertError::BadSignature { position: 2, .. }),
        "{err}"
    );
}

#[test]
fn inverted_validity_is_refused() {
    let root = root(&rcgen::PKCS_ECDSA_P256_SHA256);
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    let mut params = CertificateParams::new(vec!["a.test".to_owned()]).unwrap();
    params.not_before = rcgen::date_time_ymd(2027, 2, 1);
    params.not_after = rcgen::date_time_ymd(2026, 11, 1);
    let spki = rcgen::SubjectPublicKeyInfo::from_der(&key.spki_der()).unwrap();
    let body = params.signed_by(&spki, &root).unwrap().pem();
    let err = verify_chain(body.as_bytes(), &key.spki_der(), &[dns("a.test")], NOW).unwrap_err();
    assert!(matches!(err, CertError::InvalidValidity { .. }), "{err}");
}

#[test]
fn leaf_only_chain_is_accepted_with_empty_issuers() {
    let root = root(&rcgen::PKCS_ECDSA_P256_SHA256);
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    let body = leaf(&key, &["a.test"], &root);
    let chain = verify_chain(body.as_bytes(), &key.spki_der(), &[dns("a.test")], NOW).unwrap();
    assert_eq!(chain.issuers_pem, "");
    assert_eq!(chain.fullchain_pem, chain.leaf_pem);
}

#[test]
fn top_issuer_is_the_issuer_of_the_last_certificate() {
    let root = root(&rcgen::PKCS_ECDSA_P256_SHA256);
    let inter = intermediate("Test Intermediate", &rcgen::PKCS_ECDSA_P256_SHA256, &root);
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    let leaf = leaf(&key, &["a.test"], &inter);
    let verify = |body: String| {
        verify_chain(body.as_bytes(), &key.spki_der(), &[dns("a.test")], NOW).unwrap()
    };
    let chain = verify(format!("{leaf}{}", inter.pem()));
    assert_eq!(chain.top_issuer, "Test Root");
    assert!(chain.matches_issuer("test ROOT") && chain.matches_issuer("Root"));
    assert!(!chain.matches_issuer("Test Intermediate"));
    // With the self-signed root sent too, the top issuer is still the root.
    assert_eq!(
        verify(format!("{leaf}{}{}", inter.pem(), root.pem())).top_issuer,
        "Test Root"
    );
    assert_eq!(verify(leaf.clone()).top_issuer, "Test Intermediate");
}

// ---- read_leaf ----

#[test]
fn read_leaf_reports_the_first_certificate() {
    let f = load(1);
    let info = read_leaf(f.fullchain.as_bytes()).unwrap();
    assert_eq!(info.sans, f.ids);
    assert_eq!(info.serial_hex, "0b00329bd907fd3e");
    assert_eq!(info.issuer, "CN=Pebble Intermediate CA 1cade2");
    // notAfter Feb 26 20:42:28 2027 GMT, notBefore Nov 28 20:42:29 2026 GMT.
    assert_eq!(info.not_after, 1_803_674_548);
    assert_eq!(info.not_before, 1_795_898_549);
}

#[test]
fn read_leaf_skips_other_text_and_blocks() {
    let f = load(0);
    let body = format!(
        "subject=CN = a.example.test\n{}{}",
        f.key.to_pem(),
        f.fullchain
    );
    let info = read_leaf(body.as_bytes()).unwrap();
    assert_eq!(info.sans, f.ids);
    assert!(matches!(
        read_leaf(f.key.to_pem().as_bytes()),
        Err(CertError::NoCertificate)
    ));
    assert!(matches!(read_leaf(b""), Err(CertError::Empty)));
}

#[test]
fn an_installed_certificate_is_checked_against_its_key_and_the_clock() {
    let f = load(0);
    check_installed(f.leaf.as_bytes(), &f.key.spki_der(), NOW).unwrap();
    check_installed(f.fullchain.as_bytes(), &f.key.spki_der(), NOW).unwrap();
    let other = load(2).key;
    assert!(matches!(
        check_installed(f.leaf.as_bytes(), &other.spki_der(), NOW),
        Err(CertError::KeyMismatch)
    ));
    assert!(matches!(
        check_installed(f.leaf.as_bytes(), &f.key.spki_der(), LATER),
        Err(CertError::Expired { .. })
    ));
    let half = &f.leaf.as_bytes()[..f.leaf.len() / 2];
    for broken in [b"".as_slice(), b"garbage", half] {
        assert!(check_installed(broken, &f.key.spki_der(), NOW).is_err());
    }
}

/// The export's chain: every certificate in order, the first paired with the key; an
/// expired one is still exported, another key's is not.
#[test]
fn chain_for_key_pairs_the_leaf_with_the_key() {
    let f = load(0);
    let text = format!("{}\n{}", f.leaf, f.ca);
    let chain = chain_for_key(text.as_bytes(), &f.key.spki_der()).unwrap();
    let expected: Vec<Vec<u8>> = pem::certificates(f.fullchain.as_bytes(), Mode::Strict)
        .unwrap()
        .into_iter()
        .map(|b| b.der)
        .collect();
    assert_eq!(chain, expected);
    let other = load(2);
    assert!(matches!(
        chain_for_key(text.as_bytes(), &other.key.spki_der()),
        Err(CertError::KeyMismatch)
    ));
    assert!(matches!(
        chain_for_key(b"\n", &f.key.spki_der()),
        Err(CertError::Empty)
    ));
}
