use aws_lc_rs::signature::{self, UnparsedPublicKey};
use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::OID_SIG_ECDSA_WITH_SHA512;
use x509_parser::prelude::FromDer;

use super::*;

fn dns(name: &str) -> Identifier {
    Identifier::Dns(name.to_owned())
}

fn ip(value: &str) -> Identifier {
    Identifier::Ip(value.to_owned())
}

/// Parse the CSR and return (subject string, SANs as identifiers, EKU present).
fn check(key: &PrivateKey, ids: &[Identifier]) -> (String, Vec<Identifier>, bool) {
    let csr = build(key, ids).unwrap();
    assert_eq!(pem::parse(&csr.pem).unwrap().contents(), &csr.der[..]);
    assert!(csr.pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
    assert!(csr.pem.ends_with("-----END CERTIFICATE REQUEST-----\n"));
    let (rest, req) = X509CertificationRequest::from_der(&csr.der).unwrap();
    assert!(rest.is_empty());
    let info = &req.certification_request_info;
    assert_eq!(info.subject_pki.raw, key.spki_der());

    if req.signature_algorithm.algorithm == OID_SIG_ECDSA_WITH_SHA512 {
        // x509-parser verifies neither P-521 nor ECDSA-SHA512; check with aws-lc-rs.
        assert_eq!(key.key_type(), KeyType::Ec521);
        UnparsedPublicKey::new(
            &signature::ECDSA_P521_SHA512_ASN1,
            &info.subject_pki.subject_public_key.data,
        )
        .verify(info.raw, &req.signature_value.data)
        .unwrap();
    } else {
        req.verify_signature().unwrap();
    }

    let mut sans = Vec::new();
    let mut eku = false;
    for ext in req.requested_extensions().into_iter().flatten() {
        match ext {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    sans.push(match name {
                        GeneralName::DNSName(d) => dns(d),
                        GeneralName::IPAddress(b) => ip(&match b.len() {
                            4 => IpAddr::from(<[u8; 4]>::try_from(*b).unwrap()),
                            _ => IpAddr::from(<[u8; 16]>::try_from(*b).unwrap()),
                        }
                        .to_string()),
                        other => panic!("unexpected SAN {other:?}"),
                    });
                }
            }
            ParsedExtension::ExtendedKeyUsage(e) => {
                eku = e.server_auth && e.client_auth && e.other.is_empty();
            }
            _ => {}
        }
    }
    (info.subject.to_string(), sans, eku)
}

#[test]
fn every_key_type_signs_a_valid_csr() {
    let ids = [dns("example.test"), dns("www.example.test")];
    for kind in [
        KeyType::Ec256,
        KeyType::Ec384,
        KeyType::Ec521,
        KeyType::Rsa(2048),
    ] {
        let key = PrivateKey::generate(kind).unwrap();
        let (subject, sans, eku) = check(&key, &ids);
        assert_eq!(subject, "CN=example.test", "{kind}");
        assert_eq!(sans, ids);
        assert!(eku, "{kind}: EKU serverAuth+clientAuth");
    }
}

#[test]
fn signature_algorithm_follows_the_key() {
    use x509_parser::oid_registry::{
        OID_PKCS1_SHA256WITHRSA, OID_SIG_ECDSA_WITH_SHA256, OID_SIG_ECDSA_WITH_SHA384,
    };
    for (kind, oid) in [
        (KeyType::Ec256, OID_SIG_ECDSA_WITH_SHA256),
        (KeyType::Ec384, OID_SIG_ECDSA_WITH_SHA384),
        (KeyType::Ec521, OID_SIG_ECDSA_WITH_SHA512),
        (KeyType::Rsa(2048), OID_PKCS1_SHA256WITHRSA),
    ] {
        let key = PrivateKey::generate(kind).unwrap();
        let csr = build(&key, &[dns("a.test")]).unwrap();
        let (_, req) = X509CertificationRequest::from_der(&csr.der).unwrap();
        assert_eq!(req.signature_algorithm.algorithm, oid, "{kind}");
    }
}

#[test]
fn wildcard_and_ip_sans() {
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    let ids = [
        dns("*.example.test"),
        dns("example.test"),
        ip("192.0.2.10"),
        ip("2001:db8::1"),
    ];
    let (subject, sans, _) = check(&key, &ids);
    assert_eq!(subject, "CN=*.example.test");
    assert_eq!(sans, ids);
}

#[test]
fn ip_main_identifier_uses_acmesh_subject() {
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    let ids = [ip("192.0.2.10"), dns("example.test")];
    let (subject, sans, _) = check(&key, &ids);
    assert_eq!(subject, "O=acme.sh");
    assert_eq!(sans, ids);
}

#[test]
fn fixture_rsa_key_makes_a_csr() {
    let pem = crate::keys::tests::fixture("c.example.test/c.example.test.key");
    let key = PrivateKey::from_pem(&pem).unwrap();
    let (subject, sans, _) = check(&key, &[dns("c.example.test")]);
    assert_eq!(subject, "CN=c.example.test");
    assert_eq!(sans, [dns("c.example.test")]);
}

#[test]
fn long_main_name_has_no_cn() {
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    let long = format!("{}.example.test", "a".repeat(60));
    let (subject, sans, _) = check(&key, &[dns(&long)]);
    assert_eq!(subject, "");
    assert_eq!(sans, [dns(&long)]);
}

#[test]
fn bad_identifiers_are_refused() {
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    assert!(matches!(build(&key, &[]), Err(CsrError::NoIdentifiers)));
    assert!(matches!(
        build(&key, &[dns("bücher.example")]),
        Err(CsrError::InvalidDnsName { .. })
    ));
    assert!(matches!(
        build(&key, &[ip("999.1.1.1")]),
        Err(CsrError::InvalidIp { .. })
    ));
}

#[test]
fn describe_names_one_or_many_as_acmesh() {
    assert_eq!(
        describe("bücher.test", &[dns("xn--bcher-kva.test")]),
        "Single domain='bücher.test'"
    );
    assert_eq!(
        describe("a.test", &[dns("a.test"), dns("*.a.test"), ip("192.0.2.1")]),
        "Multi domain='DNS:a.test,DNS:*.a.test,IP:192.0.2.1'"
    );
}

#[test]
fn extended_key_usage_and_must_staple_go_into_the_request() {
    let key = PrivateKey::generate(KeyType::Ec256).unwrap();
    let ids = [dns("eku.example.test")];
    let extensions = Extensions {
        key_usage: "serverAuth,codeSigning,1.3.6.1.4.1.311.10.3.12",
        must_staple: true,
    };
    let csr = build_with(&key, &ids, extensions).unwrap();
    let (_, req) = X509CertificationRequest::from_der(&csr.der).unwrap();
    let (mut eku, mut feature, mut not_ca) = (None, None, false);
    for ext in req.requested_extensions().into_iter().flatten() {
        match ext {
            ParsedExtension::ExtendedKeyUsage(e) => eku = Some(e.clone()),
            ParsedExtension::BasicConstraints(bc) => not_ca = !bc.ca,
            ParsedExtension::UnsupportedExtension { oid } => feature = Some(oid.to_id_string()),
            _ => {}
        }
    }
    let eku = eku.expect("an EKU extension");
    assert!(eku.server_auth && eku.code_signing && !eku.client_auth);
    assert_eq!(eku.other.len(), 1);
    assert_eq!(eku.other[0].to_id_string(), "1.3.6.1.4.1.311.10.3.12");
    assert!(
        not_ca,
        "must-staple comes with basicConstraints CA:FALSE, as acme.sh writes it"
    );
    // The TLS feature extension with status_request, the bytes acme.sh's openssl conf gives.
    let tls_feature = req
        .certification_request_info
        .raw
        .windows(STATUS_REQUEST.len())
        .any(|w| w == STATUS_REQUEST);
    assert!(tls_feature, "status_request is in the request");
    assert_eq!(feature.as_deref(), Some("1.3.6.1.5.5.7.1.24"));

    let (_, _, default_eku) = check(&key, &ids);
    assert!(default_eku, "without extensions: serverAuth,clientAuth");
}

#[test]
fn key_usage_lists_and_google_default() {
    assert!(key_usages("serverAuth, clientAuth").is_ok());
    for bad in ["", "serverauth", "ipsecIKE", "1", "7.1"] {
        assert!(
            matches!(key_usages(bad), Err(CsrError::KeyUsage { .. })),
            "{bad}"
        );
    }
    assert_eq!(default_key_usage(GOOGLE[0]), "serverAuth");
    assert_eq!(
        default_key_usage("https://acme.test/dir"),
        DEFAULT_KEY_USAGE
    );
}
