//! `dns_gd`: GoDaddy's API v1 (`GD_Key`, `GD_Secret`, sent as
//! `Authorization: sso-key KEY:SECRET`).
//!
//! GoDaddy replaces every record of a name and type on `PUT`, so both directions read the
//! name's TXT records first and write the whole set back: the old values plus the new one,
//! or the old values without the removed one (a `DELETE` of the set when none remain), as
//! acme.sh's `dns_gd_add` / `dns_gd_rm` do.

use reqwest::Method;
use reqwest::header::AUTHORIZATION;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::rest::{Rest, base_url, endpoint, secret_header};
use super::zone;
use crate::dns::{BoxFuture, Context, Error, Provider, Record, Spec, Var};

/// The API's address (acme.sh's `GD_Api`).
pub const API: &str = "https://api.godaddy.com/v1";

/// The registry entry.
pub const SPEC: Spec = Spec {
    name: "dns_gd",
    title: "GoDaddy",
    vars: &[
        Var {
            name: "GD_Key",
            required: true,
            help: "the API key",
        },
        Var {
            name: "GD_Secret",
            required: true,
            help: "the API secret",
        },
    ],
    not_saved: &[],
    build: |ctx| Ok(Box::new(GoDaddy::new(ctx, API)?)),
};

/// A GoDaddy account.
pub struct GoDaddy {
    rest: Rest,
    api: Url,
}

#[derive(Deserialize)]
struct DnsRecord {
    #[serde(default)]
    data: String,
}

impl GoDaddy {
    /// Built from `GD_Key` and `GD_Secret`, talking to `api` (the real [`API`] but in
    /// tests).
    ///
    /// # Errors
    ///
    /// A variable is missing or unusable.
    pub fn new(ctx: &Context<'_>, api: &str) -> Result<Self, Error> {
        let key = ctx.credentials.require(&SPEC, "GD_Key")?;
        let secret = ctx.credentials.require(&SPEC, "GD_Secret")?;
        let auth = secret_header("GD_Key", &format!("sso-key {key}:{secret}"))?;
        Ok(Self {
            rest: Rest::new(
                SPEC.name,
                ctx.http.clone(),
                [(AUTHORIZATION, auth)],
                "GD_Key and GD_Secret",
            ),
            api: base_url("GD_Api", api)?,
        })
    }

    /// The domain holding `fqdn`: the longest of its parents the account has (acme.sh's
    /// `_get_root`), asked one name at a time (404: not this one).
    async fn zone<'a>(&self, fqdn: &'a str) -> Result<&'a str, Error> {
        for candidate in zone::parents(fqdn) {
            let url = endpoint(&self.api, &["domains", candidate]);
            let response = self.rest.send(Method::GET, &url, None).await?;
            if response.status != 404 {
                self.rest.check("looking up domains", response)?;
                return Ok(candidate);
            }
        }
        Err(zone::not_found(SPEC.name, fqdn, "the account"))
    }

    /// The domain, the URL of the name's TXT set, and the values there now.
    async fn current(&self, fqdn: &str) -> Result<(Url, Vec<String>), Error> {
        let domain = self.zone(fqdn).await?;
        let url = endpoint(
            &self.api,
            &[
                "domains",
                domain,
                "records",
                "TXT",
                zone::relative(fqdn, domain),
            ],
        );
        let records: Vec<DnsRecord> = self
            .rest
            .call("reading the TXT records", Method::GET, &url, None)
            .await?;
        // Empty data is what a previous removal may have left: not worth keeping (acme.sh).
        let values = records
            .into_iter()
            .map(|r| r.data)
            .filter(|d| !d.is_empty())
            .collect();
        Ok((url, values))
    }

    /// Write `values` as the name's whole TXT set (`DELETE` it when empty).
    async fn write(&self, url: &Url, values: &[String]) -> Result<(), Error> {
        let response = if values.is_empty() {
            self.rest.send(Method::DELETE, url, None).await?
        } else {
            let body: Vec<Value> = values.iter().map(|v| json!({ "data": v })).collect();
            self.rest
                .send(Method::PUT, url, Some(&Value::from(body)))
                .await?
        };
        self.rest.check("writing the TXT records", response)?;
        Ok(())
    }

    async fn add_value(&self, record: &Record) -> Result<(), Error> {
        let (url, mut values) = self.current(&record.fqdn).await?;
        if values.contains(&record.value) {
            return Ok(());
        }
        values.insert(0, record.value.clone());
        self.write(&url, &values).await
    }

    async fn remove_value(&self, record: &Record) -> Result<(), Error> {
        let (url, values) = self.current(&record.fqdn).await?;
        if !values.contains(&record.value) {
            return Ok(());
        }
        let rest: Vec<String> = values.into_iter().filter(|v| *v != record.value).collect();
        self.write(&url, &rest).await
    }
}

impl Provider for GoDaddy {
    fn add<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.add_value(record))
    }

    fn remove<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.remove_value(record))
    }
}

#[cfg(test)]
#[path = "gd_tests.rs"]
mod tests;
