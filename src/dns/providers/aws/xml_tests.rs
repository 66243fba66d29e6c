use super::*;

#[test]
fn elements_in_order_and_their_text() {
    let xml = "<a><Name>x.</Name><V>1</V><Name>y &amp; z.</Name><Name>open";
    assert_eq!(elements(xml, "Name"), ["x.", "y &amp; z."]);
    assert_eq!(text(xml, "V").as_deref(), Some("1"));
    assert_eq!(text(xml, "Missing"), None);
}

#[test]
fn entities_round_trip_and_broken_ones_stay() {
    let text = r#""v" <a> & 'b'"#;
    assert_eq!(escape(text), r#""v" &lt;a&gt; &amp; 'b'"#);
    assert_eq!(unescape(&escape(text)), text);
    assert_eq!(
        unescape("&#34;x&#x22; &bogus; & tail"),
        "\"x\" &bogus; & tail"
    );
}
