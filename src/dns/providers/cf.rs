//! `dns_cf`: Cloudflare's API v4, with acme.sh's variables: an API token (`CF_Token`,
//! optionally `CF_Account_ID` to look zones up in one account, or `CF_Zone_ID` to skip the
//! lookup) sent as `Authorization: Bearer`, or the legacy global key (`CF_Key` +
//! `CF_Email`) sent as `X-Auth-Key` / `X-Auth-Email`.
//!
//! Each TXT value is its own DNS record there: adding POSTs one (an identical record
//! already there, error 81058, counts as added), removing deletes the records whose content
//! is the value.

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use url::Url;

use super::rest::{Rest, base_url, endpoint, secret_header};
use super::{txt, zone};
use crate::acme::text::sanitize;
use crate::dns::{BoxFuture, Context, Error, Provider, Record, Spec, Var};

/// The API's address (acme.sh's `CF_Api`).
pub const API: &str = "https://api.cloudflare.com/client/v4";

/// The TTL of the records, as acme.sh sets it.
const TTL: u32 = 120;

/// Cloudflare's code for "An identical record already exists."
const IDENTICAL_RECORD: u64 = 81058;

/// The registry entry.
pub const SPEC: Spec = Spec {
    name: "dns_cf",
    title: "Cloudflare",
    vars: &[
        Var {
            name: "CF_Token",
            required: true,
            help: "an API token with Zone.DNS edit permission (or the legacy CF_Key and CF_Email)",
        },
        Var {
            name: "CF_Account_ID",
            required: false,
            help: "the account whose zones to search, for a token of several accounts",
        },
        Var {
            name: "CF_Zone_ID",
            required: false,
            help: "the zone's id, for a token limited to one zone",
        },
        Var {
            name: "CF_Key",
            required: false,
            help: "the legacy global API key, with CF_Email",
        },
        Var {
            name: "CF_Email",
            required: false,
            help: "the account's email address, with CF_Key",
        },
    ],
    not_saved: &[],
    build: |ctx| Ok(Box::new(Cloudflare::new(ctx, API)?)),
};

/// A Cloudflare account.
pub struct Cloudflare {
    rest: Rest,
    api: Url,
    account_id: Option<String>,
    zone_id: Option<String>,
}

/// Every answer: `{"success", "errors", "result"}`.
#[derive(Deserialize)]
struct Envelope<T> {
    success: bool,
    #[serde(default)]
    errors: Vec<ApiError>,
    result: Option<T>,
}

#[derive(Deserialize)]
struct ApiError {
    code: u64,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct Zone {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct DnsRecord {
    id: String,
    #[serde(default)]
    content: String,
}

/// A value from acme.sh's variables, without the double quotes acme.sh strips.
fn trimmed(value: &str) -> String {
    value.replace('"', "")
}

impl Cloudflare {
    /// Built from the variables, talking to `api` (the real [`API`] but in tests).
    ///
    /// # Errors
    ///
    /// No token and no key and email, an email without `@`, or an unusable value.
    pub fn new(ctx: &Context<'_>, api: &str) -> Result<Self, Error> {
        let creds = ctx.credentials;
        let legacy = creds.get("CF_Token").is_none()
            && (creds.get("CF_Key").is_some() || creds.get("CF_Email").is_some());
        let (auth, check): (Vec<(HeaderName, HeaderValue)>, _) = if legacy {
            let key = trimmed(creds.require(&SPEC, "CF_Key")?);
            let email = trimmed(creds.require(&SPEC, "CF_Email")?);
            if !email.contains('@') {
                return Err(Error::Invalid {
                    var: "CF_Email",
                    reason: "it is not an email address".into(),
                });
            }
            let auth = vec![
                (
                    HeaderName::from_static("x-auth-email"),
                    secret_header("CF_Email", &email)?,
                ),
                (
                    HeaderName::from_static("x-auth-key"),
                    secret_header("CF_Key", &key)?,
                ),
            ];
            (auth, "CF_Key and CF_Email")
        } else {
            let token = trimmed(creds.require(&SPEC, "CF_Token")?);
            let bearer = secret_header("CF_Token", &format!("Bearer {token}"))?;
            (vec![(AUTHORIZATION, bearer)], "CF_Token")
        };
        Ok(Self {
            rest: Rest::new(SPEC.name, ctx.http.clone(), auth, check),
            api: base_url("CF_Api", api)?,
            account_id: creds.get("CF_Account_ID").map(str::to_owned),
            zone_id: creds.get("CF_Zone_ID").map(str::to_owned),
        })
    }

    /// One API call: its `result`, or the error it reported.
    async fn call<T: DeserializeOwned>(
        &self,
        what: &str,
        method: Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<T, Error> {
        let envelope: Envelope<T> = self.rest.call(what, method, url, body).await?;
        match envelope.result {
            Some(result) if envelope.success => Ok(result),
            _ => {
                let said: Vec<String> = envelope
                    .errors
                    .iter()
                    .map(|e| format!("{} ({})", sanitize(&e.message), e.code))
                    .collect();
                Err(self.rest.error(format!(
                    "{what} failed: Cloudflare reported no success: {}",
                    said.join("; ")
                )))
            }
        }
    }

    /// The zone holding `fqdn`: `CF_Zone_ID`'s, or the longest suffix the account has
    /// (acme.sh's `_get_root`).
    async fn zone(&self, fqdn: &str) -> Result<Zone, Error> {
        if let Some(id) = &self.zone_id {
            let url = endpoint(&self.api, &["zones", id]);
            let zone: Zone = self
                .call("reading the zone of CF_Zone_ID", Method::GET, &url, None)
                .await?;
            if !zone::holds(&zone.name, fqdn) {
                return Err(Error::Invalid {
                    var: "CF_Zone_ID",
                    reason: format!("its zone `{}` does not hold `{fqdn}`", sanitize(&zone.name)),
                });
            }
            return Ok(zone);
        }
        for candidate in zone::candidates(fqdn) {
            let mut url = endpoint(&self.api, &["zones"]);
            url.query_pairs_mut().append_pair("name", candidate);
            if let Some(account) = &self.account_id {
                url.query_pairs_mut().append_pair("account.id", account);
            }
            let zones: Vec<Zone> = self
                .call("looking up zones", Method::GET, &url, None)
                .await?;
            if let Some(found) = zones.into_iter().find(|z| zone::same(&z.name, candidate)) {
                return Ok(found);
            }
        }
        Err(zone::not_found(SPEC.name, fqdn, "the account"))
    }

    async fn add_value(&self, record: &Record) -> Result<(), Error> {
        let zone = self.zone(&record.fqdn).await?;
        let url = endpoint(&self.api, &["zones", &zone.id, "dns_records"]);
        let body = json!({"type": "TXT", "name": record.fqdn, "content": record.value, "ttl": TTL});
        let response = self.rest.send(Method::POST, &url, Some(&body)).await?;
        if (200..300).contains(&response.status) {
            return Ok(());
        }
        let identical = serde_json::from_slice::<Envelope<Value>>(&response.body)
            .is_ok_and(|e| e.errors.iter().any(|e| e.code == IDENTICAL_RECORD));
        if identical {
            Ok(())
        } else {
            Err(self.rest.refused("adding the TXT record", &response))
        }
    }

    async fn remove_value(&self, record: &Record) -> Result<(), Error> {
        let zone = self.zone(&record.fqdn).await?;
        let mut url = endpoint(&self.api, &["zones", &zone.id, "dns_records"]);
        url.query_pairs_mut()
            .append_pair("type", "TXT")
            .append_pair("name", &record.fqdn)
            .append_pair("per_page", "100");
        let records: Vec<DnsRecord> = self
            .call("reading the TXT records", Method::GET, &url, None)
            .await?;
        for found in records
            .iter()
            .filter(|r| txt::unquote(&r.content) == record.value)
        {
            let url = endpoint(&self.api, &["zones", &zone.id, "dns_records", &found.id]);
            self.call::<Value>("deleting the TXT record", Method::DELETE, &url, None)
                .await?;
        }
        Ok(())
    }
}

impl Provider for Cloudflare {
    fn add<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.add_value(record))
    }

    fn remove<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.remove_value(record))
    }
}

#[cfg(test)]
#[path = "cf_tests.rs"]
mod tests;
