//! dns-01 ([RFC 8555 §8.4]): the TXT value base64url(SHA-256(key authorization)) at
//! `_acme-challenge.<name without *.>` (or the name's alias), added through a
//! [`Provider`], or by the user in manual mode.
//!
//! - `present` adds each challenge's value beside whatever is at the name (an apex and its
//!   wildcard share one name) and remembers it as soon as the provider accepted it.
//! - `ready` sleeps `--dnssleep` seconds when given (acme.sh's `Le_DNSSleep`), otherwise waits
//!   until every authoritative server answers every value ([`crate::dns::propagation`]).
//! - `cleanup` removes exactly the values it added, by value.
//!
//! In manual mode there is no provider: the user added the records (acme.sh's `--dns` without
//! a hook), so `present` and `cleanup` do nothing and `ready` still checks.
//!
//! [RFC 8555 §8.4]: https://www.rfc-editor.org/rfc/rfc8555#section-8.4

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::{BoxFuture, Challenge, Error, Solver};
use crate::acme::types::{ChallengeType, Identifier};
use crate::dns::propagation::{self, Options};
use crate::dns::{Provider, Record};

/// How `ready` waits for the records.
#[derive(Clone, Debug)]
pub enum Wait {
    /// `--dnssleep N`: sleep, check nothing.
    Sleep(Duration),
    /// Ask the authoritative servers until they answer.
    Check(Options),
}

/// The TXT name of a dns-01 challenge for `identifier`: `_acme-challenge.<name without *.>`,
/// or, with an alias entry (acme.sh's `Le_ChallengeAlias`), `_acme-challenge.<alias>`
/// (`--challenge-alias`) or the alias itself when it starts with `=` (`--domain-alias`). An
/// entry `no` or empty means none.
pub fn txt_name(identifier: &Identifier, alias: Option<&str>) -> String {
    let name = identifier.value();
    let base = name.strip_prefix("*.").unwrap_or(name);
    let name = match alias.filter(|a| !a.is_empty() && *a != "no") {
        Some(alias) => match alias.strip_prefix('=') {
            Some(domain) => domain.to_owned(),
            None => format!("_acme-challenge.{alias}"),
        },
        None => format!("_acme-challenge.{base}"),
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// A dns-01 solver for one provider (or manual mode). See the [module docs](self).
pub struct Dns01<'a> {
    /// `None` in manual mode.
    provider: Option<Box<dyn Provider + 'a>>,
    /// The TXT name of each identifier.
    names: HashMap<Identifier, String>,
    wait: Wait,
    say: &'a (dyn Fn(&str) + Sync),
    added: Mutex<Vec<Record>>,
}

impl std::fmt::Debug for Dns01<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dns01")
            .field("manual", &self.provider.is_none())
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

impl<'a> Dns01<'a> {
    /// A solver adding records through `provider` (`None`: the user added them), at the TXT
    /// names in `names`, waiting as `wait` says, reporting each step through `say`.
    pub fn new(
        provider: Option<Box<dyn Provider + 'a>>,
        names: HashMap<Identifier, String>,
        wait: Wait,
        say: &'a (dyn Fn(&str) + Sync),
    ) -> Self {
        Self {
            provider,
            names,
            wait,
            say,
            added: Mutex::new(Vec::new()),
        }
    }

    /// The TXT records of `batch`.
    pub fn records(&self, batch: &[Challenge]) -> Vec<Record> {
        batch
            .iter()
            .map(|c| Record {
                fqdn: self
                    .names
                    .get(&c.identifier)
                    .cloned()
                    .unwrap_or_else(|| txt_name(&c.identifier, None)),
                value: c.key_authorization.dns_value(),
            })
            .collect()
    }

    fn added(&self) -> std::sync::MutexGuard<'_, Vec<Record>> {
        self.added.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn add(&self, batch: &[Challenge]) -> Result<(), Error> {
        let Some(provider) = &self.provider else {
            return Ok(());
        };
        for record in self.records(batch) {
            (self.say)(&format!(
                "Adding TXT value: {} for domain: {}",
                record.value, record.fqdn
            ));
            // Remembered before the call: a provider that fails (or is interrupted) after
            // the record was made still gets the removal.
            self.added().push(record.clone());
            provider.add(&record).await?;
            (self.say)("The TXT record has been successfully added.");
        }
        Ok(())
    }

    async fn check(&self, batch: &[Challenge]) -> Result<(), Error> {
        match &self.wait {
            Wait::Sleep(pause) => {
                (self.say)(&format!(
                    "Sleeping for {} seconds to wait for the TXT records to take effect",
                    pause.as_secs()
                ));
                tokio::time::sleep(*pause).await;
                Ok(())
            }
            Wait::Check(options) => {
                (self.say)("Checking that every authoritative DNS server has the TXT records.");
                propagation::wait(&self.records(batch), options, self.say).await?;
                Ok(())
            }
        }
    }

    async fn remove(&self) -> Result<(), Error> {
        let Some(provider) = &self.provider else {
            return Ok(());
        };
        let records = std::mem::take(&mut *self.added());
        if records.is_empty() {
            return Ok(());
        }
        (self.say)("Removing DNS records.");
        let mut first = None;
        for record in &records {
            if let Err(e) = provider.remove(record).await {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), |e| Err(e.into()))
    }
}

impl Solver for Dns01<'_> {
    fn kind(&self) -> ChallengeType {
        ChallengeType::Dns01
    }

    fn present<'b>(&'b self, batch: &'b [Challenge]) -> BoxFuture<'b, Result<(), Error>> {
        Box::pin(self.add(batch))
    }

    fn ready<'b>(&'b self, batch: &'b [Challenge]) -> BoxFuture<'b, Result<(), Error>> {
        Box::pin(self.check(batch))
    }

    fn cleanup<'b>(&'b self, batch: &'b [Challenge]) -> BoxFuture<'b, Result<(), Error>> {
        let _ = batch;
        Box::pin(self.remove())
    }
}

#[cfg(test)]
#[path = "dns_tests.rs"]
mod tests;
