use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::*;

/// What the test server does once it has read a request's head.
#[derive(Clone)]
enum Answer {
    /// Send this response and close.
    Full(String),
    /// Send these bytes, then nothing more while keeping the connection open.
    Stall(&'static str),
    /// Announce a body of 1000 bytes, then send one byte every 50 ms.
    Trickle,
}

/// A loopback HTTP/1.1 server (over TLS with `tls`) giving every request `answer`, and
/// the count of requests it read. A fake, because no real server stalls, trickles or
/// downgrades on demand.
async fn server(answer: Answer, tls: Option<TlsAcceptor>) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (answer, tls, counter) = (answer.clone(), tls.clone(), counter.clone());
            tokio::spawn(async move {
                match tls {
                    Some(tls) => {
                        if let Ok(stream) = tls.accept(tcp).await {
                            respond(stream, answer, &counter).await;
                        }
                    }
                    None => respond(tcp, answer, &counter).await,
                }
            });
        }
    });
    (addr, requests)
}

async fn respond(
    mut stream: impl AsyncRead + AsyncWrite + Unpin,
    answer: Answer,
    requests: &AtomicUsize,
) {
    let mut head = Vec::new();
    let mut buf = [0; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    requests.fetch_add(1, Ordering::SeqCst);
    match answer {
        Answer::Full(response) => {
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Answer::Stall(bytes) => {
            let _ = stream.write_all(bytes.as_bytes()).await;
            std::future::pending::<()>().await;
        }
        Answer::Trickle => {
            let head = "HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            while stream.write_all(b"x").await.is_ok() && stream.flush().await.is_ok() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// A throwaway CA (PEM) and a TLS acceptor for `127.0.0.1` with a certificate it signed.
fn tls() -> (String, TlsAcceptor) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let mut ca_params = rcgen::CertificateParams::default();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(cert.der().to_vec())],
        PrivateKeyDer::try_from(key.serialize_der()).unwrap(),
    )
    .unwrap();
    (ca.pem(), TlsAcceptor::from(Arc::new(config)))
}

fn client(read_idle: Duration, total: Duration, roots: Option<String>) -> ReqwestClient {
    ReqwestClient::new(&HttpConfig {
        user_agent: "acmers-test".into(),
        extra_roots_pem: roots.map(String::into_bytes),
        connect_timeout: Duration::from_secs(5),
        read_idle_timeout: read_idle,
        request_timeout: total,
        insecure: false,
        family: None,
        cross_origin_redirects: false,
    })
    .unwrap()
}

/// GET `url`, failing the test if the client's own limits do not end it within 30 s.
async fn get(client: &ReqwestClient, url: &str) -> Result<Response, HttpError> {
    let request = Request::new(Method::GET, Url::parse(url).unwrap());
    tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .expect("the client's limits should have ended the request")
}

/// The error and its causes on one line.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        text += &format!(": {e}");
        cause = e.source();
    }
    text
}

#[tokio::test]
async fn a_stalled_response_ends_at_the_read_idle_limit_well_before_the_total_one() {
    let stalls = [
        // Nothing at all after the request.
        "",
        // Headers and the first byte of the body, then nothing.
        "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{",
    ];
    for stall in stalls {
        let (addr, requests) = server(Answer::Stall(stall), None).await;
        let client = client(Duration::from_millis(300), Duration::from_secs(3600), None);
        let err = get(&client, &format!("http://{addr}/dir"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, HttpError::Transport { timeout: true, .. }),
            "{stall:?}: {}",
            chain(&err)
        );
        assert_eq!(requests.load(Ordering::SeqCst), 1);
    }
}

#[tokio::test]
async fn a_trickling_body_ends_at_the_total_limit() {
    let (addr, _) = server(Answer::Trickle, None).await;
    // Each byte comes well within the read-idle limit; the body would take 50 s.
    let client = client(Duration::from_secs(20), Duration::from_millis(500), None);
    let err = get(&client, &format!("http://{addr}/dir"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, HttpError::Transport { timeout: true, .. }),
        "{}",
        chain(&err)
    );
}

#[tokio::test]
async fn redirects_to_http_or_another_server_are_refused() {
    let ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
    let (plain, plain_requests) = server(Answer::Full(ok.into()), None).await;
    let target = format!("http://{plain}/dir");
    let redirect = |to: &str| {
        format!(
            "HTTP/1.1 302 Found\r\nlocation: {to}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
    };
    let (ca_pem, acceptor) = tls();
    let (secure, _) = server(Answer::Full(redirect(&target)), Some(acceptor)).await;
    let client = client(
        Duration::from_secs(10),
        Duration::from_secs(20),
        Some(ca_pem),
    );

    let err = get(&client, &format!("https://{secure}/dir"))
        .await
        .unwrap_err();
    let text = chain(&err);
    assert!(matches!(err, HttpError::Redirect(_)), "{text}");
    assert!(
        text.contains(&format!(
            "refused the redirect from `https://{secure}/dir` to `{target}`"
        )),
        "{text}"
    );
    assert_eq!(
        plain_requests.load(Ordering::SeqCst),
        0,
        "nothing sent in clear"
    );

    // A redirect to another server is refused, even on plain HTTP (a loopback test CA)…
    let (hop, _) = server(Answer::Full(redirect(&target)), None).await;
    let err = get(&client, &format!("http://{hop}/dir"))
        .await
        .unwrap_err();
    let text = chain(&err);
    assert!(text.contains("it leads to another server"), "{text}");
    assert_eq!(plain_requests.load(Ordering::SeqCst), 0);
    // …unless the client follows them (acme.sh's plugins, as `curl -L`).
    let following = ReqwestClient::new(&HttpConfig {
        cross_origin_redirects: true,
        ..HttpConfig::standard(None)
    })
    .unwrap();
    let response = get(&following, &format!("http://{hop}/dir")).await.unwrap();
    assert_eq!((response.status, &response.body[..]), (200, &b"{}"[..]));
    assert_eq!(plain_requests.load(Ordering::SeqCst), 1);
}
