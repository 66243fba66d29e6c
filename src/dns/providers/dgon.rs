//! `dns_dgon`: DigitalOcean's API v2 (`DO_API_KEY`, sent as `Authorization: Bearer`).
//!
//! The domain (zone) holding a name is the longest of its suffixes in the account's domain
//! list (acme.sh's `_get_base_domain`). Each TXT value is its own domain record: adding
//! POSTs one, removing lists the name's TXT records and deletes those whose data is the
//! value (acme.sh's `dns_dgon_rm`). Lists are read page by page, each page asked by number
//! on the API's own address (the token never goes to a `next` link the answer names).

use reqwest::Method;
use reqwest::header::AUTHORIZATION;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use url::Url;

use super::rest::{Rest, base_url, endpoint, secret_header};
use super::zone;
use crate::dns::{BoxFuture, Context, Error, Provider, Record, Spec, Var};

/// The API's address.
pub const API: &str = "https://api.digitalocean.com/v2";

/// The TTL of the records, as acme.sh sets it.
const TTL: u32 = 120;

/// Records asked per page (the API's maximum), and pages read at most.
const PER_PAGE: u32 = 200;
const MAX_PAGES: u32 = 100;

/// The registry entry.
pub const SPEC: Spec = Spec {
    name: "dns_dgon",
    title: "DigitalOcean",
    vars: &[Var {
        name: "DO_API_KEY",
        required: true,
        help: "a personal access token with write scope",
    }],
    not_saved: &[],
    build: |ctx| Ok(Box::new(DigitalOcean::new(ctx, API)?)),
};

/// A DigitalOcean account.
pub struct DigitalOcean {
    rest: Rest,
    api: Url,
}

/// One page of a list: `domains` or `domain_records`, and whether a next page exists.
#[derive(Deserialize)]
struct Page<T> {
    #[serde(alias = "domains", alias = "domain_records", default = "Vec::new")]
    items: Vec<T>,
    #[serde(default)]
    links: Links,
}

#[derive(Deserialize)]
struct Domain {
    name: String,
}

#[derive(Deserialize)]
struct DomainRecord {
    id: u64,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    data: String,
}

#[derive(Default, Deserialize)]
struct Links {
    #[serde(default)]
    pages: Pages,
}

#[derive(Default, Deserialize)]
struct Pages {
    next: Option<String>,
}

impl DigitalOcean {
    /// Built from `DO_API_KEY`, talking to `api` (the real [`API`] but in tests).
    ///
    /// # Errors
    ///
    /// `DO_API_KEY` is missing or unusable.
    pub fn new(ctx: &Context<'_>, api: &str) -> Result<Self, Error> {
        let key = ctx.credentials.require(&SPEC, "DO_API_KEY")?;
        let bearer = secret_header("DO_API_KEY", &format!("Bearer {key}"))?;
        Ok(Self {
            rest: Rest::new(
                SPEC.name,
                ctx.http.clone(),
                [(AUTHORIZATION, bearer)],
                "DO_API_KEY",
            ),
            api: base_url("DO_API", api)?,
        })
    }

    /// Every item of the list at `url`, page by page.
    async fn list<T: DeserializeOwned>(&self, what: &str, url: &Url) -> Result<Vec<T>, Error> {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let mut url = url.clone();
            url.query_pairs_mut()
                .append_pair("per_page", &PER_PAGE.to_string())
                .append_pair("page", &page.to_string());
            let found: Page<T> = self.rest.call(what, Method::GET, &url, None).await?;
            all.extend(found.items);
            if found.links.pages.next.is_none() {
                break;
            }
        }
        Ok(all)
    }

    /// The domain holding `fqdn`: the longest of its suffixes the account has.
    async fn zone<'a>(&self, fqdn: &'a str) -> Result<&'a str, Error> {
        let url = endpoint(&self.api, &["domains"]);
        let domains: Vec<Domain> = self.list("listing domains", &url).await?;
        zone::candidates(fqdn)
            .find(|name| domains.iter().any(|d| zone::same(&d.name, name)))
            .ok_or_else(|| zone::not_found(SPEC.name, fqdn, "the account"))
    }

    async fn add_value(&self, record: &Record) -> Result<(), Error> {
        let domain = self.zone(&record.fqdn).await?;
        let url = endpoint(&self.api, &["domains", domain, "records"]);
        let body = json!({
            "type": "TXT",
            "name": zone::relative(&record.fqdn, domain),
            "data": record.value,
            "ttl": TTL,
        });
        let response = self.rest.send(Method::POST, &url, Some(&body)).await?;
        self.rest.check("adding the TXT record", response)?;
        Ok(())
    }

    async fn remove_value(&self, record: &Record) -> Result<(), Error> {
        let domain = self.zone(&record.fqdn).await?;
        let records = endpoint(&self.api, &["domains", domain, "records"]);
        let mut url = records.clone();
        url.query_pairs_mut()
            .append_pair("type", "TXT")
            .append_pair("name", &record.fqdn);
        let found: Vec<DomainRecord> = self.list("reading the TXT records", &url).await?;
        let ids = found
            .iter()
            .filter(|r| r.kind == "TXT" && r.data == record.value)
            .map(|r| r.id);
        for id in ids {
            let url = endpoint(&records, &[&id.to_string()]);
            let response = self.rest.send(Method::DELETE, &url, None).await?;
            if response.status != 404 {
                self.rest.check("deleting the TXT record", response)?;
            }
        }
        Ok(())
    }
}

impl Provider for DigitalOcean {
    fn add<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.add_value(record))
    }

    fn remove<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.remove_value(record))
    }
}

#[cfg(test)]
#[path = "dgon_tests.rs"]
mod tests;
