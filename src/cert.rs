//! The checks an issued certificate chain must pass before anything is written
//! (RFC 8555 §11.4; docs/differences.md, "Safety"), and reading a certificate back for renewal.
//!
//! What the CA sends is hostile input: every PEM block must be a `CERTIFICATE`
//! (RFC 8555 §11.4), the leaf must carry the domain key and exactly the requested names,
//! and each certificate must be issued and signed by the next one.

mod names;
mod pem;
#[cfg(test)]
#[path = "cert_tests.rs"]
mod tests;

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use x509_parser::asn1_rs::BitString;
use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;
use x509_parser::extensions::ParsedExtension;
use x509_parser::nom;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_SIG_ECDSA_WITH_SHA256, OID_SIG_ECDSA_WITH_SHA384, OID_SIG_ECDSA_WITH_SHA512,
};
use x509_parser::prelude::FromDer;
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

use crate::acme::text::sanitize;
use crate::acme::types::Identifier;
use names::{Name, check_names, san_names};
use pem::Mode;

/// Most certificates accepted in one chain (real chains have 2–4).
pub const MAX_CHAIN_LEN: usize = 16;

/// A chain that passed [`verify_chain`], split the way acme.sh writes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedChain {
    /// The leaf certificate (`<d>.cer`).
    pub leaf_pem: String,
    /// Everything after the leaf (`ca.cer`); empty if the CA sent the leaf alone.
    pub issuers_pem: String,
    /// Leaf and issuers (`fullchain.cer`).
    pub fullchain_pem: String,
    /// Leaf notBefore, unix seconds.
    pub not_before: i64,
    /// Leaf notAfter, unix seconds.
    pub not_after: i64,
    /// The common name of the last certificate's issuer (sanitized; empty when it has
    /// none): the root a client reaches through this chain, what `--preferred-chain`
    /// matches ([`IssuedChain::matches_issuer`]).
    pub top_issuer: String,
}

impl IssuedChain {
    /// Whether the top issuer's common name contains `name`, ignoring case (acme.sh's
    /// `_match_issuer`).
    pub fn matches_issuer(&self, name: &str) -> bool {
        self.top_issuer
            .to_lowercase()
            .contains(&name.to_lowercase())
    }
}

/// Facts about a certificate already on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// notBefore, unix seconds.
    pub not_before: i64,
    /// notAfter, unix seconds.
    pub not_after: i64,
    /// DNS and IP subjectAltNames, in certificate order (other name types are left out).
    pub sans: Vec<Identifier>,
    /// Serial number as lowercase hex of its DER bytes, no separators.
    pub serial_hex: String,
    /// Issuer DN as text (sanitized).
    pub issuer: String,
    /// The serial number's DER INTEGER value bytes (for the ARI CertID, RFC 9773 §4.1).
    pub serial: Vec<u8>,
    /// The Authority Key Identifier's keyIdentifier, when the certificate has one.
    pub authority_key_id: Option<Vec<u8>>,
}

/// Why a certificate chain was refused. Positions are 1-based (1 = the leaf).
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// Empty or whitespace-only body.
    #[error("the certificate body is empty")]
    Empty,
    /// No PEM at all (DER, HTML, JSON, …).
    #[error("the certificate body is not PEM")]
    NotPem,
    /// A PEM block that is not a certificate (RFC 8555 §11.4).
    #[error(
        "the chain holds a `{label}` block at line {line_no}; only CERTIFICATE blocks are allowed (RFC 8555 §11.4)"
    )]
    ForeignBlock {
        /// The block label (sanitized, capped).
        label: String,
        /// Line of the BEGIN line.
        line_no: usize,
    },
    /// Non-whitespace text between or around the blocks.
    #[error("text outside a PEM block at line {line_no}")]
    TextOutsideBlocks {
        /// Offending line.
        line_no: usize,
    },
    /// Broken PEM framing inside a block.
    #[error("malformed PEM at line {line_no}: {why}")]
    MalformedPem {
        /// Offending line.
        line_no: usize,
        /// What is wrong.
        why: &'static str,
    },
    /// A block with no END line.
    #[error("the PEM block starting at line {line_no} has no END line (truncated)")]
    Truncated {
        /// Line of the BEGIN line.
        line_no: usize,
    },
    /// A block whose contents are not base64.
    #[error("certificate {position} is not valid base64")]
    Base64 {
        /// Position in the chain.
        position: usize,
        /// The decoder error (none for an empty block).
        #[source]
        source: Option<base64::DecodeError>,
    },
    /// No certificate block (lenient reading only).
    #[error("no CERTIFICATE block found")]
    NoCertificate,
    /// More certificates than [`MAX_CHAIN_LEN`].
    #[error("the chain has {count} certificates; at most {MAX_CHAIN_LEN} are accepted")]
    TooManyCertificates {
        /// Certificates sent.
        count: usize,
    },
    /// A block is not an X.509 certificate.
    #[error("certificate {position} is not a valid X.509 certificate")]
    X509 {
        /// Position in the chain.
        position: usize,
        /// The parser error.
        #[source]
        source: X509Error,
    },
    /// Bytes after the certificate inside its block.
    #[error("certificate {position} has trailing data after the DER structure")]
    TrailingData {
        /// Position in the chain.
        position: usize,
    },
    /// The leaf carries another key than the one the CSR was made with.
    #[error("the certificate's public key is not the domain key")]
    KeyMismatch,
    /// The leaf's names differ from the order's.
    #[error("the certificate's names do not match the order (missing: {}; unexpected: {})", list(.missing), list(.extra))]
    SanMismatch {
        /// Requested names absent from the certificate.
        missing: Vec<String>,
        /// Names in the certificate that were not requested (sanitized).
        extra: Vec<String>,
    },
    /// The subjectAltName extension does not parse.
    #[error("the certificate's subjectAltName extension is invalid")]
    BadSan(#[source] X509Error),
    /// A requested IP identifier is not an address (a caller bug).
    #[error("requested identifier `{value}` is not an IP address")]
    InvalidRequestedIp {
        /// The value (sanitized).
        value: String,
        /// The parse error.
        #[source]
        source: std::net::AddrParseError,
    },
    /// notBefore after notAfter.
    #[error("the certificate's validity is inverted (notBefore {} is after notAfter {})", ts(.not_before), ts(.not_after))]
    InvalidValidity {
        /// notBefore, unix seconds.
        not_before: i64,
        /// notAfter, unix seconds.
        not_after: i64,
    },
    /// The leaf is already expired.
    #[error("the certificate expired at {} (now {})", ts(.not_after), ts(.now))]
    Expired {
        /// notAfter, unix seconds.
        not_after: i64,
        /// The time checked against.
        now: i64,
    },
    /// A certificate's issuer is not the next certificate's subject.
    #[error("certificate {position} was issued by `{issuer}`, but certificate {} is `{next_subject}` (chain out of order?)", .position + 1)]
    IssuerMismatch {
        /// Position of the issued certificate.
        position: usize,
        /// Its issuer DN (sanitized).
        issuer: String,
        /// The next certificate's subject DN (sanitized).
        next_subject: String,
    },
    /// A certificate's signature does not verify with the next certificate's key.
    #[error("certificate {position} is not signed by certificate {}", .position + 1)]
    BadSignature {
        /// Position of the issued certificate.
        position: usize,
        /// The verification error.
        #[source]
        source: X509Error,
    },
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

fn ts(t: &i64) -> String {
    jiff::Timestamp::from_second(*t).map_or_else(|_| t.to_string(), |t| t.to_string())
}

/// Check a chain downloaded from the CA and split it into acme.sh's three files.
///
/// Refuses anything but whitespace-separated `CERTIFICATE` blocks, a leaf whose
/// SubjectPublicKeyInfo is not `spki` (the domain key's, or a user CSR's) or whose DNS/IP
/// names are not exactly `requested`, an expired leaf, and any
/// certificate not issued and signed by the next one. The root need not be present.
/// A notBefore in the future is not refused; the caller may warn about clock skew using
/// [`IssuedChain::not_before`].
pub fn verify_chain(
    pem: &[u8],
    spki: &[u8],
    requested: &[Identifier],
    now: i64,
) -> Result<IssuedChain, CertError> {
    let blocks = pem::certificates(pem, Mode::Strict)?;
    if blocks.len() > MAX_CHAIN_LEN {
        return Err(CertError::TooManyCertificates {
            count: blocks.len(),
        });
    }
    let certs = blocks
        .iter()
        .enumerate()
        .map(|(i, b)| parse(&b.der, i + 1))
        .collect::<Result<Vec<_>, _>>()?;
    let leaf = certs.first().ok_or(CertError::NoCertificate)?;

    if leaf.public_key().raw != spki {
        return Err(CertError::KeyMismatch);
    }
    let not_before = leaf.validity().not_before.timestamp();
    let not_after = leaf.validity().not_after.timestamp();
    if not_before > not_after {
        return Err(CertError::InvalidValidity {
            not_before,
            not_after,
        });
    }
    if now > not_after {
        return Err(CertError::Expired { not_after, now });
    }
    check_names(leaf, requested)?;
    for (i, pair) in certs.windows(2).enumerate() {
        check_issued_by(&pair[0], &pair[1], i + 1)?;
    }

    let top_issuer = certs
        .last()
        .and_then(|top| top.issuer().iter_common_name().next())
        .and_then(|cn| cn.as_str().ok())
        .map(sanitize)
        .unwrap_or_default();
    let mut encoded = blocks.iter().map(|b| pem::encode(&b.der));
    let leaf_pem = encoded.next().unwrap_or_default();
    let issuers_pem: String = encoded.collect();
    Ok(IssuedChain {
        fullchain_pem: format!("{leaf_pem}{issuers_pem}"),
        leaf_pem,
        issuers_pem,
        not_before,
        not_after,
        top_issuer,
    })
}

/// Check a certificate already on disk against its key: the first certificate of `pem` must
/// parse, carry the public key `spki` (SubjectPublicKeyInfo DER of the domain key, or of the
/// CSR of a lineage without one) and not be expired at `now`.
pub fn check_installed(pem: &[u8], spki: &[u8], now: i64) -> Result<(), CertError> {
    let blocks = pem::certificates(pem, Mode::Lenient)?;
    let first = blocks.first().ok_or(CertError::NoCertificate)?;
    let leaf = parse(&first.der, 1)?;
    if leaf.public_key().raw != spki {
        return Err(CertError::KeyMismatch);
    }
    let not_after = leaf.validity().not_after.timestamp();
    if now > not_after {
        return Err(CertError::Expired { not_after, now });
    }
    Ok(())
}

/// The certificates of PEM files on disk as DER, in order (other text and blocks are
/// skipped), for an export that pairs them with a key: each must parse, and the first must
/// carry that key's public key `spki` (DER, as `openssl pkcs12 -export` requires). Expiry is
/// not checked.
pub fn chain_for_key(pem: &[u8], spki: &[u8]) -> Result<Vec<Vec<u8>>, CertError> {
    let blocks = pem::certificates(pem, Mode::Lenient)?;
    let first = blocks.first().ok_or(CertError::NoCertificate)?;
    for (n, block) in blocks.iter().enumerate() {
        parse(&block.der, n + 1)?;
    }
    if parse(&first.der, 1)?.public_key().raw != spki {
        return Err(CertError::KeyMismatch);
    }
    Ok(blocks.into_iter().map(|b| b.der).collect())
}

/// Read the first certificate of a PEM file (other text and blocks are skipped).
pub fn read_leaf(pem: &[u8]) -> Result<CertInfo, CertError> {
    let blocks = pem::certificates(pem, Mode::Lenient)?;
    let first = blocks.first().ok_or(CertError::NoCertificate)?;
    let cert = parse(&first.der, 1)?;
    let sans = san_names(&cert)?
        .into_iter()
        .filter_map(|name| match name {
            Name::Dns(d) => Some(Identifier::Dns(d)),
            Name::Ip(ip) => Some(Identifier::Ip(ip.to_string())),
            Name::Other(_) => None,
        })
        .collect();
    Ok(CertInfo {
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        sans,
        serial_hex: cert
            .raw_serial()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        issuer: sanitize(&cert.issuer().to_string()),
        serial: cert.raw_serial().to_vec(),
        authority_key_id: cert
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    aki.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                _ => None,
            }),
    })
}

fn parse(der: &[u8], position: usize) -> Result<X509Certificate<'_>, CertError> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok(_) => Err(CertError::TrailingData { position }),
        Err(nom::Err::Error(source) | nom::Err::Failure(source)) => {
            Err(CertError::X509 { position, source })
        }
        Err(nom::Err::Incomplete(_)) => Err(CertError::X509 {
            position,
            source: X509Error::InvalidCertificate,
        }),
    }
}

fn check_issued_by(
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    position: usize,
) -> Result<(), CertError> {
    if cert.issuer().as_raw() != issuer.subject().as_raw() {
        return Err(CertError::IssuerMismatch {
            position,
            issuer: sanitize(&cert.issuer().to_string()),
            next_subject: sanitize(&issuer.subject().to_string()),
        });
    }
    verify_signature(cert, issuer).map_err(|source| CertError::BadSignature { position, source })
}

/// x509-parser's check, plus the ECDSA combinations it does not know (P-521 keys and
/// ECDSA with SHA-512), which aws-lc-rs verifies.
fn verify_signature(
    cert: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
) -> Result<(), X509Error> {
    verify_signed(
        issuer.public_key(),
        &cert.signature_algorithm,
        &cert.signature_value,
        cert.tbs_certificate.as_ref(),
    )
}

/// Verify `signature` over `signed` with the signer's key `spki` (a certificate's issuer, or
/// a CSR's own key): x509-parser's check, plus the ECDSA combinations it does not know
/// (P-521 keys and ECDSA with SHA-512), which aws-lc-rs verifies.
pub(crate) fn verify_signed(
    spki: &SubjectPublicKeyInfo<'_>,
    algorithm: &AlgorithmIdentifier<'_>,
    signature: &BitString<'_>,
    signed: &[u8],
) -> Result<(), X509Error> {
    let curve = (spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY)
        .then(|| spki.algorithm.parameters.as_ref()?.as_oid().ok())
        .flatten();
    let sig = &algorithm.algorithm;
    let extra: Option<&'static dyn VerificationAlgorithm> = match curve {
        Some(c) if c == OID_NIST_EC_P521 => {
            if *sig == OID_SIG_ECDSA_WITH_SHA256 {
                Some(&signature::ECDSA_P521_SHA256_ASN1)
            } else if *sig == OID_SIG_ECDSA_WITH_SHA384 {
                Some(&signature::ECDSA_P521_SHA384_ASN1)
            } else if *sig == OID_SIG_ECDSA_WITH_SHA512 {
                Some(&signature::ECDSA_P521_SHA512_ASN1)
            } else {
                None
            }
        }
        Some(c) if c == OID_EC_P256 && *sig == OID_SIG_ECDSA_WITH_SHA512 => {
            Some(&signature::ECDSA_P256_SHA512_ASN1)
        }
        Some(c) if c == OID_NIST_EC_P384 && *sig == OID_SIG_ECDSA_WITH_SHA512 => {
            Some(&signature::ECDSA_P384_SHA512_ASN1)
        }
        _ => None,
    };
    match extra {
        Some(alg) => UnparsedPublicKey::new(alg, &spki.subject_public_key.data)
            .verify(signed, &signature.data)
            .map_err(|_| X509Error::SignatureVerificationError),
        None => x509_parser::verify::verify_signature(spki, algorithm, signature, signed),
    }
}
