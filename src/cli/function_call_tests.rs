//! The function-call table: names become flags, helpers and unknown words are refused.

use super::*;

fn argv(words: &[&str]) -> Vec<OsString> {
    std::iter::once("acmers")
        .chain(words.iter().copied())
        .map(OsString::from)
        .collect()
}

#[test]
fn function_names_become_their_flags() {
    assert_eq!(
        rewrite(argv(&["install", "--nocron"])),
        Ok(argv(&["--install", "--nocron"]))
    );
    assert_eq!(rewrite(argv(&["renewAll"])), Ok(argv(&["--renew-all"])));
    assert_eq!(rewrite(argv(&["showhelp"])), Ok(argv(&["--help"])));
    for (name, flag) in [
        ("createAccountKey", "--create-account-key"),
        ("createDomainKey", "--create-domain-key"),
        ("createCSR", "--create-csr"),
        ("toPkcs", "--to-pkcs12"),
        ("toPkcs8", "--to-pkcs8"),
    ] {
        assert_eq!(
            rewrite(argv(&[name, "-d", "a.test"])),
            Ok(argv(&[flag, "-d", "a.test"]))
        );
    }
}

#[test]
fn dashed_lines_are_unchanged() {
    assert_eq!(
        rewrite(argv(&["--issue", "install"])),
        Ok(argv(&["--issue", "install"]))
    );
    assert_eq!(rewrite(argv(&[])), Ok(argv(&[])));
}

#[test]
fn helpers_and_unknown_words_are_refused() {
    assert_eq!(
        rewrite(argv(&["_date2time", "x"])),
        Err(FunctionCallError::Internal("_date2time".into()))
    );
    assert_eq!(
        rewrite(argv(&["renewall"])),
        Err(FunctionCallError::Unknown("renewall".into()))
    );
}
