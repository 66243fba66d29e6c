//! A tiny, bounds-checked DER reader: just enough to take the PKCS#1 `RSAPrivateKey` out of
//! a PKCS#8 `PrivateKeyInfo` (aws-lc-rs exports RSA keys only as PKCS#8, acme.sh writes
//! PKCS#1).

/// Why a DER structure could not be read. Carries no key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DerError {
    /// The input ended inside a tag, length or value.
    #[error("DER input is truncated")]
    Truncated,
    /// A different tag was found.
    #[error("unexpected DER tag {found:#04x} (expected {expected:#04x})")]
    UnexpectedTag {
        /// Tag wanted.
        expected: u8,
        /// Tag found.
        found: u8,
    },
    /// Indefinite, over-long or non-minimal length.
    #[error("unsupported DER length encoding")]
    BadLength,
    /// Bytes after the outer structure.
    #[error("trailing bytes after the DER structure")]
    TrailingData,
    /// The PKCS#8 algorithm is not rsaEncryption.
    #[error("the PKCS#8 key is not an RSA key")]
    NotRsa,
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;

/// DER of OID 1.2.840.113549.1.1.1 (rsaEncryption), value bytes only.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// A cursor over DER bytes.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(input: &'a [u8]) -> Self {
        Self { rest: input }
    }

    fn byte(&mut self) -> Result<u8, DerError> {
        let (&b, rest) = self.rest.split_first().ok_or(DerError::Truncated)?;
        self.rest = rest;
        Ok(b)
    }

    /// Read one TLV with the given single-byte tag and return its value.
    fn read(&mut self, tag: u8) -> Result<&'a [u8], DerError> {
        let found = self.byte()?;
        if found != tag {
            return Err(DerError::UnexpectedTag {
                expected: tag,
                found,
            });
        }
        let first = self.byte()?;
        let len = match first {
            0..=0x7f => usize::from(first),
            0x81..=0x84 => {
                // At most 4 length bytes, so the value fits in 32 bits (and in `usize`).
                let count = first & 0x7f;
                let lead = self.byte()?;
                let mut len = usize::from(lead);
                for _ in 1..count {
                    len = (len << 8) | usize::from(self.byte()?);
                }
                // DER: the long form only when needed, with no leading zero byte.
                if len < 0x80 || lead == 0 {
                    return Err(DerError::BadLength);
                }
                len
            }
            _ => return Err(DerError::BadLength),
        };
        if len > self.rest.len() {
            return Err(DerError::Truncated);
        }
        let (value, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(value)
    }

    fn finish(&self) -> Result<(), DerError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(DerError::TrailingData)
        }
    }
}

/// The `privateKey` OCTET STRING contents of an RSA PKCS#8 `PrivateKeyInfo` ([RFC 5208 §5]),
/// which is the PKCS#1 `RSAPrivateKey` DER.
///
/// [RFC 5208 §5]: https://www.rfc-editor.org/rfc/rfc5208#section-5
pub(super) fn pkcs8_rsa_private_key(pkcs8: &[u8]) -> Result<&[u8], DerError> {
    let mut outer = Reader::new(pkcs8);
    let info = outer.read(SEQUENCE)?;
    outer.finish()?;

    let mut info = Reader::new(info);
    info.read(INTEGER)?; // version
    let mut algorithm = Reader::new(info.read(SEQUENCE)?);
    if algorithm.read(OID)? != RSA_ENCRYPTION {
        return Err(DerError::NotRsa);
    }
    info.read(OCTET_STRING)
    // Optional attributes / public key may follow; they are not needed.
}

#[cfg(test)]
#[path = "der_tests.rs"]
mod tests;
