//! A local HTTPS server for the fakes the tests need where no real component serves: the
//! fake CA, the fault proxy in front of Pebble, a webhook receiver, ZeroSSL's EAB endpoint.
//! TLS with a test certificate ([`LocalTls`]) on 127.0.0.1, HTTP/1.1, every request answered
//! by a handler on a runtime of the server's own; stopped when dropped.

use std::error::Error;
use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::{Request, Response};

use crate::support::certs::LocalTls;

/// A running server.
pub(crate) struct HttpsServer {
    runtime: Option<tokio::runtime::Runtime>,
    addr: SocketAddr,
}

impl HttpsServer {
    /// Serve on a free loopback port; `handler` answers each request, `None` closes the
    /// connection unanswered (a reset).
    pub(crate) fn start<H, F, B>(tls: &LocalTls, handler: H) -> Self
    where
        H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
        F: Future<Output = Option<Response<B>>> + Send + 'static,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn Error + Send + Sync>>,
    {
        Self::serve(bind(), tls, handler)
    }

    /// As [`HttpsServer::start`], on `listener` (from [`bind`]: the address is known before
    /// the handler is made).
    pub(crate) fn serve<H, F, B>(listener: TcpListener, tls: &LocalTls, handler: H) -> Self
    where
        H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
        F: Future<Output = Option<Response<B>>> + Send + 'static,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn Error + Send + Sync>>,
    {
        let addr = listener.local_addr().expect("local addr");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let acceptor = tokio_rustls::TlsAcceptor::from(server_config(tls));
        let handler = Arc::new(handler);
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let (acceptor, handler) = (acceptor.clone(), Arc::clone(&handler));
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    // `None`: an error makes hyper close the connection unanswered.
                    let service = hyper::service::service_fn(move |req| {
                        let reply = handler(req);
                        async move { reply.await.ok_or("connection reset on purpose") }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        Self {
            runtime: Some(runtime),
            addr,
        }
    }

    /// Where it listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// A listener on a free loopback port, for [`HttpsServer::serve`].
pub(crate) fn bind() -> TcpListener {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    listener
}

/// The TLS configuration of a server with `tls`'s certificate, HTTP/1.1 by ALPN.
fn server_config(tls: &LocalTls) -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = vec![CertificateDer::from_pem_slice(tls.cert_pem.as_bytes()).expect("cert")];
    let key = PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes()).expect("key");
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("server config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}
