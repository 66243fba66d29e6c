//! Versioned schema migrations, applied when a node connects.
//!
//! Every migration runs in one transaction that first takes a transaction-level advisory
//! lock, so two nodes starting at once apply each migration once: the second waits, then
//! finds it applied. DDL is transactional in PostgreSQL, so a failed migration leaves the
//! schema as it was. A store migrated by a newer acmers is refused rather than written with
//! an older idea of its tables.

use tokio_postgres::Client;

use super::Error;

/// The migrations, in order: (version, SQL).
const MIGRATIONS: &[(i32, &str)] = &[(1, include_str!("schema/0001_init.sql"))];

/// The advisory lock key of migrations (an arbitrary constant: "acmers" in ASCII).
const LOCK_KEY: i64 = 0x6163_6d65_7273;

/// The schema version this binary writes.
pub const VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Bring the store's schema to [`VERSION`]; returns the migrations applied.
///
/// # Errors
///
/// The database fails, or the store's schema is newer than this binary's
/// ([`Error::NewerSchema`]).
pub async fn migrate(client: &mut Client) -> Result<Vec<i32>, Error> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS acmers_schema (
             version    integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await?;
    let current: i32 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM acmers_schema", &[])
        .await?
        .get(0);
    if current > VERSION {
        return Err(Error::NewerSchema {
            store: current,
            ours: VERSION,
        });
    }
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO acmers_schema (version) VALUES ($1)",
            &[version],
        )
        .await?;
        applied.push(*version);
    }
    tx.commit().await?;
    Ok(applied)
}
