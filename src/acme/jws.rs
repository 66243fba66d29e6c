//! JSON Web Signature for ACME requests ([RFC 8555 §6.2], [RFC 7515]) and the JWK
//! thumbprint ([RFC 7638]).
//!
//! Pure and synchronous: the signing key is anything that implements [`Signer`], so this
//! module never touches files or the network.
//!
//! [RFC 8555 §6.2]: https://www.rfc-editor.org/rfc/rfc8555#section-6.2
//! [RFC 7515]: https://www.rfc-editor.org/rfc/rfc7515
//! [RFC 7638]: https://www.rfc-editor.org/rfc/rfc7638

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

/// base64url without padding, the encoding of every JWS part.
pub fn b64(data: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// The public half of an account key, as a JSON Web Key.
///
/// Field order is the lexicographic order RFC 7638 §3.2 requires for the thumbprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kty")]
pub enum Jwk {
    /// An elliptic-curve key (`crv` is `P-256`, `P-384` or `P-521`).
    #[serde(rename = "EC")]
    Ec {
        /// Curve name.
        crv: &'static str,
        /// base64url X coordinate.
        x: String,
        /// base64url Y coordinate.
        y: String,
    },
    /// An RSA key.
    #[serde(rename = "RSA")]
    Rsa {
        /// base64url public exponent.
        e: String,
        /// base64url modulus.
        n: String,
    },
}

impl Jwk {
    /// The RFC 7638 canonical JSON: required members only, sorted, no whitespace.
    pub fn canonical_json(&self) -> String {
        // serde_json writes struct fields in declaration order; `kty` comes from the tag and
        // would be first, so build the canonical form by hand to keep the order exact.
        match self {
            Self::Ec { crv, x, y } => {
                format!(r#"{{"crv":"{crv}","kty":"EC","x":"{x}","y":"{y}"}}"#)
            }
            Self::Rsa { e, n } => format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#),
        }
    }

    /// The RFC 7638 thumbprint: base64url(SHA-256(canonical JSON)).
    pub fn thumbprint(&self) -> String {
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, self.canonical_json().as_bytes());
        b64(digest.as_ref())
    }
}

/// Why a signature could not be made.
#[derive(Debug, thiserror::Error)]
#[error("the signing key failed to sign")]
pub struct SignError;

/// An account key (or, for revocation, a certificate key) that can sign JWS payloads.
pub trait Signer: Send + Sync {
    /// The JWS `alg`: `ES256`, `ES384`, `ES512` or `RS256`.
    fn alg(&self) -> &'static str;
    /// The public key as a JWK.
    fn jwk(&self) -> Jwk;
    /// Sign `message`. For ECDSA the result is the fixed-width `r‖s` form JWS needs.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError>;
}

/// How the protected header names the key ([RFC 8555 §6.2]).
#[derive(Clone, Copy, Debug)]
pub enum KeyId<'a> {
    /// Embed the public key (newAccount, revocation by certificate key).
    Jwk,
    /// Refer to the account URL.
    Kid(&'a str),
}

#[derive(Serialize)]
struct Protected<'a> {
    alg: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    jwk: Option<Jwk>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    url: &'a str,
}

/// A flattened JWS JSON object ([RFC 7515 §7.2.2]), the body of every ACME POST.
#[derive(Debug, Serialize)]
pub struct Jws {
    /// base64url protected header.
    pub protected: String,
    /// base64url payload; empty for POST-as-GET.
    pub payload: String,
    /// base64url signature.
    pub signature: String,
}

/// Sign `payload` for `url`. `payload` of `None` makes a POST-as-GET (empty payload).
pub fn sign(
    key: &dyn Signer,
    key_id: KeyId<'_>,
    nonce: Option<&str>,
    url: &str,
    payload: Option<&[u8]>,
) -> Result<Jws, SignError> {
    let (jwk, kid) = match key_id {
        KeyId::Jwk => (Some(key.jwk()), None),
        KeyId::Kid(kid) => (None, Some(kid)),
    };
    let header = Protected {
        alg: key.alg(),
        jwk,
        kid,
        nonce,
        url,
    };
    let protected = b64(serde_json::to_vec(&header).map_err(|_| SignError)?);
    let payload = payload.map(b64).unwrap_or_default();
    let signing_input = format!("{protected}.{payload}");
    let signature = b64(key.sign(signing_input.as_bytes())?);
    Ok(Jws {
        protected,
        payload,
        signature,
    })
}

/// HMAC-signed JWS over the account JWK for external account binding ([RFC 8555 §7.3.4]).
pub fn external_account_binding(
    account_jwk: &Jwk,
    eab_kid: &str,
    hmac_key: &[u8],
    new_account_url: &str,
) -> Jws {
    let header = serde_json::json!({ "alg": "HS256", "kid": eab_kid, "url": new_account_url });
    let protected = b64(header.to_string());
    let payload = b64(serde_json::to_vec(account_jwk).unwrap_or_default());
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, hmac_key);
    let tag = aws_lc_rs::hmac::sign(&key, format!("{protected}.{payload}").as_bytes());
    Jws {
        protected,
        payload,
        signature: b64(tag.as_ref()),
    }
}
