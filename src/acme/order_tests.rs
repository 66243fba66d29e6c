//! The newOrder payload and the alternate-chain links of a download.

use super::*;

#[test]
fn new_order_payload_has_only_the_fields_set() {
    let ids = [Identifier::Dns("a.example".into())];
    assert_eq!(
        NewOrder::new(&ids).payload(),
        json!({"identifiers": [{"type": "dns", "value": "a.example"}]})
    );
    let full = NewOrder {
        not_before: Some("2026-12-01T00:00:00Z"),
        not_after: Some("2027-01-01T00:00:00Z"),
        profile: Some("shortlived"),
        replaces: Some("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"),
        ..NewOrder::new(&ids)
    };
    assert_eq!(
        full.payload(),
        json!({
            "identifiers": [{"type": "dns", "value": "a.example"}],
            "notBefore": "2026-12-01T00:00:00Z",
            "notAfter": "2027-01-01T00:00:00Z",
            "profile": "shortlived",
            "replaces": "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE",
        })
    );
}

#[test]
fn alternate_links_are_read_from_every_link_header() {
    let mut headers = reqwest::header::HeaderMap::new();
    for value in [
        "<https://ca.test/cert/1/1>;rel=\"alternate\", <https://ca.test/dir>;rel=\"index\"",
        "<https://ca.test/cert/1/2> ; title=\"a;b\" ; rel=\"alternate\"",
        "<https://ca.test/issuer>;rel=\"up\"",
        "<https://ca.test/cert/1/3>; REL=alternate",
    ] {
        headers.append("link", value.parse().unwrap());
    }
    let response = Response {
        status: 200,
        headers,
        body: Vec::new(),
        elapsed: std::time::Duration::ZERO,
    };
    let links: Vec<&str> = alternate_links(&response).collect();
    assert_eq!(
        links,
        [
            "https://ca.test/cert/1/1",
            "https://ca.test/cert/1/2",
            "https://ca.test/cert/1/3"
        ]
    );
}
