//! Certificate signing requests as acme.sh makes them (acme.sh's `_createcsr`).
//!
//! Subject `CN=<first identifier>` (or `O=acme.sh` when the first identifier is an IP
//! address), every identifier as a SAN in order, extended key usage
//! `serverAuth,clientAuth`, signed with the domain key's own algorithm.

use std::net::IpAddr;

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, SanType,
    SignatureAlgorithm,
};

use crate::acme::text::sanitize;
use crate::acme::types::Identifier;
use crate::keys::{KeyType, PrivateKey, pem_encode};

/// A CSR in DER (for the finalize request) and PEM (acme.sh's `<d>.csr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Csr {
    /// DER encoding; finalize sends `base64url(der)`.
    pub der: Vec<u8>,
    /// PEM `CERTIFICATE REQUEST`, 64-character lines, `\n` line ends.
    pub pem: String,
}

/// Why a CSR could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CsrError {
    /// No identifiers were given.
    #[error("a CSR needs at least one identifier")]
    NoIdentifiers,
    /// A DNS name is not ASCII (IDNs must be converted to punycode first).
    #[error("`{name}` is not an ASCII DNS name; convert IDNs to punycode first")]
    InvalidDnsName {
        /// The name (sanitized).
        name: String,
    },
    /// An IP identifier does not parse as an address.
    #[error("`{value}` is not an IP address")]
    InvalidIp {
        /// The value (sanitized).
        value: String,
        /// The parse error.
        #[source]
        source: std::net::AddrParseError,
    },
    /// rcgen refused the key.
    #[error("failed to load the {kind} key for signing the CSR")]
    Key {
        /// Key type.
        kind: KeyType,
        /// rcgen's error.
        #[source]
        source: rcgen::Error,
    },
    /// rcgen failed to serialize or sign the request.
    #[error("failed to sign the CSR for `{main}`")]
    Sign {
        /// First identifier (sanitized).
        main: String,
        /// rcgen's error.
        #[source]
        source: rcgen::Error,
    },
}

/// Longest common name X.520 allows (`ub-common-name`). openssl refuses a longer CN, so
/// acme.sh fails there; acmers leaves the CN out instead (the SANs carry the names).
const MAX_CN_LEN: usize = 64;

/// Build and sign a CSR for `identifiers` with `key`.
pub fn build(key: &PrivateKey, identifiers: &[Identifier]) -> Result<Csr, CsrError> {
    let first = identifiers.first().ok_or(CsrError::NoIdentifiers)?;

    let mut params = CertificateParams::default();
    params.subject_alt_names = identifiers.iter().map(san).collect::<Result<Vec<_>, _>>()?;
    // Replace rcgen's default `CN=rcgen self signed cert`.
    let mut dn = DistinguishedName::new();
    match first {
        Identifier::Dns(name) if name.len() <= MAX_CN_LEN => {
            dn.push(DnType::CommonName, name.as_str());
        }
        Identifier::Dns(_) => {}
        Identifier::Ip(_) => dn.push(DnType::OrganizationName, "acme.sh"),
    }
    params.distinguished_name = dn;
    // rcgen writes the EKU into the CSR's extension request; acme.sh's default.
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];

    let kind = key.key_type();
    let pkcs8 = key.pkcs8_der();
    let key_pair =
        rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8.as_slice().into(), alg(kind))
            .map_err(|source| CsrError::Key { kind, source })?;
    let request = params
        .serialize_request(&key_pair)
        .map_err(|source| CsrError::Sign {
            main: sanitize(first.value()),
            source,
        })?;
    let der = request.der().to_vec();
    let pem = pem_encode("CERTIFICATE REQUEST", &der);
    Ok(Csr { der, pem })
}

/// The signature algorithm for a key: ECDSA with the curve's hash, RSA with SHA-256.
fn alg(kind: KeyType) -> &'static SignatureAlgorithm {
    match kind {
        KeyType::Ec256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyType::Ec384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        KeyType::Ec521 => &rcgen::PKCS_ECDSA_P521_SHA512,
        KeyType::Rsa(_) => &rcgen::PKCS_RSA_SHA256,
    }
}

fn san(id: &Identifier) -> Result<SanType, CsrError> {
    match id {
        Identifier::Dns(name) => {
            name.as_str()
                .try_into()
                .map(SanType::DnsName)
                .map_err(|_| CsrError::InvalidDnsName {
                    name: sanitize(name),
                })
        }
        Identifier::Ip(value) => {
            value
                .parse::<IpAddr>()
                .map(SanType::IpAddress)
                .map_err(|source| CsrError::InvalidIp {
                    value: sanitize(value),
                    source,
                })
        }
    }
}

#[cfg(test)]
mod tests {
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
}
