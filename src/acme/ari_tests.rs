use super::*;

/// RFC 9773 §4.1's example: keyIdentifier 69:88:5B:…:D4, serial 00:87:65:43:21.
const AKI: [u8; 20] = [
    0x69, 0x88, 0x5B, 0x6B, 0x87, 0x46, 0x40, 0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C,
    0xDE, 0x01, 0xC8, 0xD4,
];
const RFC_CERT_ID: &str = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";

#[test]
fn cert_id_matches_the_rfc_example() {
    assert_eq!(cert_id(&AKI, &[0x00, 0x87, 0x65, 0x43, 0x21]), RFC_CERT_ID);
}

#[test]
fn cert_id_adds_the_sign_byte_a_high_bit_needs() {
    // The serial as tools print it, without DER's leading zero: the same CertID.
    assert_eq!(cert_id(&AKI, &[0x87, 0x65, 0x43, 0x21]), RFC_CERT_ID);
    // High bit clear: taken as it is.
    assert!(cert_id(&AKI, &[0x07, 0x65]).ends_with(".B2U"));
}

#[test]
fn parses_a_window() {
    let body = br#"{"suggestedWindow":{"start":"2025-01-02T04:00:00Z",
        "end":"2025-01-03T04:00:00.123Z"},"explanationURL":"https://ca.test/why"}"#;
    let info = parse_renewal_info(body, Some(Duration::from_secs(21600))).expect("window");
    assert_eq!(info.start, 1_735_790_400);
    assert_eq!(info.end, 1_735_790_400 + 86_400);
    assert_eq!(info.explanation_url.as_deref(), Some("https://ca.test/why"));
    assert_eq!(info.retry_after, Some(Duration::from_secs(21600)));
}

#[test]
fn refuses_what_is_not_a_window() {
    let refused = |body: &[u8]| parse_renewal_info(body, None).is_err();
    assert!(refused(b"<html>"));
    assert!(refused(
        br#"{"suggestedWindow":{"start":"2025-01-02T04:00:00Z"}}"#
    ));
    assert!(refused(
        br#"{"suggestedWindow":{"start":"yesterday","end":"2025-01-03T04:00:00Z"}}"#
    ));
    // Ends before (or when) it starts.
    assert!(refused(
        br#"{"suggestedWindow":{"start":"2025-01-03T04:00:00Z","end":"2025-01-03T04:00:00Z"}}"#
    ));
    let mut huge =
        br#"{"suggestedWindow":{"start":"2025-01-02T04:00:00Z","end":"2025-01-03T04:00:00Z"}}"#
            .to_vec();
    huge.resize(MAX_RENEWAL_INFO + 1, b' ');
    assert!(refused(&huge));
    // An explanation that is not a web link is dropped, the window kept.
    let odd = br#"{"suggestedWindow":{"start":"2025-01-02T04:00:00Z",
        "end":"2025-01-03T04:00:00Z"},"explanationURL":"javascript:alert(1)"}"#;
    assert_eq!(
        parse_renewal_info(odd, None)
            .expect("window")
            .explanation_url,
        None
    );
}
