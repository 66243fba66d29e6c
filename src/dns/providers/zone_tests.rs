use super::*;

#[test]
fn candidates_go_from_the_name_to_its_last_label() {
    let all: Vec<&str> = candidates("_acme-challenge.www.example.com").collect();
    assert_eq!(
        all,
        [
            "_acme-challenge.www.example.com",
            "www.example.com",
            "example.com",
            "com"
        ]
    );
    assert_eq!(candidates("test.").collect::<Vec<_>>(), ["test"]);
}

#[test]
fn relative_names_and_the_apex() {
    assert_eq!(
        relative("_acme-challenge.www.example.com", "example.com."),
        "_acme-challenge.www"
    );
    assert_eq!(
        relative("_acme-challenge.example.com", "_acme-challenge.example.com"),
        "@"
    );
    assert_eq!(
        relative("_acme-challenge.Example.COM", "example.com"),
        "_acme-challenge"
    );
    // Not inside the zone: the whole name (the caller never asks for that).
    assert_eq!(
        relative("a.badexample.com", "example.com"),
        "a.badexample.com"
    );
}

#[test]
fn holds_only_the_name_and_its_parents() {
    assert!(holds("example.com.", "_acme-challenge.example.com"));
    assert!(holds("EXAMPLE.com", "example.com"));
    assert!(!holds("example.com", "_acme-challenge.badexample.com"));
    assert!(!holds("www.example.com", "_acme-challenge.example.com"));
}

#[test]
fn parents_leave_the_name_out() {
    assert_eq!(
        parents("_acme-challenge.a.test").collect::<Vec<_>>(),
        ["a.test", "test"]
    );
}

#[test]
fn splits_are_parents_of_two_labels_or_more_with_their_host_part() {
    let got: Vec<_> = splits("_acme-challenge.www.example.com")
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
    assert_eq!(splits("localhost").count(), 0);
}
