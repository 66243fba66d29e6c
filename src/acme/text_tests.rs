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
