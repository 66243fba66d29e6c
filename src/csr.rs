//! Certificate signing requests as acme.sh makes them (acme.sh's `_createcsr`).
//!
//! Subject `CN=<first identifier>` (or `O=acme.sh` when the first identifier is an IP
//! address), every identifier as a SAN in order, extended key usage `serverAuth,clientAuth`
//! unless [`Extensions`] give others, with `--ocsp-must-staple` the TLS feature extension
//! (RFC 7633) and `basicConstraints CA:FALSE`, signed with the domain key's own algorithm. A
//! CSR made elsewhere (`--signcsr`) is read and checked by [`CsrFile`].

mod read;

use std::net::IpAddr;

use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    SanType, SignatureAlgorithm,
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
    /// An `--extended-key-usage` entry is neither a name acmers knows nor a dotted OID.
    #[error(
        "`{entry}` is not an extended key usage: use serverAuth, clientAuth, codeSigning, \
         emailProtection, timeStamping, OCSPSigning, anyExtendedKeyUsage or a dotted OID"
    )]
    KeyUsage {
        /// The entry (sanitized).
        entry: String,
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

/// acme.sh's extended key usages when none are given (`_createcsr`).
pub const DEFAULT_KEY_USAGE: &str = "serverAuth,clientAuth";

/// Google Trust Services' directories (acme.sh's `CA_GOOGLE`, `CA_GOOGLE_TEST`).
pub const GOOGLE: [&str; 2] = [
    "https://dv.acme-v02.api.pki.goog/directory",
    "https://dv.acme-v02.test-api.pki.goog/directory",
];

/// The extended key usages of a CSR for the CA at `server` when none are given: only
/// `serverAuth` at Google's CAs, which refuse others (acme.sh's `issue`), else
/// [`DEFAULT_KEY_USAGE`].
pub fn default_key_usage(server: &str) -> &'static str {
    if GOOGLE
        .iter()
        .any(|google| google.eq_ignore_ascii_case(server))
    {
        "serverAuth"
    } else {
        DEFAULT_KEY_USAGE
    }
}

/// The TLS feature extension (RFC 7633 §6), `id-pe-tlsfeature`.
const TLS_FEATURE_OID: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 24];
/// Its value with the one feature `status_request` (5): `SEQUENCE { INTEGER 5 }`, the bytes
/// acme.sh's `_createcsr` writes for must-staple.
const STATUS_REQUEST: [u8; 5] = [0x30, 0x03, 0x02, 0x01, 0x05];

/// What a CSR asks for besides the names (acme.sh's `_createcsr`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Extensions<'a> {
    /// The extended key usages as openssl's comma-separated list (`serverAuth,clientAuth`).
    pub key_usage: &'a str,
    /// OCSP must-staple: the TLS feature `status_request` (RFC 7633).
    pub must_staple: bool,
}

impl Default for Extensions<'_> {
    fn default() -> Self {
        Self {
            key_usage: DEFAULT_KEY_USAGE,
            must_staple: false,
        }
    }
}

/// The extended key usages of openssl's comma-separated list: its names (`serverAuth`,
/// `clientAuth`, `codeSigning`, `emailProtection`, `timeStamping`, `OCSPSigning`,
/// `anyExtendedKeyUsage`) or dotted OIDs.
///
/// # Errors
///
/// [`CsrError::KeyUsage`] for an empty list or another entry.
pub fn key_usages(list: &str) -> Result<Vec<ExtendedKeyUsagePurpose>, CsrError> {
    list.split(',')
        .map(str::trim)
        .map(|entry| {
            Ok(match entry {
                "serverAuth" => ExtendedKeyUsagePurpose::ServerAuth,
                "clientAuth" => ExtendedKeyUsagePurpose::ClientAuth,
                "codeSigning" => ExtendedKeyUsagePurpose::CodeSigning,
                "emailProtection" => ExtendedKeyUsagePurpose::EmailProtection,
                "timeStamping" => ExtendedKeyUsagePurpose::TimeStamping,
                "OCSPSigning" => ExtendedKeyUsagePurpose::OcspSigning,
                "anyExtendedKeyUsage" => ExtendedKeyUsagePurpose::Any,
                other => ExtendedKeyUsagePurpose::Other(dotted_oid(other).ok_or_else(|| {
                    CsrError::KeyUsage {
                        entry: sanitize(other),
                    }
                })?),
            })
        })
        .collect()
}

/// A dotted OID with at least two arcs, the first 0–2.
fn dotted_oid(text: &str) -> Option<Vec<u64>> {
    let arcs: Vec<u64> = text
        .split('.')
        .map(|arc| arc.parse().ok())
        .collect::<Option<_>>()?;
    (arcs.len() >= 2 && arcs[0] <= 2).then_some(arcs)
}

/// Build and sign a CSR for `identifiers` with `key` and acme.sh's default extensions.
pub fn build(key: &PrivateKey, identifiers: &[Identifier]) -> Result<Csr, CsrError> {
    build_with(key, identifiers, Extensions::default())
}

/// Build and sign a CSR for `identifiers` with `key` and `extensions`.
pub fn build_with(
    key: &PrivateKey,
    identifiers: &[Identifier],
    extensions: Extensions<'_>,
) -> Result<Csr, CsrError> {
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
    // rcgen writes these into the CSR's extension request.
    params.extended_key_usages = key_usages(extensions.key_usage)?;
    if extensions.must_staple {
        params.is_ca = IsCa::ExplicitNoCa;
        params.custom_extensions = vec![CustomExtension::from_oid_content(
            TLS_FEATURE_OID,
            STATUS_REQUEST.to_vec(),
        )];
    }

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
