use super::*;

fn dns(s: &str) -> Identifier {
    Identifier::Dns(s.into())
}

#[test]
fn accepted_and_normalized() {
    let ids = parse_domains(&[
        "Example.COM,www.example.com.".into(),
        " *.example.com ".into(),
        "example.com".into(),
        "Bücher.example".into(),
        "192.0.2.10".into(),
        "2001:DB8::1".into(),
    ])
    .unwrap();
    assert_eq!(
        ids,
        [
            dns("example.com"),
            dns("www.example.com"),
            dns("*.example.com"),
            dns("xn--bcher-kva.example"),
            Identifier::Ip("192.0.2.10".into()),
            Identifier::Ip("2001:db8::1".into()),
        ]
    );
}

#[test]
fn refused() {
    for bad in [
        "a..b",
        "-lead.com",
        "trail-.com",
        "under_score.com",
        "sp ace.com",
        "a/b.com",
        "..",
        "*example.com",
        "a.*.com",
        "*.*.example.com",
        "1.2.3.999",
        "fe80::zz",
        "a\0b.com",
        &format!("{}.com", "a".repeat(64)),
        &format!("{}a.com", "abcdefghi.".repeat(25)),
    ] {
        assert!(parse_one(bad).is_err(), "{bad:?} accepted");
    }
    assert_eq!(parse_domains(&[]), Err(NameError::Empty));
    assert_eq!(parse_domains(&[",".into()]), Err(NameError::Empty));
    let err = parse_one("a\x1b[31mb\r\n.example").unwrap_err().to_string();
    assert!(err.starts_with("`a?[31mb??.example` is not"), "{err:?}");
    let many: Vec<String> = (0..101).map(|i| format!("n{i}.example.com")).collect();
    assert_eq!(parse_domains(&many), Err(NameError::TooMany(101)));
}

#[test]
fn idn_main_name_stays_as_typed() {
    let values = ["Bücher.example.,www.example".to_owned()];
    let ids = parse_domains(&values).unwrap();
    assert_eq!(main_name(&values, &ids[0]), "Bücher.example");
    let ascii = [" Example.COM ".to_owned()];
    let ids = parse_domains(&ascii).unwrap();
    assert_eq!(main_name(&ascii, &ids[0]), "example.com");
}

#[test]
fn wildcard_detection() {
    assert!(is_wildcard(&dns("*.a.com")));
    assert!(!is_wildcard(&dns("a.com")));
}
