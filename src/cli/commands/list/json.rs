//! `--list --json`: one JSON object per lineage and line (JSON Lines), for monitoring.
//!
//! Fields (times are RFC 3339 in UTC, `null` when unknown):
//!
//! | field | from |
//! |---|---|
//! | `main_domain` | `Le_Domain` (the folder's domain when the conf is unreadable) |
//! | `sans` | every name: `Le_Domain`, then `Le_Alt` (without `no`) |
//! | `key_type` | `Le_Keylength` as saved (`ec-256`, `2048`, …) |
//! | `ca` | the CA's display name, as in the table |
//! | `ca_url` | `Le_API` (Let's Encrypt when empty, as acme.sh assumes): the CA that issued the certificate |
//! | `primary_ca_url` | `Acmers_PrimaryAPI`: the lineage's own CA when the certificate came from a fallback CA (docs/failover.md), else `null` |
//! | `not_before`, `not_after` | the certificate file `<d>.cer` |
//! | `created`, `next_renewal` | `Le_CertCreateTime`, `Le_NextRenewTime` |
//! | `last_error`, `last_error_time` | `Acmers_LastError` (base64-wrapped text), `Acmers_LastErrorTime` (epoch) |
//! | `next_attempt`, `failed_attempts` | the backoff after failures: `Acmers_NextAttempt` (epoch), `Acmers_FailedAttempts` (0 when none) |
//! | `ari_window_start`, `ari_window_end` | the CA's renewal window (ARI): `Acmers_ARI_Start`, `Acmers_ARI_End` |
//! | `ari_renew_at`, `ari_next_check` | the time chosen in it, the next ARI check: `Acmers_ARI_RenewAt`, `Acmers_ARI_NextCheck` |
//! | `folder` | the lineage folder |

use anyhow::Context as _;
use serde::Serialize;

use super::{Entry, ca_display_name};
use crate::cert;
use crate::cli::settings::LETSENCRYPT;
use crate::store::file;
use crate::store::record::DomainRecord;

/// One `--list --json` line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct JsonEntry {
    /// The main domain.
    pub main_domain: String,
    /// Every name of the certificate, the main domain first.
    pub sans: Vec<String>,
    /// `Le_Keylength`.
    pub key_type: Option<String>,
    /// The CA's display name (`LetsEncrypt.org`, …) or its URL.
    pub ca: Option<String>,
    /// The CA's directory URL.
    pub ca_url: Option<String>,
    /// The lineage's own CA, when the certificate came from a fallback CA (docs/failover.md).
    pub primary_ca_url: Option<String>,
    /// The certificate's notBefore.
    pub not_before: Option<String>,
    /// The certificate's notAfter.
    pub not_after: Option<String>,
    /// When the certificate was issued.
    pub created: Option<String>,
    /// When it is due for renewal.
    pub next_renewal: Option<String>,
    /// The last renewal error.
    pub last_error: Option<String>,
    /// When the last renewal error happened.
    pub last_error_time: Option<String>,
    /// When the next attempt after failures is allowed (docs/renewal.md, "Backoff").
    pub next_attempt: Option<String>,
    /// How many attempts in a row failed.
    pub failed_attempts: u32,
    /// The start of the CA's renewal window (ARI, docs/ari.md).
    pub ari_window_start: Option<String>,
    /// The end of the CA's renewal window.
    pub ari_window_end: Option<String>,
    /// The time chosen in the window: the lineage renews then.
    pub ari_renew_at: Option<String>,
    /// When the window is asked for again.
    pub ari_next_check: Option<String>,
    /// The lineage folder.
    pub folder: String,
}

impl JsonEntry {
    /// The JSON object of one listed lineage; reads `<d>.cer` for the validity.
    pub(crate) fn of(entry: &Entry) -> Self {
        let lineage = &entry.found.lineage;
        let cert = match &entry.cert {
            Some(pem) => Some(pem.clone()),
            None => file::read(&lineage.cer(), file::MAX_FILE)
                .ok()
                .flatten()
                .map(|loaded| loaded.bytes),
        };
        let (not_before, not_after) = cert
            .and_then(|pem| cert::read_leaf(&pem).ok())
            .map(|info| (rfc3339(info.not_before), rfc3339(info.not_after)))
            .unwrap_or_default();
        let mut out = Self {
            main_domain: entry.found.main_domain.clone(),
            sans: vec![entry.found.main_domain.clone()],
            not_before,
            not_after,
            folder: lineage.dir.to_string_lossy().into_owned(),
            ..Self::default()
        };
        if let Ok(conf) = &entry.conf {
            out.fill_from_conf(conf);
        }
        out
    }

    fn fill_from_conf(&mut self, record: &DomainRecord) {
        if let Some(main) = record.main_domain() {
            self.main_domain = main;
        }
        self.sans = vec![self.main_domain.clone()];
        for name in record.alt_names() {
            if !self.sans.contains(&name) {
                self.sans.push(name);
            }
        }
        self.key_type = record.key_length();
        let url = record.api().unwrap_or_else(|| LETSENCRYPT.to_owned());
        self.ca = Some(ca_display_name(&url));
        self.ca_url = Some(url);
        self.primary_ca_url = record.primary_api();
        self.created = record.cert_create_time().and_then(rfc3339);
        self.next_renewal = record.next_renew_time().and_then(rfc3339);
        let (error, at) = record.last_error();
        self.last_error = error;
        self.last_error_time = at.and_then(rfc3339);
        self.next_attempt = record.backoff().and_then(|(at, _)| rfc3339(at));
        self.failed_attempts = record.failed_attempts();
        if let Some((start, end)) = record.ari_window() {
            (self.ari_window_start, self.ari_window_end) = (rfc3339(start), rfc3339(end));
        }
        self.ari_renew_at = record.ari_renew_at().and_then(rfc3339);
        self.ari_next_check = record.ari_next_check().and_then(rfc3339);
    }
}

/// Unix seconds as RFC 3339 (`2027-02-26T20:42:16Z`); `None` when out of range.
fn rfc3339(unix: i64) -> Option<String> {
    jiff::Timestamp::from_second(unix)
        .ok()
        .map(|t| t.to_string())
}

/// Every entry as one JSON line, each ending in `\n`.
///
/// # Errors
///
/// When serialization fails, which it cannot for these string fields.
pub(crate) fn render(entries: &[Entry]) -> anyhow::Result<String> {
    let mut out = String::new();
    for entry in entries {
        let line = serde_json::to_string(&JsonEntry::of(entry))
            .with_context(|| format!("cannot write `{}` as JSON", entry.found.main_domain))?;
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
