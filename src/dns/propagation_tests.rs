use super::*;

#[test]
fn reads_nameserver_lines_of_resolv_conf() {
    let text = "# comment\nsearch example.test\nnameserver 192.0.2.53\n\
                nameserver   2001:db8::53\nnameserver fe80::1%eth0\nnameserver not-an-ip\n\
                ;nameserver 192.0.2.1\noptions edns0\nnameserver\n";
    assert_eq!(
        resolv_conf(text, 53),
        [
            "192.0.2.53:53".parse::<SocketAddr>().unwrap(),
            "[2001:db8::53]:53".parse().unwrap(),
            "[fe80::1]:53".parse().unwrap(),
        ]
    );
    assert_eq!(
        resolv_conf("nameserver 127.0.0.1\n", 5353),
        ["127.0.0.1:5353".parse::<SocketAddr>().unwrap()]
    );
}

#[test]
fn names_are_within_their_zones_only_at_label_boundaries() {
    assert!(within("_acme-challenge.example.test", "example.test"));
    assert!(within("example.test", "example.test"));
    assert!(within("example.test", ""));
    assert!(!within("_acme-challenge.badexample.test", "example.test"));
    assert!(!within("example.test", "sub.example.test"));
}

#[test]
fn an_answer_passes_only_with_aa_and_every_value() {
    let values: BTreeSet<&str> = ["one", "two"].into();
    let answer = |aa, rcode, txt: &[&str]| Answer {
        aa,
        rcode,
        txt: txt.iter().map(|t| (*t).to_owned()).collect(),
        ..Answer::default()
    };
    assert_eq!(
        judge(
            &answer(true, Rcode::NO_ERROR, &["two", "other", "one"]),
            &values
        ),
        None
    );
    assert_eq!(
        judge(&answer(true, Rcode::NO_ERROR, &["two"]), &values).as_deref(),
        Some("lacks \"one\"")
    );
    assert_eq!(
        judge(&answer(true, Rcode::NX_DOMAIN, &[]), &values).as_deref(),
        Some("lacks \"one\", \"two\"")
    );
    let many: BTreeSet<&str> = ["a", "b", "c", "d", "e"].into();
    assert_eq!(
        judge(&answer(true, Rcode::NO_ERROR, &["c"]), &many).as_deref(),
        Some("lacks \"a\", \"b\", \"d\", and 1 more")
    );
    let not_aa = judge(&answer(false, Rcode::NO_ERROR, &["one", "two"]), &values).unwrap();
    assert!(not_aa.contains("AA flag"), "{not_aa}");
    assert_eq!(
        judge(&answer(true, Rcode::REFUSED, &[]), &values).as_deref(),
        Some("answered REFUSED")
    );
}

#[test]
fn long_gap_lists_are_cut() {
    let gaps: Vec<Gap> = (0..10)
        .map(|i| Gap {
            name: format!("n{i}"),
            server: "s".to_owned(),
            problem: "lacks \"v\"".to_owned(),
        })
        .collect();
    let text = list(&gaps);
    assert!(text.starts_with("n0 at s: lacks \"v\"; n1 at s"), "{text}");
    assert!(text.contains("n7 at s"), "{text}");
    assert!(!text.contains("n8 at s"), "{text}");
    assert!(text.ends_with("; and 2 more"), "{text}");
}

#[tokio::test]
async fn without_a_resolver_an_empty_resolv_conf_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options {
        resolv_conf: dir.path().join("resolv.conf"),
        ..Options::new(None, Duration::from_secs(1))
    };
    let record = Record {
        fqdn: "_acme-challenge.example.test".to_owned(),
        value: "v".to_owned(),
    };
    let err = wait(&[record], &options, &|_| {}).await.unwrap_err();
    assert!(err.to_string().contains("--dns-resolver"), "{err}");
    // Nothing to check needs no server.
    wait(&[], &options, &|_| panic!("no wait")).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_is_reported_while_waiting_and_in_the_error() {
    // Bound but never answering: every query runs into its time limit (virtual time).
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let options = Options::new(Some(silent.local_addr().unwrap()), Duration::from_secs(45));
    let record = Record {
        fqdn: "_acme-challenge.example.test".to_owned(),
        value: "v".to_owned(),
    };
    let lines = std::sync::Mutex::new(Vec::new());
    let err = wait(&[record], &options, &|line| {
        lines.lock().unwrap().push(line.to_owned());
    })
    .await
    .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("no answer from 127.0.0.1:"), "{message}");
    let lines = lines.into_inner().unwrap();
    assert!(lines.len() >= 2, "{lines:?}");
    assert!(
        lines[0].starts_with("Waiting for the TXT records"),
        "{lines:?}"
    );
    assert!(lines[0].contains("no answer from"), "{lines:?}");
}
