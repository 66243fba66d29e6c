//! TXT data in DNS presentation format (RFC 1035 §5.1), as PowerDNS and Hetzner want it:
//! one or more `"…"` character-strings with `\"`, `\\` and `\DDD` escapes.

/// `value` as one quoted character-string.
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The value of presentation-format TXT data: its character-strings unescaped and joined
/// (`"a" "b"` is `ab`, as a resolver joins them). Data that does not start with a quote is
/// taken as it is (APIs that store TXT values bare).
pub(crate) fn unquote(data: &str) -> String {
    let data = data.trim();
    if !data.starts_with('"') {
        return data.to_owned();
    }
    let mut out = Vec::with_capacity(data.len());
    let mut bytes = data.bytes();
    let mut quoted = false;
    while let Some(b) = bytes.next() {
        match b {
            b'"' => quoted = !quoted,
            b'\\' => match bytes.next() {
                Some(d @ b'0'..=b'9') => {
                    let digits = [Some(d), bytes.next(), bytes.next()];
                    let code = digits.iter().try_fold(0u32, |n, d| match d {
                        Some(d @ b'0'..=b'9') => Some(n * 10 + u32::from(d - b'0')),
                        _ => None,
                    });
                    out.extend(code.and_then(|c| u8::try_from(c).ok()));
                }
                Some(other) => out.push(other),
                None => {}
            },
            b' ' | b'\t' if !quoted => {}
            other => out.push(other),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
#[path = "txt_tests.rs"]
mod tests;
