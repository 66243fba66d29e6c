//! The newOrder payload.

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
