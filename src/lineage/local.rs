//! The local commands on one lineage's files, with no CA involved (acme.sh's
//! `createDomainKey`, `createCSR`, `toPkcs`, `toPkcs8`), and the PFX written again after every
//! new certificate (acme.sh's `issue`). Each command works under the lineage's lock, after an
//! interrupted update is finished (docs/keys.md).

use std::time::Duration;

use super::files::load_key;
use super::{Error, Progress, one_line};
use crate::acme::types::Identifier;
use crate::keys::{KeyType, PrivateKey};
use crate::store::atomic::{create_private_dir_all, write_atomic};
use crate::store::journal::{self, Transaction};
use crate::store::layout::KEY_MODE;
use crate::store::record::DomainRecord;
use crate::store::trust::Policy;
use crate::store::{Lineage, file, lock};

/// `--create-domain-key` (acme.sh's `createDomainKey`): a new `<d>.key` of `key_type`, saved
/// with `Le_Keylength` as one unit (store::journal). An existing key is replaced only with
/// `force`; a certificate issued for it then no longer matches, and the next renewal check
/// renews it (docs/keys.md).
///
/// # Errors
///
/// [`Error::DomainKeyExists`] without `force`; the folder cannot be used or locked; the key
/// cannot be made or written.
pub async fn create_domain_key(
    lineage: &Lineage,
    key_type: KeyType,
    force: bool,
    lock_timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), Error> {
    progress.info(&"Creating domain key");
    let _lock = open(lineage, lock_timeout, true).await?;
    let path = lineage.key();
    let exists = file::read(&path, file::MAX_FILE)?.is_some_and(|f| !f.bytes.is_empty());
    if exists && !force {
        return Err(Error::DomainKeyExists { path });
    }
    let key = PrivateKey::generate(key_type).map_err(Error::KeyGen)?;
    let mut record =
        DomainRecord::load_trusted(&lineage.conf(), Policy::current())?.unwrap_or_default();
    record.set_key_length(&key_type.as_acmesh());
    let mut tx = Transaction::new(&lineage.dir);
    tx.stage(&path, key.to_pem().as_bytes(), KEY_MODE)?;
    tx.stage(&lineage.conf(), &record.render_bytes(), 0o600)?;
    tx.commit()?;
    // A next key an interrupted `--force` run staged would replace this one.
    file::remove(&lineage.next_key())?;
    progress.info(&format_args!("The domain key is here: {}", path.display()));
    Ok(())
}

/// `--create-csr` (acme.sh's `createCSR`): `<d>.csr` for `identifiers` (the main one first,
/// `main` as typed) with `key_usage` (`--extended-key-usage`; acme.sh's default without it),
/// signed with the lineage's key by the CSR builder issuance uses.
///
/// # Errors
///
/// [`Error::NotFound`] without a domain key; the folder cannot be locked; the CSR cannot be
/// built or written.
pub async fn create_csr(
    lineage: &Lineage,
    (main, identifiers): (&str, &[Identifier]),
    key_usage: Option<&str>,
    lock_timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), Error> {
    progress.info(&"Creating CSR");
    let _lock = open(lineage, lock_timeout, false).await?;
    let key = domain_key(lineage)?;
    progress.info(&crate::csr::describe(main, identifiers));
    let extensions = crate::csr::Extensions {
        key_usage: key_usage.unwrap_or(crate::csr::DEFAULT_KEY_USAGE),
        must_staple: false,
    };
    let csr = crate::csr::build_with(&key, identifiers, extensions)?;
    write_atomic(&lineage.csr(), csr.pem.as_bytes(), 0o644)?;
    Ok(())
}

/// `--to-pkcs12` (acme.sh's `toPkcs`): `<d>.pfx` with the key, `<d>.cer` and `ca.cer` under
/// `password`, and the password saved (`Le_PFXPassword`) so every new certificate is
/// exported again.
///
/// # Errors
///
/// A file is missing or unusable; the folder cannot be locked; a write fails.
pub async fn to_pkcs12(
    lineage: &Lineage,
    password: &str,
    lock_timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let _lock = open(lineage, lock_timeout, false).await?;
    write_pfx(lineage, password)?;
    let mut record =
        DomainRecord::load_trusted(&lineage.conf(), Policy::current())?.unwrap_or_default();
    record.set_pfx_password(password);
    record.save(&lineage.conf())?;
    progress.info(&format_args!(
        "Success, PFX has been exported to: {}",
        lineage.pfx().display()
    ));
    Ok(())
}

/// `--to-pkcs8` (acme.sh's `toPkcs8`): `<d>.pkcs8`, the domain key as unencrypted PKCS#8
/// PEM (0600).
///
/// # Errors
///
/// [`Error::NotFound`] without a domain key; the folder cannot be locked; the write fails.
pub async fn to_pkcs8(
    lineage: &Lineage,
    lock_timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let _lock = open(lineage, lock_timeout, false).await?;
    let key = domain_key(lineage)?;
    let path = lineage.pkcs8();
    write_atomic(&path, key.to_pkcs8_pem().as_bytes(), KEY_MODE)?;
    progress.info(&format_args!("Success, {}", path.display()));
    Ok(())
}

/// After a new certificate was committed: write `<d>.pfx` again when the conf has
/// `Le_PFXPassword` (even an empty one). A failure is a warning; the renewal stands.
pub(super) fn export_pfx_again(lineage: &Lineage, record: &DomainRecord, progress: &dyn Progress) {
    let Some(password) = record.pfx_password() else {
        return;
    };
    match write_pfx(lineage, &password) {
        Ok(()) => progress.info(&format_args!(
            "The PFX file was exported again: {}",
            lineage.pfx().display()
        )),
        Err(e) => progress.warn(&format_args!(
            "warning: cannot export the PFX file `{}` again: {}",
            lineage.pfx().display(),
            one_line(&e)
        )),
    }
}

/// Write `<d>.pfx` (0600, atomically) from `<d>.key`, `<d>.cer` and `ca.cer`.
fn write_pfx(lineage: &Lineage, password: &str) -> Result<(), Error> {
    let key = domain_key(lineage)?;
    let cer = lineage.cer();
    let mut pem = file::read(&cer, file::MAX_FILE)?
        .ok_or_else(|| Error::NotFound {
            what: "certificate",
            path: cer.clone(),
        })?
        .bytes;
    if let Some(ca) = file::read(&lineage.ca_cer(), file::MAX_FILE)? {
        pem.push(b'\n');
        pem.extend(ca.bytes);
    }
    let chain = crate::cert::chain_for_key(&pem, &key.spki_der())
        .map_err(|source| Error::Chain { path: cer, source })?;
    let path = lineage.pfx();
    let der = crate::pkcs12::encode(&key.pkcs8_der(), &chain, password).map_err(|source| {
        Error::Pkcs12 {
            path: path.clone(),
            source,
        }
    })?;
    write_atomic(&path, &der, KEY_MODE)?;
    Ok(())
}

/// The lineage's domain key; [`Error::NotFound`] (acme.sh's words) when there is none.
fn domain_key(lineage: &Lineage) -> Result<PrivateKey, Error> {
    load_key(&lineage.key())?.ok_or_else(|| Error::NotFound {
        what: "key file",
        path: lineage.key(),
    })
}

/// Lock the lineage folder (created first when `create`) and finish an interrupted update.
/// A missing folder that is not to be created holds no key: [`Error::NotFound`] for it.
async fn open(
    lineage: &Lineage,
    lock_timeout: Duration,
    create: bool,
) -> Result<lock::Lock, Error> {
    // As root, nothing is created in, locked in or read from a folder another user controls.
    Policy::current().check_dir(&lineage.dir)?;
    if create {
        create_private_dir_all(&lineage.dir)?;
    } else if !lineage.dir.is_dir() {
        return Err(Error::NotFound {
            what: "key file",
            path: lineage.key(),
        });
    }
    let held = lock_lineage(lineage, lock_timeout).await?;
    journal::roll_forward(&lineage.dir)?;
    Ok(held)
}

/// The lineage's lock, waiting up to `timeout` for another process.
async fn lock_lineage(lineage: &Lineage, timeout: Duration) -> Result<lock::Lock, Error> {
    lock::lock(&lineage.dir, timeout)
        .await?
        .ok_or_else(|| Error::LineageLocked {
            path: lineage.dir.join(lock::LOCK_FILE),
            secs: timeout.as_secs(),
        })
}
