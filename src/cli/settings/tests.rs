//! Precedence rules, tested without a CA.

use std::collections::HashMap;
use std::ffi::OsString;

use super::*;
use crate::cli::args::parse;
use crate::store::record::{AccountConf as Conf, Mode};

fn parsed(line: &str) -> crate::cli::args::Parsed {
    parse(
        std::iter::once("acmers")
            .chain(line.split_whitespace())
            .map(OsString::from),
    )
    .unwrap()
}

fn globals_with(conf: &str) -> Globals {
    Globals {
        home: Home::new("/h".into(), None, None),
        account_conf: Conf::parse(conf),
        debug: 0,
        run: RunEnv::default(),
    }
}

#[test]
fn server_precedence() {
    let empty = Conf::parse("");
    let saved = Conf::parse("DEFAULT_ACME_SERVER='https://ca.example/dir'\n");
    let ec = KeyType::Ec256;
    assert_eq!(
        resolve_server(None, false, &empty, ec).unwrap(),
        LETSENCRYPT
    );
    assert_eq!(
        resolve_server(None, false, &saved, ec).unwrap(),
        "https://ca.example/dir"
    );
    assert_eq!(
        resolve_server(None, true, &saved, ec).unwrap(),
        LETSENCRYPT_STAGING
    );
    assert_eq!(
        resolve_server(Some("ZeroSSL"), true, &saved, ec).unwrap(),
        "https://acme.zerossl.com/v2/DV90"
    );
    assert_eq!(
        resolve_server(Some("LetsEncrypt.org_test"), false, &empty, ec).unwrap(),
        LETSENCRYPT_STAGING
    );
    assert_eq!(
        resolve_server(Some("sslcom"), false, &empty, ec).unwrap(),
        "https://acme.ssl.com/sslcom-dv-ecc"
    );
    assert_eq!(
        resolve_server(Some("SSL.com"), false, &empty, KeyType::Rsa(2048)).unwrap(),
        "https://acme.ssl.com/sslcom-dv-rsa"
    );
    assert_eq!(
        resolve_server(Some("google"), false, &empty, ec).unwrap(),
        "https://dv.acme-v02.api.pki.goog/directory"
    );
    assert_eq!(
        resolve_server(Some("actalis"), false, &empty, ec).unwrap(),
        "https://acme-api.actalis.com/acme/directory"
    );
    assert_eq!(
        resolve_server(Some("https://127.0.0.1:14000/dir"), false, &empty, ec).unwrap(),
        "https://127.0.0.1:14000/dir"
    );
    assert!(resolve_server(Some("buypass"), false, &empty, ec).is_err());
}

#[test]
fn home_resolution() {
    let vars: HashMap<&str, &str> = [("HOME", "/root")].into();
    let env = |k: &str| vars.get(k).map(|v| (*v).to_owned());
    let g = globals(&parsed("--issue").args, &env).unwrap();
    assert_eq!(g.home.working_dir, PathBuf::from("/root/.acme.sh"));
    assert_eq!(g.home.config_home, PathBuf::from("/root/.acme.sh"));
    assert_eq!(g.home.cert_home, PathBuf::from("/root/.acme.sh"));

    let g = globals(&parsed("--issue --home /srv/acme/").args, &env).unwrap();
    assert_eq!(g.home.working_dir, PathBuf::from("/srv/acme"));

    let vars: HashMap<&str, &str> = [
        ("HOME", "/root"),
        ("LE_WORKING_DIR", "/w"),
        ("LE_CONFIG_HOME", "/c"),
        ("CERT_HOME", "/certs"),
    ]
    .into();
    let env = |k: &str| vars.get(k).map(|v| (*v).to_owned());
    let g = globals(&parsed("--issue").args, &env).unwrap();
    assert_eq!(g.home.working_dir, PathBuf::from("/w"));
    assert_eq!(g.home.config_home, PathBuf::from("/c"));
    assert_eq!(g.home.cert_home, PathBuf::from("/certs"));
    let g = globals(
        &parsed("--issue --config-home /cc --cert-home /cert2").args,
        &env,
    )
    .unwrap();
    assert_eq!(g.home.config_home, PathBuf::from("/cc"));
    assert_eq!(g.home.cert_home, PathBuf::from("/cert2"));

    let none = |_: &str| None;
    assert!(globals(&parsed("--issue").args, &none).is_err());
}

/// The address each name's listener binds.
fn addresses(request: &crate::lineage::Request) -> Vec<Option<std::net::IpAddr>> {
    let binds = request.binds();
    binds.iter().map(|b| b.and_then(|b| b.address)).collect()
}

#[test]
fn alpn_and_the_local_address_list_per_listener_name() {
    let p = parsed(
        "--issue -d a.com --alpn -d b.com -w /b -d c.com --standalone -d d.com \
         --tlsport 8443 --local-address 127.0.0.1 --local-address ::1,127.0.0.3 --listen-v6",
    );
    let s = IssueSettings::resolve(&p, &globals_with("")).unwrap();
    let modes: Vec<&Mode> = s.request.names.iter().map(|(_, m)| m).collect();
    assert_eq!(
        modes,
        [
            &Mode::Alpn,
            &Mode::Webroot("/b".into()),
            &Mode::Standalone,
            &Mode::Standalone
        ]
    );
    let ip = |a: &str| a.parse().ok();
    // One entry per listener name in order (the webroot name takes none); a value may be a
    // comma-separated list itself.
    assert_eq!(
        addresses(&s.request),
        [ip("127.0.0.1"), None, ip("::1"), ip("127.0.0.3")]
    );
    assert_eq!(s.request.listen.tls_port, Some(8443));
    assert_eq!(
        s.request.listen.family,
        Some(crate::acme::http::IpFamily::V6)
    );
    // Fewer addresses than listener names: the last one for the rest.
    let p = parsed("--issue -d a.com -d b.com --alpn --local-address 127.0.0.2");
    let s = IssueSettings::resolve(&p, &globals_with("")).unwrap();
    assert_eq!(addresses(&s.request), [ip("127.0.0.2"), ip("127.0.0.2")]);
    assert_eq!(s.request.listen.family, None);
}

#[test]
fn modes_apply_per_domain_and_the_last_one_to_the_rest() {
    let p = parsed("--issue -d a.com -w /a -d b.com --standalone -d c.com -d d.com");
    let s = IssueSettings::resolve(&p, &globals_with("")).unwrap();
    let modes: Vec<&Mode> = s.request.names.iter().map(|(_, m)| m).collect();
    assert_eq!(
        modes,
        [
            &Mode::Webroot("/a".into()),
            &Mode::Standalone,
            &Mode::Standalone,
            &Mode::Standalone
        ]
    );
    assert_eq!(s.request.main, "a.com");
    assert_eq!(s.ca.server, LETSENCRYPT);
    assert_eq!(s.request.key_type, KeyType::Ec256);
}

#[test]
fn dns_modes_mix_per_domain_with_aliases_in_order() {
    let p = parsed(
        "--issue -d a.com --dns dns_cf -d b.com -w /www -d c.com --dns \
         -d d.com --dns /etc/acmers/dns_local.sh -d *.d.com --challenge-alias x.test --domain-alias \
         _acme-challenge.y.test --dnssleep 5 --dns-resolver 127.0.0.1:5353 \
         --yes-I-know-dns-manual-mode-enough-go-ahead-please",
    );
    let s = IssueSettings::resolve(&p, &globals_with("")).unwrap();
    let modes: Vec<&Mode> = s.request.names.iter().map(|(_, m)| m).collect();
    assert_eq!(
        modes,
        [
            &Mode::Dns("dns_cf".into()),
            &Mode::Webroot("/www".into()),
            &Mode::DnsManual,
            &Mode::Dns("/etc/acmers/dns_local.sh".into()),
            &Mode::Dns("/etc/acmers/dns_local.sh".into()),
        ],
        "the i-th mode validates the i-th name, the last one the rest"
    );
    assert_eq!(s.request.dns.aliases, ["x.test", "=_acme-challenge.y.test"]);
    assert_eq!(s.request.dns.sleep, Some(5));
    assert_eq!(
        s.request.dns.resolver,
        Some("127.0.0.1:5353".parse().unwrap())
    );
    assert!(s.request.dns.manual);
}

#[test]
fn issue_refusals() {
    let g = globals_with("");
    let p = parsed("--issue -d a.com");
    assert!(matches!(
        IssueSettings::resolve(&p, &g),
        Err(SettingsError::NoMode(_))
    ));
    for mode in ["--standalone", "--alpn"] {
        let p = parsed(&format!("--issue -d a.com -d *.a.com {mode}"));
        assert!(matches!(
            IssueSettings::resolve(&p, &g),
            Err(SettingsError::WildcardHttp(w)) if w == "*.a.com"
        ));
    }
    let p = parsed("--issue -d a.com --dns cloudflare");
    assert!(matches!(
        IssueSettings::resolve(&p, &g),
        Err(SettingsError::DnsProvider(_))
    ));
    let p = parsed("--issue -d a.com --standalone -k ec-999");
    assert!(matches!(
        IssueSettings::resolve(&p, &g),
        Err(SettingsError::KeyLength(_))
    ));
    let p = parsed("--issue -d a.com --standalone --local-address nowhere");
    assert!(matches!(
        IssueSettings::resolve(&p, &g),
        Err(SettingsError::LocalAddress(_))
    ));
    let p = parsed("--issue -d a..com --standalone");
    assert!(matches!(
        IssueSettings::resolve(&p, &g),
        Err(SettingsError::Name(_))
    ));
    let p = parsed("--issue --standalone");
    assert!(matches!(
        IssueSettings::resolve(&p, &g),
        Err(SettingsError::Name(_))
    ));
}

#[test]
fn more_modes_than_names_is_an_error_naming_the_unused_ones() {
    let g = globals_with("");
    for (text, unused) in [
        ("-d a.com --standalone --webroot /w", "`--webroot /w`"),
        ("-d a.com -w /a --standalone", "`--standalone`"),
        (
            "-d a.com -d b.com -w /a -w /b --standalone -w /c",
            "`--standalone`, `--webroot /c`",
        ),
        // Duplicate names are one name.
        (
            "-d a.com -d A.com. --standalone --standalone",
            "`--standalone`",
        ),
    ] {
        let p = parsed(&format!("--issue {text}"));
        match IssueSettings::resolve(&p, &g) {
            Err(e @ SettingsError::UnusedModes { .. }) => {
                let msg = e.to_string();
                assert!(
                    msg.starts_with(&format!("{unused} would never be used")),
                    "{msg}"
                );
                assert!(
                    msg.contains("the i-th mode validates the i-th name"),
                    "{msg}"
                );
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    for text in [
        "-d a.com --standalone",
        "-d a.com -d b.com --standalone -w /b",
        "-d a.com -d b.com -d c.com -w /a",
    ] {
        let p = parsed(&format!("--issue {text}"));
        assert!(IssueSettings::resolve(&p, &g).is_ok(), "{text}");
    }
}

#[test]
fn directory_urls_pass_the_protocol_clients_check() {
    let empty = Conf::parse("");
    let ec = KeyType::Ec256;
    for ok in [
        "https://ca.example/dir",
        "http://127.0.0.1:14000/dir",
        "http://localhost/dir",
        "http://[::1]:80/dir",
    ] {
        assert_eq!(resolve_server(Some(ok), false, &empty, ec).unwrap(), ok);
    }
    for bad in [
        "http://ca.example/dir",
        "http://192.0.2.1/dir",
        "ftp://example.test/dir",
        "file:///etc/passwd",
    ] {
        assert!(
            matches!(
                resolve_server(Some(bad), false, &empty, ec),
                Err(SettingsError::DirectoryUrl(u)) if u == bad
            ),
            "{bad}"
        );
    }
    let saved = Conf::parse("DEFAULT_ACME_SERVER='http://ca.example/dir'\n");
    assert!(resolve_server(None, false, &saved, ec).is_err());
    let g = globals_with("");
    let p = parsed("--issue -d a.com --standalone --server http://ca.example/dir");
    assert!(matches!(
        IssueSettings::resolve(&p, &g),
        Err(SettingsError::DirectoryUrl(_))
    ));
    let p = parsed("--set-default-ca --server ftp://ca.example/dir");
    assert!(set_default_ca(&p.args, &g).is_err());
}

#[test]
fn account_conf_values_are_fallbacks() {
    let g = globals_with("CA_BUNDLE='/etc/ca.pem'\nACCOUNT_EMAIL='me@a.com'\n");
    let p = parsed("--issue -d a.com --standalone");
    let s = IssueSettings::resolve(&p, &g).unwrap();
    assert_eq!(s.ca_bundle, Some(PathBuf::from("/etc/ca.pem")));
    assert_eq!(s.ca.email.as_deref(), Some("me@a.com"));
    let p = parsed("--issue -d a.com --standalone --ca-bundle /x.pem -m you@b.com");
    let s = IssueSettings::resolve(&p, &g).unwrap();
    assert_eq!(s.ca_bundle, Some(PathBuf::from("/x.pem")));
    assert_eq!(s.ca.email.as_deref(), Some("you@b.com"));
}

#[test]
fn set_default_ca_needs_a_server() {
    let g = globals_with("");
    assert!(set_default_ca(&parsed("--set-default-ca").args, &g).is_err());
    assert_eq!(
        set_default_ca(&parsed("--set-default-ca --server letsencrypt").args, &g).unwrap(),
        (LETSENCRYPT.to_owned(), Vec::new())
    );
}

#[test]
fn fallback_servers_resolve_in_order_without_the_primary_or_repeats() {
    let g = globals_with("");
    let args = parsed(
        "--set-default-ca --server letsencrypt --fallback-server zerossl \
         --fallback-server letsencrypt --fallback-server https://b.test/dir \
         --fallback-server ZeroSSL.com",
    )
    .args;
    assert_eq!(
        set_default_ca(&args, &g).unwrap().1,
        [ZEROSSL, "https://b.test/dir"]
    );
    assert!(
        set_default_ca(
            &parsed("--set-default-ca --server letsencrypt --fallback-server nope").args,
            &g
        )
        .is_err()
    );
}

#[test]
fn issue_fallbacks_come_from_the_command_line_else_account_conf_and_only_given_ones_are_saved() {
    let g = globals_with("FALLBACK_ACME_SERVERS='https://a.test/dir,zerossl'\n");
    let s = IssueSettings::resolve(&parsed("--issue -d a.com --standalone"), &g).unwrap();
    let servers: Vec<&str> = s.ca.fallbacks.iter().map(|c| c.server.as_str()).collect();
    assert_eq!(servers, ["https://a.test/dir", ZEROSSL]);
    assert!(s.ca.fallbacks[1].zerossl_eab.is_some());
    let crate::lineage::Kind::Issue(given) = &s.request.kind else {
        panic!("an issue")
    };
    assert!(
        given.fallbacks.is_empty(),
        "account.conf's list is not saved"
    );
    let p = parsed("--issue -d a.com --standalone --fallback-server https://c.test/dir");
    let s = IssueSettings::resolve(&p, &g).unwrap();
    let crate::lineage::Kind::Issue(given) = &s.request.kind else {
        panic!("an issue")
    };
    assert_eq!(given.fallbacks, ["https://c.test/dir"]);
    assert_eq!(s.ca.fallbacks.len(), 1);
}

#[test]
fn deactivate_takes_each_name_once_in_order() {
    let g = globals_with("");
    let s = DeactivateSettings::resolve(
        &parsed("--deactivate -d b.test,B.test -d a.test -d b.test").args,
        &g,
    )
    .unwrap();
    let typed: Vec<&str> = s.names.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(typed, ["b.test", "a.test"]);
    assert!(matches!(
        DeactivateSettings::resolve(&parsed("--deactivate").args, &g),
        Err(SettingsError::Missing(_))
    ));
}

#[test]
fn sign_csr_takes_the_names_and_key_type_from_the_csr() {
    use crate::acme::types::Identifier;
    use crate::csr::CsrFile;
    use crate::keys::PrivateKey;
    use crate::lineage::Kind;

    let ids = [
        Identifier::Dns("a.test".into()),
        Identifier::Dns("www.a.test".into()),
    ];
    let key = PrivateKey::generate(KeyType::Ec384).unwrap();
    let pem = crate::csr::build(&key, &ids).unwrap().pem;
    let csr = || CsrFile::parse(pem.as_bytes()).unwrap();
    let g = globals_with("");
    let path = Path::new("a.csr");
    // `-d` and `-k` are not used: the CSR says.
    let line = parsed("--signcsr --csr a.csr -d other.test -k 2048 -w /w");
    let s = IssueSettings::sign_csr(&line, &g, (path, csr())).unwrap();
    assert_eq!(s.request.main, "a.test");
    assert_eq!(s.request.identifiers(), ids);
    assert_eq!(s.request.key_type, KeyType::Ec384);
    assert!(matches!(&s.request.kind, Kind::Issue(given) if given.csr.is_some()));
    let line = parsed("--signcsr --csr a.csr -w /w --key-file /k.pem");
    assert!(matches!(
        IssueSettings::sign_csr(&line, &g, (path, csr())),
        Err(SettingsError::CsrKeyFile)
    ));
}
