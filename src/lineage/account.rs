//! The CA account for a run: key in `ca/<host>/<path>/account.key`, URL and key hash in
//! `ca.conf`, registration when needed (acme.sh's `_regAccount`).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;

use super::{Ca, Error, Progress};
use crate::acme::{Account, Client, Eab, Registration};
use crate::keys::PrivateKey;
use crate::store::atomic::create_private_dir_all;
use crate::store::file;
use crate::store::lock;
use crate::store::record::CaRecord;
use crate::store::trust::Policy;
use crate::store::{CaDir, Home};

/// The account in use, and where its state lives.
pub struct AccountState {
    /// The account.
    pub account: Account,
    /// Its folder.
    pub ca_dir: CaDir,
    /// `CA_KEY_HASH` of its key file.
    pub key_hash: String,
}

/// acme.sh's `CA_KEY_HASH`: base64 of the SHA-256 of the account key file's bytes.
pub fn key_hash(key_file: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key_file);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

/// Load or create the account key, and register unless `ca.conf` already names an account
/// for exactly this key. The CA folder's lock is held meanwhile, so two processes starting on
/// a fresh home register one account, not two.
pub(super) async fn load_or_register(
    client: Arc<Client>,
    home: &Home,
    ca: &Ca,
    lock_timeout: Duration,
    progress: &dyn Progress,
) -> Result<AccountState, Error> {
    account(client, home, ca, lock_timeout, progress, false).await
}

/// `--register-account` (acme.sh's `registeraccount`): like the registration of a run, but always
/// sends newAccount, which finds the account of an already registered key.
///
/// # Errors
///
/// The account folder cannot be used, the key cannot be created or read, the CA refuses.
pub async fn register(
    client: Arc<Client>,
    home: &Home,
    ca: &Ca,
    lock_timeout: Duration,
    progress: &dyn Progress,
) -> Result<AccountState, Error> {
    account(client, home, ca, lock_timeout, progress, true).await
}

/// The CA folder's lock (registration, account changes), waiting up to `timeout`.
pub(super) async fn lock_ca_dir(ca_dir: &CaDir, timeout: Duration) -> Result<lock::Lock, Error> {
    lock::lock(&ca_dir.dir, timeout)
        .await?
        .ok_or_else(|| Error::AccountLocked {
            path: ca_dir.dir.join(lock::LOCK_FILE),
            secs: timeout.as_secs(),
        })
}

/// The account's contact for the CA: `mailto:<email>`, or none.
pub(super) fn contact(email: Option<&str>) -> Vec<String> {
    email.iter().map(|e| format!("mailto:{e}")).collect()
}

async fn account(
    client: Arc<Client>,
    home: &Home,
    ca: &Ca,
    lock_timeout: Duration,
    progress: &dyn Progress,
    always_register: bool,
) -> Result<AccountState, Error> {
    let (ca_dir, _lock) = open_ca_dir(home, &ca.server, lock_timeout).await?;
    let policy = Policy::current();
    let key_path = ca_dir.account_key();
    let key_pem = match saved_account_key(&ca_dir, policy)? {
        Some(pem) => pem,
        None => {
            progress.info(&"Creating account key");
            new_account_key(&ca_dir, ca, progress)?
        }
    };
    let key = PrivateKey::from_pem(&key_pem).map_err(|source| Error::Key {
        what: "account key",
        path: key_path.clone(),
        source,
    })?;
    let hash = key_hash(key_pem.as_bytes());
    let mut record = CaRecord::load_trusted(&ca_dir.ca_conf(), policy)?;
    let email = ca.email.clone().or_else(|| record.email());
    let contact = contact(email.as_deref());
    let key: Arc<dyn crate::acme::jws::Signer> = Arc::new(key);
    let saved_eab = || {
        let (kid, hmac_key) = record.eab()?;
        Eab::from_text(&kid, &hmac_key)
    };
    let eab = ca.eab.clone().or_else(saved_eab);

    let account = match record.account_url() {
        Some(url) if !always_register && record.key_hash().as_deref() == Some(hash.as_str()) => {
            Account::existing_bound(client, key, contact, url, eab)
        }
        _ => {
            let required = client
                .directory()
                .meta
                .as_ref()
                .and_then(|m| m.external_account_required)
                == Some(true);
            let fetched = match (&eab, &ca.zerossl_eab) {
                (None, Some(endpoint)) => {
                    Some(zerossl_eab(&client, endpoint, email.as_deref(), progress).await?)
                }
                _ => None,
            };
            // A binding from the command line or from ZeroSSL is saved with the account.
            if let Some(new) = ca.eab.as_ref().or(fetched.as_ref()) {
                record.set_eab(&new.kid, &crate::acme::jws::b64(&new.hmac_key));
            }
            let eab = eab.or(fetched);
            if required && eab.is_none() {
                return Err(Error::EabRequired {
                    server: ca.server.clone(),
                });
            }
            progress.info(&format_args!(
                "Registering account: {}",
                client.directory().new_account
            ));
            let (account, registration) = Account::register(client, key, contact, eab)
                .await
                .map_err(|e| Error::at_ca(e, &ca.server))?;
            save_registration(&ca_dir, &mut record, &registration, &hash, email.as_deref())?;
            progress.info(&if registration.created {
                "Registered"
            } else {
                "Already registered"
            });
            account
        }
    };
    progress.info_kv("ACCOUNT_THUMBPRINT", account.thumbprint());
    Ok(AccountState {
        account,
        ca_dir,
        key_hash: hash,
    })
}

/// `--create-account-key` (acme.sh's `createAccountKey`): the account key of `ca`, where a run
/// would use it, created with `ca.account_key_type` when there is none; under the CA folder's
/// lock.
///
/// # Errors
///
/// The CA folder cannot be used or locked, the key cannot be made or written.
pub async fn create_account_key(
    home: &Home,
    ca: &Ca,
    lock_timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let (ca_dir, _lock) = open_ca_dir(home, &ca.server, lock_timeout).await?;
    progress.info(&"Creating account key");
    if saved_account_key(&ca_dir, Policy::current())?.is_some() {
        progress.info(&"Account key exists, skipping");
    } else {
        new_account_key(&ca_dir, ca, progress)?;
    }
    Ok(())
}

/// The folder of the CA `server`, created (0700) and locked. As root, the account key and
/// `ca.conf` come only from folders closed to other users.
async fn open_ca_dir(
    home: &Home,
    server: &str,
    lock_timeout: Duration,
) -> Result<(CaDir, lock::Lock), Error> {
    let ca_dir = home.ca_dir(server)?;
    Policy::current().check_dir(&ca_dir.dir)?;
    create_private_dir_all(&ca_dir.dir)?;
    let lock = lock_ca_dir(&ca_dir, lock_timeout).await?;
    Ok((ca_dir, lock))
}

/// The text of the saved account key, `None` when there is none (as root, a file another
/// user controls is refused).
fn saved_account_key(ca_dir: &CaDir, policy: Policy) -> Result<Option<String>, Error> {
    let key_path = ca_dir.account_key();
    // An `ACCOUNT_KEY_PATH` outside the CA folder: its folder is judged too.
    if let Some(folder) = key_path.parent() {
        policy.check_dir(folder)?;
    }
    let Some(loaded) = file::read(&key_path, file::MAX_FILE)? else {
        return Ok(None);
    };
    policy.check_file(&key_path, loaded.origin)?;
    Ok(Some(String::from_utf8_lossy(&loaded.bytes).into_owned()))
}

/// Make and save (0600, atomically) a new account key of `ca.account_key_type`; its text.
fn new_account_key(ca_dir: &CaDir, ca: &Ca, progress: &dyn Progress) -> Result<String, Error> {
    let pem = PrivateKey::generate(ca.account_key_type)
        .map_err(Error::KeyGen)?
        .to_pem();
    ca_dir.save_account_key(&pem)?;
    progress.info(&"Account key creation OK.");
    Ok(pem)
}

/// ZeroSSL's EAB credentials for `email` (acme.sh's `_regAccount`).
async fn zerossl_eab(
    client: &Client,
    endpoint: &str,
    email: Option<&str>,
    progress: &dyn Progress,
) -> Result<Eab, Error> {
    progress.info(&"No EAB credentials found for ZeroSSL, let's obtain them");
    let email = email.ok_or(Error::ZeroSslEmail)?;
    let at_endpoint = |e| Error::at_ca(e, endpoint);
    let url = client.check_url(endpoint).map_err(at_endpoint)?;
    crate::acme::zerossl::eab_credentials(client.http(), &url, email)
        .await
        .map_err(at_endpoint)
}

/// Write `account.json` and the account keys of `ca.conf`.
fn save_registration(
    ca_dir: &CaDir,
    record: &mut CaRecord,
    registration: &Registration,
    key_hash: &str,
    email: Option<&str>,
) -> Result<(), Error> {
    ca_dir.save_account_json(&registration.body)?;
    record.set_account(&registration.url, key_hash, email);
    record.save(&ca_dir.ca_conf())?;
    Ok(())
}

impl AccountState {
    /// Persist a re-registration that happened during the run (the CA had forgotten the
    /// saved account).
    pub(super) fn save_if_reregistered(&self, progress: &dyn Progress) -> Result<(), Error> {
        let Some(registration) = self.account.reregistered() else {
            return Ok(());
        };
        let mut record = CaRecord::load_trusted(&self.ca_dir.ca_conf(), Policy::current())?;
        let email = record.email();
        save_registration(
            &self.ca_dir,
            &mut record,
            &registration,
            &self.key_hash,
            email.as_deref(),
        )?;
        progress.info(&format_args!(
            "The CA did not know the saved account; registered the same key again: {}",
            registration.url
        ));
        Ok(())
    }
}
