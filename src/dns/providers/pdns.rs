//! `dns_pdns`: the PowerDNS Authoritative HTTP API (`/api/v1/servers/{server}/zones`),
//! with acme.sh's variables (`PDNS_Url`, `PDNS_ServerId`, `PDNS_Token`, `PDNS_Ttl`).
//!
//! An RRset is written whole: adding PATCHes the TXT RRset with `changetype: REPLACE`
//! carrying the values already there plus the new one, removing REPLACEs it with the rest,
//! or DELETEs it when none remain. Names are canonical (trailing dot) and TXT content is
//! quoted, as the API requires. After a change the zone's secondaries are notified, as
//! acme.sh does (`notify_slaves`); a refused notify is only logged, as acme.sh ignores it.

use reqwest::Method;
use reqwest::header::HeaderName;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::rest::{Rest, base_url, endpoint, secret_header};
use super::{txt, zone};
use crate::acme::text::sanitize;
use crate::dns::{BoxFuture, Context, Error, Provider, Record, Spec, Var};

/// acme.sh's default TTL (`DEFAULT_PDNS_TTL`).
pub const DEFAULT_TTL: u32 = 60;

/// The registry entry.
pub const SPEC: Spec = Spec {
    name: "dns_pdns",
    title: "PowerDNS",
    vars: &[
        Var {
            name: "PDNS_Url",
            required: true,
            help: "the API's URL, e.g. http://ns.example.com:8081",
        },
        Var {
            name: "PDNS_ServerId",
            required: true,
            help: "the server id, e.g. localhost",
        },
        Var {
            name: "PDNS_Token",
            required: true,
            help: "the API key (X-API-Key)",
        },
        Var {
            name: "PDNS_Ttl",
            required: false,
            help: "TTL of the TXT records, default 60",
        },
    ],
    not_saved: &[],
    build: |ctx| Ok(Box::new(PowerDns::new(ctx)?)),
};

/// A PowerDNS server's API.
pub struct PowerDns {
    rest: Rest,
    /// `…/api/v1/servers/{server}/zones`.
    zones: Url,
    ttl: u32,
}

/// A zone as the zone list shows it.
#[derive(Deserialize)]
struct ZoneInfo {
    id: String,
    name: String,
}

/// A zone with (some of) its RRsets.
#[derive(Deserialize)]
struct ZoneData {
    #[serde(default)]
    rrsets: Vec<RRset>,
}

#[derive(Deserialize)]
struct RRset {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    records: Vec<RecordData>,
}

/// One record of an RRset, kept as the server gave it when the RRset is written back.
#[derive(Deserialize)]
struct RecordData {
    content: String,
    #[serde(default)]
    disabled: bool,
}

impl PowerDns {
    /// Built from `PDNS_Url`, `PDNS_ServerId`, `PDNS_Token` and `PDNS_Ttl`.
    ///
    /// # Errors
    ///
    /// A missing variable, an unusable URL, token or TTL.
    pub fn new(ctx: &Context<'_>) -> Result<Self, Error> {
        let creds = ctx.credentials;
        let url = base_url("PDNS_Url", creds.require(&SPEC, "PDNS_Url")?)?;
        let server = creds.require(&SPEC, "PDNS_ServerId")?;
        let token = secret_header("PDNS_Token", creds.require(&SPEC, "PDNS_Token")?)?;
        let ttl = match creds.get("PDNS_Ttl") {
            None => DEFAULT_TTL,
            Some(ttl) => ttl.parse().map_err(|_| Error::Invalid {
                var: "PDNS_Ttl",
                reason: "it is not a number of seconds".into(),
            })?,
        };
        Ok(Self {
            rest: Rest::new(
                SPEC.name,
                ctx.http.clone(),
                [(HeaderName::from_static("x-api-key"), token)],
                "PDNS_Token",
            ),
            zones: endpoint(&url, &["api", "v1", "servers", server, "zones"]),
            ttl,
        })
    }

    /// The zone holding `fqdn`: the longest suffix the server has (acme.sh's `_get_root`),
    /// asked one name at a time (`?zone=`).
    async fn zone(&self, fqdn: &str) -> Result<ZoneInfo, Error> {
        for candidate in zone::candidates(fqdn) {
            let mut url = self.zones.clone();
            url.query_pairs_mut()
                .append_pair("zone", &format!("{candidate}."));
            let list: Vec<ZoneInfo> = self
                .rest
                .call("listing zones", Method::GET, &url, None)
                .await?;
            if let Some(found) = list.into_iter().find(|z| zone::same(&z.name, candidate)) {
                return Ok(found);
            }
        }
        Err(zone::not_found(SPEC.name, fqdn, "the server"))
    }

    /// The TXT records at `fqdn` in `zone`.
    async fn txt_records(&self, zone: &ZoneInfo, fqdn: &str) -> Result<Vec<RecordData>, Error> {
        let mut url = endpoint(&self.zones, &[zone.id.as_str()]);
        url.query_pairs_mut()
            .append_pair("rrset_name", &format!("{fqdn}."))
            .append_pair("rrset_type", "TXT");
        let data: ZoneData = self
            .rest
            .call("reading the TXT records", Method::GET, &url, None)
            .await?;
        Ok(data
            .rrsets
            .into_iter()
            .filter(|set| set.kind == "TXT" && zone::same(&set.name, fqdn))
            .flat_map(|set| set.records)
            .collect())
    }

    /// Write the TXT RRset at `fqdn`: `records`, or no RRset at all when empty.
    async fn write(&self, zone: &ZoneInfo, fqdn: &str, records: &[Value]) -> Result<(), Error> {
        let name = format!("{fqdn}.");
        let rrset = if records.is_empty() {
            json!({"name": name, "type": "TXT", "changetype": "DELETE"})
        } else {
            json!({
                "name": name, "type": "TXT", "ttl": self.ttl, "changetype": "REPLACE",
                "records": records,
            })
        };
        let url = endpoint(&self.zones, &[zone.id.as_str()]);
        let response = self
            .rest
            .send(Method::PATCH, &url, Some(&json!({ "rrsets": [rrset] })))
            .await?;
        self.rest.check("writing the TXT records", response)?;
        self.notify(zone).await;
        Ok(())
    }

    /// Ask the server to notify the zone's secondaries (acme.sh's `notify_slaves`).
    async fn notify(&self, zone: &ZoneInfo) {
        let url = endpoint(&self.zones, &[zone.id.as_str(), "notify"]);
        let sent = self.rest.send(Method::PUT, &url, None).await;
        if let Err(e) = sent.and_then(|r| self.rest.check("notifying secondaries", r)) {
            tracing::warn!(zone = %sanitize(&zone.name), "{e}");
        }
    }

    async fn add_value(&self, record: &Record) -> Result<(), Error> {
        let zone = self.zone(&record.fqdn).await?;
        let existing = self.txt_records(&zone, &record.fqdn).await?;
        let ours = |r: &&RecordData| txt::unquote(&r.content) == record.value;
        if existing.iter().filter(ours).any(|r| !r.disabled) {
            return Ok(());
        }
        // Keep the others as they are; ours (if there, disabled) is written enabled.
        let mut records: Vec<Value> = existing.iter().filter(|r| !ours(r)).map(as_json).collect();
        records.push(json!({"content": txt::quote(&record.value), "disabled": false}));
        self.write(&zone, &record.fqdn, &records).await
    }

    async fn remove_value(&self, record: &Record) -> Result<(), Error> {
        let zone = self.zone(&record.fqdn).await?;
        let existing = self.txt_records(&zone, &record.fqdn).await?;
        let rest: Vec<Value> = existing
            .iter()
            .filter(|r| txt::unquote(&r.content) != record.value)
            .map(as_json)
            .collect();
        if rest.len() == existing.len() {
            return Ok(());
        }
        self.write(&zone, &record.fqdn, &rest).await
    }
}

/// A record as the server gave it, to write back unchanged.
fn as_json(record: &RecordData) -> Value {
    json!({"content": record.content, "disabled": record.disabled})
}

impl Provider for PowerDns {
    fn add<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.add_value(record))
    }

    fn remove<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.remove_value(record))
    }
}

#[cfg(test)]
#[path = "pdns_tests.rs"]
mod tests;
