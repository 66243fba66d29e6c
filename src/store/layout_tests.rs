use std::path::Path;

use super::*;

fn home() -> Home {
    Home::new(PathBuf::from("/h"), None, None)
}

#[test]
fn home_defaults_chain() {
    let h = home();
    assert_eq!(h.config_home, Path::new("/h"));
    assert_eq!(h.cert_home, Path::new("/h"));
    let h = Home::new("/w".into(), Some("/c".into()), None);
    assert_eq!(
        (h.config_home.as_path(), h.cert_home.as_path()),
        (Path::new("/c"), Path::new("/c"))
    );
    let h = Home::new("/w".into(), None, Some("/certs".into()));
    assert_eq!(
        (h.config_home.as_path(), h.cert_home.as_path()),
        (Path::new("/w"), Path::new("/certs"))
    );
    assert_eq!(h.account_conf(), Path::new("/w/account.conf"));
}

#[test]
fn ca_dir_follows_acmesh() {
    let cases = [
        ("https://localhost:14000/dir", "/h/ca/localhost/dir"),
        (
            "https://acme-v02.api.letsencrypt.org/directory",
            "/h/ca/acme-v02.api.letsencrypt.org/directory",
        ),
        (
            "https://acme.zerossl.com/v2/DV90",
            "/h/ca/acme.zerossl.com/v2/DV90",
        ),
        (
            "https://dv.acme-v02.api.pki.goog/directory",
            "/h/ca/dv.acme-v02.api.pki.goog/directory",
        ),
        ("https://example.test//a///b/", "/h/ca/example.test/a/b"),
        ("https://example.test:443/a:b", "/h/ca/example.test/a:b"),
        ("https://example.test", "/h/ca/example.test"),
        ("https://example.test/", "/h/ca/example.test"),
        ("https://example.test/dir?x=1", "/h/ca/example.test/dir?x=1"),
        (
            "http://127.0.0.1:4001/directory",
            "/h/ca/127.0.0.1/directory",
        ),
        // acme.sh cuts at the first colon, so an IPv6 host becomes `[`; kept for compatibility.
        ("https://[::1]:14000/dir", "/h/ca/[/dir"),
    ];
    for (url, want) in cases {
        let got = home().ca_dir(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(got.dir, Path::new(want), "{url}");
    }
}

#[test]
fn ca_dir_refuses_escapes() {
    let bad = [
        "",
        "localhost/dir",
        "https:localhost/dir",
        "https://",
        "https:///dir",
        "https://:443/dir",
        "https://../dir",
        "https://./dir",
        "https://..:443/dir",
        "https://host/../../etc",
        "https://host/a/./b",
        "https://host/a/..",
        "https://host\\..\\x/dir",
        "https://host/a\0b",
        "https://host/a\nb",
    ];
    for url in bad {
        let err = home().ca_dir(url).expect_err(url);
        assert!(
            matches!(&err, Error::BadCaUrl { url: u } if u == url),
            "{url}: {err:?}"
        );
    }
}

#[test]
fn ca_dir_files() {
    let ca = home().ca_dir("https://localhost:14000/dir").unwrap();
    assert_eq!(
        ca.account_key(),
        Path::new("/h/ca/localhost/dir/account.key")
    );
    assert_eq!(
        ca.account_json(),
        Path::new("/h/ca/localhost/dir/account.json")
    );
    assert_eq!(ca.ca_conf(), Path::new("/h/ca/localhost/dir/ca.conf"));
}

#[test]
fn lineage_folders() {
    let h = Home::new("/w".into(), Some("/c".into()), Some("/certs".into()));
    let cases = [
        ("example.com", false, "/certs/example.com"),
        ("example.com", true, "/certs/example.com_ecc"),
        ("*.example.com", true, "/certs/*.example.com_ecc"),
        (
            "xn--bcher-kva.example",
            false,
            "/certs/xn--bcher-kva.example",
        ),
        ("...", false, "/certs/..."),
    ];
    for (domain, ecc, want) in cases {
        let l = h.lineage(domain, ecc).unwrap();
        assert_eq!(
            (l.dir.as_path(), l.domain.as_str(), l.ecc),
            (Path::new(want), domain, ecc)
        );
    }
}

#[test]
fn lineage_refuses_unsafe_names() {
    for domain in ["", ".", "..", "a/b", "/etc", "../x", "a\0b", "a\nb"] {
        let err = home().lineage(domain, false).expect_err(domain);
        assert!(
            matches!(&err, Error::BadDomainDir { domain: d } if d == domain),
            "{err:?}"
        );
    }
}

#[test]
fn lineage_files() {
    let l = home().lineage("*.example.com", true).unwrap();
    let d = "/h/*.example.com_ecc";
    let cases = [
        (l.key(), format!("{d}/*.example.com.key")),
        (l.csr(), format!("{d}/*.example.com.csr")),
        (l.csr_conf(), format!("{d}/*.example.com.csr.conf")),
        (l.cer(), format!("{d}/*.example.com.cer")),
        (l.ca_cer(), format!("{d}/ca.cer")),
        (l.fullchain(), format!("{d}/fullchain.cer")),
        (l.conf(), format!("{d}/*.example.com.conf")),
        (l.conf_removed(), format!("{d}/*.example.com.conf.removed")),
        (l.backup_dir(), format!("{d}/backup")),
    ];
    for (got, want) in cases {
        assert_eq!(got, Path::new(&want));
    }
}

#[test]
fn error_messages_escape_control_characters() {
    let err = home().lineage("a\nb", false).unwrap_err();
    assert_eq!(err.to_string(), "refusing domain `a\\nb` as a folder name");
}
