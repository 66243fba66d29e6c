//! CA accounts and the home's own files (`account.conf`) in the store.
//!
//! An account is the folder of a CA under the home's `ca/` (`acme-v02.api.letsencrypt.org/
//! directory`): its `account.key` (sealed when the store has a key), `account.json` and
//! `ca.conf`. It is written only under its lease (`account:<folder>`), so two nodes that
//! find no account at a CA register one between them, not one each.

use tokio_postgres::GenericClient;

use super::files::{self, ACCOUNT, Files, HOME};
use super::lease::{self, Lease};
use super::lineages::Put;
use super::{Error, Store};

/// Every account: (folder under `ca/`, files).
///
/// # Errors
///
/// The database fails, or a sealed key does not open.
pub async fn load_all(store: &Store) -> Result<Vec<(String, Files)>, Error> {
    let rows = store
        .db()
        .query("SELECT folder FROM acmers_accounts ORDER BY folder", &[])
        .await?;
    let mut accounts = Vec::with_capacity(rows.len());
    for row in rows {
        let folder: String = row.get(0);
        let files = files::load(store.db(), ACCOUNT, &folder, store.key()).await?;
        accounts.push((folder, files));
    }
    Ok(accounts)
}

/// Whether the store has the account of `folder`.
///
/// # Errors
///
/// The database fails.
pub async fn exists(db: &impl GenericClient, folder: &str) -> Result<bool, Error> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM acmers_accounts WHERE folder = $1",
            &[&folder],
        )
        .await?
        .is_some())
}

/// Write the account of `folder` if `lease` still holds ([`lease::hold`]).
///
/// # Errors
///
/// The database fails.
pub async fn put(store: &Store, lease: &Lease, folder: &str, files: &Files) -> Result<Put, Error> {
    let mut db = store.writer().await;
    let tx = db.transaction().await?;
    if !lease::hold(&tx, lease).await? {
        return Ok(Put::Fenced);
    }
    let version: i64 = tx
        .query_one(
            "INSERT INTO acmers_accounts AS a (folder, fence) VALUES ($1, $2)
             ON CONFLICT (folder) DO UPDATE
                 SET version = a.version + 1, fence = excluded.fence, updated_at = now()
             RETURNING version",
            &[&folder, &lease.token],
        )
        .await?
        .get(0);
    files::replace(&tx, ACCOUNT, folder, files, store.key()).await?;
    tx.commit().await?;
    Ok(Put::Written(version))
}

/// The home's own files (`account.conf`).
///
/// # Errors
///
/// The database fails.
pub async fn load_home(store: &Store) -> Result<Files, Error> {
    files::load(store.db(), HOME, "", store.key()).await
}

/// Replace the home's own files if `lease` (`home`) still holds.
///
/// # Errors
///
/// The database fails.
pub async fn put_home(store: &Store, lease: &Lease, home: &Files) -> Result<Put, Error> {
    let mut db = store.writer().await;
    let tx = db.transaction().await?;
    if !lease::hold(&tx, lease).await? {
        return Ok(Put::Fenced);
    }
    files::replace(&tx, HOME, "", home, store.key()).await?;
    tx.commit().await?;
    Ok(Put::Written(1))
}

/// Whether a folder name from the store is safe to use below `ca/`: relative segments, none
/// empty, `.` or `..`, no backslash or control character.
pub fn safe_folder(folder: &str) -> bool {
    !folder.is_empty()
        && folder
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
        && !folder.chars().any(|c| c == '\\' || c.is_control())
}

#[cfg(test)]
#[path = "accounts_tests.rs"]
mod tests;
