use std::net::TcpStream;

use super::*;

fn bind(address: Option<&str>, family: Option<IpFamily>) -> Bind {
    Bind {
        address: address.map(|a| a.parse().unwrap()),
        family,
        port: 0,
    }
}

/// Whether a client reaches `listener` at `ip` (same port).
fn reaches(listener: &TcpListener, ip: &str) -> bool {
    let port = listener.local_addr().unwrap().port();
    TcpStream::connect((ip.parse::<IpAddr>().unwrap(), port)).is_ok()
}

#[tokio::test]
async fn one_family_only_with_listen_v4_or_v6() {
    let v4 = bind(None, Some(IpFamily::V4)).listen("test").unwrap();
    assert!(reaches(&v4, "127.0.0.1"));
    assert!(!reaches(&v4, "::1"));

    let v6 = bind(None, Some(IpFamily::V6)).listen("test").unwrap();
    assert!(reaches(&v6, "::1"));
    assert!(!reaches(&v6, "127.0.0.1"), "IPV6_V6ONLY");

    let both = bind(None, None).listen("test").unwrap();
    assert!(reaches(&both, "::1"));
    assert!(reaches(&both, "127.0.0.1"), "dual-stack");
}

#[tokio::test]
async fn an_address_binds_that_address_only() {
    let one = bind(Some("127.0.0.1"), Some(IpFamily::V6))
        .listen("test")
        .unwrap();
    assert_eq!(one.local_addr().unwrap().ip().to_string(), "127.0.0.1");
    assert!(!reaches(&one, "::1"));
}

#[tokio::test]
async fn a_busy_port_names_the_address_and_the_server() {
    let taken = bind(Some("127.0.0.1"), None).listen("test").unwrap();
    let port = taken.local_addr().unwrap().port();
    let err = Bind {
        port,
        ..bind(Some("127.0.0.1"), None)
    }
    .listen("tls-alpn-01 listener")
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("cannot listen on 127.0.0.1:{port} for the tls-alpn-01 listener")
    );
}
