//! `dns_hetznercloud`: the DNS zones of the Hetzner Cloud API (`HETZNER_TOKEN`, sent as
//! `Authorization: Bearer`; `HETZNER_API`, `HETZNER_TTL`, `HETZNER_MAX_ATTEMPTS` as
//! acme.sh's `dns_hetznercloud.sh`).
//!
//! Values are added to and removed from the name's TXT RRset with its `add_records` and
//! `remove_records` actions, which keep the other values. The API runs an action
//! asynchronously: its state is asked once a second until it succeeds or fails, at most
//! `HETZNER_MAX_ATTEMPTS` times. A `429` is retried once after its `Retry-After` (acme.sh's
//! `_hetznercloud_api`).

use std::time::Duration;

use reqwest::Method;
use reqwest::header::AUTHORIZATION;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::rest::{Rest, base_url, endpoint, secret_header};
use super::{txt, zone};
use crate::acme::http::Response;
use crate::acme::text::sanitize;
use crate::dns::{BoxFuture, Context, Error, Provider, Record, Spec, Var};

/// The API's address (acme.sh's `HETZNERCLOUD_API_DEFAULT`).
pub const API: &str = "https://api.hetzner.cloud/v1";

/// The TTL of a new RRset (acme.sh's `HETZNERCLOUD_TTL_DEFAULT`).
pub const DEFAULT_TTL: u32 = 120;

/// How many times an action's state is asked (acme.sh's `HETZNER_MAX_ATTEMPTS_DEFAULT`).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 120;

/// Time between two questions about an action.
const ACTION_POLL: Duration = Duration::from_secs(1);

/// The longest `Retry-After` of a `429` waited for before the one retry.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The registry entry.
pub const SPEC: Spec = Spec {
    name: "dns_hetznercloud",
    title: "Hetzner Cloud DNS",
    vars: &[
        Var {
            name: "HETZNER_TOKEN",
            required: true,
            help: "an API token of the Cloud project holding the zone",
        },
        Var {
            name: "HETZNER_TTL",
            required: false,
            help: "TTL of a new TXT RRset, default 120",
        },
        Var {
            name: "HETZNER_API",
            required: false,
            help: "the API's address, default https://api.hetzner.cloud/v1",
        },
        Var {
            name: "HETZNER_MAX_ATTEMPTS",
            required: false,
            help: "how many 1 s polls to wait for a change, default 120",
        },
    ],
    not_saved: &[],
    build: |ctx| Ok(Box::new(HetznerCloud::new(ctx)?)),
};

/// A Hetzner Cloud project's DNS zones.
pub struct HetznerCloud {
    rest: Rest,
    api: Url,
    ttl: u32,
    max_attempts: u32,
}

#[derive(Deserialize)]
struct Zones {
    #[serde(default)]
    zones: Vec<ZoneInfo>,
}

#[derive(Deserialize)]
struct ZoneInfo {
    id: Value,
    name: String,
}

#[derive(Deserialize)]
struct RRsetReply {
    rrset: RRset,
}

#[derive(Deserialize)]
struct RRset {
    #[serde(default)]
    records: Vec<RecordValue>,
}

#[derive(Deserialize)]
struct RecordValue {
    value: String,
}

/// The answer to an action request or to a question about one.
#[derive(Deserialize)]
struct ActionReply {
    action: Action,
}

#[derive(Deserialize)]
struct Action {
    id: u64,
    status: String,
    error: Option<ActionError>,
}

#[derive(Deserialize)]
struct ActionError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// A whole number from `var`, or `default` when unset.
fn number(ctx: &Context<'_>, var: &'static str, default: u32) -> Result<u32, Error> {
    ctx.credentials.get(var).map_or(Ok(default), |text| {
        text.parse().map_err(|_| Error::Invalid {
            var,
            reason: "it is not a whole number".into(),
        })
    })
}

impl HetznerCloud {
    /// Built from `HETZNER_TOKEN`, `HETZNER_API`, `HETZNER_TTL` and `HETZNER_MAX_ATTEMPTS`.
    ///
    /// # Errors
    ///
    /// The token is missing, or a variable is unusable.
    pub fn new(ctx: &Context<'_>) -> Result<Self, Error> {
        let token = ctx
            .credentials
            .require(&SPEC, "HETZNER_TOKEN")?
            .replace('"', "");
        let bearer = secret_header("HETZNER_TOKEN", &format!("Bearer {token}"))?;
        let api = ctx.credentials.get("HETZNER_API").unwrap_or(API);
        Ok(Self {
            rest: Rest::new(
                SPEC.name,
                ctx.http.clone(),
                [(AUTHORIZATION, bearer)],
                "HETZNER_TOKEN",
            ),
            api: base_url("HETZNER_API", api)?,
            ttl: number(ctx, "HETZNER_TTL", DEFAULT_TTL)?,
            max_attempts: number(ctx, "HETZNER_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)?.max(1),
        })
    }

    /// One request; a `429` is sent once more after its `Retry-After` (at most a minute).
    async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<Response, Error> {
        let response = self.rest.send(method.clone(), url, body).await?;
        if response.status != 429 {
            return Ok(response);
        }
        let wait = response
            .header("retry-after")
            .and_then(|s| s.trim().parse().ok())
            .map_or(ACTION_POLL, Duration::from_secs)
            .min(MAX_RETRY_AFTER);
        tokio::time::sleep(wait).await;
        self.rest.send(method, url, body).await
    }

    /// The zone holding `fqdn`: the longest of its parents the project has (acme.sh's
    /// `_hetznercloud_prepare_zone`), asked one name at a time (`?name=`).
    async fn zone(&self, fqdn: &str) -> Result<ZoneInfo, Error> {
        for candidate in zone::parents(fqdn) {
            let mut url = endpoint(&self.api, &["zones"]);
            url.query_pairs_mut().append_pair("name", candidate);
            let response = self.send(Method::GET, &url, None).await?;
            let found: Zones = self.rest.json("looking up zones", response)?;
            if let Some(zone) = found
                .zones
                .into_iter()
                .find(|z| zone::same(&z.name, candidate))
            {
                return Ok(zone);
            }
        }
        Err(zone::not_found(SPEC.name, fqdn, "the project"))
    }

    /// The URL of the TXT RRset at `fqdn` (`…/zones/{id}/rrsets/{name}/TXT`) and its
    /// records' values as the API spells them (none when the RRset does not exist).
    async fn rrset(&self, fqdn: &str) -> Result<(Url, Option<Vec<String>>), Error> {
        let zone = self.zone(fqdn).await?;
        let id = match &zone.id {
            Value::String(id) => id.clone(),
            other => other.to_string(),
        };
        let url = endpoint(
            &self.api,
            &[
                "zones",
                &id,
                "rrsets",
                zone::relative(fqdn, &zone.name),
                "TXT",
            ],
        );
        let response = self.send(Method::GET, &url, None).await?;
        if response.status == 404 {
            return Ok((url, None));
        }
        let reply: RRsetReply = self.rest.json("reading the TXT records", response)?;
        let values = reply.rrset.records.into_iter().map(|r| r.value).collect();
        Ok((url, Some(values)))
    }

    /// Run the action `name` (`add_records`) on the RRset at `rrset` and wait for its end.
    async fn act(&self, rrset: &Url, name: &str, body: &Value) -> Result<(), Error> {
        let what = format!("{name} on the TXT records");
        let url = endpoint(rrset, &["actions", name]);
        let response = self.send(Method::POST, &url, Some(body)).await?;
        let mut action = self.rest.json::<ActionReply>(&what, response)?.action;
        let mut asked = 0;
        loop {
            match action.status.as_str() {
                "success" => return Ok(()),
                "error" => {
                    let (code, message) = action
                        .error
                        .map(|e| (e.code, e.message))
                        .unwrap_or_default();
                    return Err(self.rest.error(format!(
                        "{what}: action {} failed: {} ({})",
                        action.id,
                        sanitize(&message),
                        sanitize(&code)
                    )));
                }
                _ if asked >= self.max_attempts => {
                    return Err(self.rest.error(format!(
                        "{what}: action {} is still `{}` after {asked} polls a second apart; \
                         raise HETZNER_MAX_ATTEMPTS to wait longer",
                        action.id,
                        sanitize(&action.status)
                    )));
                }
                _ => {}
            }
            tokio::time::sleep(ACTION_POLL).await;
            asked += 1;
            let url = endpoint(&self.api, &["actions", &action.id.to_string()]);
            let response = self.send(Method::GET, &url, None).await?;
            action = self
                .rest
                .json::<ActionReply>("asking about the change", response)?
                .action;
        }
    }

    async fn add_value(&self, record: &Record) -> Result<(), Error> {
        let (url, values) = self.rrset(&record.fqdn).await?;
        let records = json!([{ "value": txt::quote(&record.value) }]);
        let body = match values {
            Some(values) if values.iter().any(|v| txt::unquote(v) == record.value) => {
                return Ok(());
            }
            // The RRset keeps its TTL; a new one gets HETZNER_TTL.
            Some(_) => json!({ "records": records }),
            None => json!({ "ttl": self.ttl, "records": records }),
        };
        self.act(&url, "add_records", &body).await
    }

    async fn remove_value(&self, record: &Record) -> Result<(), Error> {
        let (url, values) = self.rrset(&record.fqdn).await?;
        // Removed as the API spells them, so that they match.
        let ours: Vec<Value> = values
            .into_iter()
            .flatten()
            .filter(|v| txt::unquote(v) == record.value)
            .map(|v| json!({ "value": v }))
            .collect();
        if ours.is_empty() {
            return Ok(());
        }
        self.act(&url, "remove_records", &json!({ "records": ours }))
            .await
    }
}

impl Provider for HetznerCloud {
    fn add<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.add_value(record))
    }

    fn remove<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.remove_value(record))
    }
}

#[cfg(test)]
#[path = "hetznercloud_tests.rs"]
mod tests;
