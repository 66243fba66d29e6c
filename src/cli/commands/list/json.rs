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
//! | `ca_url` | `Le_API` (Let's Encrypt when empty, as acme.sh assumes) |
//! | `not_before`, `not_after` | the certificate file `<d>.cer` |
//! | `created`, `next_renewal` | `Le_CertCreateTime`, `Le_NextRenewTime` |
//! | `last_error`, `last_error_time` | `Acmers_LastError` (base64-wrapped text), `Acmers_LastErrorTime` (epoch) |
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
    /// The lineage folder.
    pub folder: String,
}

impl JsonEntry {
    /// The JSON object of one listed lineage; reads `<d>.cer` for the validity.
    pub(crate) fn of(entry: &Entry) -> Self {
        let lineage = &entry.found.lineage;
        let (not_before, not_after) = file::read(&lineage.cer(), file::MAX_FILE)
            .ok()
            .flatten()
            .and_then(|loaded| cert::read_leaf(&loaded.bytes).ok())
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
        self.created = record.cert_create_time().and_then(rfc3339);
        self.next_renewal = record.next_renew_time().and_then(rfc3339);
        let (error, at) = record.last_error();
        self.last_error = error;
        self.last_error_time = at.and_then(rfc3339);
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
mod tests {
    use std::path::Path;

    use super::*;
    use crate::store::scan::Found;
    use crate::store::{self, Lineage};

    fn entry(dir: &Path, conf: Result<DomainRecord, store::Error>) -> Entry {
        let main = "a.example.test";
        Entry {
            found: Found {
                main_domain: main.into(),
                ecc: true,
                lineage: Lineage::at(dir, main, true).unwrap(),
            },
            conf,
        }
    }

    #[test]
    fn from_conf_without_certificate() {
        let tmp = tempfile::tempdir().unwrap();
        let mut conf = DomainRecord::parse(
            "Le_Domain='a.example.test'\nLe_Alt='www.a.example.test,a.example.test'\n\
             Le_Keylength='ec-384'\nLe_API='https://acme.zerossl.com/v2/DV90'\n\
             Le_CertCreateTime='1795898536'\nLe_NextRenewTime='1798404136'\n",
        );
        conf.set_last_error("order failed: 'quoted'\nsecond line", 1_795_900_000);
        let got = JsonEntry::of(&entry(tmp.path(), Ok(conf)));
        let folder = tmp.path().join("a.example.test_ecc");
        assert_eq!(
            got,
            JsonEntry {
                main_domain: "a.example.test".into(),
                sans: vec!["a.example.test".into(), "www.a.example.test".into()],
                key_type: Some("ec-384".into()),
                ca: Some("ZeroSSL.com".into()),
                ca_url: Some("https://acme.zerossl.com/v2/DV90".into()),
                not_before: None,
                not_after: None,
                created: Some("2026-11-28T20:42:16Z".into()),
                next_renewal: Some("2026-12-27T20:42:16Z".into()),
                last_error: Some("order failed: 'quoted'\nsecond line".into()),
                last_error_time: Some("2026-11-28T21:06:40Z".into()),
                folder: folder.to_string_lossy().into_owned(),
            }
        );
    }

    #[test]
    fn unreadable_conf_keeps_what_is_known() {
        let tmp = tempfile::tempdir().unwrap();
        let err = store::Error::Read {
            path: tmp.path().into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        let got = JsonEntry::of(&entry(tmp.path(), Err(err)));
        assert_eq!(got.main_domain, "a.example.test");
        assert_eq!(got.sans, ["a.example.test"]);
        assert_eq!((got.ca, got.created, got.last_error), (None, None, None));
        let line = render(&[entry(tmp.path(), Ok(DomainRecord::parse("Le_Alt='no'\n")))]).unwrap();
        let value: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap();
        assert_eq!(value["sans"], serde_json::json!(["a.example.test"]));
        assert_eq!(value["ca"], "LetsEncrypt.org");
        assert_eq!(value["not_after"], serde_json::Value::Null);
        assert!(line.ends_with("}\n") && line.lines().count() == 1);
    }
}
