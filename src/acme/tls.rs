//! Whom the client trusts: the `--ca-bundle` roots, and the platform's trust store.
//!
//! The trust is their union, as before, but the platform store (on Linux the ~150 files of
//! `/etc/ssl/certs`, ~8 ms to load and parse) is loaded only when the bundle's roots do not
//! verify the CA's chain: a run against a private CA given with `--ca-bundle` never pays for
//! it (docs/benchmarks.md). Without a bundle the platform verifier is used directly.
//! `--insecure` replaces both with [`AnyCertificate`].

use std::sync::{Arc, OnceLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_platform_verifier::Verifier as Platform;

use super::http::{BuildError, HttpConfig, roots};

/// The TLS configuration for a client of another protocol than HTTP (the fleet store's
/// PostgreSQL): the same trust as the CA client made from `config` (its extra roots, then the
/// platform's store; with [`HttpConfig::insecure`] any certificate), offering the ALPN
/// protocols `alpn` instead of HTTP/1.1.
///
/// # Errors
///
/// The extra roots are not a PEM bundle of usable CA certificates, or the platform verifier
/// cannot be made.
pub fn client_config_for(
    config: &HttpConfig,
    alpn: Vec<Vec<u8>>,
) -> Result<rustls::ClientConfig, BuildError> {
    let bundle = match &config.extra_roots_pem {
        Some(pem) => roots(pem)?,
        None => Vec::new(),
    };
    let mut tls = client_config(bundle, config.insecure).map_err(BuildError::Tls)?;
    tls.alpn_protocols = alpn;
    Ok(tls)
}

/// The TLS configuration of the run's client (HTTP/1.1 ALPN), trusting `bundle` (DER roots)
/// and the platform's store, or with `insecure` any certificate.
///
/// # Errors
///
/// A root of the bundle is not a usable CA certificate, or the platform verifier cannot be
/// made.
pub(super) fn client_config(
    bundle: Vec<CertificateDer<'static>>,
    insecure: bool,
) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = if insecure {
        Arc::new(AnyCertificate(provider.clone()))
    } else if bundle.is_empty() {
        Arc::new(Platform::new(provider.clone())?)
    } else {
        Arc::new(BundleFirst::new(bundle, provider.clone())?)
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Verifies with the bundle's roots first, then with the platform's store, loaded on first
/// need. A chain is accepted when either accepts it; the platform's answer is the one
/// returned otherwise.
#[derive(Debug)]
struct BundleFirst {
    bundle: Arc<WebPkiServerVerifier>,
    platform: OnceLock<Result<Platform, rustls::Error>>,
    provider: Arc<CryptoProvider>,
}

impl BundleFirst {
    fn new(
        roots: Vec<CertificateDer<'static>>,
        provider: Arc<CryptoProvider>,
    ) -> Result<Self, rustls::Error> {
        let mut store = RootCertStore::empty();
        for root in roots {
            store.add(root)?;
        }
        let bundle = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
            .build()
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        Ok(Self {
            bundle,
            platform: OnceLock::new(),
            provider,
        })
    }

    fn platform(&self) -> Result<&Platform, rustls::Error> {
        self.platform
            .get_or_init(|| Platform::new(self.provider.clone()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// `--insecure` (acme.sh's `HTTPS_INSECURE`, curl's `-k`): every server certificate is
/// accepted, whoever issued it and whatever name it holds. The handshake signatures are still
/// checked, so the connection is encrypted to the holder of the certificate shown.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

impl ServerCertVerifier for BundleFirst {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.bundle
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .or_else(|_| {
                self.platform()?.verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    now,
                )
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
#[path = "tls_tests.rs"]
mod tests;
