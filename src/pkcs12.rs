//! PKCS#12 files ([RFC 7292]) as OpenSSL 3's `openssl pkcs12 -export` writes them by
//! default, which acme.sh's `_toPkcs` runs: the certificates in an `encryptedData` content,
//! the key in a `pkcs8ShroudedKeyBag`, both encrypted with PBES2 (PBKDF2-HMAC-SHA256,
//! AES-256-CBC; [RFC 8018]), and the whole protected by an HMAC-SHA256 MAC keyed with the
//! PKCS#12 KDF ([RFC 7292] appendix B). The key bag and the first certificate carry the same
//! `localKeyID` (the SHA-1 of the certificate, as OpenSSL sets it), which pairs them.
//!
//! Only aws-lc-rs primitives are used; yasna writes the DER. The module is pure: it takes the
//! key as PKCS#8 DER and the certificates as DER.
//!
//! [RFC 7292]: https://www.rfc-editor.org/rfc/rfc7292
//! [RFC 8018]: https://www.rfc-editor.org/rfc/rfc8018

use std::num::NonZeroU32;

use aws_lc_rs::cipher::{AES_256, PaddedBlockEncryptingKey, UnboundCipherKey};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::{digest, hmac, pbkdf2};
use yasna::models::ObjectIdentifier;
use yasna::{DERWriter, Tag};

#[cfg(test)]
#[path = "pkcs12_tests.rs"]
mod tests;

/// Why a PKCS#12 file could not be built. Carries no key material.
#[derive(Debug, thiserror::Error)]
pub enum Pkcs12Error {
    /// No certificate was given.
    #[error("a PKCS#12 file needs at least the certificate")]
    NoCertificate,
    /// Random numbers or encryption failed inside aws-lc.
    #[error("failed to encrypt the PKCS#12 file")]
    Crypto,
}

impl From<aws_lc_rs::error::Unspecified> for Pkcs12Error {
    fn from(_: aws_lc_rs::error::Unspecified) -> Self {
        Self::Crypto
    }
}

/// PBKDF2 and MAC iterations: OpenSSL's `PKCS12_DEFAULT_ITER`.
const ITERATIONS: u32 = 2048;
/// Salt length for PBKDF2 and the MAC (OpenSSL uses 8 bytes; longer is as readable).
const SALT_LEN: usize = 16;

// OIDs (RFC 7292 appendix D, RFC 8018 appendix C, RFC 5652, RFC 2985).
const DATA: &[u64] = &[1, 2, 840, 113_549, 1, 7, 1];
const ENCRYPTED_DATA: &[u64] = &[1, 2, 840, 113_549, 1, 7, 6];
const PKCS8_SHROUDED_KEY_BAG: &[u64] = &[1, 2, 840, 113_549, 1, 12, 10, 1, 2];
const CERT_BAG: &[u64] = &[1, 2, 840, 113_549, 1, 12, 10, 1, 3];
const X509_CERTIFICATE: &[u64] = &[1, 2, 840, 113_549, 1, 9, 22, 1];
const LOCAL_KEY_ID: &[u64] = &[1, 2, 840, 113_549, 1, 9, 21];
const PBES2: &[u64] = &[1, 2, 840, 113_549, 1, 5, 13];
const PBKDF2: &[u64] = &[1, 2, 840, 113_549, 1, 5, 12];
const HMAC_WITH_SHA256: &[u64] = &[1, 2, 840, 113_549, 2, 9];
const AES_256_CBC: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 1, 42];
const SHA256: &[u64] = &[2, 16, 840, 1, 101, 3, 4, 2, 1];

/// The PKCS#12 file (DER) holding the key (`pkcs8_der`) and `certs` (DER, the leaf first),
/// protected by `password` (may be empty).
///
/// # Errors
///
/// [`Pkcs12Error::NoCertificate`] without certificates; [`Pkcs12Error::Crypto`] when aws-lc
/// fails.
pub fn encode(pkcs8_der: &[u8], certs: &[Vec<u8>], password: &str) -> Result<Vec<u8>, Pkcs12Error> {
    let leaf = certs.first().ok_or(Pkcs12Error::NoCertificate)?;
    let rng = SystemRandom::new();
    let key_id = digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, leaf);
    let key_id = key_id.as_ref();

    let cert_bags = yasna::construct_der(|w| {
        w.write_sequence_of(|w| {
            for (n, cert) in certs.iter().enumerate() {
                let id = (n == 0).then_some(key_id);
                safe_bag(w.next(), CERT_BAG, id, |w| {
                    w.write_sequence(|w| {
                        w.next().write_oid(&oid(X509_CERTIFICATE));
                        w.next()
                            .write_tagged(Tag::context(0), |w| w.write_bytes(cert));
                    });
                });
            }
        });
    });
    let certs_sealed = Sealed::new(&cert_bags, password, &rng)?;

    let key_sealed = Sealed::new(pkcs8_der, password, &rng)?;
    let key_bags = yasna::construct_der(|w| {
        w.write_sequence_of(|w| {
            safe_bag(w.next(), PKCS8_SHROUDED_KEY_BAG, Some(key_id), |w| {
                // EncryptedPrivateKeyInfo (RFC 5958 §3).
                w.write_sequence(|w| {
                    key_sealed.write_algorithm(w.next());
                    w.next().write_bytes(&key_sealed.ciphertext);
                });
            });
        });
    });

    // AuthenticatedSafe: the certificates encrypted, then the key (already shrouded) as data.
    let auth_safe = yasna::construct_der(|w| {
        w.write_sequence_of(|w| {
            w.next().write_sequence(|w| {
                w.next().write_oid(&oid(ENCRYPTED_DATA));
                w.next().write_tagged(Tag::context(0), |w| {
                    w.write_sequence(|w| {
                        w.next().write_u8(0);
                        // EncryptedContentInfo (RFC 5652 §6.1).
                        w.next().write_sequence(|w| {
                            w.next().write_oid(&oid(DATA));
                            certs_sealed.write_algorithm(w.next());
                            w.next().write_tagged_implicit(Tag::context(0), |w| {
                                w.write_bytes(&certs_sealed.ciphertext);
                            });
                        });
                    });
                });
            });
            data_content_info(w.next(), &key_bags);
        });
    });

    let mut mac_salt = [0; SALT_LEN];
    rng.fill(&mut mac_salt)?;
    let mac_key = kdf(
        &digest::SHA256,
        KdfPurpose::Mac,
        &bmp_password(password),
        &mac_salt,
        ITERATIONS,
        digest::SHA256.output_len(),
    );
    let mac = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &mac_key), &auth_safe);

    Ok(yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_u8(3);
            data_content_info(w.next(), &auth_safe);
            // MacData (RFC 7292 §4).
            w.next().write_sequence(|w| {
                w.next().write_sequence(|w| {
                    algorithm_with_null(w.next(), SHA256);
                    w.next().write_bytes(mac.as_ref());
                });
                w.next().write_bytes(&mac_salt);
                w.next().write_u32(ITERATIONS);
            });
        });
    }))
}

/// Bytes encrypted with PBES2 under the password, and the parameters that decrypt them.
struct Sealed {
    salt: [u8; SALT_LEN],
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
}

impl Sealed {
    /// PBKDF2-HMAC-SHA256 (a fresh salt, [`ITERATIONS`]) → AES-256-CBC with a fresh IV and
    /// PKCS#7 padding ([RFC 8018] §6.2). The password is used as its UTF-8 bytes, as OpenSSL
    /// does for PBES2.
    ///
    /// [RFC 8018]: https://www.rfc-editor.org/rfc/rfc8018#section-6.2
    fn new(plain: &[u8], password: &str, rng: &SystemRandom) -> Result<Self, Pkcs12Error> {
        let mut salt = [0; SALT_LEN];
        rng.fill(&mut salt)?;
        let mut key = [0; 32];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA256,
            NonZeroU32::new(ITERATIONS).unwrap_or(NonZeroU32::MIN),
            &salt,
            password.as_bytes(),
            &mut key,
        );
        let cipher = PaddedBlockEncryptingKey::cbc_pkcs7(UnboundCipherKey::new(&AES_256, &key)?)?;
        key.fill(0);
        let mut ciphertext = plain.to_vec();
        let context = cipher.encrypt(&mut ciphertext)?;
        let iv = <&[u8]>::try_from(&context)?.to_vec();
        Ok(Self {
            salt,
            iv,
            ciphertext,
        })
    }

    /// The PBES2 AlgorithmIdentifier ([RFC 8018] appendix A.4, A.2, B.2.2).
    ///
    /// [RFC 8018]: https://www.rfc-editor.org/rfc/rfc8018#appendix-A.4
    fn write_algorithm(&self, w: DERWriter<'_>) {
        w.write_sequence(|w| {
            w.next().write_oid(&oid(PBES2));
            w.next().write_sequence(|w| {
                w.next().write_sequence(|w| {
                    w.next().write_oid(&oid(PBKDF2));
                    w.next().write_sequence(|w| {
                        w.next().write_bytes(&self.salt);
                        w.next().write_u32(ITERATIONS);
                        algorithm_with_null(w.next(), HMAC_WITH_SHA256);
                    });
                });
                w.next().write_sequence(|w| {
                    w.next().write_oid(&oid(AES_256_CBC));
                    w.next().write_bytes(&self.iv);
                });
            });
        });
    }
}

/// A SafeBag ([RFC 7292] §4.2) of type `bag_id` with its value, and a `localKeyID`
/// attribute when `key_id` is given.
///
/// [RFC 7292]: https://www.rfc-editor.org/rfc/rfc7292#section-4.2
fn safe_bag(
    w: DERWriter<'_>,
    bag_id: &[u64],
    key_id: Option<&[u8]>,
    value: impl FnOnce(DERWriter<'_>),
) {
    w.write_sequence(|w| {
        w.next().write_oid(&oid(bag_id));
        w.next().write_tagged(Tag::context(0), value);
        if let Some(id) = key_id {
            w.next().write_set(|w| {
                w.next().write_sequence(|w| {
                    w.next().write_oid(&oid(LOCAL_KEY_ID));
                    w.next().write_set(|w| w.next().write_bytes(id));
                });
            });
        }
    });
}

/// A ContentInfo of type `data` holding `content` ([RFC 5652] §4).
///
/// [RFC 5652]: https://www.rfc-editor.org/rfc/rfc5652#section-4
fn data_content_info(w: DERWriter<'_>, content: &[u8]) {
    w.write_sequence(|w| {
        w.next().write_oid(&oid(DATA));
        w.next()
            .write_tagged(Tag::context(0), |w| w.write_bytes(content));
    });
}

/// An AlgorithmIdentifier with NULL parameters.
fn algorithm_with_null(w: DERWriter<'_>, id: &[u64]) {
    w.write_sequence(|w| {
        w.next().write_oid(&oid(id));
        w.next().write_null();
    });
}

fn oid(components: &[u64]) -> ObjectIdentifier {
    ObjectIdentifier::from_slice(components)
}

/// The password as the PKCS#12 KDF takes it: a BMPString (UTF-16BE) with a two-byte NUL
/// terminator ([RFC 7292] appendix B.1); the empty password is just the terminator, as
/// OpenSSL encodes it.
///
/// [RFC 7292]: https://www.rfc-editor.org/rfc/rfc7292#appendix-B.1
fn bmp_password(password: &str) -> Vec<u8> {
    password
        .encode_utf16()
        .chain([0])
        .flat_map(u16::to_be_bytes)
        .collect()
}

/// The ID byte of the PKCS#12 KDF ([RFC 7292] appendix B.3).
///
/// [RFC 7292]: https://www.rfc-editor.org/rfc/rfc7292#appendix-B.3
#[derive(Clone, Copy)]
enum KdfPurpose {
    /// ID 1: key material for encryption (legacy PBE schemes; tests only).
    #[cfg(test)]
    Key = 1,
    /// ID 3: the MAC key.
    Mac = 3,
}

/// The PKCS#12 key derivation of [RFC 7292] appendix B.2: `len` bytes from the BMP-encoded
/// `password` and `salt`, hashing `iterations` times with `alg` (u = its output length, v =
/// its block length).
///
/// [RFC 7292]: https://www.rfc-editor.org/rfc/rfc7292#appendix-B.2
fn kdf(
    alg: &'static digest::Algorithm,
    purpose: KdfPurpose,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    len: usize,
) -> Vec<u8> {
    let v = alg.block_len();
    // Steps 2-4: S and P repeated to whole blocks of v bytes, I = S || P.
    let fill = |s: &[u8]| -> Vec<u8> {
        s.iter()
            .cycle()
            .take(s.len().div_ceil(v) * v)
            .copied()
            .collect()
    };
    let mut i = fill(salt);
    i.extend(fill(password));
    let d = vec![purpose as u8; v];
    let mut out = Vec::with_capacity(len);
    loop {
        // Step 6a: A = H^r(D || I).
        let mut ctx = digest::Context::new(alg);
        ctx.update(&d);
        ctx.update(&i);
        let mut a = ctx.finish();
        for _ in 1..iterations {
            a = digest::digest(alg, a.as_ref());
        }
        let a = a.as_ref();
        out.extend_from_slice(&a[..a.len().min(len - out.len())]);
        if out.len() == len {
            return out;
        }
        // Steps 6b-6c: B = A repeated to v bytes; every v-byte block of I becomes
        // (I_j + B + 1) mod 2^(8v).
        let b: Vec<u8> = a.iter().cycle().take(v).copied().collect();
        for block in i.chunks_mut(v) {
            let mut carry = 1u16;
            for (x, y) in block.iter_mut().zip(&b).rev() {
                let sum = u16::from(*x) + u16::from(*y) + carry;
                *x = sum.to_be_bytes()[1];
                carry = sum >> 8;
            }
        }
    }
}
