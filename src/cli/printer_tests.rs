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

#[test]
fn forced_colour_wins_over_no_colour() {
    let none = |_: &str| None;
    let forced = |k: &str| (k == "ACME_FORCE_COLOR").then(|| "1".to_owned());
    assert!(Printer::new(true, true, &none).color);
    assert!(Printer::new(true, false, &forced).color);
    let off = |k: &str| (k == "ACME_FORCE_COLOR").then(|| "0".to_owned());
    assert!(!Printer::new(true, false, &off).color);
}
