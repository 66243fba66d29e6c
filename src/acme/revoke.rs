//! Certificate revocation ([RFC 8555 §7.6]).
//!
//! The request is signed either as the account that holds the certificate (`kid`,
//! [`Account::revoke`]) or with the certificate's own private key (`jwk`,
//! [`revoke_with_key`]). The payload is `{"certificate": base64url(DER), "reason": n}`.
//!
//! - Revocation is not idempotent for the CA (a second request gets `alreadyRevoked`), so the
//!   request layer never replays it after a transport error.
//! - A CA that does not know the account gets no new registration: revoking is not a reason to
//!   create an account, and a new account could not revoke the certificate anyway. The caller
//!   falls back to the certificate key instead.
//!
//! [RFC 8555 §7.6]: https://www.rfc-editor.org/rfc/rfc8555#section-7.6

use reqwest::Url;
use serde_json::json;

use super::account::Account;
use super::client::Client;
use super::error::{Error, Result};
use super::jws::{self, KeyId, Signer};

/// The directory's `revokeCert` URL, checked like every URL the CA sends.
fn revoke_url(client: &Client) -> Result<Url> {
    let raw = client
        .directory()
        .revoke_cert
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            Error::bad_response(
                client.directory_url(),
                "the directory has no revokeCert URL, so this CA cannot revoke certificates",
            )
        })?;
    client.check_url(raw)
}

/// The revokeCert payload: the certificate as base64url DER, and the RFC 5280 reason code
/// (`0` unspecified … `10` aACompromise) when one is given.
pub fn payload(cert_der: &[u8], reason: Option<u8>) -> String {
    let mut payload = json!({ "certificate": jws::b64(cert_der) });
    if let Some(reason) = reason {
        payload["reason"] = json!(reason);
    }
    payload.to_string()
}

/// Whether `error` is the CA saying the certificate is revoked already (`alreadyRevoked`).
pub fn is_already_revoked(error: &Error) -> bool {
    error.problem().is_some_and(|p| p.is("alreadyRevoked"))
}

/// Revoke `cert_der` with a request signed by `key` and carrying its public key (`jwk`). The
/// CA accepts this when `key` is the certificate's own key.
///
/// # Errors
///
/// [`Error::BadResponse`] when the directory names no `revokeCert` URL; otherwise the errors
/// of [`Client::post`], among them [`Error::Api`] with the CA's problem (`unauthorized`,
/// `alreadyRevoked`, `badRevocationReason`, …).
pub async fn revoke_with_key(
    client: &Client,
    key: &dyn Signer,
    cert_der: &[u8],
    reason: Option<u8>,
) -> Result<()> {
    let url = revoke_url(client)?;
    let body = payload(cert_der, reason);
    client
        .post(&url, key, KeyId::Jwk, Some(body.as_bytes()), None)
        .await?;
    Ok(())
}

impl Account {
    /// Revoke `cert_der` as this account (`kid`). The CA accepts this when the account issued
    /// the certificate (or holds authorizations for all its names). Unlike other requests,
    /// an account the CA does not know is not registered again.
    ///
    /// # Errors
    ///
    /// As [`revoke_with_key`].
    pub async fn revoke(&self, cert_der: &[u8], reason: Option<u8>) -> Result<()> {
        let url = revoke_url(self.client())?;
        let body = payload(cert_der, reason);
        self.post_once(&url, Some(body.as_bytes()), None).await?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "revoke_tests.rs"]
mod tests;
