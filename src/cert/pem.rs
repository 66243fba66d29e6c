//! A PEM splitter for certificate chains from the CA.
//!
//! Strict mode (for what the CA sends) accepts only `CERTIFICATE` blocks separated by
//! whitespace; lenient mode (for reading a file back) skips other text and other blocks.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::CertError;
use crate::acme::text::sanitize;

/// Longest label accepted in a BEGIN line, so a hostile label is not echoed at length.
const MAX_LABEL: usize = 64;

/// One decoded block.
pub(super) struct Block {
    /// DER contents.
    pub(super) der: Vec<u8>,
}

/// How to treat anything that is not a `CERTIFICATE` block.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Refuse it (a CA response).
    Strict,
    /// Skip it (a file on disk).
    Lenient,
}

/// Split `input` into `CERTIFICATE` blocks.
pub(super) fn certificates(input: &[u8], mode: Mode) -> Result<Vec<Block>, CertError> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(CertError::Empty);
    }
    if !contains(input, b"-----BEGIN ") {
        return Err(CertError::NotPem);
    }

    let mut blocks = Vec::new();
    let mut open: Option<Open<'_>> = None;
    for (n, raw) in input.split(|&b| b == b'\n').enumerate() {
        let line_no = n + 1;
        let line = raw.trim_ascii();
        let Some(mut block) = open.take() else {
            if line.is_empty() {
                continue;
            }
            match begin_label(line) {
                Some(label) if label == CERTIFICATE => {
                    open = Some(Open::new(label, line_no, true));
                }
                Some(label) if mode == Mode::Strict => {
                    return Err(CertError::ForeignBlock {
                        label: printable(label),
                        line_no,
                    });
                }
                Some(label) => open = Some(Open::new(label, line_no, false)),
                None if mode == Mode::Strict => {
                    return Err(CertError::TextOutsideBlocks { line_no });
                }
                None => {}
            }
            continue;
        };
        if let Some(end) = line.strip_prefix(b"-----END ") {
            if end.strip_suffix(b"-----") != Some(block.label) {
                return Err(CertError::MalformedPem {
                    line_no,
                    why: "the END line does not match the BEGIN line",
                });
            }
            if block.keep {
                blocks.push(decode(&block.text, blocks.len() + 1)?);
            }
        } else if line.starts_with(b"-----") {
            // A new BEGIN (or other framing) before END: the block was cut short.
            return Err(CertError::Truncated {
                line_no: block.begin_line,
            });
        } else if !block.keep {
            // Content of a skipped block (lenient mode) is not inspected.
            open = Some(block);
        } else if line.iter().all(|&b| is_base64(b)) {
            block.text.extend_from_slice(line);
            open = Some(block);
        } else {
            return Err(CertError::MalformedPem {
                line_no,
                why: "a line inside the block is not base64",
            });
        }
    }
    if let Some(block) = open {
        return Err(CertError::Truncated {
            line_no: block.begin_line,
        });
    }
    if blocks.is_empty() {
        return Err(CertError::NoCertificate);
    }
    Ok(blocks)
}

const CERTIFICATE: &[u8] = b"CERTIFICATE";

/// A block whose END line has not been seen yet.
struct Open<'a> {
    label: &'a [u8],
    begin_line: usize,
    /// Whether the block is a certificate to decode (false: skipped in lenient mode).
    keep: bool,
    text: Vec<u8>,
}

impl<'a> Open<'a> {
    fn new(label: &'a [u8], begin_line: usize, keep: bool) -> Self {
        Self {
            label,
            begin_line,
            keep,
            text: Vec::new(),
        }
    }
}

fn is_base64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='
}

/// The label of a `-----BEGIN <label>-----` line.
fn begin_label(line: &[u8]) -> Option<&[u8]> {
    line.strip_prefix(b"-----BEGIN ")?.strip_suffix(b"-----")
}

/// A label from the CA, safe to show: capped and sanitized.
fn printable(label: &[u8]) -> String {
    sanitize(&String::from_utf8_lossy(
        &label[..label.len().min(MAX_LABEL)],
    ))
}

fn decode(text: &[u8], position: usize) -> Result<Block, CertError> {
    if text.is_empty() {
        return Err(CertError::Base64 {
            position,
            source: None,
        });
    }
    STANDARD
        .decode(text)
        .map(|der| Block { der })
        .map_err(|source| CertError::Base64 {
            position,
            source: Some(source),
        })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Standard PEM for a certificate: 64-character lines, `\n`, trailing newline.
pub(super) fn encode(der: &[u8]) -> String {
    crate::keys::pem_encode("CERTIFICATE", der)
}
