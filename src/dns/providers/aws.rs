//! `dns_aws`: Amazon Route 53 through its REST API (2013-04-01), signed with AWS Signature
//! Version 4, as acme.sh's `dns_aws.sh` uses it:
//!
//! - the zone is the longest public hosted zone whose name ends the record's name
//!   (`_get_root` over every page of `ListHostedZones`);
//! - the TXT set at the name is read (`ListResourceRecordSets`) and written whole
//!   (`ChangeResourceRecordSets`): add is an UPSERT of the values already there plus the new
//!   one (TTL 300); remove is an UPSERT of the other values, or a DELETE of the exact set when
//!   no other value remains (acme.sh deletes the whole set);
//! - after each change it waits `AWS_DNS_SLOWRATE` seconds (1 by default), against Route 53's
//!   request rate limit.
//!
//! Instance and container role credentials (acme.sh's `_use_instance_role`,
//! `_use_container_role`) are not fetched: the keys must be given.

mod xml;

use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderValue;

use super::cloud::{Account, header, refused};
use super::signing::{canonical_query, host_header, sigv4};
use super::zone::splits as candidates;
use crate::acme::http::Request;
use crate::acme::text::sanitize;
use crate::dns::{BoxFuture, Context, Error, Provider, Record, Spec, Var};

/// The hook name.
const NAME: &str = "dns_aws";
/// Route 53's endpoint (acme.sh's `AWS_URL`).
const API: &str = "https://route53.amazonaws.com/";
/// The API version, first segment of every path.
const VERSION: &str = "2013-04-01";
/// Route 53 is global; its requests are signed for `us-east-1`.
const REGION: &str = "us-east-1";
/// The SigV4 service name.
const SERVICE: &str = "route53";
/// TTL of the TXT set an add writes (acme.sh's).
const TTL: u32 = 300;
/// acme.sh's pause after a change when `AWS_DNS_SLOWRATE` is not set.
const DEFAULT_SLOWRATE: Duration = Duration::from_secs(1);
/// Most `ListHostedZones` pages read (100 zones each), far above Route 53's default quota.
const MAX_PAGES: usize = 100;
/// Where the change-request XML lives.
const XMLNS: &str = "https://route53.amazonaws.com/doc/2013-04-01/";

/// `dns_aws` in the registry.
pub const SPEC: Spec = Spec {
    name: NAME,
    title: "Amazon Route 53",
    vars: &[
        Var {
            name: "AWS_ACCESS_KEY_ID",
            required: true,
            help: "access key ID of an IAM user allowed to list hosted zones and change their records",
        },
        Var {
            name: "AWS_SECRET_ACCESS_KEY",
            required: true,
            help: "the secret access key of that key ID",
        },
        Var {
            name: "AWS_SESSION_TOKEN",
            required: false,
            help: "session token, with temporary credentials only",
        },
        Var {
            name: "AWS_DNS_SLOWRATE",
            required: false,
            help: "seconds to wait after each change, against Route 53's rate limit (default 1)",
        },
    ],
    not_saved: &["AWS_SESSION_TOKEN"],
    build: |ctx| Ok(Box::new(Route53::new(ctx)?)),
};

/// A Route 53 account.
pub struct Route53 {
    account: Account,
    session_token: Option<String>,
    slowrate: Duration,
    /// One read-modify-write of a TXT set at a time: an apex and its wildcard share one set.
    writing: tokio::sync::Mutex<()>,
}

/// A public hosted zone.
#[derive(Clone, Debug)]
struct Zone {
    /// The bare ID (`Z1D633PJN98FT9`), checked to be alphanumeric.
    id: String,
    /// Lower case, without the trailing dot.
    name: String,
}

/// The TXT set at one name.
struct TxtSet {
    ttl: u32,
    /// Each value as Route 53 shows it: a quoted character string (`"…"`).
    values: Vec<String>,
}

impl Route53 {
    /// The account of `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`).
    ///
    /// # Errors
    ///
    /// [`Error::Missing`] for a missing key, [`Error::Invalid`] for an `AWS_DNS_SLOWRATE` that
    /// is not a whole number of seconds.
    pub fn new(ctx: &Context<'_>) -> Result<Self, Error> {
        let credentials = ctx.credentials;
        let slowrate = match credentials.get("AWS_DNS_SLOWRATE") {
            None => DEFAULT_SLOWRATE,
            Some(value) => {
                Duration::from_secs(value.trim().parse().map_err(|_| Error::Invalid {
                    var: "AWS_DNS_SLOWRATE",
                    reason: format!("`{}` is not a whole number of seconds", sanitize(value)),
                })?)
            }
        };
        Ok(Self {
            account: Account::new(
                ctx,
                &SPEC,
                API,
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
            )?,
            session_token: credentials.get("AWS_SESSION_TOKEN").map(str::to_owned),
            slowrate,
            writing: tokio::sync::Mutex::new(()),
        })
    }

    /// The same account at another endpoint (tests).
    #[cfg(test)]
    pub(crate) fn with_api(mut self, api: url::Url) -> Self {
        self.account.api = api;
        self
    }

    /// One signed request; the body of a 2xx answer.
    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<String, Error> {
        let mut url = self.account.api.clone();
        url.set_path(path);
        let query = canonical_query(query);
        url.set_query(Some(&query).filter(|q| !q.is_empty()).map(String::as_str));
        let amz_date = jiff::Timestamp::now()
            .strftime("%Y%m%dT%H%M%SZ")
            .to_string();
        let host = host_header(&url);
        let mut signed = vec![("host", host.as_str()), ("x-amz-date", amz_date.as_str())];
        if let Some(token) = &self.session_token {
            signed.push(("x-amz-security-token", token));
        }
        let authorization = sigv4::sign(
            &sigv4::Request {
                method: method.as_str(),
                path: url.path(),
                query: url.query().unwrap_or_default(),
                headers: &signed,
                payload: body.as_deref().unwrap_or_default().as_bytes(),
            },
            &self.account.key_id,
            &self.account.secret,
            &amz_date,
            REGION,
            SERVICE,
        );
        let mut request = Request::new(method, url);
        request.headers.insert(
            "authorization",
            header("AWS_ACCESS_KEY_ID", &authorization)?,
        );
        let amz_date = HeaderValue::from_str(&amz_date).map_err(|e| Error::Dns(e.to_string()))?;
        request.headers.insert("x-amz-date", amz_date);
        if let Some(token) = &self.session_token {
            request
                .headers
                .insert("x-amz-security-token", header("AWS_SESSION_TOKEN", token)?);
        }
        if let Some(body) = body {
            request.content_type = Some("application/xml");
            request.body = Some(body.into_bytes());
        }
        let response = self.account.send(request).await?;
        let body = String::from_utf8_lossy(&response.body).into_owned();
        if (200..300).contains(&response.status) {
            Ok(body)
        } else {
            Err(api_error(response.status, &body))
        }
    }

    /// The longest public hosted zone that holds `fqdn` (acme.sh's `_get_root`).
    async fn zone(&self, fqdn: &str) -> Result<Zone, Error> {
        let path = format!("/{VERSION}/hostedzone");
        let mut zones = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let query: Vec<(&str, &str)> = marker.iter().map(|m| ("marker", m.as_str())).collect();
            let body = self.call(Method::GET, &path, &query, None).await?;
            zones.extend(
                xml::elements(&body, "HostedZone")
                    .into_iter()
                    .filter_map(public_zone),
            );
            marker = xml::text(&body, "NextMarker")
                .filter(|_| xml::text(&body, "IsTruncated").as_deref() == Some("true"));
            if marker.is_none() {
                break;
            }
        }
        candidates(fqdn)
            .find_map(|c| zones.iter().find(|zone| zone.name == c.zone))
            .cloned()
            .ok_or_else(|| Error::Api {
                provider: NAME,
                message: format!(
                    "no public hosted zone of this account holds `{fqdn}` ({} zones listed); \
                     create the zone in Route 53, or use the key of the account that has it",
                    zones.len()
                ),
            })
    }

    /// The TXT set at `fqdn`, if there is one.
    async fn txt_set(&self, zone: &Zone, fqdn: &str) -> Result<Option<TxtSet>, Error> {
        let path = format!("/{VERSION}/hostedzone/{}/rrset", zone.id);
        let query = [("name", fqdn), ("type", "TXT"), ("maxitems", "1")];
        let body = self.call(Method::GET, &path, &query, None).await?;
        let wanted = format!("{fqdn}.");
        Ok(xml::elements(&body, "ResourceRecordSet")
            .into_iter()
            .find(|set| {
                xml::text(set, "Name").is_some_and(|n| n.eq_ignore_ascii_case(&wanted))
                    && xml::text(set, "Type").as_deref() == Some("TXT")
            })
            .map(|set| TxtSet {
                ttl: xml::text(set, "TTL")
                    .and_then(|ttl| ttl.parse().ok())
                    .unwrap_or(TTL),
                values: xml::elements(set, "Value")
                    .into_iter()
                    .map(xml::unescape)
                    .collect(),
            }))
    }

    /// One `ChangeResourceRecordSets` of the TXT set at `fqdn`, then the slow-rate pause.
    async fn change(
        &self,
        zone: &Zone,
        action: &str,
        fqdn: &str,
        ttl: u32,
        values: &[String],
    ) -> Result<(), Error> {
        let records: String = values
            .iter()
            .map(|v| {
                format!(
                    "<ResourceRecord><Value>{}</Value></ResourceRecord>",
                    xml::escape(v)
                )
            })
            .collect();
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
             <ChangeResourceRecordSetsRequest xmlns=\"{XMLNS}\"><ChangeBatch><Changes><Change>\
             <Action>{action}</Action><ResourceRecordSet><Name>{name}.</Name><Type>TXT</Type>\
             <TTL>{ttl}</TTL><ResourceRecords>{records}</ResourceRecords></ResourceRecordSet>\
             </Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>",
            name = xml::escape(fqdn),
        );
        let path = format!("/{VERSION}/hostedzone/{}/rrset/", zone.id);
        self.call(Method::POST, &path, &[], Some(body)).await?;
        tracing::debug!(fqdn, zone = %zone.name, action, "Route 53 TXT set changed");
        tokio::time::sleep(self.slowrate).await;
        Ok(())
    }

    async fn add_value(&self, record: &Record) -> Result<(), Error> {
        let zone = self.zone(&record.fqdn).await?;
        let value = quoted(&record.value);
        let _writing = self.writing.lock().await;
        let mut values = match self.txt_set(&zone, &record.fqdn).await? {
            Some(set) if set.values.contains(&value) => return Ok(()),
            Some(set) => set.values,
            None => Vec::new(),
        };
        values.push(value);
        self.change(&zone, "UPSERT", &record.fqdn, TTL, &values)
            .await
    }

    async fn remove_value(&self, record: &Record) -> Result<(), Error> {
        let zone = self.zone(&record.fqdn).await?;
        let value = quoted(&record.value);
        let _writing = self.writing.lock().await;
        let Some(set) = self.txt_set(&zone, &record.fqdn).await? else {
            return Ok(());
        };
        if !set.values.contains(&value) {
            return Ok(());
        }
        let rest: Vec<String> = set
            .values
            .iter()
            .filter(|v| **v != value)
            .cloned()
            .collect();
        if rest.is_empty() {
            // DELETE must name the set exactly as it is.
            self.change(&zone, "DELETE", &record.fqdn, set.ttl, &set.values)
                .await
        } else {
            self.change(&zone, "UPSERT", &record.fqdn, set.ttl, &rest)
                .await
        }
    }
}

impl Provider for Route53 {
    fn add<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.add_value(record))
    }

    fn remove<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.remove_value(record))
    }
}

/// A TXT value as Route 53 writes it: one quoted character string.
fn quoted(value: &str) -> String {
    format!("\"{value}\"")
}

/// The zone of one `<HostedZone>`, unless it is private or its ID is not a bare ID.
fn public_zone(raw: &str) -> Option<Zone> {
    if xml::text(raw, "PrivateZone").as_deref() == Some("true") {
        return None;
    }
    let id = xml::text(raw, "Id")?;
    let id = id.strip_prefix("/hostedzone/").unwrap_or(&id);
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let name = xml::text(raw, "Name")?;
    Some(Zone {
        id: id.to_owned(),
        name: name.trim_end_matches('.').to_ascii_lowercase(),
    })
}

/// Route 53's `<ErrorResponse>` (or any other answer) as an error, with what to check.
fn api_error(status: u16, body: &str) -> Error {
    let what = match (xml::text(body, "Code"), xml::text(body, "Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(text), None) | (None, Some(text)) => text,
        (None, None) => body.trim().to_owned(),
    };
    let check = matches!(status, 401 | 403).then_some(
        "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and that the key may use Route 53",
    );
    refused(NAME, "Route 53", status, &sanitize(&what), check)
}

#[cfg(test)]
#[path = "aws_tests.rs"]
mod tests;
