use super::Eab;

#[test]
fn hmac_key_in_any_base64_form_decodes_to_the_same_bytes() {
    let key = [0xfb, 0xff, 0xbf, 0x01];
    for text in ["-_-_AQ", "-_-_AQ==", "+/+/AQ", "+/+/AQ==", " -_-_AQ\n"] {
        let eab = Eab::from_text("kid", text).expect(text);
        assert_eq!(eab.hmac_key, key, "{text}");
        assert_eq!(eab.kid, "kid");
    }
}

#[test]
fn empty_or_invalid_hmac_key_is_refused() {
    for text in ["", "==", "not base64!", "A"] {
        assert!(Eab::from_text("kid", text).is_none(), "{text:?}");
    }
}
