use super::*;

#[test]
fn digests_match_the_standard_vectors() {
    let hex_of = |alg| hex(&digest(alg, b"abc").expect(alg));
    assert_eq!(hex_of("sha1"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_eq!(
        hex_of("sha256"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hex_of("sha3-256"),
        "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"
    );
    assert!(digest("md4", b"abc").is_err());
}

#[test]
fn hmacs_match_rfc_4231_and_rfc_2202() {
    let key = hex(b"Jefe");
    let data = b"what do ya want for nothing?";
    assert_eq!(
        hex(&hmac("sha256", &key, data).expect("sha256")),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(
        hex(&hmac("sha1", &key, data).expect("sha1")),
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
    );
    assert!(hmac("sha256", "not hex", data).is_err());
    assert!(hmac("md5", &key, data).is_err());
}

#[test]
fn base64_single_and_multi_line_round_trip() {
    assert_eq!(base64(b"hello", false), "aGVsbG8=");
    let data = [7u8; 100];
    let lines = base64(&data, true);
    let lengths: Vec<usize> = lines.lines().map(str::len).collect();
    assert_eq!(lengths, [64, 64, 8]);
    assert!(lines.ends_with('\n'));
    assert_eq!(dbase64(lines.as_bytes()).expect("multi-line"), data);
    assert_eq!(dbase64(b"aGVsbG8").expect("no padding"), b"hello");
    assert!(dbase64(b"a*b").is_err());
}

#[test]
fn hex_forms() {
    assert_eq!(hex_dump(b"ab\n"), " 61 62 0a");
    assert_eq!(hex_dump(b""), "");
    assert_eq!(h2b(b"61 62\n6A").expect("hex"), b"abj");
    assert!(h2b(b"616").is_err());
    assert!(h2b(b"zz").is_err());
}

#[test]
fn url_encoding_keeps_only_unreserved_characters() {
    assert_eq!(
        url_encode("a b/é~-_.".as_bytes(), false),
        "a%20b%2f%c3%a9~-_."
    );
    assert_eq!(url_encode(b"a&b", true), "a%26b");
}

#[test]
fn json_encoding_escapes_and_ends_with_one_line_end() {
    assert_eq!(json_encode("a\"b\\c\td\r\n\n"), r#"a\"b\\c\td\n"#);
    assert_eq!(json_encode("-----END-----\n"), r"-----END-----\n");
    assert_eq!(json_encode("x\u{1}"), r"x\u0001\n");
}

#[test]
fn idn_converts_each_name() {
    assert_eq!(
        idn("bücher.example,,plain.example").expect("idn"),
        "xn--bcher-kva.example,plain.example"
    );
}
