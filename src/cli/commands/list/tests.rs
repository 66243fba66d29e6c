use std::io;
use std::path::Path;

use super::*;

fn entry(conf: &str) -> Entry {
    let main = "a.example.test";
    Entry {
        found: Found {
            main_domain: main.into(),
            ecc: true,
            lineage: store::Lineage::at(Path::new("/h"), main, true).unwrap(),
        },
        conf: Ok(DomainRecord::parse(conf)),
        cert: None,
    }
}

#[test]
fn columns_matches_util_linux() {
    // Outputs of util-linux 2.38 `column -t -s '|'`.
    let cases = [
        ("a|bb|c\nxxx||\n|y|\n", "a    bb  c\nxxx      \n     y   \n"),
        ("a|b\nccccc\n", "a      b\nccccc  \n"),
        (
            "a|b|c\nccccc|dddddd\n",
            "a      b       c\nccccc  dddddd  \n",
        ),
        (" a |b\nx|y\n", " a   b\nx    y\n"),
        ("a\n\n  \nb  c\n", "a\nb  c\n"),
        ("é|b\nab|c\n", "é   b\nab  c\n"),
        ("", ""),
    ];
    for (input, want) in cases {
        assert_eq!(columns(input), want, "{input:?}");
    }
}

#[test]
fn ca_names_follow_acmesh() {
    let cases = [
        ("https://acme.zerossl.com/v2/DV90", "ZeroSSL.com"),
        (
            "https://ACME-V02.api.letsencrypt.org/directory",
            "LetsEncrypt.org",
        ),
        ("", "LetsEncrypt.org"),
        (
            "https://acme-staging-v02.api.letsencrypt.org/directory",
            "LetsEncrypt.org_test",
        ),
        ("https://acme.ssl.com/sslcom-dv-rsa", "SSL.com"),
        ("https://acme.ssl.com/sslcom-dv-ecc", "SSL.com"),
        ("https://dv.acme-v02.api.pki.goog/directory", "Google.com"),
        (
            "https://dv.acme-v02.test-api.pki.goog/directory",
            "Google.com_test",
        ),
        ("https://acme-api.actalis.com/acme/directory", "Actalis.com"),
        ("https://localhost:14000/dir", "https://localhost:14000/dir"),
    ];
    for (url, want) in cases {
        assert_eq!(ca_display_name(url), want, "{url}");
    }
}

#[test]
fn raw_rows() {
    let e = entry(
        "Le_Domain='a.example.test'\nLe_Alt='www.a.example.test'\nLe_Keylength='ec-256'\n\
         Le_API='https://acme.zerossl.com/v2/DV90'\nLe_Certificate_Profile='shortlived'\n\
         Le_CertCreateTimeStr='2026-11-28T20:42:16Z'\nLe_NextRenewTimeStr='2026-12-27T20:42:16Z'\n",
    );
    assert_eq!(
        raw_row(&e),
        "a.example.test|\"ec-256\"|www.a.example.test|shortlived|ZeroSSL.com|\
         2026-11-28T20:42:16Z|2026-12-27T20:42:16Z"
    );
    // An empty conf: acme.sh prints empty fields and assumes Let's Encrypt.
    assert_eq!(raw_row(&entry("")), "|\"\"|||LetsEncrypt.org||");
    // Control characters never reach the terminal.
    let e = entry("Le_Domain=\"a\x1b[31m\"\n");
    assert!(raw_row(&e).starts_with("a?[31m|"), "{}", raw_row(&e));
    let mut e = entry("");
    e.conf = Err(store::Error::Read {
        path: "/h/x".into(),
        source: io::Error::from(io::ErrorKind::PermissionDenied),
    });
    assert_eq!(raw_row(&e), "a.example.test|\"\"|||||");
}

/// A conf is read as every conf is (`store::file::read`): a missing one drops the folder, a
/// symbolic link is not followed and leaves a row with what is known.
#[test]
fn confs_are_read_without_following_links() {
    let home = tempfile::tempdir().unwrap();
    let lineage = |domain: &str| {
        let lineage = store::Lineage::at(home.path(), domain, true).unwrap();
        std::fs::create_dir(&lineage.dir).unwrap();
        lineage
    };
    let plain = lineage("a.example.test");
    std::fs::write(plain.conf(), "Le_Domain='a.example.test'\n").unwrap();
    let linked = lineage("b.example.test");
    std::os::unix::fs::symlink(plain.conf(), linked.conf()).unwrap();
    lineage("c.example.test");
    let found = scan::lineages(home.path()).unwrap();
    assert_eq!(found.len(), 3);
    let entries = load_entries(found, &Printer::default());
    let listed: Vec<_> = entries
        .iter()
        .map(|e| (e.found.main_domain.as_str(), e.conf.is_ok()))
        .collect();
    assert_eq!(
        listed,
        [("a.example.test", true), ("b.example.test", false)]
    );
    assert!(
        matches!(&entries[1].conf, Err(store::Error::NotRegular { path })
        if *path == linked.conf())
    );
}

#[test]
fn header_alone_when_empty() {
    assert_eq!(raw_table(&[]), format!("{HEADER}\n"));
    assert_eq!(
        columns(&raw_table(&[])),
        "Main_Domain  KeyLength  SAN_Domains  Profile  CA  Created  Renew\n"
    );
}
