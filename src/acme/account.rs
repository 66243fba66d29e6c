//! Accounts ([RFC 8555 §7.3]): registration, and signed requests as an account.
//!
//! An account the CA no longer knows (`accountDoesNotExist`, e.g. a test CA that was reset)
//! is registered again with the same key, once per run; the caller sees it through
//! [`Account::reregistered`] and saves the new URL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::Url;
use serde_json::json;
use tracing::Instrument as _;
use tracing::{debug, info_span};

use super::client::Client;
use super::error::{Error, Result};
use super::http::Response;
use super::jws::{self, KeyId, Signer};

/// External account binding credentials ([RFC 8555 §7.3.4]).
#[derive(Clone)]
pub struct Eab {
    /// Key identifier from the CA.
    pub kid: String,
    /// The HMAC key, already base64url-decoded.
    pub hmac_key: Vec<u8>,
}

impl Eab {
    /// Credentials from the text a CA hands out: the HMAC key in base64url or standard
    /// base64, padded or not (acme.sh's `_regAccount` accepts both). `None` when the key is
    /// empty or not base64.
    pub fn from_text(kid: &str, hmac_key: &str) -> Option<Self> {
        use base64::Engine as _;
        let url_safe: String = hmac_key
            .trim()
            .trim_end_matches('=')
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        let hmac_key = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(url_safe)
            .ok()
            .filter(|k| !k.is_empty())?;
        Some(Self {
            kid: kid.to_owned(),
            hmac_key,
        })
    }
}

impl std::fmt::Debug for Eab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Eab")
            .field("kid", &self.kid)
            .field("hmac_key", &"<redacted>")
            .finish()
    }
}

/// What registration found.
#[derive(Clone, Debug)]
pub struct Registration {
    /// The account URL (`Location`).
    pub url: String,
    /// 201: a new account; 200: the key already had one.
    pub created: bool,
    /// The account object as the CA sent it (acme.sh saves it as `account.json`).
    pub body: Vec<u8>,
}

/// An account: the client, the key, and the account URL used as `kid`.
#[derive(Clone)]
pub struct Account {
    inner: Arc<Inner>,
}

struct Inner {
    client: Arc<Client>,
    key: Arc<dyn Signer>,
    contact: Vec<String>,
    eab: Option<Eab>,
    url: Mutex<String>,
    /// The saved URL is on another origin than the CA: register again before the first use.
    foreign_url: AtomicBool,
    reregistered: Mutex<Option<Registration>>,
    thumbprint: String,
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

/// Register `key` with the CA (newAccount, `termsOfServiceAgreed`).
async fn new_account(
    client: &Client,
    key: &dyn Signer,
    contact: &[String],
    eab: Option<&Eab>,
) -> Result<Registration> {
    let url = client.check_url(&client.directory().new_account)?;
    let mut payload = json!({ "termsOfServiceAgreed": true });
    if !contact.is_empty() {
        payload["contact"] = json!(contact);
    }
    if let Some(eab) = eab {
        let binding =
            jws::external_account_binding(&key.jwk(), &eab.kid, &eab.hmac_key, url.as_str());
        payload["externalAccountBinding"] = json!(binding);
    }
    let body = payload.to_string();
    let response = client
        .post(&url, key, KeyId::Jwk, Some(body.as_bytes()), None)
        .instrument(info_span!("new_account"))
        .await?;
    let location = location(&response, &url)?;
    client.check_location(&location, &url)?;
    Ok(Registration {
        url: location,
        created: response.status == 201,
        body: response.body,
    })
}

/// The `Location` header of a creating response.
pub(crate) fn location(response: &Response, url: &Url) -> Result<String> {
    response
        .header("location")
        .map(str::to_owned)
        .ok_or_else(|| Error::bad_response(url, "no Location header"))
}

impl Account {
    /// Register a new account (or find the existing one for this key).
    pub async fn register(
        client: Arc<Client>,
        key: Arc<dyn Signer>,
        contact: Vec<String>,
        eab: Option<Eab>,
    ) -> Result<(Self, Registration)> {
        let registration = new_account(&client, key.as_ref(), &contact, eab.as_ref()).await?;
        let account = Self::build(client, key, contact, eab, registration.url.clone(), false);
        Ok((account, registration))
    }

    /// Use a saved account URL. If the URL is not on the CA's origin it is registered again
    /// at the first request, as if the CA did not know it.
    pub fn existing(
        client: Arc<Client>,
        key: Arc<dyn Signer>,
        contact: Vec<String>,
        url: String,
    ) -> Self {
        Self::existing_bound(client, key, contact, url, None)
    }

    /// [`Account::existing`], registered again with `eab` when the CA has forgotten it (a CA
    /// that requires external account binding).
    pub fn existing_bound(
        client: Arc<Client>,
        key: Arc<dyn Signer>,
        contact: Vec<String>,
        url: String,
        eab: Option<Eab>,
    ) -> Self {
        let foreign = match (
            Url::parse(&url),
            Url::parse(&client.directory().new_account),
        ) {
            (Ok(a), Ok(b)) => a.origin() != b.origin(),
            _ => true,
        };
        Self::build(client, key, contact, eab, url, foreign)
    }

    fn build(
        client: Arc<Client>,
        key: Arc<dyn Signer>,
        contact: Vec<String>,
        eab: Option<Eab>,
        url: String,
        foreign_url: bool,
    ) -> Self {
        let thumbprint = key.jwk().thumbprint();
        Self {
            inner: Arc::new(Inner {
                client,
                key,
                contact,
                eab,
                url: Mutex::new(url),
                foreign_url: AtomicBool::new(foreign_url),
                reregistered: Mutex::new(None),
                thumbprint,
            }),
        }
    }

    /// The account URL (`kid`).
    pub fn url(&self) -> String {
        self.inner.url.lock().map(|u| u.clone()).unwrap_or_default()
    }

    /// The RFC 7638 thumbprint of the account key.
    pub fn thumbprint(&self) -> &str {
        &self.inner.thumbprint
    }

    /// The client this account talks through.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Set when the CA did not know the saved account and it was registered again.
    pub fn reregistered(&self) -> Option<Registration> {
        self.inner.reregistered.lock().ok().and_then(|r| r.clone())
    }

    fn has_reregistered(&self) -> bool {
        self.inner.reregistered.lock().is_ok_and(|r| r.is_some())
    }

    async fn reregister(&self) -> Result<()> {
        debug!("the CA does not know the saved account; registering the same key again");
        let inner = &self.inner;
        let registration = new_account(
            &inner.client,
            inner.key.as_ref(),
            &inner.contact,
            inner.eab.as_ref(),
        )
        .await?;
        if let Ok(mut url) = inner.url.lock() {
            url.clone_from(&registration.url);
        }
        if let Ok(mut slot) = inner.reregistered.lock() {
            *slot = Some(registration);
        }
        Ok(())
    }

    /// POST as this account. `payload` of `None` is a POST-as-GET.
    pub(super) async fn post(
        &self,
        url: &Url,
        payload: Option<&[u8]>,
        accept: Option<&'static str>,
    ) -> Result<Response> {
        if self.inner.foreign_url.swap(false, Ordering::Relaxed) {
            self.reregister().await?;
        }
        match self.post_once(url, payload, accept).await {
            Err(Error::Api { problem, .. })
                if problem.is("accountDoesNotExist") && !self.has_reregistered() =>
            {
                self.reregister().await?;
                self.post_once(url, payload, accept).await
            }
            other => other,
        }
    }

    /// Replace the contact list ([RFC 8555 §7.3.2]); the account object the CA returned.
    ///
    /// # Errors
    ///
    /// The CA refuses, or cannot be reached.
    pub async fn update_contact(&self, contact: &[String]) -> Result<Vec<u8>> {
        let payload = json!({ "contact": contact }).to_string();
        self.post_to_self(payload).await
    }

    /// Deactivate the account ([RFC 8555 §7.3.6]); the account object the CA returned.
    ///
    /// # Errors
    ///
    /// The CA refuses, or cannot be reached.
    pub async fn deactivate(&self) -> Result<Vec<u8>> {
        let payload = json!({ "status": "deactivated" }).to_string();
        self.post_to_self(payload).await
    }

    async fn post_to_self(&self, payload: String) -> Result<Vec<u8>> {
        let url = self.inner.client.check_url(&self.url())?;
        let response = self.post_once(&url, Some(payload.as_bytes()), None).await?;
        Ok(response.body)
    }

    /// Roll the account over to `new_key` ([RFC 8555 §7.3.5], keyChange): the inner JWS is
    /// signed by the new key, the outer one by the current key. This value keeps signing
    /// with the old key; use a new [`Account`] for the new one.
    ///
    /// # Errors
    ///
    /// The directory has no keyChange, the new key cannot sign, the CA refuses.
    pub async fn change_key(&self, new_key: &dyn Signer) -> Result<()> {
        let client = &self.inner.client;
        let raw = client.directory().key_change.clone().ok_or_else(|| {
            Error::bad_response(client.directory_url(), "the directory has no keyChange")
        })?;
        let url = client.check_url(&raw)?;
        let inner_payload = json!({ "account": self.url(), "oldKey": self.inner.key.jwk() });
        let inner = jws::sign(
            new_key,
            KeyId::Jwk,
            None,
            url.as_str(),
            Some(inner_payload.to_string().as_bytes()),
        )
        .map_err(|_| Error::bad_response(&url, "the new account key cannot sign"))?;
        let body = serde_json::to_vec(&inner)
            .map_err(|_| Error::bad_response(&url, "cannot encode the keyChange request"))?;
        self.post_once(&url, Some(&body), None)
            .instrument(info_span!("key_change"))
            .await?;
        Ok(())
    }

    /// POST as this account, once: no registration when the CA does not know the account.
    pub(super) async fn post_once(
        &self,
        url: &Url,
        payload: Option<&[u8]>,
        accept: Option<&'static str>,
    ) -> Result<Response> {
        let kid = self.url();
        let key = self.inner.key.as_ref();
        self.inner
            .client
            .post(url, key, KeyId::Kid(&kid), payload, accept)
            .await
    }
}

#[cfg(test)]
#[path = "account_tests.rs"]
mod tests;
