//! Orders, authorizations, challenges, finalize and download ([RFC 8555 §7.4, §7.5]).

use std::collections::BTreeSet;

use reqwest::Url;
use serde::de::DeserializeOwned;
use serde_json::json;
use tracing::Instrument as _;
use tracing::info_span;

use super::account::{Account, location};
use super::authorization::Responded;
use super::client::retry_after_of;
use super::error::{Error, Result, WaitKind};
use super::http::Response;
use super::jws::b64;
use super::poll::{Check, PollError, PollPolicy, Waiting, poll};
use super::types::{
    AuthorizationStatus, ChallengeStatus, Identifier, OrderObject, OrderStatus, Problem,
};

/// Most identifiers accepted in one order (Let's Encrypt's limit).
pub const MAX_IDENTIFIERS: usize = 100;

/// Most alternate chains kept from one download (a CA offers one or two).
pub const MAX_ALTERNATES: usize = 8;

/// A downloaded certificate chain and the alternate chains the CA offers for it
/// (RFC 8555 §7.4.2: `Link: <url>;rel="alternate"`).
#[derive(Clone, Debug)]
pub struct Download {
    /// The chain as sent (`application/pem-certificate-chain`).
    pub pem: Vec<u8>,
    /// The alternate chains' URLs, absolute, in the order sent; at most [`MAX_ALTERNATES`].
    pub alternates: Vec<String>,
}

/// What a newOrder asks for (RFC 8555 §7.4): the identifiers, and the optional fields a CA
/// may take.
#[derive(Clone, Copy, Debug, Default)]
pub struct NewOrder<'a> {
    /// The identifiers.
    pub identifiers: &'a [Identifier],
    /// `notBefore` (RFC 3339), when a validity start is asked for.
    pub not_before: Option<&'a str>,
    /// `notAfter` (RFC 3339), when a validity end is asked for.
    pub not_after: Option<&'a str>,
    /// `profile`: a name from the directory's `meta.profiles` (the ACME profiles extension).
    pub profile: Option<&'a str>,
    /// `replaces`: the ARI CertID of the certificate this order renews (RFC 9773 §5).
    pub replaces: Option<&'a str>,
}

impl<'a> NewOrder<'a> {
    /// An order for `identifiers` and nothing else.
    pub fn new(identifiers: &'a [Identifier]) -> Self {
        Self {
            identifiers,
            ..Self::default()
        }
    }

    /// The newOrder payload: the fields that are set, and only those.
    pub fn payload(&self) -> serde_json::Value {
        let mut body = json!({ "identifiers": self.identifiers });
        for (key, value) in [
            ("notBefore", self.not_before),
            ("notAfter", self.not_after),
            ("profile", self.profile),
            ("replaces", self.replaces),
        ] {
            if let Some(value) = value {
                body[key] = json!(value);
            }
        }
        body
    }
}

/// An order: its URL and the last state the CA reported.
#[derive(Clone, Debug)]
pub struct Order {
    /// The order URL (`Location` of newOrder).
    pub url: Url,
    /// Last known state.
    pub state: OrderObject,
    /// `Retry-After` of the response that carried `state`.
    pub retry_after: Option<std::time::Duration>,
    /// How long the request that returned `state` took (paces the wait, see [`PollPolicy`]).
    pub elapsed: std::time::Duration,
}

/// The JSON object of a response from `url`.
pub(super) fn parse<T: DeserializeOwned>(response: &Response, url: &Url) -> Result<T> {
    serde_json::from_slice(&response.body)
        .map_err(|e| Error::bad_response(url, format!("not the expected ACME object ({e})")))
}

fn set_of(ids: &[Identifier]) -> BTreeSet<Identifier> {
    ids.iter()
        .map(|id| match id {
            Identifier::Dns(d) => Identifier::Dns(d.to_ascii_lowercase()),
            Identifier::Ip(ip) => Identifier::Ip(
                ip.parse::<std::net::IpAddr>()
                    .map_or_else(|_| ip.clone(), |a| a.to_string()),
            ),
        })
        .collect()
}

/// Whether two identifier lists name the same set (case-insensitive names, canonical IPs).
pub fn same_identifiers(a: &[Identifier], b: &[Identifier]) -> bool {
    set_of(a) == set_of(b)
}

impl Order {
    fn from_response(response: &Response, url: Url) -> Result<Self> {
        let state: OrderObject = parse(response, &url)?;
        if state.authorizations.len() > MAX_IDENTIFIERS {
            return Err(Error::OrderMismatch(format!(
                "{} authorizations",
                state.authorizations.len()
            )));
        }
        Ok(Self {
            url,
            retry_after: retry_after_of(response),
            elapsed: response.elapsed,
            state,
        })
    }

    /// Check that the order is for exactly `requested`, with one authorization each (or none
    /// once the order is past `pending`).
    pub fn check_identifiers(&self, requested: &[Identifier]) -> Result<()> {
        if !same_identifiers(&self.state.identifiers, requested) {
            return Err(Error::OrderMismatch(format!(
                "ordered {:?}, the CA answered {:?}",
                requested, self.state.identifiers
            )));
        }
        if self.state.status == OrderStatus::Pending
            && self.state.authorizations.len() != requested.len()
        {
            return Err(Error::OrderMismatch(format!(
                "{} identifiers but {} authorizations",
                requested.len(),
                self.state.authorizations.len()
            )));
        }
        Ok(())
    }
}

impl Account {
    /// Create an order (newOrder) as `request` asks.
    pub async fn new_order(&self, request: &NewOrder<'_>) -> Result<Order> {
        let identifiers = request.identifiers;
        let url = self
            .client()
            .check_url(&self.client().directory().new_order)?;
        let body = request.payload().to_string();
        let response = self
            .post(&url, Some(body.as_bytes()), None)
            .instrument(info_span!("new_order"))
            .await?;
        let order_url = self
            .client()
            .check_location(&location(&response, &url)?, &url)?;
        let order = Order::from_response(&response, order_url)?;
        order.check_identifiers(identifiers)?;
        Ok(order)
    }

    /// Fetch an order (POST-as-GET), e.g. one saved by an earlier run.
    pub async fn order(&self, url: &str) -> Result<Order> {
        let url = self.client().check_url(url)?;
        let response = self.post(&url, None, None).await?;
        Order::from_response(&response, url)
    }

    /// Wait until the authorization at `authz_url` is valid. `challenge` is the CA's answer
    /// to [`Account::respond`], checked before any re-poll.
    pub async fn wait_authorization(
        &self,
        authz_url: &str,
        identifier: &str,
        Responded {
            state: challenge,
            retry_after,
            took,
        }: Responded,
        policy: &PollPolicy,
        on_wait: impl FnMut(&Waiting<'_>),
    ) -> Result<()> {
        let failed = |problem: Option<Problem>| Error::ValidationFailed {
            identifier: identifier.to_owned(),
            problem: Box::new(problem.unwrap_or_else(|| Problem {
                detail: Some("the CA gave no reason".into()),
                ..Problem::default()
            })),
        };
        let first = match challenge.status {
            ChallengeStatus::Valid => Check::Done(()),
            ChallengeStatus::Invalid => return Err(failed(challenge.error)),
            status => Check::Wait {
                status: status.to_string(),
                retry_after,
                took,
            },
        };
        let fetch = || async {
            let authz = self.authorization(authz_url).await?;
            match authz.status() {
                AuthorizationStatus::Valid => Ok(Check::Done(())),
                AuthorizationStatus::Pending => Ok(Check::Wait {
                    status: authz.status().to_string(),
                    retry_after: authz.retry_after(),
                    took: authz.took(),
                }),
                _ => Err(failed(authz.problem().cloned())),
            }
        };
        poll(policy, first, fetch, on_wait)
            .await
            .map_err(|e| timeout_or(e, WaitKind::Authorization, policy, authz_url))
    }

    /// Submit the CSR (finalize) and return the order as the CA answered.
    pub async fn finalize(&self, order: &Order, csr_der: &[u8]) -> Result<Order> {
        let url = self.client().check_url(&order.state.finalize)?;
        let body = json!({ "csr": b64(csr_der) }).to_string();
        let response = self
            .post(&url, Some(body.as_bytes()), None)
            .instrument(info_span!("finalize"))
            .await?;
        Order::from_response(&response, order.url.clone())
    }

    /// Wait until the order reaches one of `targets` (`valid` after finalize, `ready` when
    /// authorizations complete). `invalid` is an error.
    pub async fn wait_order(
        &self,
        order: &mut Order,
        targets: &[OrderStatus],
        policy: &PollPolicy,
        on_wait: impl FnMut(&Waiting<'_>),
    ) -> Result<()> {
        let check = |o: Order| -> Result<Check<Order>> {
            match o.state.status {
                s if targets.contains(&s) => Ok(Check::Done(o)),
                OrderStatus::Invalid => Err(Error::OrderInvalid {
                    url: o.url.to_string(),
                    problem: o.state.error.map(Box::new),
                }),
                s => Ok(Check::Wait {
                    status: s.to_string(),
                    retry_after: o.retry_after,
                    took: o.elapsed,
                }),
            }
        };
        let first = check(order.clone())?;
        let url = order.url.to_string();
        let fetch = || async { check(self.order(&url).await?) };
        *order = poll(policy, first, fetch, on_wait)
            .await
            .map_err(|e| timeout_or(e, WaitKind::Order, policy, &url))?;
        Ok(())
    }

    /// Download the certificate chain (`application/pem-certificate-chain`) and the links to
    /// its alternates.
    pub async fn certificate(&self, url: &str) -> Result<Download> {
        let url = self.client().check_url(url)?;
        let response = self
            .post(&url, None, Some("application/pem-certificate-chain"))
            .instrument(info_span!("download"))
            .await?;
        let mut alternates: Vec<String> = alternate_links(&response)
            .filter_map(|link| url.join(link).ok())
            .map(String::from)
            .collect();
        alternates.dedup();
        alternates.truncate(MAX_ALTERNATES);
        Ok(Download {
            pem: response.body,
            alternates,
        })
    }
}

/// The targets of the `Link` headers whose relation is `alternate` (RFC 8288: each header
/// holds `<target>; param; …` entries separated by commas).
pub(crate) fn alternate_links(response: &Response) -> impl Iterator<Item = &str> {
    response
        .headers
        .get_all("link")
        .into_iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| {
            let mut links = Vec::new();
            let mut rest = value;
            while let Some(start) = rest.find('<') {
                let after = &rest[start + 1..];
                let Some(end) = after.find('>') else { break };
                let params_end = after[end..].find('<').map_or(after.len(), |i| end + i);
                let alternate = after[end + 1..params_end].split(';').any(|param| {
                    let param = param.trim().trim_end_matches(',').trim();
                    param.eq_ignore_ascii_case("rel=\"alternate\"")
                        || param.eq_ignore_ascii_case("rel=alternate")
                });
                if alternate {
                    links.push(&after[..end]);
                }
                rest = &after[params_end..];
            }
            links
        })
}

fn timeout_or(e: PollError<Error>, kind: WaitKind, policy: &PollPolicy, url: &str) -> Error {
    match e {
        PollError::Fetch(e) => e,
        PollError::Expired(x) => Error::Timeout {
            kind,
            status: x.status,
            timeout: policy.timeout,
            url: url.to_owned(),
            retry_after_past_deadline: x.retry_after_past_deadline,
        },
    }
}

#[cfg(test)]
#[path = "order_tests.rs"]
mod tests;
