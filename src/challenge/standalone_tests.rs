use std::io::{self, Read as _, Write};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::acme::types::{Identifier, Token};

const TOKEN: &str = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
const THUMBPRINT: &str = "secret-thumbprint-9dQ";

/// A batch of one http-01 challenge for `example.com`.
fn challenge(token: &str) -> [Challenge; 1] {
    let token = Token::parse(token).unwrap();
    [Challenge {
        identifier: Identifier::Dns("example.com".into()),
        kind: ChallengeType::Http01,
        key_authorization: KeyAuthorization::new(&token, THUMBPRINT),
        token,
    }]
}

/// No timeout closes a connection during a test: only making room for another one can.
const NO_TIMEOUTS: Limits = Limits {
    max_open: MAX_OPEN_CONNECTIONS,
    header_read_timeout: Duration::from_secs(3600),
    connection_deadline: Duration::from_secs(3600),
};

/// A hang guard, not a timing assertion.
const GUARD: Duration = Duration::from_secs(60);

async fn start() -> Standalone {
    Standalone::from_listener(TcpListener::bind("127.0.0.1:0").await.unwrap())
}

async fn start_with(limits: Limits) -> Standalone {
    Standalone::with_limits(TcpListener::bind("127.0.0.1:0").await.unwrap(), limits)
}

/// A parsed response: status, raw header block, body.
struct Reply {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

/// Send `request` verbatim (no normalization, unlike an HTTP client) and read until close.
async fn send(addr: SocketAddr, request: &str) -> Reply {
    exchange(TcpStream::connect(addr).await.unwrap(), request).await
}

/// [`send`] on a connected stream; fails the test if no answer comes within [`GUARD`].
async fn exchange(mut stream: TcpStream, request: &str) -> Reply {
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(GUARD, stream.read_to_end(&mut raw))
        .await
        .expect("no answer")
        .unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let headers = String::from_utf8(raw[..split].to_vec()).unwrap();
    let status = headers[9..12].parse().unwrap();
    Reply {
        status,
        headers: headers.to_ascii_lowercase(),
        body: raw[split + 4..].to_vec(),
    }
}

fn get_request(target: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: other.example\r\n\r\n")
}

async fn get(addr: SocketAddr, target: &str) -> Reply {
    send(addr, &get_request(target)).await
}

fn key_authorization() -> Vec<u8> {
    format!("{TOKEN}.{THUMBPRINT}").into_bytes()
}

/// `count` connections that never complete a request: even ones send nothing, odd ones half
/// a request line. They are std sockets (left non-blocking) so that the checks below read the
/// socket itself, not Tokio's cached readiness.
async fn idle_connections(addr: SocketAddr, count: usize) -> Vec<std::net::TcpStream> {
    let mut idle = Vec::with_capacity(count);
    for i in 0..count {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        if i % 2 == 1 {
            stream
                .write_all(b"GET /.well-known/acme-chal")
                .await
                .unwrap();
        }
        idle.push(stream.into_std().unwrap());
    }
    idle
}

/// Whether the server has neither closed `stream` nor sent anything on it.
fn is_open(stream: &std::net::TcpStream) -> bool {
    matches!((&*stream).read(&mut [0; 1]), Err(err) if err.kind() == io::ErrorKind::WouldBlock)
}

/// Wait (at most [`GUARD`]) until the server has closed `stream` without sending anything.
fn assert_closed(stream: &std::net::TcpStream) {
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(GUARD)).unwrap();
    match (&*stream).read(&mut [0; 1]) {
        Ok(0) => {}
        Err(err) if err.kind() == io::ErrorKind::ConnectionReset => {}
        other => panic!("{:?} not closed: {other:?}", stream.local_addr()),
    }
}

/// Let this process hold the few hundred sockets a test opens, whatever soft descriptor limit
/// it started with (1024 is common).
fn raise_fd_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    let wanted = maximum.map_or(8192, |maximum| maximum.min(8192));
    if current.is_some_and(|current| current < wanted) {
        let raised = Rlimit {
            current: Some(wanted),
            maximum,
        };
        setrlimit(Resource::Nofile, raised).unwrap();
    }
}

fn path(token: &str) -> String {
    format!("{WELL_KNOWN_PREFIX}{token}")
}

#[tokio::test]
async fn serves_a_presented_token_whatever_the_host() {
    let server = start().await;
    server.present(&challenge(TOKEN)).await.unwrap();
    let reply = get(server.local_addr(), &path(TOKEN)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, key_authorization());
    assert!(reply.headers.contains("content-type: text/plain\r\n"));

    let head = send(
        server.local_addr(),
        &format!("HEAD {} HTTP/1.1\r\nHost: x\r\n\r\n", path(TOKEN)),
    )
    .await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn everything_else_is_an_empty_404_or_405() {
    let server = start().await;
    server.present(&challenge(TOKEN)).await.unwrap();
    let addr = server.local_addr();
    for target in [
        path("unknownToken"),
        "/.well-known/acme-challenge/../x".into(),
        format!("/.well-known/acme-challenge/x/../{TOKEN}"),
        format!("/.well-known/acme-challenge/%2e%2e/acme-challenge/{TOKEN}"),
        format!("{}?x=1", path(TOKEN)),
        format!("{}/", path(TOKEN)),
        format!("/.well-known/acme-challenge//{TOKEN}"),
        format!("/{TOKEN}"),
        WELL_KNOWN_PREFIX.into(),
        "/".into(),
    ] {
        let reply = get(addr, &target).await;
        assert_eq!(reply.status, 404, "{target}");
        assert!(reply.body.is_empty(), "{target}");
    }
    let post = send(
        addr,
        &format!(
            "POST {} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
            path(TOKEN)
        ),
    )
    .await;
    assert_eq!(post.status, 405);
    assert!(post.body.is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn cleanup_stops_serving_only_that_token() {
    let server = start().await;
    let (a, b) = (challenge("tokenA"), challenge("tokenB"));
    server.present(&a).await.unwrap();
    server.present(&b).await.unwrap();
    server.cleanup(&a).await.unwrap();
    assert_eq!(get(server.local_addr(), &path("tokenA")).await.status, 404);
    assert_eq!(get(server.local_addr(), &path("tokenB")).await.status, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn after_shutdown_nothing_listens() {
    raise_fd_limit();
    let server = start().await;
    let addr = server.local_addr();
    // Hundreds of idle connections must not keep shutdown waiting, nor outlive it.
    let idle = idle_connections(addr, 300).await;
    server.shutdown().await;
    let err = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
    idle.iter().for_each(assert_closed);
}

/// Issue 7: idle connections used to fill the server's 64 places, so the CA's request waited
/// in the accept queue until some of them timed out.
#[tokio::test]
async fn idle_connections_do_not_delay_a_validation() {
    raise_fd_limit();
    let server = start_with(NO_TIMEOUTS).await;
    server.present(&challenge(TOKEN)).await.unwrap();
    let idle = idle_connections(server.local_addr(), 300).await;
    let reply = get(server.local_addr(), &path(TOKEN)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, key_authorization());
    // Answered while every idle connection is still open: none had to end first.
    let closed = idle.iter().filter(|stream| !is_open(stream)).count();
    assert_eq!(closed, 0, "idle connections were closed before the answer");
    server.shutdown().await;
}

#[tokio::test]
async fn past_the_limit_the_oldest_idle_connections_make_room() {
    let server = start_with(Limits {
        max_open: 16,
        ..NO_TIMEOUTS
    })
    .await;
    server.present(&challenge(TOKEN)).await.unwrap();
    let idle = idle_connections(server.local_addr(), 40).await;
    let reply = get(server.local_addr(), &path(TOKEN)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, key_authorization());
    // 16 places: the request and the newest 15 idle connections.
    let (closed, open) = idle.split_at(40 - 15);
    for (i, stream) in open.iter().enumerate() {
        assert!(
            is_open(stream),
            "idle connection {} was closed",
            closed.len() + i
        );
    }
    closed.iter().for_each(assert_closed);
    server.shutdown().await;
}

#[test]
fn the_connection_limit_leaves_descriptors_for_the_rest_of_the_run() {
    assert_eq!(max_open(None), MAX_OPEN_CONNECTIONS);
    assert_eq!(max_open(Some(u64::MAX)), MAX_OPEN_CONNECTIONS);
    assert_eq!(max_open(Some(1_048_576)), MAX_OPEN_CONNECTIONS);
    assert_eq!(max_open(Some(1024)), 256);
    assert_eq!(max_open(Some(64)), 16);
    assert_eq!(max_open(Some(10)), MIN_OPEN_CONNECTIONS);
}

/// Set in the copy of this test binary that runs [`out_of_descriptors_child`].
const OUT_OF_DESCRIPTORS_CHILD: &str = "ACMERS_TEST_OUT_OF_DESCRIPTORS_CHILD";

/// An `accept` failing with `EMFILE` closes an idle connection, so the CA's connection is
/// still accepted and answered. The descriptor limit is per process, so the test runs in a
/// copy of this binary started under `ulimit -n 64`.
#[test]
fn out_of_descriptors_an_idle_connection_makes_room() {
    let output = std::process::Command::new("sh")
        .args(["-c", r#"ulimit -n 64 && exec "$0" "$@""#])
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "challenge::standalone::tests::out_of_descriptors_child",
            "--include-ignored",
            "--nocapture",
        ])
        .env(OUT_OF_DESCRIPTORS_CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains(" 1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
#[ignore = "run by out_of_descriptors_an_idle_connection_makes_room"]
async fn out_of_descriptors_child() {
    if std::env::var_os(OUT_OF_DESCRIPTORS_CHILD).is_none() {
        return;
    }
    // The limit of 1024 connections is never reached: descriptors run out first.
    let server = start_with(NO_TIMEOUTS).await;
    server.present(&challenge(TOKEN)).await.unwrap();
    let addr = server.local_addr();
    let idle = idle_connections(addr, 1).await;
    // Answered only once the idle connection, queued before it, was accepted.
    assert_eq!(get(addr, "/").await.status, 404);
    let ca = tokio::net::TcpSocket::new_v4().unwrap();
    let mut taken = Vec::new();
    let full = loop {
        match std::fs::File::open("/dev/null") {
            Ok(file) => taken.push(file),
            Err(err) => break err,
        }
    };
    assert_eq!(
        full.raw_os_error(),
        Some(rustix::io::Errno::MFILE.raw_os_error())
    );

    // The server's accept fails: it closes the idle connection and accepts the CA's. Right
    // after, accept fails again (Linux takes the descriptor before looking for a connection);
    // the CA's connection, the newest, is not closed for that.
    let stream = tokio::time::timeout(GUARD, ca.connect(addr))
        .await
        .expect("connect hangs")
        .unwrap();
    let reply = exchange(stream, &get_request(&path(TOKEN))).await;
    drop(taken);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, key_authorization());
    assert_closed(&idle[0]);
    server.shutdown().await;
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let server = start().await;
    let addr = server.local_addr();
    drop(server);
    // The abort takes effect when the runtime next polls the task; give it a bounded
    // number of turns.
    let mut refused = false;
    for _ in 0..100 {
        tokio::task::yield_now().await;
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "{addr} still accepts connections");
}

#[tokio::test]
async fn bind_on_a_taken_port_names_the_address() {
    let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = taken.local_addr().unwrap();
    let err = Standalone::bind(addr).await.unwrap_err();
    assert!(
        matches!(&err, Error::Bind { addr: a, source, .. } if *a == addr
        && source.kind() == io::ErrorKind::AddrInUse)
    );
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
}

#[tokio::test(start_paused = true)]
async fn a_client_that_never_finishes_its_headers_is_dropped() {
    let server = start().await;
    server.present(&challenge(TOKEN)).await.unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream
        .write_all(format!("GET {} HTTP/1.1\r\nHost: x\r\n", path(TOKEN)).as_bytes())
        .await
        .unwrap();
    // Time is paused and auto-advances while everyone waits, so the timers fire in virtual
    // time instead of this read blocking.
    let started = tokio::time::Instant::now();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let waited = started.elapsed();
    assert!(
        waited >= HEADER_READ_TIMEOUT && waited < CONNECTION_DEADLINE,
        "closed after {waited:?}"
    );
    assert!(
        !String::from_utf8_lossy(&raw).contains(THUMBPRINT),
        "{raw:?}"
    );
    server.shutdown().await;
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn requests_are_logged_without_the_key_authorization() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    // tracing-core caches each callsite's interest globally. While exactly one dispatcher
    // is registered, a callsite first hit on another test thread is judged by that thread's
    // default (none) and cached as "never". A second registered dispatcher makes every
    // later registration consult all of them.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    // The test runtime is single-threaded, so the server task logs on this thread.
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = start().await;
    server.present(&challenge(TOKEN)).await.unwrap();
    assert_eq!(get(server.local_addr(), &path(TOKEN)).await.status, 200);
    assert_eq!(get(server.local_addr(), "/nope").await.status, 404);
    assert!(!format!("{server:?}").contains(THUMBPRINT));
    server.shutdown().await;

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains(&path(TOKEN)) && logs.contains("status=200"),
        "{logs}"
    );
    assert!(
        logs.contains("/nope") && logs.contains("status=404"),
        "{logs}"
    );
    assert!(!logs.contains(THUMBPRINT), "{logs}");
}
