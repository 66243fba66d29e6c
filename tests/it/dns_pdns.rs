//! The native `dns_pdns` provider, called through the library (`acmers::dns`), against a
//! real PowerDNS ([`PowerDns`]): values side by side at one name, removal by value, and a
//! wrong API key; and the rig itself (the zone it serves).

use std::sync::Arc;
use std::time::Duration;

use acmers::acme::http::{HttpConfig, ReqwestClient};
use acmers::dns::{Context, Credentials, Provider, Record, registry};

use crate::support::pdns::{PowerDns, dig};

/// Two dns-01 values (43 characters, as base64url of a SHA-256): a name's and its
/// wildcard's, which share one TXT name.
const APEX: &str = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
const WILDCARD: &str = "Jc9sRTu5_yW4Gd-lqZ2p8N0eVbXhK3mAf6oTwQ1iCrE";

const NAME: &str = "_acme-challenge.acme.test";

/// The registry's `dns_pdns`, built as a run builds it: its variables and the real HTTP
/// client.
fn provider(pdns: &PowerDns, token: &str) -> Box<dyn Provider> {
    let spec = registry::find("dns_pdns").expect("dns_pdns is registered");
    let credentials = Credentials::from_pairs([
        ("PDNS_Url", pdns.api_url().as_str()),
        ("PDNS_ServerId", "localhost"),
        ("PDNS_Token", token),
    ]);
    let http = ReqwestClient::new(&HttpConfig {
        user_agent: "acmers-tests".into(),
        extra_roots_pem: None,
        connect_timeout: Duration::from_secs(10),
        read_idle_timeout: Duration::from_secs(30),
        request_timeout: Duration::from_secs(60),
        insecure: false,
        family: None,
        cross_origin_redirects: false,
    })
    .expect("HTTP client");
    (spec.build)(&Context {
        credentials: &credentials,
        http: Arc::new(http),
    })
    .expect("build dns_pdns")
}

fn record(value: &str) -> Record {
    Record {
        fqdn: NAME.to_owned(),
        value: value.to_owned(),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn two_values_side_by_side_then_removed_one_by_one() {
    let pdns = PowerDns::start();
    let dns = provider(&pdns, pdns.api_key());
    let rt = runtime();

    rt.block_on(dns.add(&record(APEX)))
        .expect("add the apex value");
    assert_eq!(pdns.txt(NAME), [APEX]);
    rt.block_on(dns.add(&record(WILDCARD)))
        .expect("add the wildcard value");
    assert_eq!(pdns.txt(NAME), [WILDCARD, APEX]);

    rt.block_on(dns.remove(&record(APEX)))
        .expect("remove the apex value");
    assert_eq!(pdns.txt(NAME), [WILDCARD]);
    // Removing it again is not an error and leaves the other value.
    rt.block_on(dns.remove(&record(APEX)))
        .expect("remove a value that is gone");
    assert_eq!(pdns.txt(NAME), [WILDCARD]);

    rt.block_on(dns.remove(&record(WILDCARD)))
        .expect("remove the last value");
    assert!(pdns.txt(NAME).is_empty());
}

#[test]
fn a_wrong_api_key_is_a_clear_error_and_changes_nothing() {
    let pdns = PowerDns::start();
    let dns = provider(&pdns, "not-the-key");
    let err = runtime()
        .block_on(dns.add(&record(APEX)))
        .expect_err("the server refuses a wrong key");
    assert_eq!(
        err.to_string(),
        "dns_pdns: listing zones was refused (HTTP 401 Unauthorized: Unauthorized); check PDNS_Token"
    );
    assert!(pdns.txt(NAME).is_empty());
}

#[test]
fn the_server_answers_for_the_test_zone() {
    let pdns = PowerDns::start();
    for name in ["acme.test", "www.acme.test", "ns.acme.test"] {
        assert_eq!(
            dig(pdns.dns_addr(), name, "A").expect("dig"),
            ["127.0.0.1"],
            "{name}"
        );
    }
    assert_eq!(
        dig(pdns.dns_addr(), "acme.test", "NS").expect("dig"),
        ["ns.acme.test."]
    );
}
