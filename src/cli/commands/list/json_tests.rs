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
        cert: None,
    }
}

#[test]
fn from_conf_without_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let mut conf = DomainRecord::parse(
        "Le_Domain='a.example.test'\nLe_Alt='www.a.example.test,a.example.test'\n\
         Le_Keylength='ec-384'\nLe_API='https://acme.zerossl.com/v2/DV90'\n\
         Le_CertCreateTime='1795898536'\nLe_NextRenewTime='1798404136'\n\
         Acmers_ARI_Start='1798000000'\nAcmers_ARI_End='1798086400'\n\
         Acmers_ARI_RenewAt='1798040000'\nAcmers_ARI_NextCheck='1795920136'\n\
         Acmers_PrimaryAPI='https://primary.test/dir'\n",
    );
    conf.set_last_error("order failed: 'quoted'\nsecond line", 1_795_900_000);
    conf.set_backoff(1_795_900_600, 2);
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
            primary_ca_url: Some("https://primary.test/dir".into()),
            not_before: None,
            not_after: None,
            created: Some("2026-11-28T20:42:16Z".into()),
            next_renewal: Some("2026-12-27T20:42:16Z".into()),
            last_error: Some("order failed: 'quoted'\nsecond line".into()),
            last_error_time: Some("2026-11-28T21:06:40Z".into()),
            next_attempt: Some("2026-11-28T21:16:40Z".into()),
            failed_attempts: 2,
            ari_window_start: Some("2026-12-23T04:26:40Z".into()),
            ari_window_end: Some("2026-12-24T04:26:40Z".into()),
            ari_renew_at: Some("2026-12-23T15:33:20Z".into()),
            ari_next_check: Some("2026-11-29T02:42:16Z".into()),
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
