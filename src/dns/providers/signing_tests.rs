use super::*;

#[test]
fn percent_encoding_keeps_only_the_unreserved_set() {
    assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
    assert_eq!(
        percent_encode("a b*c/d+e=f:g&é"),
        "a%20b%2Ac%2Fd%2Be%3Df%3Ag%26%C3%A9"
    );
}

#[test]
fn the_canonical_query_is_sorted_by_encoded_name_then_value() {
    assert_eq!(
        canonical_query(&[("b", "2"), ("a", "x y"), ("A", "0"), ("a", "1")]),
        "A=0&a=1&a=x%20y&b=2"
    );
    assert_eq!(canonical_query(&[]), "");
}

#[test]
fn canonical_headers_are_lower_case_sorted_and_trimmed() {
    let canonical = canonical_request(
        "GET",
        "/",
        "",
        &[("X-B", "  two   words "), ("Host", "example.test")],
        b"",
    );
    assert_eq!(canonical.signed_headers, "host;x-b");
    assert_eq!(
        canonical.request,
        "GET\n/\n\nhost:example.test\nx-b:two words\n\nhost;x-b\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn the_host_header_has_the_port_only_when_it_is_not_the_default() {
    let url = |s: &str| url::Url::parse(s).unwrap();
    assert_eq!(
        host_header(&url("https://route53.amazonaws.com/x")),
        "route53.amazonaws.com"
    );
    assert_eq!(
        host_header(&url("http://127.0.0.1:8053/")),
        "127.0.0.1:8053"
    );
}
