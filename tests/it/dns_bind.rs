//! DNS on the wire against a real BIND 9 ([`Bind`]): the `dns_nsupdate` provider (RFC 2136
//! with TSIG) and the propagation check (docs/dns.md).

use std::path::Path;
use std::time::Duration;

use acmers::dns::propagation::{self, Options};
use acmers::dns::providers::nsupdate::Nsupdate;
use acmers::dns::{Credentials, Provider as _, Record};

use crate::support::bind::Bind;

/// A generous bound for checks that should pass at once.
const PATIENCE: Duration = Duration::from_secs(30);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn record(fqdn: &str, value: &str) -> Record {
    Record {
        fqdn: fqdn.to_owned(),
        value: value.to_owned(),
    }
}

/// A provider for `bind` with the test's key file and the extra variables `pairs`.
fn provider(bind: &Bind, key: &Path, pairs: &[(&str, &str)]) -> Nsupdate {
    let port = bind.addr().port().to_string();
    let key = key.display().to_string();
    let mut all = vec![
        ("NSUPDATE_SERVER", "127.0.0.1"),
        ("NSUPDATE_SERVER_PORT", port.as_str()),
        ("NSUPDATE_KEY", key.as_str()),
    ];
    all.extend_from_slice(pairs);
    all.retain(|(_, v)| !v.is_empty());
    Nsupdate::new(&Credentials::from_pairs(all)).expect("provider")
}

/// The flags field of a query-log line (`… query: NAME IN TYPE FLAGS (…)`).
fn flags(line: &str) -> &str {
    line.split("query: ")
        .nth(1)
        .and_then(|q| q.split_whitespace().nth(3))
        .unwrap_or_else(|| panic!("not a query-log line: {line}"))
}

#[test]
fn nsupdate_adds_beside_other_values_and_removes_only_its_own() {
    let bind = Bind::start();
    let nsupdate = provider(&bind, &bind.key_path(), &[("NSUPDATE_ZONE", bind.zone())]);
    let name = "_acme-challenge.acme.test";
    let (one, two) = (record(name, "value-one"), record(name, "value-two"));
    runtime().block_on(async {
        nsupdate.add(&one).await.expect("add one");
        nsupdate.add(&two).await.expect("add two");
        assert_eq!(bind.txt(name), ["value-one", "value-two"]);
        nsupdate.remove(&one).await.expect("remove one");
        assert_eq!(bind.txt(name), ["value-two"]);
        nsupdate
            .remove(&one)
            .await
            .expect("removing a missing value succeeds");
        nsupdate.remove(&two).await.expect("remove two");
    });
    assert!(bind.txt(name).is_empty());
    assert!(
        bind.log()
            .contains("/key acmers-key: updating zone 'acme.test/IN'")
    );
}

#[test]
fn nsupdate_finds_the_zone_by_an_soa_walk_and_signs_with_a_y_key() {
    let bind = Bind::start();
    let opt = format!("-y hmac-sha256:{}:{}", bind.key_name(), bind.secret());
    let nsupdate = provider(&bind, Path::new(""), &[("NSUPDATE_OPT", &opt)]);
    let name = "_acme-challenge.deep.sub.acme.test";
    runtime()
        .block_on(nsupdate.add(&record(name, "walked")))
        .expect("add without NSUPDATE_ZONE");
    assert_eq!(bind.txt(name), ["walked"]);
    let log = bind.log();
    let walk = Bind::queries(&log, name);
    assert!(
        walk.iter().any(|l| l.contains(" IN SOA ")),
        "no SOA query for {name} reached BIND:\n{log}"
    );
}

#[test]
fn nsupdate_with_a_wrong_secret_is_told_badsig() {
    let bind = Bind::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let wrong = dir.path().join("wrong.key");
    std::fs::write(
        &wrong,
        "key \"acmers-key\" {\n\talgorithm hmac-sha256;\n\
         \tsecret \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\";\n};\n",
    )
    .expect("write key");
    let nsupdate = provider(&bind, &wrong, &[("NSUPDATE_ZONE", bind.zone())]);
    let name = "_acme-challenge.acme.test";
    let err = runtime()
        .block_on(nsupdate.add(&record(name, "never")))
        .expect_err("a wrong secret must fail");
    let message = err.to_string();
    assert!(
        message.contains("TSIG signature rejected (wrong secret?)") && message.contains("BADSIG"),
        "{message}"
    );
    assert!(!message.contains(bind.secret()), "{message}");
    assert!(bind.log().contains("(BADSIG)"), "{}", bind.log());
    assert!(bind.txt(name).is_empty());
}

#[test]
fn nsupdate_without_a_key_is_refused_with_advice() {
    let bind = Bind::start();
    let nsupdate = provider(&bind, Path::new(""), &[("NSUPDATE_ZONE", bind.zone())]);
    let err = runtime()
        .block_on(nsupdate.add(&record("_acme-challenge.acme.test", "unsigned")))
        .expect_err("an unsigned update must be refused");
    let message = err.to_string();
    assert!(
        message.contains("update refused") && message.contains("no NSUPDATE_KEY is set"),
        "{message}"
    );
}

#[test]
fn propagation_returns_once_every_value_is_there_asking_without_recursion() {
    let bind = Bind::start();
    let name = "_acme-challenge.acme.test";
    let records = [record(name, "apex-value"), record(name, "wildcard-value")];
    let before = bind.log().len();
    let options = Options::new(Some(bind.addr()), PATIENCE);
    runtime().block_on(async {
        let check = propagation::wait(&records, &options, &|_| {});
        let publish = async {
            // Publish only once the check has asked and found nothing.
            let asked = async {
                while Bind::queries(&bind.log()[before..], name).is_empty() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            };
            tokio::time::timeout(PATIENCE, asked)
                .await
                .expect("the check never asked BIND");
            bind.nsupdate(&format!(
                "update add {name}. 60 TXT \"apex-value\"\nupdate add {name}. 60 TXT \"wildcard-value\""
            ));
        };
        let (checked, ()) = tokio::join!(check, publish);
        checked.expect("the check passes once both values are there");
    });
    let log = bind.log();
    let asked = Bind::queries(&log[before..], name);
    assert!(
        asked.iter().filter(|l| l.contains(" IN TXT ")).count() >= 2,
        "the check did not ask again after the values were added:\n{log}"
    );
    for line in log[before..].lines().filter(|l| l.contains("query: ")) {
        assert!(flags(line).starts_with('-'), "a query with RD set: {line}");
    }
}

#[test]
fn propagation_times_out_naming_the_server_the_name_and_the_missing_value() {
    let bind = Bind::start();
    let name = "_acme-challenge.acme.test";
    bind.nsupdate(&format!("update add {name}. 60 TXT \"present\""));
    let records = [record(name, "present"), record(name, "missing")];
    // Not a timing assertion: the check fails whatever the machine's speed, the timeout
    // only bounds how long it keeps trying.
    let options = Options::new(Some(bind.addr()), Duration::from_secs(1));
    let err = runtime()
        .block_on(propagation::wait(&records, &options, &|_| {}))
        .expect_err("a value is missing");
    let message = err.to_string();
    let gap = format!("{name} at {}: lacks \"missing\"", bind.addr());
    for needle in [
        gap.as_str(),
        "--dns-timeout",
        "--dns-resolver",
        "--dnssleep",
    ] {
        assert!(message.contains(needle), "{needle}: {message}");
    }
    assert!(!message.contains("\"present\""), "{message}");
}

#[test]
fn propagation_follows_a_cname_to_the_delegated_name() {
    let bind = Bind::start();
    let alias = "_acme-challenge.a.acme.test";
    let target = "x.auth.acme.test";
    bind.nsupdate(&format!(
        "update add {alias}. 60 CNAME {target}.\nupdate add {target}. 60 TXT \"delegated\""
    ));
    let options = Options::new(Some(bind.addr()), PATIENCE);
    let rt = runtime();
    rt.block_on(propagation::wait(
        &[record(alias, "delegated")],
        &options,
        &|_| {},
    ))
    .expect("the value is at the CNAME's target");
    assert!(
        Bind::queries(&bind.log(), target)
            .iter()
            .any(|l| l.contains(" IN TXT ")),
        "the check never asked the target:\n{}",
        bind.log()
    );

    let short = Options::new(Some(bind.addr()), Duration::from_secs(1));
    let err = rt
        .block_on(propagation::wait(
            &[record(alias, "other")],
            &short,
            &|_| {},
        ))
        .expect_err("the target lacks the value");
    assert!(
        err.to_string()
            .contains(&format!("{target} at {}: lacks \"other\"", bind.addr())),
        "{err}"
    );
}

#[test]
fn propagation_without_a_resolver_asks_the_zone_ns_found_through_resolv_conf() {
    let bind = Bind::start();
    let name = "_acme-challenge.acme.test";
    bind.nsupdate(&format!("update add {name}. 60 TXT \"via-ns\""));
    let dir = tempfile::tempdir().expect("tempdir");
    let resolv_conf = dir.path().join("resolv.conf");
    std::fs::write(&resolv_conf, "search example\nnameserver 127.0.0.1\n").expect("write");
    let options = Options {
        resolv_conf,
        port: bind.addr().port(),
        ..Options::new(None, PATIENCE)
    };
    let before = bind.log().len();
    runtime()
        .block_on(propagation::wait(
            &[record(name, "via-ns")],
            &options,
            &|_| {},
        ))
        .expect("the NS (ns.acme.test -> 127.0.0.1) has the value");
    let log = &bind.log()[before..];
    let ns = Bind::queries(log, bind.zone());
    assert!(
        ns.iter()
            .any(|l| l.contains(" IN NS ") && flags(l).starts_with('+')),
        "no recursive NS query for the zone:\n{log}"
    );
    assert!(
        Bind::queries(log, "ns.acme.test")
            .iter()
            .any(|l| l.contains(" IN A ")),
        "the NS name's address was not looked up:\n{log}"
    );
    let txt: Vec<&str> = Bind::queries(log, name)
        .into_iter()
        .filter(|l| l.contains(" IN TXT "))
        .collect();
    assert!(!txt.is_empty(), "{log}");
    assert!(txt.iter().all(|l| flags(l).starts_with('-')), "{txt:?}");
}

#[test]
fn propagation_reads_an_rrset_too_big_for_udp_over_tcp() {
    let bind = Bind::start();
    let name = "_acme-challenge.big.acme.test";
    let values: Vec<String> = (0..40)
        .map(|i| format!("{i:02}-{}", "v".repeat(40)))
        .collect();
    let commands: Vec<String> = values
        .iter()
        .map(|v| format!("update add {name}. 60 TXT \"{v}\""))
        .collect();
    bind.nsupdate(&commands.join("\n"));
    let records: Vec<Record> = values.iter().map(|v| record(name, v)).collect();
    let options = Options::new(Some(bind.addr()), PATIENCE);
    runtime()
        .block_on(propagation::wait(&records, &options, &|_| {}))
        .expect("all 40 values");
    let log = bind.log();
    assert!(
        Bind::queries(&log, name)
            .iter()
            .any(|l| l.contains(" IN TXT ") && flags(l).contains('T')),
        "no TXT query over TCP:\n{log}"
    );
}
