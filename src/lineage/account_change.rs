//! Changes to the registered account of a CA, for the account commands (docs/accounts.md):
//! the contact (acme.sh's `updateaccount`), deactivation (acme.sh's `deactivateaccount`) and
//! key rollover ([RFC 8555 §7.3.5]). Each works on the account `ca.conf` names, under the CA
//! folder's lock, and never registers one.

use std::sync::Arc;
use std::time::Duration;

use super::account::{contact, key_hash, lock_ca_dir};
use super::{Ca, Error, Progress};
use crate::acme::jws::Signer;
use crate::acme::{Account, Client};
use crate::keys::PrivateKey;
use crate::store::atomic::write_atomic;
use crate::store::layout::KEY_MODE;
use crate::store::record::CaRecord;
use crate::store::trust::Policy;
use crate::store::{CaDir, Home, file, lock};

/// The saved account of a CA folder, its lock held.
struct Saved {
    account: Account,
    ca_dir: CaDir,
    record: CaRecord,
    contact_email: Option<String>,
    _lock: lock::Lock,
}

/// Lock the CA folder and load its account: `account.key` and `ACCOUNT_URL` must exist (acme.sh
/// says the same when they do not).
async fn saved(
    client: Arc<Client>,
    home: &Home,
    ca: &Ca,
    lock_timeout: Duration,
) -> Result<Saved, Error> {
    let ca_dir = home.ca_dir(&ca.server)?;
    let policy = Policy::current();
    policy.check_dir(&ca_dir.dir)?;
    let no_account = |path| Error::NoAccount {
        server: ca.server.clone(),
        path,
    };
    if !ca_dir.dir.is_dir() {
        return Err(no_account(ca_dir.ca_conf()));
    }
    let held = lock_ca_dir(&ca_dir, lock_timeout).await?;
    let key_path = ca_dir.account_key();
    // An `ACCOUNT_KEY_PATH` outside the CA folder: its folder is judged too.
    if let Some(folder) = key_path.parent() {
        policy.check_dir(folder)?;
    }
    let loaded =
        file::read(&key_path, file::MAX_FILE)?.ok_or_else(|| no_account(key_path.clone()))?;
    policy.check_file(&key_path, loaded.origin)?;
    let key = PrivateKey::from_pem(&String::from_utf8_lossy(&loaded.bytes)).map_err(|source| {
        Error::Key {
            what: "account key",
            path: key_path.clone(),
            source,
        }
    })?;
    let record = CaRecord::load_trusted(&ca_dir.ca_conf(), policy)?;
    let url = record
        .account_url()
        .ok_or_else(|| no_account(ca_dir.ca_conf()))?;
    let contact_email = ca.email.clone().or_else(|| record.email());
    let contact = contact(contact_email.as_deref());
    Ok(Saved {
        account: Account::existing(client, Arc::new(key), contact, url),
        ca_dir,
        record,
        contact_email,
        _lock: held,
    })
}

/// `--update-account`: send the contact (`-m`, else `CA_EMAIL`; none clears it) and save the
/// account object the CA returned.
///
/// # Errors
///
/// No saved account, the CA refuses, the home cannot be written.
pub async fn update_account(
    client: Arc<Client>,
    home: &Home,
    ca: &Ca,
    lock_timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let mut saved = saved(client, home, ca, lock_timeout).await?;
    let contact = contact(saved.contact_email.as_deref());
    let body = saved
        .account
        .update_contact(&contact)
        .await
        .map_err(|e| Error::at_ca(e, &ca.server))?;
    saved.ca_dir.save_account_json(&body)?;
    if let Some(email) = &saved.contact_email {
        let (url, hash) = (
            saved.account.url(),
            saved.record.key_hash().unwrap_or_default(),
        );
        saved.record.set_account(&url, &hash, Some(email));
        saved.record.save(&saved.ca_dir.ca_conf())?;
    }
    progress.info(&format_args!(
        "Account update success for {}.",
        saved.account.url()
    ));
    progress.info_kv("ACCOUNT_THUMBPRINT", saved.account.thumbprint());
    Ok(())
}

/// `--deactivate-account`: deactivate the account at the CA, then move `ca.conf`,
/// `account.json` and `account.key` to `deactivated/<account id>/` as acme.sh does.
///
/// # Errors
///
/// No saved account, the CA refuses, the files cannot be moved.
pub async fn deactivate_account(
    client: Arc<Client>,
    home: &Home,
    ca: &Ca,
    lock_timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let saved = saved(client, home, ca, lock_timeout).await?;
    let url = saved.account.url();
    saved
        .account
        .deactivate()
        .await
        .map_err(|e| Error::at_ca(e, &ca.server))?;
    progress.info(&format_args!("Successfully deactivated account {url}."));
    // The account id is the last segment of its URL; anything else than a plain name is
    // not used as a folder name.
    let id = url
        .rsplit('/')
        .next()
        .filter(|id| {
            !id.is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .unwrap_or("account");
    let target = saved.ca_dir.dir.join("deactivated").join(id);
    crate::store::atomic::create_private_dir_all(&target)?;
    progress.info(&format_args!(
        "Moving deactivated account info to {}/",
        target.display()
    ));
    let ca_dir = &saved.ca_dir;
    for from in [
        ca_dir.ca_conf(),
        ca_dir.account_json(),
        ca_dir.account_key(),
    ] {
        let Some(name) = from.file_name() else {
            continue;
        };
        match std::fs::rename(&from, target.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(crate::store::Error::Write {
                    path: from,
                    source: e,
                }
                .into());
            }
            _ => {}
        }
    }
    Ok(())
}

/// `--update-account-key`: roll the account over to a new key of `ca.account_key_type`. The
/// new key is written to `account.key.next` first; `account.key` is replaced (atomically) only
/// after the CA accepted it, then `CA_KEY_HASH`. A run stopped between the CA's answer and
/// the replacement leaves the key the CA knows in `account.key.next`.
///
/// # Errors
///
/// No saved account, the CA refuses (the old key stays), the home cannot be written.
pub async fn change_account_key(
    client: Arc<Client>,
    home: &Home,
    ca: &Ca,
    lock_timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let mut saved = saved(client, home, ca, lock_timeout).await?;
    let new_key = PrivateKey::generate(ca.account_key_type).map_err(Error::KeyGen)?;
    let pem = new_key.to_pem();
    let next = saved.ca_dir.account_key_next();
    write_atomic(&next, pem.as_bytes(), KEY_MODE)?;
    if let Err(e) = saved.account.change_key(&new_key).await {
        file::remove(&next)?;
        return Err(Error::at_ca(e, &ca.server));
    }
    saved.ca_dir.save_account_key(&pem)?;
    let email = saved.record.email();
    saved.record.set_account(
        &saved.account.url(),
        &key_hash(pem.as_bytes()),
        email.as_deref(),
    );
    saved.record.save(&saved.ca_dir.ca_conf())?;
    file::remove(&next)?;
    progress.info(&format_args!(
        "Account key changed for {}.",
        saved.account.url()
    ));
    progress.info_kv("ACCOUNT_THUMBPRINT", &new_key.jwk().thumbprint());
    Ok(())
}
