use super::*;

const ACMESH: &str = "#comment kept\nLe_Domain='a.example.test'\nLe_Alt='www.a.example.test'\n\
    Le_Webroot='/var/www/a,no'\nLe_PreHook=''\nLe_API='https://ca.test/dir'\n\
    Le_Keylength='ec-256'\nLe_OrderFinalize='https://ca.test/finalize/1'\n\
    Le_LinkOrder='https://ca.test/order/1'\nLe_LinkCert='https://ca.test/cert/1'\n\
    Le_CertCreateTime='1795898536'\nLe_CertCreateTimeStr='2026-11-28T20:42:16Z'\n\
    Le_NextRenewTimeStr='2027-01-27T20:42:16Z'\nLe_NextRenewTime='1801082536'\n\
    Le_RealKeyPath='no'\nLe_ReloadCmd='__ACME_BASE64__START_c3lzdGVtY3RsIHJlbG9hZCBuZ2lueA==__ACME_BASE64__END_'\n\
    Le_Unknown_Key='kept'\n";

#[test]
fn typed_view_of_an_acmesh_conf() {
    let r = DomainRecord::parse(ACMESH);
    assert_eq!(r.main_domain().as_deref(), Some("a.example.test"));
    assert_eq!(r.alt_names(), ["www.a.example.test"]);
    assert_eq!(
        r.modes(),
        [Mode::Webroot("/var/www/a".into()), Mode::Standalone]
    );
    assert_eq!(r.identifiers().unwrap().len(), 2);
    assert_eq!(r.cert_create_time(), Some(1_795_898_536));
    assert_eq!(r.next_renew_time(), Some(1_801_082_536));
    assert_eq!(r.order().cert.as_deref(), Some("https://ca.test/cert/1"));
    assert_eq!(r.pending_order("https://ca.test/dir"), None);
    let install = r.install();
    assert_eq!(install.files.key, None, "`no` means none");
    assert_eq!(install.reload.as_deref(), Some("systemctl reload nginx"));
    assert_eq!(r.hooks(), Hooks::default());
}

#[test]
fn setters_change_only_their_lines() {
    let mut r = DomainRecord::parse(ACMESH);
    assert_eq!(r.render_bytes(), ACMESH.as_bytes(), "untouched round trip");
    r.set_new_order("https://ca.test/order/2", "https://ca.test/finalize/2");
    r.set_api("https://ca.test/dir");
    let text = String::from_utf8(r.render_bytes()).unwrap();
    assert!(text.starts_with("#comment kept\nLe_Domain='a.example.test'\n"));
    assert!(text.contains("Le_LinkOrder='https://ca.test/order/2'\nLe_LinkCert=''\n"));
    assert!(text.ends_with("Le_Unknown_Key='kept'\n"));
    assert_eq!(
        r.pending_order("https://ca.test/dir").as_deref(),
        Some("https://ca.test/order/2")
    );
    assert_eq!(r.pending_order("https://other.test/dir"), None);
    r.set_issued("https://ca.test/cert/2", 1_795_898_600, 1_801_082_600);
    assert_eq!(r.pending_order("https://ca.test/dir"), None);
    assert_eq!(r.next_renew_time_str(), "2027-01-27T20:43:20Z");
}

#[test]
fn names_and_modes_as_acmesh_writes_them() {
    let mut r = DomainRecord::default();
    r.set_names("bücher.example", &[]);
    r.set_modes(&[Mode::Standalone]);
    let text = String::from_utf8(r.render_bytes()).unwrap();
    assert_eq!(
        text,
        "Le_Domain='bücher.example'\nLe_Alt='no'\nLe_Webroot='no'\n"
    );
    assert_eq!(r.identifiers().unwrap()[0].value(), "xn--bcher-kva.example");
}

#[test]
fn bad_values_name_their_key() {
    let r = DomainRecord::parse("Le_HTTPPort='x'\nLe_RenewalDays='soon'\nLe_LocalAddress='a,b'\n");
    assert_eq!(r.http_port().unwrap_err().key, "Le_HTTPPort");
    assert_eq!(r.renewal_days().unwrap_err().key, "Le_RenewalDays");
    assert_eq!(r.local_addresses().unwrap_err().key, "Le_LocalAddress");
}

#[test]
fn listener_settings_round_trip_as_acmesh_writes_them() {
    let r = DomainRecord::parse(
        "Le_Webroot='alpn,no'\nLe_TLSPort='8443'\nLe_LocalAddress='127.0.0.1,,::1,'\n\
         Le_Listen_V6='1'\n",
    );
    assert_eq!(r.modes(), [Mode::Alpn, Mode::Standalone]);
    assert_eq!(r.tls_port(), Ok(Some(8443)));
    let (one, six): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "::1".parse().unwrap());
    // An empty entry repeats the address before it (acme.sh's `_getfield`).
    assert_eq!(r.local_addresses(), Ok(vec![one, one, six]));
    assert_eq!(r.listen_family(), Some(IpFamily::V6));

    let mut r = DomainRecord::default();
    r.set_modes(&[Mode::Alpn]);
    r.set_tls_port(Some(443));
    r.set_local_addresses(&[one, six]);
    r.set_listen_family(Some(IpFamily::V6));
    r.set_listen_family(Some(IpFamily::V4));
    let text = String::from_utf8(r.render_bytes()).unwrap();
    assert_eq!(
        text,
        "Le_Webroot='alpn'\nLe_TLSPort='443'\nLe_LocalAddress='127.0.0.1,::1,'\n\
         Le_Listen_V4='1'\n"
    );
    r.set_local_addresses(&[]);
    r.set_listen_family(None);
    r.set_tls_port(None);
    assert_eq!(
        String::from_utf8(r.render_bytes()).unwrap(),
        "Le_Webroot='alpn'\n"
    );
}

#[test]
fn deploy_hooks_are_read_as_acmesh_writes_them() {
    let r = DomainRecord::parse("Le_Domain='a.test'\nLe_DeployHook='haproxy,'\n");
    assert_eq!(r.deploy_hooks(), ["haproxy"]);
}

#[test]
fn order_options_round_trip_under_acmesh_keys() {
    let text = "Le_Domain='a.test'\nLe_Preferred_Chain='__ACME_BASE64__START_SVNSRyBSb290IFgx__ACME_BASE64__END_'\n\
                Le_Certificate_Profile='shortlived'\nLe_Valid_To='+6d'\nLe_OCSP_Staple='1'\n\
                Le_ExtKeyUse='serverAuth'\nLe_ForceNewDomainKey='1'\n";
    let mut r = DomainRecord::parse(text);
    let options = OrderOptions {
        preferred_chain: Some("ISRG Root X1".into()),
        profile: Some("shortlived".into()),
        valid_from: None,
        valid_to: Some("+6d".into()),
        ocsp_must_staple: true,
        extended_key_usage: Some("serverAuth".into()),
        force_new_domain_key: true,
    };
    assert_eq!(r.order_options(), options);
    r.set_order_options(&options);
    assert_eq!(String::from_utf8(r.render_bytes()).unwrap(), text);

    r.set_order_options(&OrderOptions {
        valid_from: Some("2030-01-01T00:00:00Z".into()),
        ..OrderOptions::default()
    });
    assert_eq!(
        String::from_utf8(r.render_bytes()).unwrap(),
        "Le_Domain='a.test'\nLe_Valid_From='2030-01-01T00:00:00Z'\n"
    );
    // acme.sh's `0` is off.
    let r = DomainRecord::parse("Le_ForceNewDomainKey='0'\nLe_OCSP_Staple=''\n");
    assert_eq!(r.order_options(), OrderOptions::default());
}

#[test]
fn dns_modes_and_settings_round_trip() {
    let mut r = DomainRecord::parse(
        "Le_Webroot='dns_cf,dns,/srv/www,/etc/acmers/dns_local.sh,dns_persist'\n\
         Le_DNSSleep='120'\nLe_ChallengeAlias='alias.test,=_acme-challenge.other.test,'\n",
    );
    assert_eq!(
        r.modes(),
        [
            Mode::Dns("dns_cf".into()),
            Mode::DnsManual,
            Mode::Webroot("/srv/www".into()),
            Mode::Dns("/etc/acmers/dns_local.sh".into()),
            Mode::Other("dns_persist".into()),
        ]
    );
    assert_eq!(r.dns_sleep(), Ok(Some(120)));
    assert_eq!(
        r.challenge_aliases(),
        ["alias.test", "=_acme-challenge.other.test"]
    );
    r.set_challenge_aliases(&["a.test".into(), "no".into()]);
    r.set_dns_sleep(None);
    r.set_dns_resolver(Some("127.0.0.1:5353".parse().unwrap()));
    let text = String::from_utf8(r.render_bytes()).unwrap();
    assert!(text.contains("Le_ChallengeAlias='a.test,no,'\n"), "{text}");
    assert!(!text.contains("Le_DNSSleep"), "{text}");
    assert_eq!(
        r.dns_resolver(),
        Ok(Some("127.0.0.1:5353".parse().unwrap()))
    );
    let modes = r.modes();
    r.set_modes(&modes);
    assert!(
        String::from_utf8(r.render_bytes())
            .unwrap()
            .contains("Le_Webroot='dns_cf,dns,/srv/www,/etc/acmers/dns_local.sh,dns_persist'")
    );
}

#[test]
fn deploy_hooks_and_pending_round_trip() {
    let mut r = DomainRecord::parse("Le_Domain='a.test'\n");
    r.set_deploy_hooks(&["haproxy".into(), "ssh".into()]);
    r.set_deploy_pending(true);
    assert_eq!(r.deploy_hooks(), ["haproxy", "ssh"]);
    assert!(r.deploy_pending());
    let text = String::from_utf8(r.render_bytes()).unwrap();
    assert!(text.contains("Le_DeployHook='haproxy,ssh,'\n"), "{text}");
    r.set_deploy_pending(false);
    assert!(!r.deploy_pending());
}

/// `Le_PFXPassword` is saved base64-wrapped as acme.sh's `_toPkcs` does; an empty one is
/// still a password (the lineage is exported again after each new certificate).
#[test]
fn pfx_password_round_trips() {
    let mut r = DomainRecord::parse("Le_Domain='a.test'\n");
    assert_eq!(r.pfx_password(), None);
    r.set_pfx_password("s3cret");
    assert_eq!(
        r.conf().render(),
        "Le_Domain='a.test'\nLe_PFXPassword='__ACME_BASE64__START_czNjcmV0__ACME_BASE64__END_'\n"
    );
    assert_eq!(
        DomainRecord::parse(&r.conf().render())
            .pfx_password()
            .as_deref(),
        Some("s3cret")
    );
    r.set_pfx_password("");
    assert_eq!(r.conf().render(), "Le_Domain='a.test'\nLe_PFXPassword=''\n");
    assert_eq!(r.pfx_password().as_deref(), Some(""));
}

#[test]
fn web_server_modes_round_trip_as_acmesh_writes_them() {
    let mut r =
        DomainRecord::parse("Le_Webroot='stateless,nginx:,nginx:/etc/nginx/a.conf,apache,nginx'\n");
    let modes = [
        Mode::Stateless,
        Mode::Nginx(None),
        Mode::Nginx(Some("/etc/nginx/a.conf".into())),
        Mode::Apache,
        Mode::Nginx(None),
    ];
    assert_eq!(r.modes(), modes);
    r.set_modes(&modes[..4]);
    assert_eq!(
        r.webroot().as_deref(),
        Some("stateless,nginx:,nginx:/etc/nginx/a.conf,apache")
    );
}

#[test]
fn backoff_keys_round_trip_and_a_success_clears_them() {
    let mut record = DomainRecord::parse("Le_Domain='a.test'\n# kept\n");
    assert_eq!((record.backoff(), record.failed_attempts()), (None, 0));
    assert!(!record.clear_failure());
    record.set_last_error("boom", 100);
    record.set_backoff(160, 1);
    assert_eq!(record.backoff(), Some((160, 1)));
    record.set_backoff(700, 2);
    assert_eq!(
        (record.backoff(), record.failed_attempts()),
        (Some((700, 2)), 2)
    );
    // A next attempt saved without its count (edited by hand) counts as one failure.
    let hand = DomainRecord::parse("Acmers_NextAttempt='5'\nAcmers_FailedAttempts='x'\n");
    assert_eq!(hand.backoff(), Some((5, 1)));
    let mut issued = record.clone();
    issued.set_issued("https://ca.test/cert/1", 1000, 2000);
    assert_eq!(issued.backoff(), None);
    assert_eq!(issued.last_error(), (None, None));
    assert!(record.clear_failure());
    assert_eq!(record.render_bytes(), b"Le_Domain='a.test'\n# kept\n");
}
