//! `dns_tencent`: Tencent Cloud DNSPod (API 3.0, version 2021-03-23) signed with
//! `TC3-HMAC-SHA256`, as acme.sh's `dns_tencent.sh` uses it:
//!
//! - the zone is the longest suffix of the name that `DescribeRecordList` accepts as a domain
//!   of the account (`_get_root`); an answer about the domain (`…DomainNotExists`, …) means
//!   "try the parent", any other error ends the search;
//! - add is one `CreateRecord` (default line, TTL 600; `…DomainRecordExist` means it is there);
//! - remove finds the record holding the value with `DescribeRecordFilterList` and deletes it
//!   by `RecordId` (`DeleteRecord`). A record just created may not be listed yet (acme.sh's
//!   "API synchronization delay"): the lookup is tried 5 times, 10 s apart, before the value
//!   is taken as already gone.

use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderValue;
use serde_json::{Value, json};

use super::cloud::{Account, Refusal, header};
use super::signing::{host_header, tc3};
use super::zone::{Candidate, splits as candidates};
use crate::acme::http::Request;
use crate::dns::{BoxFuture, Context, Error, Provider, Record, Spec, Var};

/// The hook name.
const NAME: &str = "dns_tencent";
/// The endpoint (acme.sh's `Tencent_API`).
const API: &str = "https://dnspod.tencentcloudapi.com/";
/// The TC3 service name.
const SERVICE: &str = "dnspod";
/// The API version (`X-TC-Version`).
const VERSION: &str = "2021-03-23";
/// The body's type, signed.
const CONTENT_TYPE: &str = "application/json";
/// TTL of an added record (acme.sh's).
const TTL: u32 = 600;
/// Lookups of a value to remove before it is taken as gone, and the pause between two.
const LOOKUPS: u32 = 5;
const LOOKUP_PAUSE: Duration = Duration::from_secs(10);
/// The answer to a list with nothing in it.
const NO_RECORD: &str = "ResourceNotFound.NoDataOfRecord";

/// `dns_tencent` in the registry.
pub const SPEC: Spec = Spec {
    name: NAME,
    title: "Tencent Cloud DNSPod",
    vars: &[
        Var {
            name: "Tencent_SecretId",
            required: true,
            help: "SecretId of an API key allowed to manage the domain's DNSPod records",
        },
        Var {
            name: "Tencent_SecretKey",
            required: true,
            help: "the SecretKey of that SecretId",
        },
    ],
    not_saved: &[],
    build: |ctx| Ok(Box::new(DnsPod::new(ctx)?)),
};

/// A Tencent Cloud account's DNSPod.
pub struct DnsPod {
    account: Account,
}

/// The error of an API error answer (`{"Response": {"Error": {"Code": …, "Message": …}}}`).
fn into_error(refusal: Refusal) -> Error {
    let check = refusal.code.starts_with("AuthFailure").then_some(
        "check Tencent_SecretId and Tencent_SecretKey, and the clock (requests more than 5 \
         minutes off are refused)",
    );
    refusal.error(NAME, "DNSPod", check)
}

impl DnsPod {
    /// The account of `Tencent_SecretId` / `Tencent_SecretKey`.
    ///
    /// # Errors
    ///
    /// [`Error::Missing`] when one of them is not set.
    pub fn new(ctx: &Context<'_>) -> Result<Self, Error> {
        Ok(Self {
            account: Account::new(ctx, &SPEC, API, "Tencent_SecretId", "Tencent_SecretKey")?,
        })
    }

    /// The same account at another endpoint (tests).
    #[cfg(test)]
    pub(crate) fn with_api(mut self, api: url::Url) -> Self {
        self.account.api = api;
        self
    }

    /// One signed POST of `action`: the `Response` object, or the API's refusal.
    async fn call(
        &self,
        action: &'static str,
        payload: &Value,
    ) -> Result<Result<Value, Refusal>, Error> {
        let body = payload.to_string();
        let timestamp = jiff::Timestamp::now().as_second();
        let account = &self.account;
        let host = host_header(&account.api);
        let authorization = tc3::sign(
            &[("content-type", CONTENT_TYPE), ("host", &host)],
            body.as_bytes(),
            &account.key_id,
            &account.secret,
            timestamp,
            SERVICE,
        );
        let mut request = Request::new(Method::POST, account.api.clone());
        request.content_type = Some(CONTENT_TYPE);
        request.body = Some(body.into_bytes());
        let headers = &mut request.headers;
        headers.insert("authorization", header("Tencent_SecretId", &authorization)?);
        headers.insert("x-tc-action", HeaderValue::from_static(action));
        headers.insert("x-tc-timestamp", HeaderValue::from(timestamp));
        headers.insert("x-tc-version", HeaderValue::from_static(VERSION));
        let response = account.send(request).await?;
        let parsed: Option<Value> = serde_json::from_slice(&response.body).ok();
        let answer = parsed.as_ref().map(|v| &v["Response"]);
        match answer.filter(|a| a.is_object()) {
            Some(answer) if response.status == 200 && answer.get("Error").is_none() => {
                Ok(Ok(answer.clone()))
            }
            answer => Ok(Err(Refusal::new(&response, answer.map(|a| &a["Error"])))),
        }
    }

    /// [`Self::call`], a refusal being an error.
    async fn ok(&self, action: &'static str, payload: &Value) -> Result<Value, Error> {
        self.call(action, payload).await?.map_err(into_error)
    }

    /// The domain of the account that holds `fqdn` (acme.sh's `_get_root`).
    async fn zone<'a>(&self, fqdn: &'a str) -> Result<Candidate<'a>, Error> {
        let mut last = None;
        for candidate in candidates(fqdn) {
            let payload = json!({ "Domain": candidate.zone, "Limit": 1 });
            match self.call("DescribeRecordList", &payload).await? {
                Ok(_) => return Ok(candidate),
                // The domain is there, with no record at all.
                Err(refusal) if refusal.code == NO_RECORD => return Ok(candidate),
                Err(refusal) if refusal.code.contains("Domain") => last = Some(refusal),
                Err(refusal) => return Err(into_error(refusal)),
            }
        }
        let last = Refusal::last_answer(last.as_ref());
        Err(Error::Api {
            provider: NAME,
            message: format!(
                "no DNSPod domain of this Tencent Cloud account holds `{fqdn}`{last}; add the \
                 domain to DNSPod, or use a key of the account that has it"
            ),
        })
    }

    /// The IDs of the TXT records at `zone.host` holding `value`.
    async fn record_ids(&self, zone: &Candidate<'_>, value: &str) -> Result<Vec<u64>, Error> {
        let payload = json!({
            "Domain": zone.zone,
            "SubDomain": zone.host,
            "IsExactSubDomain": true,
            "RecordType": ["TXT"],
            "RecordValue": value,
        });
        let listed = match self.call("DescribeRecordFilterList", &payload).await? {
            Ok(listed) => listed,
            Err(refusal) if refusal.code == NO_RECORD => return Ok(Vec::new()),
            Err(refusal) => return Err(into_error(refusal)),
        };
        let records = listed["RecordList"].as_array();
        Ok(records
            .into_iter()
            .flatten()
            .filter(|r| {
                r["Name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(zone.host))
                    && r["Type"].as_str() == Some("TXT")
                    && r["Value"].as_str() == Some(value)
            })
            .filter_map(|r| r["RecordId"].as_u64())
            .collect())
    }

    async fn add_value(&self, record: &Record) -> Result<(), Error> {
        let zone = self.zone(&record.fqdn).await?;
        let payload = json!({
            "Domain": zone.zone,
            "SubDomain": zone.host,
            "RecordType": "TXT",
            "RecordLine": "默认",
            "RecordLineId": "0",
            "Value": record.value,
            "TTL": TTL,
        });
        match self.call("CreateRecord", &payload).await? {
            Ok(_) => Ok(()),
            Err(refusal) if refusal.code.ends_with("DomainRecordExist") => Ok(()),
            Err(refusal) => Err(into_error(refusal)),
        }
    }

    async fn remove_value(&self, record: &Record) -> Result<(), Error> {
        let zone = self.zone(&record.fqdn).await?;
        for lookup in 1..=LOOKUPS {
            let ids = self.record_ids(&zone, &record.value).await?;
            if !ids.is_empty() {
                for id in ids {
                    let payload = json!({ "Domain": zone.zone, "RecordId": id });
                    self.ok("DeleteRecord", &payload).await?;
                }
                return Ok(());
            }
            if lookup < LOOKUPS {
                tracing::debug!(fqdn = record.fqdn, "TXT value not listed yet; asking again");
                tokio::time::sleep(LOOKUP_PAUSE).await;
            }
        }
        tracing::debug!(fqdn = record.fqdn, "TXT value not found; nothing to remove");
        Ok(())
    }
}

impl Provider for DnsPod {
    fn add<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.add_value(record))
    }

    fn remove<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.remove_value(record))
    }
}

#[cfg(test)]
#[path = "tencent_tests.rs"]
mod tests;
