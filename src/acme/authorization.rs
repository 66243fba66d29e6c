//! Authorizations and their challenges as checked handles ([RFC 8555 §7.5, §8]).
//!
//! Nothing the CA sent about a challenge leaves this module unchecked:
//! [`Authorization::challenge`] hands out a [`ChallengeHandle`] only once its token passed
//! [`Token::parse`] and its URL passed [`Client::check_url`](super::Client::check_url), with
//! the key authorization already computed; [`Account::respond`] returns the challenge state
//! with its `Retry-After` as a [`Responded`], never the raw response.

use std::time::Duration;

use reqwest::Url;

use super::account::Account;
use super::client::retry_after_of;
use super::error::{Error, Result};
use super::order::parse;
use super::text::sanitize;
use super::types::{
    AuthorizationObject, AuthorizationStatus, ChallengeObject, ChallengeStatus, ChallengeType,
    Identifier, KeyAuthorization, Problem, Token,
};

/// An authorization as the CA last reported it ([RFC 8555 §7.1.4]), from
/// [`Account::authorization`].
#[derive(Clone, Debug)]
pub struct Authorization {
    url: Url,
    identifier: Identifier,
    state: AuthorizationObject,
    retry_after: Option<Duration>,
    took: Duration,
    /// Checks challenge URLs and computes key authorizations.
    account: Account,
}

impl Authorization {
    /// The authorization URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The identifier being authorized; `*.name` for a wildcard authorization (the CA sends
    /// `name` with `"wildcard": true`, [RFC 8555 §7.1.4]).
    pub fn identifier(&self) -> &Identifier {
        &self.identifier
    }

    /// The authorization's status.
    pub fn status(&self) -> AuthorizationStatus {
        self.state.status
    }

    /// The challenges offered, as the CA reported them.
    pub fn challenges(&self) -> &[ChallengeObject] {
        &self.state.challenges
    }

    /// Why an invalid authorization failed: the first challenge error the CA reported.
    pub fn problem(&self) -> Option<&Problem> {
        self.state.challenges.iter().find_map(|c| c.error.as_ref())
    }

    /// `Retry-After` of the response that carried this state.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// How long the request that fetched this state took (paces the poller).
    pub fn took(&self) -> Duration {
        self.took
    }

    /// The challenge of type `kind`, checked: token (RFC 8555 §8.3 alphabet), URL (as every
    /// URL from the CA), and the key authorization computed for this account.
    ///
    /// # Errors
    ///
    /// [`Error::NoChallenge`] (naming the types offered) when the CA offers no such challenge;
    /// [`Error::Token`] or [`Error::Url`] when its token or URL is refused.
    pub fn challenge(&self, kind: ChallengeType) -> Result<ChallengeHandle> {
        let Some(challenge) = self.state.challenges.iter().find(|c| c.kind == kind) else {
            let offered: Vec<_> = self
                .state
                .challenges
                .iter()
                .map(|c| c.kind.as_str())
                .collect();
            return Err(Error::NoChallenge {
                identifier: sanitize(self.identifier.value()),
                kind,
                offered: sanitize(&offered.join(", ")),
            });
        };
        let token = Token::parse(challenge.token.as_deref().unwrap_or_default())?;
        let url = self.account.client().check_url(&challenge.url)?;
        Ok(ChallengeHandle {
            identifier: self.identifier.clone(),
            kind,
            url,
            status: challenge.status,
            key_authorization: KeyAuthorization::new(&token, self.account.thumbprint()),
            token,
        })
    }
}

/// One challenge of an authorization, checked (see [`Authorization::challenge`]).
#[derive(Clone, Debug)]
pub struct ChallengeHandle {
    identifier: Identifier,
    kind: ChallengeType,
    url: Url,
    status: ChallengeStatus,
    token: Token,
    key_authorization: KeyAuthorization,
}

impl ChallengeHandle {
    /// The identifier of the authorization (`*.name` for a wildcard).
    pub fn identifier(&self) -> &Identifier {
        &self.identifier
    }

    /// The challenge type.
    pub fn kind(&self) -> &ChallengeType {
        &self.kind
    }

    /// The challenge URL, checked.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The challenge's status when the authorization was fetched.
    pub fn status(&self) -> ChallengeStatus {
        self.status
    }

    /// The token, checked (safe as a file name and an HTTP path segment).
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// `<token>.<account thumbprint>`; [`KeyAuthorization::dns_value`] and
    /// [`KeyAuthorization::sha256`] give the dns-01 and tls-alpn-01 forms.
    pub fn key_authorization(&self) -> &KeyAuthorization {
        &self.key_authorization
    }
}

/// The CA's answer to [`Account::respond`]: the challenge state and when to look again.
#[derive(Clone, Debug)]
pub struct Responded {
    /// The challenge as the CA answered.
    pub state: ChallengeObject,
    /// `Retry-After` of that answer.
    pub retry_after: Option<Duration>,
    /// How long the request took (paces the first re-poll).
    pub took: Duration,
}

impl Account {
    /// Fetch an authorization (POST-as-GET).
    pub async fn authorization(&self, url: &str) -> Result<Authorization> {
        let url = self.client().check_url(url)?;
        let response = self.post(&url, None, None).await?;
        self.authorization_from(url, &response)
    }

    /// Deactivate an authorization (POST `{"status":"deactivated"}`, [RFC 8555 §7.5.2]): the
    /// CA stops accepting it for new orders. Returns the authorization as the CA answered.
    ///
    /// [RFC 8555 §7.5.2]: https://www.rfc-editor.org/rfc/rfc8555#section-7.5.2
    pub async fn deactivate_authorization(&self, url: &Url) -> Result<Authorization> {
        let response = self
            .post(url, Some(br#"{"status":"deactivated"}"#), None)
            .await?;
        self.authorization_from(url.clone(), &response)
    }

    fn authorization_from(
        &self,
        url: Url,
        response: &super::http::Response,
    ) -> Result<Authorization> {
        let state: AuthorizationObject = parse(response, &url)?;
        let identifier = match (&state.identifier, state.wildcard) {
            (Identifier::Dns(name), true) => Identifier::Dns(format!("*.{name}")),
            (identifier, _) => identifier.clone(),
        };
        Ok(Authorization {
            url,
            identifier,
            state,
            retry_after: retry_after_of(response),
            took: response.elapsed,
            account: self.clone(),
        })
    }

    /// Tell the CA the challenge is ready to be validated (POST `{}`, [RFC 8555 §7.5.1]).
    pub async fn respond(&self, challenge: &ChallengeHandle) -> Result<Responded> {
        let response = self.post(&challenge.url, Some(b"{}"), None).await?;
        Ok(Responded {
            state: parse(&response, &challenge.url)?,
            retry_after: retry_after_of(&response),
            took: response.elapsed,
        })
    }
}

#[cfg(test)]
#[path = "authorization_tests.rs"]
mod tests;
