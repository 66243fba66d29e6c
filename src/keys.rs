//! Private keys in the formats acme.sh (that is, openssl) reads and writes.
//!
//! acme.sh writes EC keys as SEC1 `EC PRIVATE KEY` (`openssl ecparam -genkey`) and RSA keys
//! as PKCS#1 `RSA PRIVATE KEY` (`openssl genrsa -traditional`). [`PrivateKey`] reads those
//! and PKCS#8 `PRIVATE KEY`, writes the acme.sh formats byte for byte, and signs JWS for
//! account keys ([`Signer`]).

mod der;
#[cfg(test)]
#[path = "keys_tests.rs"]
pub(crate) mod tests;

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{self, EcdsaKeyPair, EcdsaSigningAlgorithm, KeyPair, RsaKeyPair};

use crate::acme::jws::{Jwk, SignError, Signer, b64};

/// A key type as acme.sh names it (`--keylength`, `Le_Keylength`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// ECDSA P-256 (`ec-256`).
    Ec256,
    /// ECDSA P-384 (`ec-384`).
    Ec384,
    /// ECDSA P-521 (`ec-521`). Let's Encrypt refuses it.
    Ec521,
    /// RSA with this many bits (`2048`, `3072`, `4096`, `8192` when generated; a loaded key
    /// reports its real size).
    Rsa(u32),
}

const VALID_KEY_TYPES: &str = "ec-256, ec-384, ec-521, 2048, 3072, 4096, 8192";

impl KeyType {
    /// Parse acme.sh's spelling. An empty value (very old domain confs) means RSA 2048. The
    /// curve names acme.sh's `signcsr` saves as `Le_Keylength` (openssl's, from
    /// `_readKeyLengthFromCSR`) are read as the EC key of that curve.
    pub fn parse_acmesh(s: &str) -> Result<Self, KeyError> {
        Ok(match s {
            "ec-256" | "prime256v1" => Self::Ec256,
            "ec-384" | "secp384r1" => Self::Ec384,
            "ec-521" | "secp521r1" => Self::Ec521,
            "" | "2048" => Self::Rsa(2048),
            "3072" => Self::Rsa(3072),
            "4096" => Self::Rsa(4096),
            "8192" => Self::Rsa(8192),
            _ => {
                return Err(KeyError::UnknownKeyType {
                    value: crate::acme::text::sanitize(s),
                });
            }
        })
    }

    /// acme.sh's spelling (`ec-256`, `2048`, …), the inverse of [`Self::parse_acmesh`].
    pub fn as_acmesh(&self) -> String {
        match self {
            Self::Ec256 => "ec-256".to_owned(),
            Self::Ec384 => "ec-384".to_owned(),
            Self::Ec521 => "ec-521".to_owned(),
            Self::Rsa(bits) => bits.to_string(),
        }
    }

    /// The key length acme.sh's `_readKeyLengthFromCSR` gives for a key of this type:
    /// openssl's curve name (`prime256v1`, `secp384r1`, `secp521r1`) or the RSA bits.
    pub fn as_openssl(&self) -> String {
        match self {
            Self::Ec256 => "prime256v1".to_owned(),
            Self::Ec384 => "secp384r1".to_owned(),
            Self::Ec521 => "secp521r1".to_owned(),
            Self::Rsa(bits) => bits.to_string(),
        }
    }

    /// Whether this is an EC key type (acme.sh then uses a `<d>_ecc` folder).
    pub fn is_ecc(&self) -> bool {
        !matches!(self, Self::Rsa(_))
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_acmesh())
    }
}

/// Why a key could not be parsed, generated or serialized. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A key type acme.sh does not know.
    #[error("unknown key length {value:?}; valid values are {VALID_KEY_TYPES}")]
    UnknownKeyType {
        /// The value given (sanitized).
        value: String,
    },
    /// The RSA size is not one acme.sh generates.
    #[error("unsupported RSA key size {bits}; valid values are {VALID_KEY_TYPES}")]
    UnsupportedRsaSize {
        /// Bits requested.
        bits: u32,
    },
    /// Key generation failed inside aws-lc.
    #[error("failed to generate a {kind} key")]
    Generate {
        /// Key type requested.
        kind: KeyType,
        /// The library error.
        #[source]
        source: aws_lc_rs::error::Unspecified,
    },
    /// The text is not PEM.
    #[error("the key file is not valid PEM")]
    Pem(#[source] pem::PemError),
    /// The PEM holds no private key block.
    #[error("no private key block in the key file (found: {found})")]
    NoKey {
        /// Labels of the blocks that were found.
        found: String,
    },
    /// An encrypted key (acme.sh never writes one).
    #[error("the private key is encrypted; acmers needs an unencrypted key")]
    Encrypted,
    /// The block did not decode as a supported key.
    #[error("the `{label}` block is not a supported key (P-256, P-384, P-521 or RSA)")]
    Parse {
        /// PEM label.
        label: &'static str,
        /// The last library error.
        #[source]
        source: aws_lc_rs::error::KeyRejected,
    },
    /// Serializing a loaded key failed inside aws-lc.
    #[error("failed to serialize the {kind} key")]
    Serialize {
        /// Key type.
        kind: KeyType,
    },
    /// The PKCS#8 export of an RSA key could not be unwrapped to PKCS#1.
    #[error("failed to convert the RSA key to PKCS#1")]
    Pkcs1Export {
        /// The DER problem.
        #[source]
        source: der::DerError,
    },
}

enum Pair {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// A private key (domain key or account key).
///
/// The serialized forms are computed once when the key is made or loaded, so the accessors
/// cannot fail; those buffers are zeroed on drop. `Debug` prints the key type only.
pub struct PrivateKey {
    pair: Pair,
    kind: KeyType,
    /// SEC1 (EC) or PKCS#1 (RSA) DER: what acme.sh writes.
    native_der: Secret,
    /// PKCS#8 DER, for rcgen.
    pkcs8_der: Secret,
    /// SubjectPublicKeyInfo DER.
    spki_der: Vec<u8>,
}

/// Key bytes that are overwritten before their memory is freed.
struct Secret(Vec<u8>);

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.fill(0);
        // Keep the compiler from eliding the writes to memory that is about to be freed.
        std::hint::black_box(&mut self.0);
    }
}

const EC_LABEL: &str = "EC PRIVATE KEY";
const RSA_LABEL: &str = "RSA PRIVATE KEY";
const PKCS8_LABEL: &str = "PRIVATE KEY";
const P256: &EcdsaSigningAlgorithm = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
const P384: &EcdsaSigningAlgorithm = &signature::ECDSA_P384_SHA384_FIXED_SIGNING;
const P521: &EcdsaSigningAlgorithm = &signature::ECDSA_P521_SHA512_FIXED_SIGNING;

impl PrivateKey {
    /// Generate a new key.
    pub fn generate(kind: KeyType) -> Result<Self, KeyError> {
        let generate = |source| KeyError::Generate { kind, source };
        let ec = |alg| EcdsaKeyPair::generate(alg).map(Pair::Ec).map_err(generate);
        let pair = match kind {
            KeyType::Ec256 => ec(P256)?,
            KeyType::Ec384 => ec(P384)?,
            KeyType::Ec521 => ec(P521)?,
            KeyType::Rsa(bits) => {
                let size = match bits {
                    2048 => KeySize::Rsa2048,
                    3072 => KeySize::Rsa3072,
                    4096 => KeySize::Rsa4096,
                    8192 => KeySize::Rsa8192,
                    _ => return Err(KeyError::UnsupportedRsaSize { bits }),
                };
                Pair::Rsa(RsaKeyPair::generate(size).map_err(generate)?)
            }
        };
        Self::new(pair, kind)
    }

    /// Read a PEM key: SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY` or PKCS#8
    /// `PRIVATE KEY`. Other blocks before the key (openssl's `EC PARAMETERS`) are skipped.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let blocks = pem::parse_many(pem).map_err(KeyError::Pem)?;
        let block = blocks
            .iter()
            .find(|b| [EC_LABEL, RSA_LABEL, PKCS8_LABEL].contains(&b.tag()))
            .ok_or_else(|| {
                if blocks.iter().any(|b| b.tag() == "ENCRYPTED PRIVATE KEY") {
                    return KeyError::Encrypted;
                }
                let found: Vec<_> = blocks.iter().map(|b| b.tag()).collect();
                KeyError::NoKey {
                    found: crate::acme::text::sanitize(&found.join(", ")),
                }
            })?;
        // Traditional openssl encryption: `Proc-Type: 4,ENCRYPTED` header.
        if block.headers().get("Proc-Type").is_some() {
            return Err(KeyError::Encrypted);
        }
        let der = block.contents();
        match block.tag() {
            EC_LABEL => Self::from_ec_der(EC_LABEL, der, EcdsaKeyPair::from_private_key_der),
            RSA_LABEL => {
                let pair = RsaKeyPair::from_der(der).map_err(|source| KeyError::Parse {
                    label: RSA_LABEL,
                    source,
                })?;
                Self::from_rsa(pair)
            }
            _ => Self::from_ec_der(PKCS8_LABEL, der, EcdsaKeyPair::from_pkcs8).or_else(|ec| {
                match RsaKeyPair::from_pkcs8(der) {
                    Ok(pair) => Self::from_rsa(pair),
                    Err(_) => Err(ec),
                }
            }),
        }
    }

    fn from_ec_der(
        label: &'static str,
        der: &[u8],
        parse: fn(
            &'static EcdsaSigningAlgorithm,
            &[u8],
        ) -> Result<EcdsaKeyPair, aws_lc_rs::error::KeyRejected>,
    ) -> Result<Self, KeyError> {
        let curve = |kind, alg| parse(alg, der).map(|pair| (pair, kind));
        let (pair, kind) = curve(KeyType::Ec256, P256)
            .or_else(|_| curve(KeyType::Ec384, P384))
            .or_else(|_| curve(KeyType::Ec521, P521))
            .map_err(|source| KeyError::Parse { label, source })?;
        Self::new(Pair::Ec(pair), kind)
    }

    fn from_rsa(pair: RsaKeyPair) -> Result<Self, KeyError> {
        let bits = u32::try_from(pair.public_modulus_len() * 8).unwrap_or(u32::MAX);
        Self::new(Pair::Rsa(pair), KeyType::Rsa(bits))
    }

    fn new(pair: Pair, kind: KeyType) -> Result<Self, KeyError> {
        let failed = |_: aws_lc_rs::error::Unspecified| KeyError::Serialize { kind };
        let (native_der, pkcs8_der, spki_der) = match &pair {
            Pair::Ec(p) => {
                let sec1 = p.private_key().as_der().map_err(failed)?;
                let pkcs8 = p.to_pkcs8v1().map_err(failed)?;
                let spki = p.public_key().as_der().map_err(failed)?;
                (
                    sec1.as_ref().to_vec(),
                    pkcs8.as_ref().to_vec(),
                    spki.as_ref().to_vec(),
                )
            }
            Pair::Rsa(p) => {
                let pkcs8 = p.as_der().map_err(failed)?;
                let pkcs1 = der::pkcs8_rsa_private_key(pkcs8.as_ref())
                    .map_err(|source| KeyError::Pkcs1Export { source })?;
                let spki = p.public_key().as_der().map_err(failed)?;
                (
                    pkcs1.to_vec(),
                    pkcs8.as_ref().to_vec(),
                    spki.as_ref().to_vec(),
                )
            }
        };
        Ok(Self {
            pair,
            kind,
            native_der: Secret(native_der),
            pkcs8_der: Secret(pkcs8_der),
            spki_der,
        })
    }

    /// The key as acme.sh writes it: SEC1 `EC PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`,
    /// 64-character base64 lines, `\n` line ends, trailing newline.
    pub fn to_pem(&self) -> String {
        let label = if self.kind.is_ecc() {
            EC_LABEL
        } else {
            RSA_LABEL
        };
        pem_encode(label, &self.native_der.0)
    }

    /// The key as unencrypted PKCS#8 `PRIVATE KEY` PEM (`openssl pkcs8 -topk8 -nocrypt`).
    pub fn to_pkcs8_pem(&self) -> String {
        pem_encode(PKCS8_LABEL, &self.pkcs8_der.0)
    }

    /// The key type (a loaded RSA key reports its real modulus size).
    pub fn key_type(&self) -> KeyType {
        self.kind
    }

    /// The SubjectPublicKeyInfo DER, to compare with a certificate's or CSR's key.
    pub fn spki_der(&self) -> Vec<u8> {
        self.spki_der.clone()
    }

    /// PKCS#8 DER of the private key (for rcgen). Handle with care: this is key material.
    pub fn pkcs8_der(&self) -> Vec<u8> {
        self.pkcs8_der.0.clone()
    }
}

/// Standard PEM: 64-character base64 lines, `\n` line ends, trailing newline.
pub(crate) fn pem_encode(label: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(label, der), config)
}

/// Strip leading zero bytes from a big-endian integer (JWK `n`/`e`, RFC 7518 §6.3.1).
fn unsigned_be(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let trimmed = &bytes[start..];
    if trimmed.is_empty() { &[0] } else { trimmed }
}

impl Signer for PrivateKey {
    fn alg(&self) -> &'static str {
        match self.kind {
            KeyType::Ec256 => "ES256",
            KeyType::Ec384 => "ES384",
            KeyType::Ec521 => "ES512",
            KeyType::Rsa(_) => "RS256",
        }
    }

    fn jwk(&self) -> Jwk {
        match &self.pair {
            Pair::Ec(p) => {
                // Uncompressed point: 0x04 ‖ X ‖ Y, both coordinates the same length.
                let point = p.public_key().as_ref();
                let coords = point.get(1..).unwrap_or_default();
                let (x, y) = coords.split_at(coords.len() / 2);
                let crv = match self.kind {
                    KeyType::Ec384 => "P-384",
                    KeyType::Ec521 => "P-521",
                    // `Pair::Ec` is only ever built with an EC kind.
                    KeyType::Ec256 | KeyType::Rsa(_) => "P-256",
                };
                Jwk::Ec {
                    crv,
                    x: b64(x),
                    y: b64(y),
                }
            }
            Pair::Rsa(p) => {
                let parts = PublicKeyComponents::<Vec<u8>>::from(p.public_key());
                Jwk::Rsa {
                    e: b64(unsigned_be(&parts.e)),
                    n: b64(unsigned_be(&parts.n)),
                }
            }
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let rng = SystemRandom::new();
        match &self.pair {
            Pair::Ec(p) => Ok(p
                .sign(&rng, message)
                .map_err(|_| SignError)?
                .as_ref()
                .to_vec()),
            Pair::Rsa(p) => {
                let mut sig = vec![0; p.public_modulus_len()];
                p.sign(&signature::RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .map_err(|_| SignError)?;
                Ok(sig)
            }
        }
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({})", self.kind)
    }
}
