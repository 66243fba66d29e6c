//! A CSR someone else made (`--signcsr`, `--showcsr`, the `<d>.csr` of a lineage without a
//! domain key), read as hostile data: size-capped, PEM or DER, its self-signature checked, and
//! reduced to what acme.sh reads from it (`_readSubjectFromCSR`,
//! `_readSubjectAltNamesFromCSR`, `_readKeyLengthFromCSR`).

use std::net::IpAddr;

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::error::X509Error;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::nom;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION,
};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

use crate::acme::text::sanitize;
use crate::acme::types::Identifier;
use crate::keys::KeyType;

/// Largest CSR file read (a CSR with an RSA 8192 key and 100 names is about 8 KiB).
pub const MAX_CSR: usize = 64 * 1024;

/// A CSR as given, checked: the bytes are sent to the CA unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsrFile {
    /// The file as given (copied to `<d>.csr`).
    pub bytes: Vec<u8>,
    /// The request's DER (finalize sends `base64url(der)`).
    pub der: Vec<u8>,
    /// The subject's first common name, if any (sanitized).
    pub common_name: Option<String>,
    /// The DNS and IP subjectAltNames, in request order (DNS names lowercased).
    pub names: Vec<Identifier>,
    /// The SubjectPublicKeyInfo DER, which the issued certificate must carry.
    pub spki_der: Vec<u8>,
    /// The key's type (an RSA key reports its real size).
    pub key_type: KeyType,
}

/// Why a CSR cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Larger than [`MAX_CSR`].
    #[error("the CSR is larger than {MAX_CSR} bytes")]
    TooLarge,
    /// Neither a PEM `CERTIFICATE REQUEST` block nor DER.
    #[error("no PEM `CERTIFICATE REQUEST` block and not DER")]
    NotCsr,
    /// The PEM block does not decode.
    #[error("the PEM block is malformed")]
    Pem(#[source] pem::PemError),
    /// The DER is not a PKCS#10 request.
    #[error("not a PKCS#10 certification request")]
    Parse(#[source] X509Error),
    /// Bytes after the request.
    #[error("trailing data after the certification request")]
    TrailingData,
    /// The self-signature does not verify: the request was altered or is not signed by its
    /// key (RFC 2986 §4.2).
    #[error("the CSR's signature does not verify with its own public key")]
    BadSignature(#[source] X509Error),
    /// A key type acme.sh does not issue for.
    #[error("the CSR's key is {what}; only P-256, P-384, P-521 and RSA keys are supported")]
    UnsupportedKey {
        /// The key algorithm or curve (sanitized).
        what: String,
    },
    /// The subjectAltName extension does not parse.
    #[error("the CSR's subjectAltName extension is malformed")]
    BadSan,
}

/// PEM labels openssl writes for a CSR (`NEW CERTIFICATE REQUEST` with `-newhdr`).
const LABELS: [&str; 2] = ["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"];

impl CsrFile {
    /// Read a CSR: PEM (the first `CERTIFICATE REQUEST` block; other text is skipped, as
    /// openssl does) or DER.
    ///
    /// # Errors
    ///
    /// See [`ReadError`].
    pub fn parse(bytes: &[u8]) -> Result<Self, ReadError> {
        if bytes.len() > MAX_CSR {
            return Err(ReadError::TooLarge);
        }
        let der = if bytes.first() == Some(&0x30) {
            bytes.to_vec()
        } else {
            let text = String::from_utf8_lossy(bytes);
            let blocks = pem::parse_many(text.as_bytes()).map_err(ReadError::Pem)?;
            blocks
                .into_iter()
                .find(|b| LABELS.contains(&b.tag()))
                .ok_or(ReadError::NotCsr)?
                .into_contents()
        };
        let (spki_der, common_name, names, key_type) = inspect(&der)?;
        Ok(Self {
            bytes: bytes.to_vec(),
            der,
            common_name,
            names,
            spki_der,
            key_type,
        })
    }

    /// The main name and the other names, as acme.sh's `signcsr` chooses them: the common
    /// name when it looks like a domain (no space, a dot), else the first SAN; the others are
    /// the SANs without the main name. `None` when the CSR names nothing.
    pub fn main_and_others(&self) -> Option<(Identifier, Vec<Identifier>)> {
        let cn = self
            .common_name
            .as_deref()
            .filter(|cn| !cn.contains(' ') && cn.contains('.'))
            .map(|cn| match cn.parse::<IpAddr>() {
                Ok(ip) => Identifier::Ip(ip.to_string()),
                Err(_) => Identifier::Dns(cn.to_ascii_lowercase()),
            });
        let main = cn.or_else(|| self.names.first().cloned())?;
        let others = self.names.iter().filter(|n| **n != main).cloned().collect();
        Some((main, others))
    }

    /// The SANs without the common name, comma-separated (acme.sh's `SubjectAltNames=`).
    pub fn alt_names_line(&self) -> String {
        let cn = self.common_name.as_deref().map(str::to_ascii_lowercase);
        self.names
            .iter()
            .map(Identifier::value)
            .filter(|v| Some(*v) != cn.as_deref())
            .collect::<Vec<_>>()
            .join(",")
    }
}

type Inspected = (Vec<u8>, Option<String>, Vec<Identifier>, KeyType);

fn inspect(der: &[u8]) -> Result<Inspected, ReadError> {
    let req = match X509CertificationRequest::from_der(der) {
        Ok(([], req)) => req,
        Ok(_) => return Err(ReadError::TrailingData),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => return Err(ReadError::Parse(e)),
        Err(nom::Err::Incomplete(_)) => {
            return Err(ReadError::Parse(X509Error::InvalidCertificate));
        }
    };
    let info = &req.certification_request_info;
    crate::cert::verify_signed(
        &info.subject_pki,
        &req.signature_algorithm,
        &req.signature_value,
        info.raw,
    )
    .map_err(ReadError::BadSignature)?;
    let key_type = key_type(&info.subject_pki)?;
    let common_name = info
        .subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(sanitize);
    let mut names = Vec::new();
    for ext in req.requested_extensions().into_iter().flatten() {
        match ext {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(d) => {
                            names.push(Identifier::Dns(sanitize(&d.to_ascii_lowercase())));
                        }
                        GeneralName::IPAddress(bytes) => names.push(Identifier::Ip(ip(bytes)?)),
                        _ => {}
                    }
                }
            }
            ParsedExtension::ParseError { .. } => return Err(ReadError::BadSan),
            _ => {}
        }
    }
    Ok((info.subject_pki.raw.to_vec(), common_name, names, key_type))
}

fn ip(bytes: &[u8]) -> Result<String, ReadError> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Ok(IpAddr::from(v4).to_string());
    }
    <[u8; 16]>::try_from(bytes)
        .map(|v6| IpAddr::from(v6).to_string())
        .map_err(|_| ReadError::BadSan)
}

fn key_type(spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> Result<KeyType, ReadError> {
    let alg = &spki.algorithm.algorithm;
    if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        return match curve {
            Some(c) if c == OID_EC_P256 => Ok(KeyType::Ec256),
            Some(c) if c == OID_NIST_EC_P384 => Ok(KeyType::Ec384),
            Some(c) if c == OID_NIST_EC_P521 => Ok(KeyType::Ec521),
            other => Err(ReadError::UnsupportedKey {
                what: format!(
                    "EC on the curve {}",
                    other.map_or_else(|| "(none)".to_owned(), |c| c.to_id_string())
                ),
            }),
        };
    }
    if *alg == OID_PKCS1_RSAENCRYPTION
        && let Ok(PublicKey::RSA(rsa)) = spki.parsed()
    {
        return Ok(KeyType::Rsa(modulus_bits(rsa.modulus)));
    }
    Err(ReadError::UnsupportedKey {
        what: sanitize(&alg.to_id_string()),
    })
}

/// The size of an RSA modulus in bits (DER integers may carry a leading zero byte).
fn modulus_bits(modulus: &[u8]) -> u32 {
    let start = modulus
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(modulus.len());
    let Some((&first, rest)) = modulus[start..].split_first() else {
        return 0;
    };
    let bits = rest.len() * 8 + (8 - first.leading_zeros() as usize);
    u32::try_from(bits).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
