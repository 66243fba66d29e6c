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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_sanitized() {
        assert_eq!(sanitize("a\x1b[31mb\n"), "a?[31mb?");
        let long = "é\n".repeat(600);
        let capped = sanitize(&long);
        assert_eq!(capped, format!("{}…", "é?".repeat(500)));
        assert_eq!(sanitize(&"x".repeat(1000)), "x".repeat(1000));
    }

    #[test]
    fn control_characters_become_question_marks() {
        assert_eq!(escape_controls("a.example"), "a.example");
        assert!(matches!(escape_controls("plain ü"), Cow::Borrowed(_)));
        assert_eq!(
            escape_controls("a\x1b[31mb\r\n\t\0\x7f\u{85}c"),
            "a?[31mb??????c"
        );
    }

    #[test]
    fn kept_control_characters_stay() {
        assert_eq!(
            escape_controls_keeping("a\n\tb\x1b[0m\r", &['\n', '\t']),
            "a\n\tb?[0m?"
        );
        assert!(matches!(
            escape_controls_keeping("line\nline", &['\n']),
            Cow::Borrowed(_)
        ));
    }
}
