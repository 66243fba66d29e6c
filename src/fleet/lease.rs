//! Leases with fencing tokens (docs/fleet.md, "Guarantees").
//!
//! A lease is a row: a name (`lineage:<id>`, `account:<folder>`), its holder (the node), a
//! token drawn from a sequence, and an expiry on the **database's** clock, so a node's wrong
//! clock cannot make it keep or steal a lease. Taking a lease is one statement: insert the
//! row, or take it over only when it has expired, with a new, larger token. A holder extends
//! it while it works ([`renew`]) and gives it back at the end ([`release`]).
//!
//! A lease alone does not stop a node that was paused past its expiry from writing when it
//! wakes up; the token does: every write of a result runs [`hold`] in its own transaction,
//! which locks the lease row and checks it still carries the writer's token and has not
//! expired. A take-over updates that same row, so it waits for the write's transaction, and a
//! write after a take-over finds another token and writes nothing.

use std::time::Duration;

use tokio_postgres::{Client, GenericClient, Transaction};

use super::Error;

/// A lease held by this node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// `lineage:<id>` or `account:<folder>`.
    pub name: String,
    /// The fencing token: larger than every earlier holder's.
    pub token: i64,
}

/// The lease name of a lineage.
pub fn lineage(id: &str) -> String {
    format!("lineage:{id}")
}

/// The lease name of a CA account (its folder under `ca/`).
pub fn account(folder: &str) -> String {
    format!("account:{folder}")
}

/// Seconds of a TTL, as the statements take them.
fn secs(ttl: Duration) -> f64 {
    ttl.as_secs_f64()
}

/// Take the lease `name` for `ttl`, unless another holder's has not expired.
///
/// # Errors
///
/// The database fails.
pub async fn try_acquire(
    db: &impl GenericClient,
    name: &str,
    holder: &str,
    ttl: Duration,
) -> Result<Option<Lease>, Error> {
    let row = db
        .query_opt(
            "INSERT INTO acmers_leases AS l (name, holder, token, expires_at)
             VALUES ($1, $2, nextval('acmers_lease_token'),
                     clock_timestamp() + make_interval(secs => $3))
             ON CONFLICT (name) DO UPDATE
                 SET holder = excluded.holder, token = excluded.token,
                     expires_at = excluded.expires_at
                 WHERE l.expires_at <= clock_timestamp()
             RETURNING token",
            &[&name, &holder, &secs(ttl)],
        )
        .await?;
    Ok(row.map(|row| Lease {
        name: name.to_owned(),
        token: row.get(0),
    }))
}

/// Extend a held lease by `ttl` from now; `false` when it is no longer ours (expired and taken
/// over, or released).
///
/// # Errors
///
/// The database fails.
pub async fn renew(db: &Client, lease: &Lease, ttl: Duration) -> Result<bool, Error> {
    let n = db
        .execute(
            "UPDATE acmers_leases SET expires_at = clock_timestamp() + make_interval(secs => $3)
             WHERE name = $1 AND token = $2 AND expires_at > clock_timestamp()",
            &[&lease.name, &lease.token, &secs(ttl)],
        )
        .await?;
    Ok(n == 1)
}

/// Give a lease back (nothing happens when it was taken over meanwhile).
///
/// # Errors
///
/// The database fails.
pub async fn release(db: &Client, lease: &Lease) -> Result<(), Error> {
    db.execute(
        "DELETE FROM acmers_leases WHERE name = $1 AND token = $2",
        &[&lease.name, &lease.token],
    )
    .await?;
    Ok(())
}

/// Within a write's transaction: lock the lease row and check it is still `lease` and
/// unexpired. The caller writes only when this is `true`; a take-over waits for the
/// transaction to end.
///
/// # Errors
///
/// The database fails.
pub async fn hold(tx: &Transaction<'_>, lease: &Lease) -> Result<bool, Error> {
    let row = tx
        .query_opt(
            "SELECT 1 FROM acmers_leases
             WHERE name = $1 AND token = $2 AND expires_at > clock_timestamp()
             FOR UPDATE",
            &[&lease.name, &lease.token],
        )
        .await?;
    Ok(row.is_some())
}
