//! `dns_ali`: Alibaba Cloud DNS (Alidns RPC API, version 2015-01-09) with Alibaba's
//! `HMAC-SHA1` request signature, as acme.sh's `dns_ali.sh` uses it:
//!
//! - the zone is the longest suffix of the name that `DescribeDomainRecords` accepts as a
//!   domain of the account (`_get_root`); an answer about the domain (`InvalidDomainName.*`,
//!   `IncorrectDomainUser`, …) means "try the parent", any other refusal ends the search;
//! - add is one `AddDomainRecord` (a `DomainRecordDuplicate` answer means it is there);
//! - remove lists the TXT records of the name (`DescribeSubDomainRecords`) and deletes the one
//!   holding the value by its `RecordId` (`DeleteDomainRecord`).

use reqwest::Method;
use serde_json::Value;

use super::cloud::{Account, Refusal};
use super::signing::{acs, canonical_query, hex, percent_encode};
use super::zone::{Candidate, splits as candidates};
use crate::acme::http::Request;
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
    account: Account,
}

/// The error of an API error answer (`{"Code": …, "Message": …}`).
fn into_error(refusal: Refusal) -> Error {
    let credentials = [
        "Signature",
        "InvalidAccessKey",
        "Forbidden",
        "InvalidTimeStamp",
    ];
    let check = (refusal.status == 403 || credentials.iter().any(|c| refusal.code.starts_with(c)))
        .then_some("check Ali_Key and Ali_Secret, and that the key may use Alibaba Cloud DNS");
    refusal.error(NAME, "Alibaba Cloud DNS", check)
}

impl AliDns {
    /// The account of `Ali_Key` / `Ali_Secret`.
    ///
    /// # Errors
    ///
    /// [`Error::Missing`] when one of them is not set.
    pub fn new(ctx: &Context<'_>) -> Result<Self, Error> {
        Ok(Self {
            account: Account::new(ctx, &SPEC, API, "Ali_Key", "Ali_Secret")?,
        })
    }

    /// The same account at another endpoint (tests).
    #[cfg(test)]
    pub(crate) fn with_api(mut self, api: url::Url) -> Self {
        self.account.api = api;
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
            ("AccessKeyId", self.account.key_id.as_str()),
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
        let signature = acs::signature(&self.account.secret, &acs::string_to_sign("GET", &query));
        let mut url = self.account.api.clone();
        url.set_query(Some(&format!(
            "{query}&Signature={}",
            percent_encode(&signature)
        )));
        let response = self.account.send(Request::new(Method::GET, url)).await?;
        match serde_json::from_slice::<Value>(&response.body).ok() {
            Some(body) if response.status == 200 && body.is_object() => Ok(Ok(body)),
            body => Ok(Err(Refusal::new(&response, body.as_ref()))),
        }
    }

    /// [`Self::call`], a refusal being an error.
    async fn ok(&self, action: &str, params: &[(&str, &str)]) -> Result<Value, Error> {
        self.call(action, params).await?.map_err(into_error)
    }

    /// The domain of the account that holds `fqdn` (acme.sh's `_get_root`).
    async fn zone<'a>(&self, fqdn: &'a str) -> Result<Candidate<'a>, Error> {
        let mut last = None;
        for candidate in candidates(fqdn) {
            let params = [("DomainName", candidate.zone), ("PageSize", "1")];
            match self.call("DescribeDomainRecords", &params).await? {
                Ok(_) => return Ok(candidate),
                Err(refusal) if refusal.code.contains("Domain") => last = Some(refusal),
                Err(refusal) => return Err(into_error(refusal)),
            }
        }
        let last = Refusal::last_answer(last.as_ref());
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
            Err(refusal) => Err(into_error(refusal)),
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
