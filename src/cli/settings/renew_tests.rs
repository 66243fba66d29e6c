use std::net::IpAddr;

use clap::Parser as _;

use super::*;
use crate::acme::http::IpFamily;
use crate::cli::settings::Globals;
use crate::store::Home;

fn settings(line: &str) -> RenewSettings {
    let globals = Globals {
        home: Home::new("/h".into(), None, None),
        account_conf: AccountConf::default(),
        debug: 0,
        run: crate::cli::settings::RunEnv::default(),
    };
    let args = Args::parse_from(std::iter::once("acmers").chain(line.split_whitespace()));
    RenewSettings::resolve(&args, &globals).unwrap()
}

const FIXTURE_B: &str = "Le_Domain='b.example.test'\nLe_Alt='www.b.example.test'\n\
    Le_Webroot='/var/www/acmers-fixture/b'\nLe_API='https://localhost:14000/dir'\n\
    Le_Keylength='ec-384'\nLe_RenewalDays='20'\n";

#[test]
fn fixture_conf_becomes_a_request() {
    let record = DomainRecord::parse(FIXTURE_B);
    let (request, ca) = settings("--renew -d b").request(&record).unwrap();
    assert_eq!(request.main, "b.example.test");
    assert_eq!(request.names.len(), 2);
    assert!(
        request
            .names
            .iter()
            .all(|(_, m)| *m == Mode::Webroot("/var/www/acmers-fixture/b".into()))
    );
    assert_eq!(request.key_type, KeyType::Ec384);
    assert_eq!(ca.server, "https://localhost:14000/dir");
    assert_eq!(request.days, Some(20));
    assert!(request.is_renewal());
}

#[test]
fn command_line_server_and_days_win_modes_do_not() {
    let record = DomainRecord::parse(FIXTURE_B);
    let (request, ca) = settings("--renew -d b --server letsencrypt --days 5 --standalone")
        .request(&record)
        .unwrap();
    assert_eq!(ca.server, "https://acme-v02.api.letsencrypt.org/directory");
    assert_eq!(request.days, Some(5));
    assert!(matches!(request.names[0].1, Mode::Webroot(_)));
}

#[test]
fn staging_keeps_a_saved_ca_as_acmesh_does() {
    let record = DomainRecord::parse(FIXTURE_B);
    let (_, ca) = settings("--renew -d b --staging").request(&record).unwrap();
    assert_eq!(ca.server, "https://localhost:14000/dir");
    // Without a saved CA (very old confs), `--staging` chooses it.
    let old = DomainRecord::parse("Le_Domain='a.test'\nLe_Webroot='no'\n");
    let (_, ca) = settings("--renew -d a.test --staging")
        .request(&old)
        .unwrap();
    assert_eq!(
        ca.server,
        "https://acme-staging-v02.api.letsencrypt.org/directory"
    );
}

#[test]
fn standalone_port_and_old_keylength() {
    let record = DomainRecord::parse(
        "Le_Domain='a.test'\nLe_Alt='no'\nLe_Webroot='no'\nLe_API='https://ca.test/dir'\n\
         Le_HTTPPort='5002'\nLe_Keylength=''\nLe_LocalAddress='127.0.0.1,'\n",
    );
    let (request, _) = settings("--cron").request(&record).unwrap();
    assert_eq!(request.names[0].1, Mode::Standalone);
    assert_eq!(request.listen.port, Some(5002));
    assert_eq!(request.key_type, KeyType::Rsa(2048));
    assert_eq!(
        request.listen.addresses,
        ["127.0.0.1".parse::<IpAddr>().unwrap()]
    );
}

#[test]
fn alpn_and_listener_settings_as_acmesh_saves_them() {
    let record = DomainRecord::parse(
        "Le_Domain='a.test'\nLe_Alt='b.test,c.test'\nLe_Webroot='alpn,/srv,no'\n\
         Le_API='https://ca.test/dir'\nLe_Keylength='ec-256'\nLe_TLSPort='8443'\n\
         Le_LocalAddress='127.0.0.1,::1,'\nLe_Listen_V6='1'\n",
    );
    let (request, _) = settings("--cron").request(&record).unwrap();
    let modes: Vec<&Mode> = request.names.iter().map(|(_, m)| m).collect();
    assert_eq!(
        modes,
        [
            &Mode::Alpn,
            &Mode::Webroot("/srv".into()),
            &Mode::Standalone
        ]
    );
    assert_eq!(request.listen.tls_port, Some(8443));
    assert_eq!(request.listen.family, Some(IpFamily::V6));
    let (one, six) = ("127.0.0.1".parse().ok(), "::1".parse().ok());
    // The second listener name (the third name) takes the second address.
    let binds: Vec<_> = request
        .binds()
        .iter()
        .map(|b| b.map(|b| (b.address, b.port)))
        .collect();
    assert_eq!(binds, [Some((one, 8443)), None, Some((six, 80))]);
}

#[test]
fn unusable_confs_are_errors() {
    for (conf, what) in [
        ("Le_Alt='no'\nLe_Webroot='no'\n", "no domain"),
        (
            "Le_Domain='a.test'\nLe_Webroot='alpn'\nLe_TLSPort='x'\n",
            "tls port",
        ),
        (
            "Le_Domain='a.test'\nLe_Webroot='dns_cf'\nLe_DNSSleep='soon'\n",
            "dns sleep",
        ),
        (
            "Le_Domain='a.test'\nLe_Webroot='no'\nLe_HTTPPort='x'\n",
            "port",
        ),
        (
            "Le_Domain='$(touch pwned)'\nLe_Webroot='no'\n",
            "hostile name",
        ),
        ("Le_Domain='a.test'\n", "no mode"),
        (
            "Le_Domain='a.test'\nLe_Webroot='no'\nLe_API='http://ca.example/dir'\n",
            "plain http CA",
        ),
    ] {
        assert!(
            settings("--cron")
                .request(&DomainRecord::parse(conf))
                .is_err(),
            "{what}"
        );
    }
}

#[test]
fn dns_settings_come_from_the_conf_unless_given() {
    let record = DomainRecord::parse(
        "Le_Domain='a.test'\nLe_Alt='*.a.test'\nLe_Webroot='dns_nsupdate'\n\
         Le_DNSSleep='7'\nLe_ChallengeAlias='alias.test,'\n\
         Acmers_DNSResolver='127.0.0.1:5353'\nLe_Keylength='ec-256'\n",
    );
    let (request, _) = settings("--cron").request(&record).unwrap();
    assert_eq!(request.names[1].1, Mode::Dns("dns_nsupdate".into()));
    assert_eq!(request.dns.sleep, Some(7));
    assert_eq!(request.dns.aliases, ["alias.test"]);
    assert_eq!(
        request.dns.resolver,
        Some("127.0.0.1:5353".parse().unwrap())
    );
    let (request, _) = settings("--cron --dnssleep 0 --dns-resolver 127.0.0.2")
        .request(&record)
        .unwrap();
    assert_eq!(request.dns.sleep, Some(0));
    assert_eq!(request.dns.resolver, Some("127.0.0.2:53".parse().unwrap()));
}

#[test]
fn saved_order_options_are_renewed_and_lets_encrypt_drops_must_staple() {
    let saved = format!(
        "{FIXTURE_B}Le_OCSP_Staple='1'\nLe_Certificate_Profile='shortlived'\nLe_Valid_To='+6d'\n"
    );
    let record = DomainRecord::parse(&saved);
    let (request, _) = settings("--renew -d b --ocsp-must-staple --cert-profile x")
        .request(&record)
        .unwrap();
    assert_eq!(
        request.order,
        record.order_options(),
        "the command line is ignored"
    );
    assert!(request.order.ocsp_must_staple);
    assert_eq!(request.order.profile.as_deref(), Some("shortlived"));
    let (request, _) = settings("--renew -d b --server letsencrypt")
        .request(&record)
        .unwrap();
    assert!(
        !request.order.ocsp_must_staple,
        "acme.sh's renew at Let's Encrypt"
    );
    assert_eq!(request.order.valid_to.as_deref(), Some("+6d"));
}

#[test]
fn a_certificate_from_a_fallback_renews_at_the_primary_first_with_the_saved_fallbacks() {
    let conf = format!(
        "{FIXTURE_B}Acmers_PrimaryAPI='https://primary.test/dir'\n\
         Acmers_FallbackServers='https://localhost:14000/dir,https://other.test/dir'\n"
    );
    let record = DomainRecord::parse(&conf);
    let (_, ca) = settings("--renew -d b").request(&record).unwrap();
    assert_eq!(ca.server, "https://primary.test/dir");
    let fallbacks: Vec<&str> = ca.fallbacks.iter().map(|c| c.server.as_str()).collect();
    assert_eq!(
        fallbacks,
        ["https://localhost:14000/dir", "https://other.test/dir"]
    );
    // `--fallback-server` replaces the saved list for this run.
    let (_, ca) = settings("--renew -d b --fallback-server https://third.test/dir")
        .request(&record)
        .unwrap();
    assert_eq!(ca.fallbacks.len(), 1);
    assert_eq!(ca.fallbacks[0].server, "https://third.test/dir");
}
