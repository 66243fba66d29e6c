//! Text from outside the program made safe for a terminal: CA responses, names and conf values
//! are shown with their control characters replaced (docs/security.md).

use std::borrow::Cow;

/// Make CA-supplied text safe for a terminal: control characters are replaced (see
/// [`escape_controls`]) and the length is capped at 1,000 characters (docs/security.md).
pub fn sanitize(text: &str) -> String {
    const MAX: usize = 1000;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", escape_controls(&text[..cut])),
        None => escape_controls(text).into_owned(),
    }
}

/// `text` with every control character (ESC, CR, LF, DEL, the C1 range, …) shown as `?`, so
/// it cannot recolour a terminal, move its cursor or forge a line; borrowed when there is none.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape_controls_keeping(text, &[])
}

/// [`escape_controls`], except that the control characters in `keep` (a multi-line value's
/// `\n` and `\t`) stay as they are.
pub fn escape_controls_keeping<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    let escaped = |c: char| c.is_control() && !keep.contains(&c);
    if text.chars().any(escaped) {
        Cow::Owned(
            text.chars()
                .map(|c| if escaped(c) { '?' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// An error and its causes on one line, joined with `: ` (for a conf value or a plugin's
/// stderr).
pub fn one_line(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text.push_str(": ");
        text.push_str(&e.to_string());
        cause = e.source();
    }
    text
}

/// Lower-case hex of `bytes` (digests, HMACs and signatures as openssl prints them).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
