//! A node's handle on the store: two connections (one for single statements — claims,
//! lease renewals, reads — and one for the write transactions, taken in turn), the store key,
//! and the check that this node seals keys as the store expects.

use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::Client;

use super::Error;
use super::crypt::StoreKey;

/// The meta row naming the key id private keys are sealed with.
const KEY_ID: &str = "key_id";

/// A node's handle on the store.
pub struct Store {
    db: Client,
    writer: Mutex<Client>,
    key: Option<StoreKey>,
}

impl Store {
    /// A handle over two connections to a migrated store ([`super::migrate::migrate`]),
    /// sealing with `key`, each session bounded by `lease` (the lease time): a transaction
    /// left open longer (its node paused) is ended by the server, so its row locks do not
    /// hold up the nodes taking over; a lock is waited for at most twice that, and a statement
    /// runs at most a minute longer. A store whose keys are sealed is refused without its key, or with
    /// another; the first node with a key records its id, and from then on every node needs
    /// it.
    ///
    /// # Errors
    ///
    /// The database fails, or the key does not match the store's.
    pub async fn new(
        db: Client,
        writer: Client,
        key: Option<StoreKey>,
        lease: std::time::Duration,
    ) -> Result<Self, Error> {
        let ms = |d: std::time::Duration| d.as_millis().max(1);
        let limits = format!(
            "SET idle_in_transaction_session_timeout = {}; SET lock_timeout = {}; \
             SET statement_timeout = {}",
            ms(lease),
            ms(lease * 2),
            ms(lease * 2 + std::time::Duration::from_secs(60))
        );
        db.batch_execute(&limits).await?;
        writer.batch_execute(&limits).await?;
        let stored: Option<String> = db
            .query_opt("SELECT value FROM acmers_meta WHERE name = $1", &[&KEY_ID])
            .await?
            .map(|row| row.get(0));
        match (&stored, &key) {
            (Some(id), None) => {
                return Err(Error::Key(format!(
                    "this store seals private keys with store key {id}; give its key file in {}",
                    super::crypt::KEY_VAR
                )));
            }
            (Some(id), Some(key)) if *id != key.id() => {
                return Err(Error::Key(format!(
                    "this store seals private keys with store key {id}, not with {} (the key \
                     file in {}); give the store's key file",
                    key.id(),
                    super::crypt::KEY_VAR
                )));
            }
            (None, Some(key)) => {
                db.execute(
                    "INSERT INTO acmers_meta (name, value) VALUES ($1, $2)
                     ON CONFLICT (name) DO NOTHING",
                    &[&KEY_ID, &key.id()],
                )
                .await?;
                // Two nodes with different keys starting at once: one of them loses here.
                let won: String = db
                    .query_one("SELECT value FROM acmers_meta WHERE name = $1", &[&KEY_ID])
                    .await?
                    .get(0);
                if won != key.id() {
                    return Err(Error::Key(format!(
                        "this store seals private keys with store key {won}, not with {}",
                        key.id()
                    )));
                }
            }
            _ => {}
        }
        Ok(Self {
            db,
            writer: Mutex::new(writer),
            key,
        })
    }

    /// The connection for single statements.
    pub fn db(&self) -> &Client {
        &self.db
    }

    /// The connection for a write transaction, for as long as the guard lives.
    pub async fn writer(&self) -> MutexGuard<'_, Client> {
        self.writer.lock().await
    }

    /// The key private keys are sealed with.
    pub fn key(&self) -> Option<&StoreKey> {
        self.key.as_ref()
    }
}
