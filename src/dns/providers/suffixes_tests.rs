use super::*;

#[test]
fn every_parent_with_two_labels_or_more_longest_first() {
    let got: Vec<_> = candidates("_acme-challenge.www.example.com")
        .map(|c| (c.zone, c.host))
        .collect();
    assert_eq!(
        got,
        [
            ("_acme-challenge.www.example.com", "@"),
            ("www.example.com", "_acme-challenge"),
            ("example.com", "_acme-challenge.www"),
        ]
    );
    assert_eq!(candidates("localhost").count(), 0);
}
