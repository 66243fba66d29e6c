use super::*;

#[test]
fn lines_escape_prefix_and_text() {
    let printer = Printer {
        timestamp: false,
        ..Printer::default()
    }
    .prefixed("x\x1b.example");
    assert_eq!(
        printer.line(&"Renewing\r\nforged"),
        "[x?.example] Renewing??forged"
    );
}
