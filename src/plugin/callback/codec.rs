//! The helper's pure operations: digests and HMACs (aws-lc-rs), base64, hex, percent- and
//! JSON-encoding, punycode. Each follows the acme.sh function of the library that calls it
//! (docs/plugins.md).

use aws_lc_rs::{digest, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};

use super::Error;

/// Line length of multi-line base64 (openssl's, which acme.sh's `_base64 multiline` uses).
const BASE64_LINE: usize = 64;

fn unsupported(what: &str, alg: &str) -> Error {
    Error::Invalid(format!("{what} algorithm `{alg}` is not supported yet"))
}

/// The digest of `data` (`_digest`): sha1, sha256, sha384, sha512, sha3-256.
pub(super) fn digest(alg: &str, data: &[u8]) -> Result<Vec<u8>, Error> {
    let alg = match alg {
        "sha1" => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        "sha256" => &digest::SHA256,
        "sha384" => &digest::SHA384,
        "sha512" => &digest::SHA512,
        "sha3-256" => &digest::SHA3_256,
        other => return Err(unsupported("digest", other)),
    };
    Ok(digest::digest(alg, data).as_ref().to_vec())
}

/// The HMAC of `data` with the key given in hex (`_hmac alg hexkey`): sha1, sha256, sha384,
/// sha512.
pub(super) fn hmac(alg: &str, key_hex: &str, data: &[u8]) -> Result<Vec<u8>, Error> {
    let alg = match alg {
        "sha1" => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        "sha256" => hmac::HMAC_SHA256,
        "sha384" => hmac::HMAC_SHA384,
        "sha512" => hmac::HMAC_SHA512,
        other => return Err(unsupported("HMAC", other)),
    };
    let key = h2b(key_hex.as_bytes())
        .map_err(|_| Error::Invalid("the HMAC key is not hexadecimal".into()))?;
    Ok(hmac::sign(&hmac::Key::new(alg, &key), data)
        .as_ref()
        .to_vec())
}

/// `data` in base64: one line without a newline, or 64-character lines each ending in `\n`.
pub(super) fn base64(data: &[u8], multiline: bool) -> String {
    let text = STANDARD.encode(data);
    if !multiline {
        return text;
    }
    let mut out = String::with_capacity(text.len() + text.len() / BASE64_LINE + 1);
    for line in text.as_bytes().chunks(BASE64_LINE) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out
}

/// Base64 on one or several lines (blanks and line ends ignored, padding optional) → bytes.
pub(super) fn dbase64(text: &[u8]) -> Result<Vec<u8>, Error> {
    let compact: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    STANDARD_PAD_INDIFFERENT
        .decode(compact)
        .map_err(|e| Error::Invalid(format!("the input is not base64: {e}")))
}

pub(super) use crate::acme::text::hex;

/// `_hex_dump`: every byte as ` xx` (` 61 62 63` for `abc`).
pub(super) fn hex_dump(data: &[u8]) -> String {
    data.iter().map(|b| format!(" {b:02x}")).collect()
}

/// Hex (either case, blanks and line ends ignored) → bytes.
pub(super) fn h2b(text: &[u8]) -> Result<Vec<u8>, Error> {
    let digits: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let invalid = || Error::Invalid("the input is not an even number of hex digits".into());
    if !digits.len().is_multiple_of(2) {
        return Err(invalid());
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(invalid)
        })
        .collect()
}

/// `_url_encode [upper-hex]`: every byte but `A-Z a-z 0-9 - _ . ~` as `%xx`.
pub(super) fn url_encode(data: &[u8], upper: bool) -> String {
    let mut out = String::with_capacity(data.len() * 3);
    for &b in data {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else if upper {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push_str(&format!("%{b:02x}"));
        }
    }
    out
}

/// `_json_encode`: the text as the inside of a JSON string. Trailing line ends are dropped and
/// one `\n` is appended, as acme.sh's does (a PEM file keeps its final line end).
pub(super) fn json_encode(text: &str) -> String {
    let text = text.trim_end_matches(['\n', '\r']);
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push_str("\\n");
    out
}

/// `_idn`: each comma-separated name in punycode (A-labels).
pub(super) fn idn(names: &str) -> Result<String, Error> {
    names
        .split(',')
        .filter(|name| !name.is_empty())
        .map(|name| {
            idna::domain_to_ascii(name)
                .map_err(|_| Error::Invalid(format!("`{name}` is not a valid (IDN) name")))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|names| names.join(","))
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
