use super::*;

#[test]
fn quote_escapes_quotes_and_backslashes() {
    assert_eq!(quote("abc-_123"), "\"abc-_123\"");
    assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
}

#[test]
fn unquote_joins_strings_and_decodes_escapes() {
    assert_eq!(unquote("\"abc\""), "abc");
    assert_eq!(unquote("\"a\" \"b\""), "ab");
    assert_eq!(unquote(r#""a\"b\\c""#), r#"a"b\c"#);
    assert_eq!(unquote(r#""x\065y""#), "xAy");
    assert_eq!(unquote("bare value"), "bare value");
    assert_eq!(unquote(&quote("round trip \" \\")), "round trip \" \\");
}
