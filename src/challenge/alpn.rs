//! acme.sh's `--alpn`, built in: a TLS listener that answers tls-alpn-01 ([RFC 8737]).
//!
//! The listener negotiates only `acme-tls/1`. For each presented challenge it serves, by
//! SNI, a self-signed certificate for the identifier carrying the critical `acmeIdentifier`
//! extension with [`KeyAuthorization::sha256`] (RFC 8737 §3). An IP identifier is asked
//! for under its reverse-DNS name (`in-addr.arpa`, `ip6.arpa`; [RFC 8738 §6]) and its
//! certificate names the address. A handshake without `acme-tls/1` in the client's ALPN
//! list, without SNI or for a name not presented is refused (no certificate, a TLS alert).
//!
//! Once the handshake is done the connection is closed: the CA sends nothing else (RFC 8737
//! §3). A handshake must finish within [`HANDSHAKE_TIMEOUT`]; at most
//! [`MAX_OPEN_CONNECTIONS`] are open at once, further ones are closed at once.
//!
//! The certificate is served from a small [`ResolvesServerCert`] rather than rustls'
//! `with_single_cert` or SNI resolver: those check the certificate with webpki, which refuses
//! the critical `acmeIdentifier` extension.
//!
//! [RFC 8737]: https://www.rfc-editor.org/rfc/rfc8737
//! [`KeyAuthorization::sha256`]: crate::acme::types::KeyAuthorization::sha256
//! [RFC 8738 §6]: https://www.rfc-editor.org/rfc/rfc8738#section-6

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tracing::Instrument as _;

use super::listener::Serving;
use super::{BoxFuture, Challenge, Error, Solver};
use crate::acme::text::sanitize;
use crate::acme::types::{ChallengeType, Identifier, Token};

/// The ALPN protocol of tls-alpn-01 (RFC 8737 §6.2).
pub const ACME_TLS_1: &[u8] = b"acme-tls/1";
/// How errors name this listener.
pub const SERVER: &str = "tls-alpn-01 listener";
/// How long a client may take to finish its handshake. A CA sends its hello at once.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections open at once at most; further ones are closed as they come.
pub const MAX_OPEN_CONNECTIONS: usize = 256;

/// The presented certificates by SNI name; each name's list holds one entry per challenge
/// (two renewals of one run may validate the same name), the newest served.
type ByName = HashMap<String, Vec<(Token, Arc<CertifiedKey>)>>;
/// [`ByName`], shared with the resolver.
type Certificates = Arc<Mutex<ByName>>;

/// A built-in tls-alpn-01 listener. See the [module docs](self).
///
/// Call [`shutdown`](Self::shutdown) when done; dropping it also stops the listener.
#[derive(Debug)]
pub struct TlsAlpn {
    certificates: Certificates,
    serving: Serving,
}

impl TlsAlpn {
    /// Serve on an already-bound listener ([`super::Bind::listen`]). Must be called inside a
    /// Tokio runtime.
    ///
    /// # Errors
    ///
    /// [`Error::Tls`] when the TLS configuration cannot be built.
    pub fn from_listener(listener: TcpListener) -> Result<Self, Error> {
        let certificates = Certificates::default();
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Resolver(Arc::clone(&certificates))));
        config.alpn_protocols = vec![ACME_TLS_1.to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let serving = Serving::spawn("tls-alpn-01", listener, |listener, stopped| {
            serve(listener, acceptor, stopped)
        });
        Ok(Self {
            certificates,
            serving,
        })
    }

    /// The address the listener listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.serving.local_addr()
    }

    /// Stop accepting, close every connection and wait for the listener task. When this
    /// returns nothing listens on [`local_addr`](Self::local_addr) any more.
    pub async fn shutdown(self) {
        self.serving.shutdown().await;
    }

    fn certificates(&self) -> MutexGuard<'_, ByName> {
        lock(&self.certificates)
    }
}

impl Solver for TlsAlpn {
    fn kind(&self) -> ChallengeType {
        ChallengeType::TlsAlpn01
    }

    fn present<'a>(&'a self, batch: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            for challenge in batch {
                let certified = certificate(challenge)?;
                self.certificates()
                    .entry(sni_name(&challenge.identifier))
                    .or_default()
                    .push((challenge.token.clone(), Arc::new(certified)));
            }
            Ok(())
        })
    }

    fn cleanup<'a>(&'a self, batch: &'a [Challenge]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let mut certificates = self.certificates();
            for challenge in batch {
                let name = sni_name(&challenge.identifier);
                if let Some(list) = certificates.get_mut(&name) {
                    list.retain(|(token, _)| *token != challenge.token);
                    if list.is_empty() {
                        certificates.remove(&name);
                    }
                }
            }
            Ok(())
        })
    }
}

/// The name a CA sends as SNI for `identifier`: a DNS name in lower case, an IP address as
/// its reverse-DNS name (RFC 8738 §6: `4.3.2.1.in-addr.arpa`, or the 32 nibbles of an IPv6
/// address, last first, under `ip6.arpa`).
pub fn sni_name(identifier: &Identifier) -> String {
    match identifier {
        Identifier::Dns(name) => name.to_ascii_lowercase(),
        Identifier::Ip(text) => match text.parse::<IpAddr>() {
            Ok(IpAddr::V4(ip)) => {
                let [a, b, c, d] = ip.octets();
                format!("{d}.{c}.{b}.{a}.in-addr.arpa")
            }
            Ok(IpAddr::V6(ip)) => {
                let mut name = String::with_capacity(72);
                for byte in ip.octets().iter().rev() {
                    let _ = write!(name, "{:x}.{:x}.", byte & 0xf, byte >> 4);
                }
                name + "ip6.arpa"
            }
            // Identifiers are checked when parsed; an unparsable one matches no SNI.
            Err(_) => text.clone(),
        },
    }
}

/// The self-signed certificate for one challenge: the identifier as its only
/// subjectAltName, and the critical `acmeIdentifier` extension (RFC 8737 §3).
fn certificate(challenge: &Challenge) -> Result<CertifiedKey, Error> {
    let tls = |e: &dyn std::fmt::Display| Error::Tls(e.to_string());
    let mut params = rcgen::CertificateParams::default();
    params.subject_alt_names = vec![match &challenge.identifier {
        Identifier::Dns(name) => {
            rcgen::SanType::DnsName(name.clone().try_into().map_err(|e| tls(&e))?)
        }
        Identifier::Ip(ip) => rcgen::SanType::IpAddress(ip.parse().map_err(|e| tls(&e))?),
    }];
    params.custom_extensions = vec![rcgen::CustomExtension::new_acme_identifier(
        &challenge.key_authorization.sha256(),
    )];
    let key = rcgen::KeyPair::generate().map_err(|e| tls(&e))?;
    let cert = params.self_signed(&key).map_err(|e| tls(&e))?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signing = provider()
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| tls(&e))?;
    Ok(CertifiedKey::new(
        vec![CertificateDer::from(cert.der().to_vec())],
        signing,
    ))
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The map is only inserted into and removed from; a panic mid-way leaves it consistent.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The certificate for a ClientHello that asks for `acme-tls/1` and a presented name; `None`
/// (the handshake fails) for any other.
#[derive(Debug)]
struct Resolver(Certificates);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let acme = hello
            .alpn()
            .is_some_and(|mut protocols| protocols.any(|p| p == ACME_TLS_1));
        let name = hello.server_name().map(str::to_ascii_lowercase);
        let found = match (&name, acme) {
            (Some(name), true) => lock(&self.0)
                .get(name)
                .and_then(|list| list.last())
                .map(|(_, certified)| Arc::clone(certified)),
            _ => None,
        };
        tracing::debug!(
            sni = %sanitize(name.as_deref().unwrap_or("")),
            acme_tls_1 = acme,
            served = found.is_some(),
            "tls-alpn-01 handshake"
        );
        found
    }
}

/// Accept until `stopped`; each connection gets its handshake, then is closed.
async fn serve(listener: TcpListener, acceptor: TlsAcceptor, mut stopped: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = &mut stopped => break,
            // Reap finished connections so the set only counts open ones.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) if connections.len() < MAX_OPEN_CONNECTIONS => {
                let acceptor = acceptor.clone();
                connections.spawn(
                    async move {
                        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
                        {
                            Ok(Ok(_)) => tracing::debug!("handshake done; closing"),
                            Ok(Err(err)) => tracing::debug!(%err, "handshake refused"),
                            Err(_) => tracing::debug!("handshake timed out"),
                        }
                    }
                    .instrument(tracing::debug_span!("connection", %peer)),
                );
            }
            Ok((_, peer)) => tracing::debug!(%peer, "too many open connections; closed"),
            Err(err) => {
                // Typically out of file descriptors: wait for a connection to end.
                tracing::debug!(%err, "accept failed");
                tokio::select! {
                    _ = &mut stopped => break,
                    () = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
        }
    }
    drop(listener);
    connections.shutdown().await;
}

#[cfg(test)]
#[path = "alpn_tests.rs"]
mod tests;
