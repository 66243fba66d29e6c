use std::io::{self, Write};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::acme::types::Token;

const TOKEN: &str = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
const THUMBPRINT: &str = "secret-thumbprint-9dQ";

fn challenge(token: &str) -> Http01 {
    let token = Token::parse(token).unwrap();
    Http01 {
        domain: "example.com".into(),
        key_authorization: KeyAuthorization::new(&token, THUMBPRINT),
        token,
    }
}

async fn start() -> Standalone {
    Standalone::from_listener(TcpListener::bind("127.0.0.1:0").await.unwrap())
}

/// A parsed response: status, raw header block, body.
struct Reply {
    status: u16,
    headers: String,
    body: Vec<u8>,
}

/// Send `request` verbatim (no normalization, unlike an HTTP client) and read until close.
async fn send(addr: SocketAddr, request: &str) -> Reply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let headers = String::from_utf8(raw[..split].to_vec()).unwrap();
    let status = headers[9..12].parse().unwrap();
    Reply {
        status,
        headers: headers.to_ascii_lowercase(),
        body: raw[split + 4..].to_vec(),
    }
}

async fn get(addr: SocketAddr, target: &str) -> Reply {
    send(
        addr,
        &format!("GET {target} HTTP/1.1\r\nHost: other.example\r\n\r\n"),
    )
    .await
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
    assert_eq!(reply.body, format!("{TOKEN}.{THUMBPRINT}").as_bytes());
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
    let server = start().await;
    let addr = server.local_addr();
    // An open, idle connection must not keep shutdown waiting.
    let _idle = TcpStream::connect(addr).await.unwrap();
    server.shutdown().await;
    let err = TcpStream::connect(addr).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
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
    assert!(matches!(&err, Error::Bind { addr: a, source } if *a == addr
        && source.kind() == io::ErrorKind::AddrInUse));
    assert!(err.to_string().contains(&addr.to_string()), "{err}");
    assert!(err.hint().is_some());
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
