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
fn positional_parameters_become_options() {
    assert_eq!(
        rewrite(argv(&[
            "install",
            "1",
            "",
            "",
            "me@example.com",
            "--home",
            "/h"
        ])),
        Ok(argv(&[
            "--install",
            "--nocron",
            "--accountemail",
            "me@example.com",
            "--home",
            "/h"
        ]))
    );
    assert_eq!(
        rewrite(argv(&["renew", "example.com", "ecc"])),
        Ok(argv(&["--renew", "--domain", "example.com", "--ecc"]))
    );
    assert_eq!(
        rewrite(argv(&["renew", "example.com", "2048"])),
        Ok(argv(&["--renew", "--domain", "example.com"]))
    );
    assert_eq!(
        rewrite(argv(&["revoke", "a.example", "ec-256", "4"])),
        Ok(argv(&[
            "--revoke",
            "--domain",
            "a.example",
            "--ecc",
            "--revoke-reason",
            "4"
        ]))
    );
    assert_eq!(
        rewrite(argv(&["createDomainKey", "a.example", "2048"])),
        Ok(argv(&[
            "--create-domain-key",
            "--domain",
            "a.example",
            "--keylength",
            "2048"
        ]))
    );
    // More words than parameters stay for clap to refuse.
    assert_eq!(
        rewrite(argv(&["uninstall", "1", "extra"])),
        Ok(argv(&["--uninstall", "--nocron", "extra"]))
    );
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
