//! The CA account for a run: key in `ca/<host>/<path>/account.key`, URL and key hash in
//! `ca.conf`, registration when needed (acme.sh's `_regAccount`).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;

use crate::acme::{Account, Client, Registration};
use crate::cli::printer::Printer;
use crate::keys::{KeyType, PrivateKey};
use crate::store::atomic::{create_private_dir_all, write_atomic};
use crate::store::file;
use crate::store::lock;
use crate::store::trust::Policy;
use crate::store::{CaDir, Conf, Home};

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
pub async fn load_or_register(
    client: Arc<Client>,
    home: &Home,
    server: &str,
    key_type: KeyType,
    email: Option<&str>,
    lock_timeout: Duration,
    printer: &Printer,
) -> anyhow::Result<AccountState> {
    let ca_dir = home.ca_dir(server)?;
    // As root, the account key and `ca.conf` come only from folders closed to other users.
    let policy = Policy::current();
    policy.check_dir(&ca_dir.dir)?;
    create_private_dir_all(&ca_dir.dir)?;
    let _lock = lock::lock(&ca_dir.dir, lock_timeout)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "another acmers process has held the account lock `{}` for {} s; try again later",
                ca_dir.dir.join(lock::LOCK_FILE).display(),
                lock_timeout.as_secs()
            )
        })?;
    let key_path = ca_dir.account_key();
    let key_pem = match file::read(&key_path, file::MAX_FILE)? {
        Some(loaded) => {
            policy.check_file(&key_path, loaded.origin)?;
            String::from_utf8_lossy(&loaded.bytes).into_owned()
        }
        None => {
            printer.info("Creating account key");
            let pem = PrivateKey::generate(key_type)?.to_pem();
            write_atomic(&key_path, pem.as_bytes(), 0o600)?;
            printer.info("Account key creation OK.");
            pem
        }
    };
    let key = PrivateKey::from_pem(&key_pem)
        .with_context(|| format!("cannot use the account key `{}`", key_path.display()))?;
    let hash = key_hash(key_pem.as_bytes());
    let mut ca_conf = Conf::load_trusted(&ca_dir.ca_conf(), policy)?.unwrap_or_default();
    let email = email
        .map(str::to_owned)
        .or_else(|| ca_conf.get("CA_EMAIL").filter(|e| !e.is_empty()));
    let contact: Vec<String> = email.iter().map(|e| format!("mailto:{e}")).collect();
    let key: Arc<dyn crate::acme::jws::Signer> = Arc::new(key);

    let saved_url = ca_conf.get("ACCOUNT_URL").filter(|u| !u.is_empty());
    let account = match saved_url {
        Some(url) if ca_conf.get("CA_KEY_HASH").as_deref() == Some(hash.as_str()) => {
            Account::existing(client, key, contact, url)
        }
        _ => {
            printer.info(format_args!(
                "Registering account: {}",
                client.directory().new_account
            ));
            let (account, registration) = Account::register(client, key, contact, None).await?;
            save_registration(
                &ca_dir,
                &mut ca_conf,
                &registration,
                &hash,
                email.as_deref(),
            )?;
            printer.info(if registration.created {
                "Registered"
            } else {
                "Already registered"
            });
            account
        }
    };
    printer.info_kv("ACCOUNT_THUMBPRINT", account.thumbprint());
    Ok(AccountState {
        account,
        ca_dir,
        key_hash: hash,
    })
}

/// Write `account.json` and the account keys of `ca.conf`.
pub fn save_registration(
    ca_dir: &CaDir,
    ca_conf: &mut Conf,
    registration: &Registration,
    key_hash: &str,
    email: Option<&str>,
) -> anyhow::Result<()> {
    write_atomic(&ca_dir.account_json(), &registration.body, 0o600)?;
    ca_conf.set("ACCOUNT_URL", &registration.url);
    ca_conf.set("CA_KEY_HASH", key_hash);
    if let Some(email) = email {
        ca_conf.set("CA_EMAIL", email);
    }
    ca_conf.save(&ca_dir.ca_conf())?;
    Ok(())
}

impl AccountState {
    /// Persist a re-registration that happened during the run (the CA had forgotten the
    /// saved account).
    pub fn save_if_reregistered(&self, printer: &Printer) -> anyhow::Result<()> {
        let Some(registration) = self.account.reregistered() else {
            return Ok(());
        };
        let mut ca_conf = Conf::load(&self.ca_dir.ca_conf())?.unwrap_or_default();
        let email = ca_conf.get("CA_EMAIL");
        save_registration(
            &self.ca_dir,
            &mut ca_conf,
            &registration,
            &self.key_hash,
            email.as_deref(),
        )?;
        printer.info(format_args!(
            "The CA did not know the saved account; registered the same key again: {}",
            registration.url
        ));
        Ok(())
    }
}
