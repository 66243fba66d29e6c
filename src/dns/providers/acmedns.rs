//! `dns_acmedns`: an [acme-dns] server (`ACMEDNS_BASE_URL`, `ACMEDNS_USERNAME`,
//! `ACMEDNS_PASSWORD`, `ACMEDNS_SUBDOMAIN`).
//!
//! The name to validate is a CNAME to the account's subdomain on the acme-dns server, so the
//! record's own name plays no part: adding POSTs `{"subdomain", "txt"}` to `/update` with
//! `X-Api-User` / `X-Api-Key`. acme-dns keeps the last two values it was given (enough for
//! a name and its wildcard) and has no way to delete one: removing does nothing, as in
//! acme.sh. acme.sh registers an account when none is set (and waits for the CNAME to be
//! made by hand); here the account must exist: `POST <base>/register` gives the four values.
//!
//! [acme-dns]: https://github.com/joohoi/acme-dns

use reqwest::Method;
use reqwest::header::HeaderName;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use super::rest::{Rest, base_url, endpoint, secret_header};
use crate::acme::text::sanitize;
use crate::dns::{BoxFuture, Context, Error, Provider, Record, Spec, Var};

/// The public server acme.sh uses when `ACMEDNS_BASE_URL` is unset.
pub const API: &str = "https://auth.acme-dns.io";

/// The registry entry.
pub const SPEC: Spec = Spec {
    name: "dns_acmedns",
    title: "acme-dns",
    vars: &[
        Var {
            name: "ACMEDNS_BASE_URL",
            required: false,
            help: "the acme-dns server, default https://auth.acme-dns.io",
        },
        Var {
            name: "ACMEDNS_USERNAME",
            required: true,
            help: "the account's username, from POST <base>/register",
        },
        Var {
            name: "ACMEDNS_PASSWORD",
            required: true,
            help: "the account's password, from POST <base>/register",
        },
        Var {
            name: "ACMEDNS_SUBDOMAIN",
            required: true,
            help: "the account's subdomain, the CNAME target of _acme-challenge.<domain>",
        },
    ],
    not_saved: &[],
    build: |ctx| Ok(Box::new(AcmeDns::new(ctx)?)),
};

/// An acme-dns account.
pub struct AcmeDns {
    rest: Rest,
    update: Url,
    subdomain: String,
}

/// `/update`'s answer: the value now served.
#[derive(Deserialize)]
struct Updated {
    txt: String,
}

impl AcmeDns {
    /// Built from the `ACMEDNS_*` variables.
    ///
    /// # Errors
    ///
    /// A variable is missing or unusable.
    pub fn new(ctx: &Context<'_>) -> Result<Self, Error> {
        let creds = ctx.credentials;
        let base = base_url(
            "ACMEDNS_BASE_URL",
            creds.get("ACMEDNS_BASE_URL").unwrap_or(API),
        )?;
        let user = secret_header(
            "ACMEDNS_USERNAME",
            creds.require(&SPEC, "ACMEDNS_USERNAME")?,
        )?;
        let key = secret_header(
            "ACMEDNS_PASSWORD",
            creds.require(&SPEC, "ACMEDNS_PASSWORD")?,
        )?;
        let subdomain = creds.require(&SPEC, "ACMEDNS_SUBDOMAIN")?.to_owned();
        Ok(Self {
            rest: Rest::new(
                SPEC.name,
                ctx.http.clone(),
                [
                    (HeaderName::from_static("x-api-user"), user),
                    (HeaderName::from_static("x-api-key"), key),
                ],
                "ACMEDNS_USERNAME, ACMEDNS_PASSWORD and ACMEDNS_SUBDOMAIN",
            ),
            update: endpoint(&base, &["update"]),
            subdomain,
        })
    }

    async fn update(&self, record: &Record) -> Result<(), Error> {
        let what = "updating the TXT record";
        let body = json!({"subdomain": self.subdomain, "txt": record.value});
        let updated: Updated = self
            .rest
            .call(what, Method::POST, &self.update, Some(&body))
            .await?;
        if updated.txt == record.value {
            Ok(())
        } else {
            Err(self.rest.error(format!(
                "{what}: the server answered with another value (`{}`)",
                sanitize(&updated.txt)
            )))
        }
    }
}

impl Provider for AcmeDns {
    fn add<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.update(record))
    }

    fn remove<'a>(&'a self, _record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
#[path = "acmedns_tests.rs"]
mod tests;
