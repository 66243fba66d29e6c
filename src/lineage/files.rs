//! The files of one lineage: the domain key (reused, first, or a next key kept beside the
//! current one), the health check of what is served, and the journalled switch of a verified
//! issuance (acme.sh's `_initpath` names the files).

use std::path::Path;

use super::{Error, Progress};
use crate::cert::IssuedChain;
use crate::keys::{KeyType, PrivateKey};
use crate::renew;
use crate::store::atomic::create_private_dir_all;
use crate::store::journal::Transaction;
use crate::store::layout::KEY_MODE;
use crate::store::record::DomainRecord;
use crate::store::{Lineage, file};

/// Seconds after `Le_CertCreateTime` within which the issuance itself writes the certificate
/// and key files (the time is taken before the journal writes them).
const WRITE_SLACK: i64 = 10;

/// Why the files of an issued lineage cannot be served, if so; such a lineage is due now,
/// whatever its saved renewal time (docs/renewal.md). A missing certificate or key is found
/// with one `stat` each; the certificate is read and checked against the key (it must parse,
/// carry the key's public key and not be expired) only when either file changed after
/// `Le_CertCreateTime`, so a pass over untouched lineages stays cheap.
pub fn damage(lineage: &Lineage, record: &DomainRecord, now: i64) -> Option<String> {
    let (cer, key) = (lineage.cer(), lineage.key());
    let mtime = |path: &Path, what: &str| match std::fs::metadata(path) {
        Ok(meta) => Ok(std::os::unix::fs::MetadataExt::mtime(&meta)),
        Err(e) => Err(format!(
            "the {what} `{}` cannot be read ({e})",
            path.display()
        )),
    };
    let times = mtime(&cer, "certificate").and_then(|c| Ok((c, mtime(&key, "domain key")?)));
    let (cer_time, key_time) = match times {
        Ok(times) => times,
        Err(why) => return Some(why),
    };
    let created = record.cert_create_time().unwrap_or(0);
    if cer_time.max(key_time) <= created.saturating_add(WRITE_SLACK) {
        return None;
    }
    let checked = (|| {
        let key = load_key(&key)
            .map_err(|e| super::one_line(&e))?
            .ok_or_else(|| "the domain key is missing".to_owned())?;
        let pem = file::read(&cer, file::MAX_FILE)
            .map_err(|e| super::one_line(&e))?
            .map(|f| f.bytes)
            .unwrap_or_default();
        crate::cert::check_installed(&pem, &key, now).map_err(|e| super::one_line(&e))
    })();
    checked
        .err()
        .map(|e| format!("the certificate `{}` is not usable: {e}", cer.display()))
}

/// Where the domain key of an attempt comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum KeyOrigin {
    /// The existing `<d>.key`.
    Reused,
    /// A first key, written as `<d>.key` (no certificate pairs with an older one).
    Created,
    /// A new key of another type (`--force`) kept beside the old one until its certificate is
    /// written; `fresh` when made by this run (then no saved order can have used it).
    Next {
        /// Made by this run.
        fresh: bool,
    },
}

impl KeyOrigin {
    /// Whether a saved order may have been finalized with this key.
    pub(super) fn resumable(self) -> bool {
        matches!(self, Self::Reused | Self::Next { fresh: false })
    }
}

/// The domain key at `path`, `None` when there is none.
pub(super) fn load_key(path: &Path) -> Result<Option<PrivateKey>, Error> {
    let Some(loaded) = file::read(path, file::MAX_FILE)? else {
        return Ok(None);
    };
    PrivateKey::from_pem(&String::from_utf8_lossy(&loaded.bytes))
        .map(Some)
        .map_err(|source| Error::Key {
            what: "domain key",
            path: path.to_owned(),
            source,
        })
}

/// The domain key for this attempt: `<d>.key` when it has the requested type (acme.sh reuses
/// it); a first key when there is none; with `force` and another type, a new key kept as
/// a next key until [`write_issued`] switches it in with its certificate, so a crash never
/// pairs the old certificate with the new key. Without `force` a key of another type is an
/// error, as in acme.sh.
pub(super) fn domain_key(
    lineage: &Lineage,
    key_type: KeyType,
    force: bool,
    progress: &dyn Progress,
) -> Result<(PrivateKey, KeyOrigin), Error> {
    let path = lineage.key();
    let next_path = lineage.next_key();
    let generate = || PrivateKey::generate(key_type).map_err(Error::KeyGen);
    let Some(current) = load_key(&path)? else {
        progress.info(&"Creating domain key");
        let key = generate()?;
        create_private_dir_all(&lineage.dir)?;
        lineage.save_key(&key.to_pem())?;
        file::remove(&next_path)?;
        progress.info(&format_args!("The domain key is here: {}", path.display()));
        return Ok((key, KeyOrigin::Created));
    };
    if current.key_type() == key_type {
        // A next key of another run is not wanted any more (or was already switched in).
        file::remove(&next_path)?;
        return Ok((current, KeyOrigin::Reused));
    }
    // A next key of the requested type: an earlier `--force` run made it and was interrupted
    // before its certificate was written; finish that work.
    if let Some(next) = load_key(&next_path)?.filter(|k| k.key_type() == key_type) {
        return Ok((next, KeyOrigin::Next { fresh: false }));
    }
    if !force {
        return Err(Error::KeyType {
            path,
            have: current.key_type().as_acmesh(),
            want: key_type.as_acmesh(),
        });
    }
    progress.info(&"Creating domain key");
    let key = generate()?;
    lineage.save_next_key(&key.to_pem())?;
    progress.info(&format_args!(
        "The new domain key replaces {} once its certificate is issued",
        path.display()
    ));
    Ok((key, KeyOrigin::Next { fresh: true }))
}

/// What a verified issuance writes into the lineage.
pub(super) struct Issued<'a> {
    /// The verified chain.
    pub chain: &'a IssuedChain,
    /// The key it certifies, and where that key came from.
    pub key: (&'a PrivateKey, KeyOrigin),
    /// The CSR (PEM).
    pub csr_pem: &'a str,
    /// `Le_LinkCert`.
    pub cert_url: &'a str,
    /// `Le_RenewalDays`, when set.
    pub days: Option<i64>,
    /// Issue time (unix seconds).
    pub now: i64,
}

/// Switch a verified issuance in as one unit (store::journal): the new key (when it
/// changes), `<d>.csr`, `<d>.cer`, `ca.cer`, `fullchain.cer`, then the record with the new
/// times (and the install marked pending when there are targets).
pub(super) fn write_issued(
    lineage: &Lineage,
    record: &mut DomainRecord,
    issued: &Issued<'_>,
) -> Result<(), Error> {
    let Issued {
        chain,
        key: (key, origin),
        csr_pem,
        cert_url,
        days,
        now,
    } = *issued;
    let next = renew::next_renew_time(now, chain.not_before, chain.not_after, days);
    record.set_issued(cert_url, now, next);
    if !record.install().is_empty() {
        record.set_install_pending(true);
    }
    let mut tx = Transaction::new(&lineage.dir);
    if matches!(origin, KeyOrigin::Next { .. }) {
        tx.stage(&lineage.key(), key.to_pem().as_bytes(), KEY_MODE)?;
    }
    tx.stage(&lineage.csr(), csr_pem.as_bytes(), 0o644)?;
    tx.stage(&lineage.cer(), chain.leaf_pem.as_bytes(), 0o644)?;
    tx.stage(&lineage.ca_cer(), chain.issuers_pem.as_bytes(), 0o644)?;
    tx.stage(&lineage.fullchain(), chain.fullchain_pem.as_bytes(), 0o644)?;
    tx.stage(&lineage.conf(), &record.render_bytes(), 0o600)?;
    tx.commit()?;
    file::remove(&lineage.next_key())?;
    Ok(())
}

/// Print acme.sh's closing lines: where each file is.
pub(super) fn print_paths(progress: &dyn Progress, lineage: &Lineage) {
    progress.info(&format_args!(
        "Your cert is in: {}",
        lineage.cer().display()
    ));
    progress.info(&format_args!(
        "Your cert key is in: {}",
        lineage.key().display()
    ));
    progress.info(&format_args!(
        "The intermediate CA cert is in: {}",
        lineage.ca_cer().display()
    ));
    progress.info(&format_args!(
        "And the full-chain cert is in: {}",
        lineage.fullchain().display()
    ));
}
