//! The files of one lineage: the domain key (reused, first, or a next key kept beside the
//! current one) or the CSR of a lineage without one, the health check of what is served, and
//! the journalled switch of a verified issuance (acme.sh's `_initpath` names the files).

use std::path::Path;

use super::{Error, Kind, Progress, Request};
use crate::acme::order::same_identifiers;
use crate::acme::types::Identifier;
use crate::cert::IssuedChain;
use crate::csr::{CsrFile, MAX_CSR};
use crate::keys::PrivateKey;
use crate::renew;
use crate::store::atomic::create_private_dir_all;
use crate::store::journal::Transaction;
use crate::store::layout::KEY_MODE;
use crate::store::record::DomainRecord;
use crate::store::{Lineage, file};

/// Seconds after `Le_CertCreateTime` within which the issuance itself writes the certificate
/// and key files (the time is taken before the journal writes them).
const WRITE_SLACK: i64 = 10;

/// Whether the lineage signs a CSR made elsewhere instead of a domain key of its own: its
/// `<d>.csr` exists and its `<d>.key` does not (acme.sh's `issue`, "Signing from existing
/// CSR."), unless `Le_Keylength` has acme.sh's `ec-N` form, which only a lineage with a key of
/// its own saves (a CSR lineage saves openssl's curve name), so a missing EC key stays damage
/// (docs/csr.md).
pub(super) fn signs_csr(lineage: &Lineage, record: &DomainRecord) -> bool {
    let exists = |p: &Path| std::fs::symlink_metadata(p).is_ok();
    exists(&lineage.csr())
        && !exists(&lineage.key())
        && !record.key_length().is_some_and(|k| k.starts_with("ec-"))
}

/// Why the files of an issued lineage cannot be served, if so; such a lineage is due now,
/// whatever its saved renewal time (docs/renewal.md). A missing certificate or key (the CSR,
/// for a lineage that signs one made elsewhere: docs/csr.md) is found with one `stat` each; the certificate is read
/// and checked against the key (it must parse, carry the key's public key and not be
/// expired) only when either file changed after `Le_CertCreateTime`, so a pass over
/// untouched lineages stays cheap.
pub fn damage(lineage: &Lineage, record: &DomainRecord, now: i64) -> Option<String> {
    let from_csr = signs_csr(lineage, record);
    let cer = lineage.cer();
    let (own, what) = if from_csr {
        (lineage.csr(), "CSR")
    } else {
        (lineage.key(), "domain key")
    };
    let mtime = |path: &Path, what: &str| match std::fs::metadata(path) {
        Ok(meta) => Ok(std::os::unix::fs::MetadataExt::mtime(&meta)),
        Err(e) => Err(format!(
            "the {what} `{}` cannot be read ({e})",
            path.display()
        )),
    };
    let times = mtime(&cer, "certificate").and_then(|c| Ok((c, mtime(&own, what)?)));
    let (cer_time, own_time) = match times {
        Ok(times) => times,
        Err(why) => return Some(why),
    };
    let created = record.cert_create_time().unwrap_or(0);
    if cer_time.max(own_time) <= created.saturating_add(WRITE_SLACK) {
        return None;
    }
    let checked = (|| {
        let spki = if from_csr {
            load_csr(&own).map_err(|e| super::one_line(&e))?.spki_der
        } else {
            load_key(&own)
                .map_err(|e| super::one_line(&e))?
                .ok_or_else(|| "the domain key is missing".to_owned())?
                .spki_der()
        };
        let pem = file::read(&cer, file::MAX_FILE)
            .map_err(|e| super::one_line(&e))?
            .map(|f| f.bytes)
            .unwrap_or_default();
        crate::cert::check_installed(&pem, &spki, now).map_err(|e| super::one_line(&e))
    })();
    checked
        .err()
        .map(|e| format!("the certificate `{}` is not usable: {e}", cer.display()))
}

/// The CSR of a lineage that [`signs_csr`] (one removed meanwhile reads as empty, which is
/// no CSR).
fn load_csr(path: &Path) -> Result<CsrFile, Error> {
    let bytes = file::read(path, MAX_CSR as u64)?
        .map(|loaded| loaded.bytes)
        .unwrap_or_default();
    CsrFile::parse(&bytes).map_err(|source| Error::CsrFile {
        path: path.to_owned(),
        source,
    })
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

/// What an attempt finalizes with.
pub(super) enum Signing {
    /// A domain key of the lineage (acmers builds the CSR), and where it came from.
    Key(PrivateKey, KeyOrigin),
    /// A CSR made elsewhere, sent unchanged: `--signcsr`'s, or the saved one of a lineage
    /// that [`signs_csr`].
    Csr(CsrFile),
}

/// What this attempt signs with: `--signcsr`'s CSR (the folder must have no key of its own),
/// on a renewal the saved CSR of a lineage that [`signs_csr`], else the domain key
/// ([`domain_key`]). A CSR must name exactly the request's identifiers.
pub(super) fn signing(
    lineage: &Lineage,
    record: &DomainRecord,
    request: &Request,
    progress: &dyn Progress,
) -> Result<Signing, Error> {
    let csr = match &request.kind {
        Kind::Issue(given) if given.csr.is_some() => {
            if std::fs::symlink_metadata(lineage.key()).is_ok() {
                return Err(Error::KeyExists {
                    path: lineage.key(),
                });
            }
            given.csr.as_deref().cloned()
        }
        Kind::Renewal if signs_csr(lineage, record) => Some(load_csr(&lineage.csr())?),
        Kind::Issue(_) | Kind::Renewal => None,
    };
    let Some(csr) = csr else {
        let (key, origin) = domain_key(lineage, request, progress)?;
        return Ok(Signing::Key(key, origin));
    };
    progress.info(&"Signing from existing CSR.");
    let named: Vec<Identifier> = csr
        .main_and_others()
        .map(|(main, others)| [vec![main], others].concat())
        .unwrap_or_default();
    let wanted = request.identifiers();
    if !same_identifiers(&named, &wanted) {
        let list = |ids: &[Identifier]| {
            ids.iter()
                .map(Identifier::value)
                .collect::<Vec<_>>()
                .join(",")
        };
        return Err(Error::CsrNames {
            path: lineage.csr(),
            csr: list(&named),
            saved: list(&wanted),
        });
    }
    Ok(Signing::Csr(csr))
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
/// it); a first key when there is none; with `--always-force-new-domain-key`, or with
/// `force` and another type, a new key kept as a next key until [`write_issued`] switches it
/// in with its certificate, so a crash never pairs the old certificate with the new key.
/// Without `force` a key of another type is an error, as in acme.sh.
fn domain_key(
    lineage: &Lineage,
    request: &Request,
    progress: &dyn Progress,
) -> Result<(PrivateKey, KeyOrigin), Error> {
    let (key_type, force) = (request.key_type, request.force);
    let always_new = request.order.force_new_domain_key;
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
    if current.key_type() == key_type && !always_new {
        // A next key of another run is not wanted any more (or was already switched in).
        file::remove(&next_path)?;
        return Ok((current, KeyOrigin::Reused));
    }
    // A next key of the requested type: an earlier run made it and was interrupted before its
    // certificate was written; finish that work (unless it was switched in already).
    if let Some(next) = load_key(&next_path)?
        .filter(|k| k.key_type() == key_type && k.spki_der() != current.spki_der())
    {
        return Ok((next, KeyOrigin::Next { fresh: false }));
    }
    if !force && !always_new {
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
    /// The key it certifies, and where that key came from (none for a CSR made elsewhere).
    pub key: Option<(&'a PrivateKey, KeyOrigin)>,
    /// The CSR file (acmers' PEM, or the CSR as given).
    pub csr: &'a [u8],
    /// `Le_LinkCert`.
    pub cert_url: &'a str,
    /// `Le_RenewalDays`, when set.
    pub days: Option<i64>,
    /// The renewal time, when the order fixed it (`--valid-to`); else it follows `days`.
    pub next_renew: Option<i64>,
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
        key,
        csr,
        cert_url,
        days,
        next_renew,
        now,
    } = *issued;
    let next = next_renew
        .unwrap_or_else(|| renew::next_renew_time(now, chain.not_before, chain.not_after, days));
    record.set_issued(cert_url, now, next);
    if !record.install().is_empty() {
        record.set_install_pending(true);
    }
    let mut tx = Transaction::new(&lineage.dir);
    if let Some((key, KeyOrigin::Next { .. })) = key {
        tx.stage(&lineage.key(), key.to_pem().as_bytes(), KEY_MODE)?;
    }
    tx.stage(&lineage.csr(), csr, 0o644)?;
    tx.stage(&lineage.cer(), chain.leaf_pem.as_bytes(), 0o644)?;
    tx.stage(&lineage.ca_cer(), chain.issuers_pem.as_bytes(), 0o644)?;
    tx.stage(&lineage.fullchain(), chain.fullchain_pem.as_bytes(), 0o644)?;
    tx.stage(&lineage.conf(), &record.render_bytes(), 0o600)?;
    tx.commit()?;
    file::remove(&lineage.next_key())?;
    Ok(())
}

/// Print acme.sh's closing lines: where each file is (the key only when there is one).
pub(super) fn print_paths(progress: &dyn Progress, lineage: &Lineage) {
    progress.info(&format_args!(
        "Your cert is in: {}",
        lineage.cer().display()
    ));
    if lineage.key().exists() {
        progress.info(&format_args!(
            "Your cert key is in: {}",
            lineage.key().display()
        ));
    }
    progress.info(&format_args!(
        "The intermediate CA cert is in: {}",
        lineage.ca_cer().display()
    ));
    progress.info(&format_args!(
        "And the full-chain cert is in: {}",
        lineage.fullchain().display()
    ));
}
