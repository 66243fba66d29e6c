//! `dns_ali`: Alibaba Cloud DNS (Alidns RPC API, version 2015-01-09) with Alibaba's
//! `HMAC-SHA1` request signature, as acme.sh's `dns_ali.sh` uses it:
//!
//! - the zone is the longest suffix of the name that `DescribeDomainRecords` accepts as a
//!   domain of the account (`_get_root`); an answer about the domain (`InvalidDomainName.*`,
//!   `IncorrectDomainUser`, …) means "try the parent", any other refusal ends the search;
//! - add is one `AddDomainRecord` (a `DomainRecordDuplicate` answer means it is there);
//! - remove lists the TXT records of the name (`DescribeSubDomainRecords`) and deletes the one
//!   holding the value by its `RecordId` (`DeleteDomainRecord`).

use std::sync::Arc;

use reqwest::Method;
use serde_json::Value;
use url::Url;

use super::signing::{acs, canonical_query, hex, percent_encode};
use super::zone::{Candidate, splits as candidates};
use crate::acme::http::{HttpClient, Request};
use crate::acme::text::sanitize;
use crate::dns::{BoxFuture, Context, Error, Provider, Record, Spec, Var};

/// The hook name.
const NAME: &str = "dns_ali";
/// The endpoint (acme.sh's `Ali_DNS_API`).
const API: &str = "https://alidns.aliyuncs.com/";
/// The API version.
const VERSION: &str = "2015-01-09";

/// `dns_ali` in the registry.
pub const SPEC: Spec = Spec {
    name: NAME,
    title: "Alibaba Cloud DNS",
    vars: &[
        Var {
            name: "Ali_Key",
            required: true,
            help: "AccessKey ID of a RAM user allowed to manage the domain's records",
        },
        Var {
            name: "Ali_Secret",
            required: true,
            help: "the AccessKey secret of that AccessKey ID",
        },
    ],
    not_saved: &[],
    build: |ctx| Ok(Box::new(AliDns::new(ctx)?)),
};

/// An Alibaba Cloud DNS account.
pub struct AliDns {
    http: Arc<dyn HttpClient>,
    api: Url,
    key: String,
    secret: String,
}

/// An error answer of the API: `{"Code": …, "Message": …}` with a 4xx or 5xx status.
struct Refusal {
    status: u16,
    code: String,
    message: String,
}

impl Refusal {
    fn into_error(self) -> Error {
        let credentials = [
            "Signature",
            "InvalidAccessKey",
            "Forbidden",
            "InvalidTimeStamp",
        ];
        let hint = if self.status == 403 || credentials.iter().any(|c| self.code.starts_with(c)) {
            "; check Ali_Key and Ali_Secret, and that the key may use Alibaba Cloud DNS"
        } else {
            ""
        };
        Error::Api {
            provider: NAME,
            message: format!(
                "Alibaba Cloud DNS answered HTTP {}: {}: {}{hint}",
                self.status,
                sanitize(&self.code),
                sanitize(&self.message)
            ),
        }
    }
}

impl AliDns {
    /// The account of `Ali_Key` / `Ali_Secret`.
    ///
    /// # Errors
    ///
    /// [`Error::Missing`] when one of them is not set.
    pub fn new(ctx: &Context<'_>) -> Result<Self, Error> {
        Ok(Self {
            http: Arc::clone(&ctx.http),
            api: Url::parse(API).map_err(|e| Error::Dns(e.to_string()))?,
            key: ctx.credentials.require(&SPEC, "Ali_Key")?.to_owned(),
            secret: ctx.credentials.require(&SPEC, "Ali_Secret")?.to_owned(),
        })
    }

    /// The same account at another endpoint (tests).
    #[cfg(test)]
    pub(crate) fn with_api(mut self, api: Url) -> Self {
        self.api = api;
        self
    }

    /// One signed GET of `action`: its JSON answer, or the API's refusal.
    async fn call(
        &self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<Result<Value, Refusal>, Error> {
        let mut nonce = [0u8; 16];
        aws_lc_rs::rand::fill(&mut nonce)
            .map_err(|_| Error::Dns("no random numbers for a signature nonce".to_owned()))?;
        let nonce = hex(&nonce);
        let timestamp = jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let mut all = vec![
            ("AccessKeyId", self.key.as_str()),
            ("Action", action),
            ("Format", "JSON"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", &nonce),
            ("SignatureVersion", "1.0"),
            ("Timestamp", &timestamp),
            ("Version", VERSION),
        ];
        all.extend_from_slice(params);
        let query = canonical_query(&all);
        let signature = acs::signature(&self.secret, &acs::string_to_sign("GET", &query));
        let mut url = self.api.clone();
        url.set_query(Some(&format!(
            "{query}&Signature={}",
            percent_encode(&signature)
        )));
        let response = self
            .http
            .request(Request::new(Method::GET, url))
            .await
            .map_err(|source| Error::Transport {
                provider: NAME,
                // The query holds the key ID and the signature.
                url: self.api.to_string(),
                source,
            })?;
        match serde_json::from_slice::<Value>(&response.body).ok() {
            Some(body) if response.status == 200 && body.is_object() => Ok(Ok(body)),
            body => {
                let text = |key| {
                    body.as_ref()
                        .and_then(|b| b[key].as_str())
                        .map(str::to_owned)
                };
                Ok(Err(Refusal {
                    status: response.status,
                    code: text("Code").unwrap_or_default(),
                    message: text("Message")
                        .unwrap_or_else(|| String::from_utf8_lossy(&response.body).into_owned()),
                }))
            }
        }
    }

    /// [`Self::call`], a refusal being an error.
    async fn ok(&self, action: &str, params: &[(&str, &str)]) -> Result<Value, Error> {
        self.call(action, params)
            .await?
            .map_err(Refusal::into_error)
    }

    /// The domain of the account that holds `fqdn` (acme.sh's `_get_root`).
    async fn zone<'a>(&self, fqdn: &'a str) -> Result<Candidate<'a>, Error> {
        let mut last = None;
        for candidate in candidates(fqdn) {
            let params = [("DomainName", candidate.zone), ("PageSize", "1")];
            match self.call("DescribeDomainRecords", &params).await? {
                Ok(_) => return Ok(candidate),
                Err(refusal) if refusal.code.contains("Domain") => last = Some(refusal),
                Err(refusal) => return Err(refusal.into_error()),
            }
        }
        let last = last.map_or_else(String::new, |r| {
            format!(
                " (last answer: {}: {})",
                sanitize(&r.code),
                sanitize(&r.message)
            )
        });
        Err(Error::Api {
            provider: NAME,
            message: format!(
                "no domain of this Alibaba Cloud DNS account holds `{fqdn}`{last}; add the \
                 domain to Alibaba Cloud DNS, or use a key of the account that has it"
            ),
        })
    }

    async fn add_value(&self, record: &Record) -> Result<(), Error> {
        let zone = self.zone(&record.fqdn).await?;
        let params = [
            ("DomainName", zone.zone),
            ("RR", zone.host),
            ("Type", "TXT"),
            ("Value", record.value.as_str()),
        ];
        match self.call("AddDomainRecord", &params).await? {
            Ok(_) => Ok(()),
            Err(refusal) if refusal.code == "DomainRecordDuplicate" => Ok(()),
            Err(refusal) => Err(refusal.into_error()),
        }
    }

    async fn remove_value(&self, record: &Record) -> Result<(), Error> {
        let zone = self.zone(&record.fqdn).await?;
        let params = [
            ("DomainName", zone.zone),
            ("SubDomain", record.fqdn.as_str()),
            ("Type", "TXT"),
            ("PageSize", "100"),
        ];
        let listed = self.ok("DescribeSubDomainRecords", &params).await?;
        let records = listed["DomainRecords"]["Record"].as_array();
        for found in records.into_iter().flatten() {
            let text = |key: &str| found[key].as_str().unwrap_or_default();
            if text("RR").eq_ignore_ascii_case(zone.host)
                && text("Type").eq_ignore_ascii_case("TXT")
                && text("Value") == record.value
            {
                let id = match &found["RecordId"] {
                    Value::String(id) => id.clone(),
                    other => other.to_string(),
                };
                self.ok("DeleteDomainRecord", &[("RecordId", &id)]).await?;
            }
        }
        Ok(())
    }
}

impl Provider for AliDns {
    fn add<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.add_value(record))
    }

    fn remove<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.remove_value(record))
    }
}

#[cfg(test)]
#[path = "ali_tests.rs"]
mod tests;
