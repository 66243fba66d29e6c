//! Certificate signing requests as acme.sh makes them (acme.sh's `_createcsr`).
//!
//! Subject `CN=<first identifier>` (or `O=acme.sh` when the first identifier is an IP
//! address), every identifier as a SAN in order, extended key usage
//! `serverAuth,clientAuth`, signed with the domain key's own algorithm. A CSR made elsewhere
//! (`--signcsr`) is read and checked by [`CsrFile`].

mod read;

use std::net::IpAddr;

use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, SanType,
    SignatureAlgorithm,
};

use crate::acme::text::sanitize;
use crate::acme::types::Identifier;
use crate::keys::{KeyType, PrivateKey, pem_encode};

pub use read::{CsrFile, MAX_CSR, ReadError};

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

/// The line acme.sh's `_createcsr` prints about the names of a CSR: `Single domain='<main>'`
/// for one name, else `Multi domain='DNS:a,DNS:b,IP:…'` (every identifier, in order).
pub fn describe(main: &str, identifiers: &[Identifier]) -> String {
    if identifiers.len() == 1 {
        return format!("Single domain='{main}'");
    }
    let list: Vec<String> = identifiers
        .iter()
        .map(|id| match id {
            Identifier::Dns(d) => format!("DNS:{d}"),
            Identifier::Ip(ip) => format!("IP:{ip}"),
        })
        .collect();
    format!("Multi domain='{}'", list.join(","))
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
#[path = "csr_tests.rs"]
mod tests;
