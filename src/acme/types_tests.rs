use super::*;

#[test]
fn tokens() {
    assert!(Token::parse("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA").is_ok());
    for bad in [
        "",
        "../etc/passwd",
        "a/b",
        "a#b",
        "a,b",
        "$(touch x)",
        "a b",
        "abc=",
        "a\0b",
        "é",
    ] {
        assert!(Token::parse(bad).is_err(), "{bad:?} accepted");
    }
    assert!(Token::parse(&"a".repeat(256)).is_err());
    assert!(Token::parse(&"a".repeat(255)).is_ok());
}

#[test]
fn problem_display_with_subproblems() {
    let p: Problem = serde_json::from_str(
        r#"{"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"nope",
            "subproblems":[{"type":"urn:ietf:params:acme:error:caa","detail":"CAA forbids",
            "identifier":{"type":"dns","value":"a.example"}}]}"#,
    )
    .unwrap();
    assert!(p.is("rejectedIdentifier"));
    assert_eq!(
        p.to_string(),
        "urn:ietf:params:acme:error:rejectedIdentifier: nope; \
         a.example: urn:ietf:params:acme:error:caa: CAA forbids"
    );
}

#[test]
fn empty_error_object_is_absent() {
    let c: ChallengeObject = serde_json::from_str(
        r#"{"type":"http-01","url":"https://ca/c/1","status":"pending","token":"t","error":{}}"#,
    )
    .unwrap();
    assert!(c.error.is_none());
}

#[test]
fn challenge_types_round_trip_and_unknown_ones_pass_through() {
    for kind in [
        ChallengeType::Http01,
        ChallengeType::Dns01,
        ChallengeType::TlsAlpn01,
    ] {
        assert_eq!(ChallengeType::parse(kind.as_str()), kind);
    }
    let c: ChallengeObject = serde_json::from_str(
        r#"{"type":"dns-account-01","url":"https://ca/c/1","status":"pending"}"#,
    )
    .unwrap();
    assert_eq!(c.kind, ChallengeType::Other("dns-account-01".into()));
    assert_eq!(c.kind.as_str(), "dns-account-01");
    // Type names are exact (RFC 8555 §8): another case is another, unknown, type.
    assert_eq!(
        ChallengeType::parse("HTTP-01"),
        ChallengeType::Other("HTTP-01".into())
    );
    assert_eq!(ChallengeType::parse("x\x1b[2J").to_string(), "x?[2J");
}

#[test]
fn key_authorization_digests() {
    // Computed independently (Python's hashlib and base64) from the same key authorization.
    let token = Token::parse("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA").unwrap();
    let ka = KeyAuthorization::new(&token, "nP1qzpXGymHBrUEepNY9HCsQk7K8KhOypzEt62jcerQ");
    assert_eq!(
        ka.as_str(),
        "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.nP1qzpXGymHBrUEepNY9HCsQk7K8KhOypzEt62jcerQ"
    );
    assert_eq!(
        ka.dns_value(),
        "NGwKoXBgCT8JhEa0bK7AwfSqHyu_ZWeugV07fLGIVq0"
    );
    assert_eq!(ka.sha256()[..4], [0x34, 0x6c, 0x0a, 0xa1]);
}

#[test]
fn urls() {
    assert!(check_url("https://ca.example/acme/x", "https").is_ok());
    assert!(check_url("../pki-validation", "https").is_err());
    assert!(check_url("file:///etc/passwd", "https").is_err());
    assert!(check_url("http://ca.example/x", "https").is_err());
    assert!(check_url("http://127.0.0.1/x", "http").is_ok());
    assert!(check_url("https://u:p@ca.example/x", "https").is_err());
}
