use super::*;

const SECRET: &str = "sCJNDpUqcCUfL8SybNEQJG8uL4FTvB7xzTdeVrEIsDo=";

fn decoded() -> Vec<u8> {
    STANDARD.decode(SECRET).unwrap()
}

#[test]
fn reads_tsig_keygen_output() {
    let text =
        format!("key \"acmers-key\" {{\n\talgorithm hmac-sha256;\n\tsecret \"{SECRET}\";\n}};\n");
    let key = Key::from_file("tsig.key", &text).unwrap();
    assert_eq!(key.name(), "acmers-key");
    assert_eq!(key.algorithm(), Algorithm::HmacSha256);
    assert_eq!(key.secret(), decoded());
}

#[test]
fn reads_a_clause_with_comments_a_bare_name_and_fields_in_any_order() {
    let text = format!(
        "# made by ddns-confgen\n// another comment\n/* a block\n   comment */\n\
         key Update.Example. {{ secret \"{SECRET}\"; # trailing\n algorithm HMAC-SHA512; }};"
    );
    let key = Key::from_file("k.conf", &text).unwrap();
    assert_eq!(key.name(), "update.example");
    assert_eq!(key.algorithm(), Algorithm::HmacSha512);
    assert_eq!(key.secret(), decoded());
}

#[test]
fn refuses_md5_and_sha1_keys_with_the_command_that_makes_a_new_one() {
    for algorithm in ["hmac-md5", "hmac-sha1", "HMAC-MD5.SIG-ALG.REG.INT"] {
        let text = format!("key \"old\" {{ algorithm {algorithm}; secret \"{SECRET}\"; }};");
        let err = Key::from_file("old.key", &text).unwrap_err();
        assert!(matches!(err, KeyError::Unsupported { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(algorithm), "{message}");
        assert!(
            message.contains("tsig-keygen -a hmac-sha256 old"),
            "{message}"
        );
    }
}

#[test]
fn malformed_files_are_refused_without_quoting_the_secret() {
    let cases = [
        format!("key \"k\" {{ algorithm hmac-sha256; secret \"{SECRET}\" }};"),
        format!("key \"k\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; "),
        format!("key \"k\" {{ secret \"{SECRET}\"; }};"),
        "key \"k\" { algorithm hmac-sha256; secret \"not base64!\"; };".to_owned(),
        format!("key \"k\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};\nkey \"j\" {{ }};"),
        format!("key \"k\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};\nzone \"x\" {{ }};"),
        format!("key \"k\" {{ algorithm hmac-sha256; secret \"{SECRET}; }};"),
        "/* not closed".to_owned(),
        String::new(),
        "hello world".to_owned(),
    ];
    for text in cases {
        let err = Key::from_file("k.key", &text).unwrap_err();
        assert!(matches!(err, KeyError::Syntax(_)), "{text}: {err:?}");
        let message = err.to_string();
        assert!(!message.contains(SECRET), "{message}");
        assert!(!message.contains("not base64!"), "{message}");
    }
}

#[test]
fn reads_dnssec_keygen_pairs() {
    let record = format!(
        "; a comment\nmydns.example.org. IN KEY 512 3 165 {} {}\n",
        &SECRET[..20],
        &SECRET[20..]
    );
    let key = Key::from_file("Kmydns.example.org.+165+59977.key", &record).unwrap();
    assert_eq!(key.name(), "mydns.example.org");
    assert_eq!(key.algorithm(), Algorithm::HmacSha512);
    assert_eq!(key.secret(), decoded());

    let private = format!(
        "Private-key-format: v1.3\nAlgorithm: 163 (HMAC_SHA256)\nKey: {SECRET}\nBits: AAA=\n"
    );
    let key = Key::from_file("Kmydns.example.org.+163+01234.private", &private).unwrap();
    assert_eq!(key.name(), "mydns.example.org");
    assert_eq!(key.algorithm(), Algorithm::HmacSha256);
    assert_eq!(key.secret(), decoded());

    let md5 = private.replace("163 (HMAC_SHA256)", "157 (HMAC_MD5)");
    let err = Key::from_file("Kold.+157+01234.private", &md5).unwrap_err();
    assert!(matches!(err, KeyError::Unsupported { .. }), "{err:?}");
    let err = Key::from_file("renamed.private", &private).unwrap_err();
    assert!(err.to_string().contains("K<keyname>"), "{err}");
}

#[test]
fn reads_nsupdate_y_strings() {
    let key = Key::from_spec(&format!("hmac-sha384:acmers-key.:{SECRET}")).unwrap();
    assert_eq!(key.name(), "acmers-key");
    assert_eq!(key.algorithm(), Algorithm::HmacSha384);
    assert_eq!(key.secret(), decoded());

    // nsupdate's default algorithm is hmac-md5.
    let err = Key::from_spec(&format!("acmers-key:{SECRET}")).unwrap_err();
    assert!(matches!(err, KeyError::Unsupported { .. }), "{err:?}");
    for bad in ["", "just-a-name", "a:b:c:d"] {
        assert!(
            matches!(Key::from_spec(bad), Err(KeyError::Syntax(_))),
            "{bad}"
        );
    }
}

#[test]
fn debug_output_hides_the_secret() {
    let key = Key::new("k", Algorithm::HmacSha256, SECRET).unwrap();
    let shown = format!("{key:?}");
    assert!(shown.contains("HmacSha256"), "{shown}");
    assert!(!shown.contains("secret"), "{shown}");
}
