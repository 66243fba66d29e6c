use super::*;

const SECRET: &str = "sCJNDpUqcCUfL8SybNEQJG8uL4FTvB7xzTdeVrEIsDo=";

fn provider(pairs: &[(&str, &str)]) -> Result<Nsupdate, Error> {
    Nsupdate::new(&Credentials::from_pairs(pairs.iter().copied()))
}

fn key_file(text: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tsig.key");
    std::fs::write(&path, text).unwrap();
    (dir, path.display().to_string())
}

#[test]
fn is_registered_under_acmesh_hook_name() {
    let spec = crate::dns::registry::find("dns_nsupdate").unwrap();
    let names: Vec<&str> = spec.vars.iter().map(|v| v.name).collect();
    assert_eq!(
        names,
        [
            "NSUPDATE_SERVER",
            "NSUPDATE_SERVER_PORT",
            "NSUPDATE_KEY",
            "NSUPDATE_ZONE",
            "NSUPDATE_OPT"
        ]
    );
}

#[test]
fn defaults_are_acmesh_ones() {
    let nsupdate = provider(&[]).unwrap();
    assert_eq!(nsupdate.servers, ["localhost"]);
    assert_eq!(nsupdate.port, 53);
    assert!(nsupdate.key.is_none());
    assert!(nsupdate.zone.is_none());
    assert!(!nsupdate.tcp);
}

#[test]
fn reads_servers_port_zone_and_key_file() {
    let (_dir, path) = key_file(&format!(
        "key \"acmers-key\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};"
    ));
    let nsupdate = provider(&[
        ("NSUPDATE_SERVER", "127.0.0.1,ns2.example.test"),
        ("NSUPDATE_SERVER_PORT", "5353"),
        ("NSUPDATE_ZONE", "Example.TEST."),
        ("NSUPDATE_KEY", &path),
        ("NSUPDATE_OPT", "-v -d"),
    ])
    .unwrap();
    assert_eq!(nsupdate.servers, ["127.0.0.1", "ns2.example.test"]);
    assert_eq!(nsupdate.port, 5353);
    assert_eq!(nsupdate.zone.as_deref(), Some("example.test"));
    assert_eq!(nsupdate.key.as_ref().unwrap().name(), "acmers-key");
    assert!(nsupdate.tcp);
}

#[test]
fn takes_the_key_from_nsupdate_opt_y() {
    let opt = format!("-y hmac-sha512:acmers-key:{SECRET}");
    let nsupdate = provider(&[("NSUPDATE_OPT", &opt)]).unwrap();
    let key = nsupdate.key.unwrap();
    assert_eq!(key.algorithm().name(), "hmac-sha512");
}

#[test]
fn refusals_name_the_variable_and_never_the_secret() {
    let (_dir, md5) = key_file(&format!(
        "key \"old\" {{ algorithm hmac-md5; secret \"{SECRET}\"; }};"
    ));
    let (_dir2, garbage) = key_file(&format!("secret \"{SECRET}\""));
    let y = format!("-y hmac-sha256:k:{SECRET}");
    let y_md5 = format!("-y k:{SECRET}");
    // (variables, the variable named, a piece of the reason)
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            vec![("NSUPDATE_SERVER_PORT", "dns")],
            "NSUPDATE_SERVER_PORT",
            "port",
        ),
        (
            vec![("NSUPDATE_SERVER", " , ")],
            "NSUPDATE_SERVER",
            "no server",
        ),
        (
            vec![("NSUPDATE_KEY", &md5)],
            "NSUPDATE_KEY",
            "tsig-keygen -a hmac-sha256 old",
        ),
        (
            vec![("NSUPDATE_KEY", &garbage)],
            "NSUPDATE_KEY",
            "not a TSIG key file",
        ),
        (
            vec![("NSUPDATE_KEY", "/nonexistent/k")],
            "NSUPDATE_KEY",
            "/nonexistent/k",
        ),
        (
            vec![("NSUPDATE_KEY", "/")],
            "NSUPDATE_KEY",
            "not a key file",
        ),
        (vec![("NSUPDATE_OPT", &y_md5)], "NSUPDATE_OPT", "hmac-md5"),
        (vec![("NSUPDATE_OPT", "-l")], "NSUPDATE_OPT", "not `-l`"),
        (vec![("NSUPDATE_OPT", "-y")], "NSUPDATE_OPT", "needs"),
        (
            vec![("NSUPDATE_OPT", &y), ("NSUPDATE_KEY", &md5)],
            "NSUPDATE_OPT",
            "keep one",
        ),
    ];
    for (pairs, var, needle) in cases {
        let err = provider(&pairs).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, Error::Invalid { var: v, .. } if v == var),
            "{message}"
        );
        assert!(message.contains(needle), "{needle}: {message}");
        assert!(!message.contains(SECRET), "{message}");
    }
}

#[test]
fn server_answers_become_advice() {
    let (_dir, path) = key_file(&format!(
        "key \"acmers-key\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};"
    ));
    let signed = provider(&[("NSUPDATE_KEY", &path)]).unwrap();
    let unsigned = provider(&[]).unwrap();
    let server = SocketAddr::from(([127, 0, 0, 1], 53));
    let record = Record {
        fqdn: "_acme-challenge.example.test".to_owned(),
        value: "v".to_owned(),
    };
    let cases = [
        (
            &signed,
            Rcode::BAD_SIG,
            "TSIG signature rejected (wrong secret?)",
        ),
        (&signed, Rcode::BAD_KEY, "unknown key or algorithm"),
        (&signed, Rcode::BAD_KEY, "acmers-key` (hmac-sha256)"),
        (&signed, Rcode::BAD_TIME, "clock"),
        (
            &signed,
            Rcode::REFUSED,
            "update refused: is the key allowed to update this zone (update-policy)?",
        ),
        (&unsigned, Rcode::REFUSED, "no NSUPDATE_KEY is set"),
        (&signed, Rcode::NOT_AUTH, "wrong secret?"),
        (
            &unsigned,
            Rcode::NOT_AUTH,
            "not authoritative for zone `example.test`",
        ),
        (&unsigned, Rcode::NOT_ZONE, "NSUPDATE_ZONE"),
        (&unsigned, Rcode(2), "answered SERVFAIL"),
    ];
    for (nsupdate, rcode, needle) in cases {
        let err = nsupdate.rejected(server, "example.test", &record, rcode);
        let message = err.to_string();
        assert!(message.starts_with("dns_nsupdate: "), "{message}");
        assert!(message.contains(needle), "{rcode}: {needle}: {message}");
    }
    let message = unsigned
        .rejected(server, "example.test", &record, Rcode::NOT_AUTH)
        .to_string();
    assert!(!message.contains("secret"), "{message}");
}
