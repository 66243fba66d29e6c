use std::os::unix::net::UnixDatagram;

use super::*;

/// What `logger -i -t acme.sh -p user.<level>` sends to the local socket.
#[test]
fn datagram_is_rfc3164_with_acmesh_tag() {
    let now: jiff::Zoned = "2026-03-07T09:05:03[UTC]".parse().unwrap();
    assert_eq!(
        datagram(Severity::Error, &now, 42, "[date] it failed\n"),
        "<11>Mar  7 09:05:03 acme.sh[42]: [date] it failed"
    );
    assert_eq!(
        datagram(Severity::Info, &now, 1, "x"),
        "<14>Mar  7 09:05:03 acme.sh[1]: x"
    );
    let now: jiff::Zoned = "2026-12-17T23:59:59[UTC]".parse().unwrap();
    assert_eq!(
        datagram(Severity::Debug, &now, 7, "y"),
        "<15>Dec 17 23:59:59 acme.sh[7]: y"
    );
}

/// acme.sh's levels: errors from any level but 0, info from 6, debug from 7.
#[test]
fn level_filter() {
    let sends =
        |level| [Severity::Error, Severity::Info, Severity::Debug].map(|s| wanted(level, s));
    assert_eq!(sends(0), [false, false, false]);
    assert_eq!(sends(3), [true, false, false]);
    assert_eq!(sends(6), [true, true, false]);
    assert_eq!(sends(7), [true, true, true]);
    assert_eq!(sends(9), [true, true, true]);
}

/// Level 0 connects nowhere; a missing socket is an error the caller turns into a warning;
/// lines the level does not want are not sent.
#[test]
fn connect_and_send() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.sock");
    let env = |key: &str| (key == SOCKET_VAR).then(|| path.display().to_string());
    assert!(Syslog::connect(0, &env).unwrap().is_none());
    assert!(Syslog::connect(3, &env).is_err(), "nothing listens yet");

    let server = UnixDatagram::bind(&path).unwrap();
    let syslog = Syslog::connect(6, &env).unwrap().unwrap();
    syslog.send(Severity::Debug, "not wanted");
    syslog.send(Severity::Info, "wanted");
    let mut buf = [0; 512];
    let n = server.recv(&mut buf).unwrap();
    let text = std::str::from_utf8(&buf[..n]).unwrap();
    assert!(text.starts_with("<14>"), "{text}");
    assert!(
        text.ends_with(&format!(" acme.sh[{}]: wanted", std::process::id())),
        "{text}"
    );
}
