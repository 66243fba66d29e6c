//! Private keys sealed with the store key before they enter the database (docs/fleet.md).
//!
//! The store key is a file of 32 random bytes that the nodes hold and the database never
//! sees; its path is given with [`KEY_VAR`]. There is no built-in or default key: without the
//! file, nothing is sealed and nothing sealed can be opened.
//!
//! A sealed value is AES-256-GCM (NIST SP 800-38D, from aws-lc-rs) with a random 96-bit nonce
//! from the system's random generator, laid out as
//!
//! ```text
//! "acmers-sealed" | version (1) | key id (8 bytes) | nonce (12 bytes) | ciphertext + tag (16 bytes)
//! ```
//!
//! The header (magic, version, key id) and the caller's `aad` are authenticated with the
//! value: the `aad` names where the value is stored (e.g.
//! `lineage:example.com_ecc/example.com.key`), so a sealed value copied to another row or
//! swapped with another does not open.

use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use base64::Engine as _;

use super::Error;
use super::pgpass::read_private;
use crate::acme::text::hex;

/// The variable (environment or `account.conf`) that names the store key file.
pub const KEY_VAR: &str = "ACMERS_STORE_KEY";

/// What every sealed value starts with.
const MAGIC: &[u8] = b"acmers-sealed";
/// The layout described in the module documentation.
const VERSION: u8 = 1;
/// The bytes of the key id in a sealed value.
const ID_LEN: usize = 8;
/// Magic, version and key id.
const HEADER_LEN: usize = MAGIC.len() + 1 + ID_LEN;
/// The bytes of a store key.
const KEY_LEN: usize = 32;
/// The largest key file read: 32 bytes in any of the accepted forms, with room for spaces.
const KEY_FILE_MAX: u64 = 1024;

/// The store key: seals and opens private keys for the database.
pub struct StoreKey {
    key: LessSafeKey,
    id: [u8; ID_LEN],
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreKey").field("id", &self.id()).finish()
    }
}

impl StoreKey {
    /// The key of the key file `path`: 32 random bytes, as they are, as 64 hex digits, or in
    /// base64, with white space around the text forms allowed.
    ///
    /// # Errors
    ///
    /// The file is missing or cannot be read ([`Error::Store`]; as root, one another user owns
    /// or can write is refused); group or other users can access it ([`Error::Exposed`]); it
    /// holds no key in these forms, or a shorter one ([`Error::Key`]).
    pub fn load(path: &Path) -> Result<Self, Error> {
        let bytes = read_private(path, KEY_FILE_MAX)?.ok_or_else(|| {
            Error::Store(crate::store::Error::Read {
                path: path.to_owned(),
                source: std::io::ErrorKind::NotFound.into(),
            })
        })?;
        let key = decode(&bytes).ok_or_else(|| {
            Error::Key(format!(
                "`{}` holds no store key: it must hold 32 random bytes, as they are, as 64 hex \
                 digits or in base64 (make one with `head -c 32 /dev/urandom > {} && chmod 600 \
                 {}`)",
                path.display(),
                path.display(),
                path.display()
            ))
        })?;
        Self::new(&key)
    }

    fn new(key: &[u8; KEY_LEN]) -> Result<Self, Error> {
        let mut input = b"acmers store key id\0".to_vec();
        input.extend_from_slice(key);
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &input);
        let mut id = [0; ID_LEN];
        id.copy_from_slice(&digest.as_ref()[..ID_LEN]);
        let key = UnboundKey::new(&AES_256_GCM, key)
            .map_err(|_| Error::Key("aws-lc cannot use the store key for AES-256-GCM".into()))?;
        Ok(Self {
            key: LessSafeKey::new(key),
            id,
        })
    }

    /// The key's id: 16 hex digits of a SHA-256 over the key (domain-separated), shown in
    /// messages and stored in every value it seals. It does not reveal the key.
    pub fn id(&self) -> String {
        hex(&self.id)
    }

    /// `plain` sealed under this key, bound to `aad` (where the value will be stored).
    ///
    /// # Errors
    ///
    /// [`Error::Key`] when the system's random generator fails.
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, Error> {
        let mut nonce = [0; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| Error::Key("the system's random generator failed".into()))?;
        let mut sealed = Vec::with_capacity(HEADER_LEN + NONCE_LEN + plain.len() + 16);
        sealed.extend_from_slice(MAGIC);
        sealed.push(VERSION);
        sealed.extend_from_slice(&self.id);
        let mut body = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad_of(&sealed, aad)),
                &mut body,
            )
            .map_err(|_| Error::Key("the value is too large to seal".into()))?;
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    /// The plain value of `sealed`, which must have been sealed with this key for `aad`.
    ///
    /// # Errors
    ///
    /// [`Error::Key`]: not a sealed value, an unknown format version, sealed with another key
    /// (both ids named), or changed since, or sealed for another place than `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, Error> {
        let place = aad.escape_ascii();
        if !is_sealed(sealed) {
            return Err(Error::Key(format!(
                "the value for `{place}` is not sealed with a store key"
            )));
        }
        let damaged = || Error::Key(format!("the value for `{place}` is damaged"));
        if sealed.len() < HEADER_LEN + NONCE_LEN {
            return Err(damaged());
        }
        let version = sealed[MAGIC.len()];
        if version != VERSION {
            return Err(Error::Key(format!(
                "the value for `{place}` is sealed in format {version}, which this acmers does \
                 not read"
            )));
        }
        let (header, rest) = sealed.split_at(HEADER_LEN);
        let id = &header[MAGIC.len() + 1..];
        if id != self.id {
            return Err(Error::Key(format!(
                "the value for `{place}` is sealed with the store key {}, but the key given \
                 ({KEY_VAR}) is {}",
                hex(id),
                self.id()
            )));
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| damaged())?;
        let mut body = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad_of(header, aad)), &mut body)
            .map_err(|_| {
                Error::Key(format!(
                    "the value for `{place}` does not open with the store key {}: it was \
                     changed, or sealed for another place",
                    self.id()
                ))
            })?;
        Ok(plain.to_vec())
    }
}

/// What a value's authentication covers besides its text: its header, then the caller's
/// `aad` (the header has a fixed length, so the two cannot be confused).
fn aad_of(header: &[u8], aad: &[u8]) -> Vec<u8> {
    [header, aad].concat()
}

/// Whether `bytes` is a value sealed by [`StoreKey::seal`] (of any key), rather than a plain
/// key (PEM).
pub fn is_sealed(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// The id of the key that sealed `bytes`, when it is a sealed value.
pub fn sealed_key_id(bytes: &[u8]) -> Option<String> {
    bytes
        .get(MAGIC.len() + 1..HEADER_LEN)
        .filter(|_| is_sealed(bytes))
        .map(hex)
}

/// The 32 key bytes of a key file's content, in the forms [`StoreKey::load`] accepts. A file
/// of exactly 32 bytes is the key as it is, unless it is all printable text (random bytes are
/// that with a chance of about 2^-45): that is a shorter key written as text, refused.
fn decode(bytes: &[u8]) -> Option<[u8; KEY_LEN]> {
    let printable = |b: &u8| b.is_ascii_graphic() || *b == b' ';
    if bytes.len() == KEY_LEN && !bytes.iter().all(printable) {
        return bytes.try_into().ok();
    }
    let text = bytes.trim_ascii();
    let decoded = if text.len() == 2 * KEY_LEN && text.iter().all(u8::is_ascii_hexdigit) {
        text.chunks(2)
            .map(|pair| {
                let pair = std::str::from_utf8(pair).ok()?;
                u8::from_str_radix(pair, 16).ok()
            })
            .collect::<Option<Vec<u8>>>()?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()?
    };
    decoded.try_into().ok()
}

#[cfg(test)]
#[path = "crypt_tests.rs"]
mod tests;
