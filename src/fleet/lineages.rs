//! Lineages in the store: their files, the columns derived from them at every write, and the
//! due queue (docs/fleet.md, "How a pass works").
//!
//! A lineage is the folder of an acme.sh home (`example.com`, `example.com_ecc`) kept as its
//! files: the conf is the typed [`DomainRecord`]'s file form, so a key the store does not know
//! round-trips untouched, and an exported folder is byte for byte what was imported or
//! issued. The columns beside (`next_due`, `not_after`, ARI and retry state, …) are computed
//! from those files whenever they are written, never edited on their own.

use tokio_postgres::{Client, GenericClient};

use super::files::{self, Files, LINEAGE};
use super::lease::{self, Lease};
use super::{Error, Store};
use crate::renew;
use crate::store::layout::split_folder;
use crate::store::record::DomainRecord;

/// The columns derived from a lineage's files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Derived {
    /// `Le_Domain` (else the folder name without `_ecc`).
    pub main_domain: String,
    /// An ECC key (the folder ends in `_ecc`).
    pub ecc: bool,
    /// Every name, comma-separated, as `--list` shows them.
    pub domains: String,
    /// `Le_API`.
    pub server: Option<String>,
    /// `Le_Keylength`.
    pub key_length: Option<String>,
    /// `Le_CertCreateTime`.
    pub created: Option<i64>,
    /// The certificate's notAfter.
    pub not_after: Option<i64>,
    /// [`renew::next_due`].
    pub next_due: Option<i64>,
    /// The saved ARI window (start, end).
    pub ari_window: Option<(i64, i64)>,
    /// The time chosen in the ARI window.
    pub ari_renew_at: Option<i64>,
    /// `Acmers_ARI_NextCheck`.
    pub ari_next_check: Option<i64>,
    /// `Acmers_NextAttempt`.
    pub next_attempt: Option<i64>,
    /// `Acmers_FailedAttempts`.
    pub failed_attempts: i32,
    /// `Acmers_LastError`.
    pub last_error: Option<String>,
}

/// The conf file's name in the folder `id`.
pub fn conf_name(id: &str) -> String {
    format!("{}.conf", main_of(id))
}

/// The certificate file's name in the folder `id`.
pub fn cer_name(id: &str) -> String {
    format!("{}.cer", main_of(id))
}

/// The main domain a folder name stands for.
fn main_of(id: &str) -> &str {
    split_folder(id).0
}

/// The record of a lineage's files (empty when it has no conf).
pub fn record(id: &str, files: &Files) -> DomainRecord {
    files
        .get(&conf_name(id))
        .map(|b| DomainRecord::parse(&String::from_utf8_lossy(b)))
        .unwrap_or_default()
}

/// The derived columns of lineage `id` with `files`; `ari`: ARI is on for its CA.
pub fn derive(id: &str, files: &Files, ari: bool) -> Derived {
    let record = record(id, files);
    let leaf = files
        .get(&cer_name(id))
        .and_then(|pem| crate::cert::read_leaf(pem).ok());
    let main = record
        .main_domain()
        .unwrap_or_else(|| main_of(id).to_owned());
    let mut domains = vec![main.clone()];
    domains.extend(record.alt_names());
    let (last_error, _) = record.last_error();
    Derived {
        main_domain: main,
        ecc: id.ends_with("_ecc"),
        domains: domains.join(","),
        server: record.api(),
        key_length: record.key_length(),
        created: record.cert_create_time(),
        not_after: leaf.map(|l| l.not_after),
        next_due: renew::next_due(&record, ari),
        ari_window: record.ari_window(),
        ari_renew_at: record.ari_renew_at(),
        ari_next_check: record.ari_next_check(),
        next_attempt: record.backoff().map(|(at, _)| at),
        failed_attempts: i32::try_from(record.failed_attempts()).unwrap_or(i32::MAX),
        last_error,
    }
}

/// Whether the store has lineage `id`.
///
/// # Errors
///
/// The database fails.
pub async fn exists(db: &impl GenericClient, id: &str) -> Result<bool, Error> {
    Ok(db
        .query_opt("SELECT 1 FROM acmers_lineages WHERE id = $1", &[&id])
        .await?
        .is_some())
}

/// Read lineage `id`'s files; `None` when the store has no such lineage.
///
/// # Errors
///
/// The database fails, or a sealed key does not open.
pub async fn load(store: &Store, id: &str) -> Result<Option<Files>, Error> {
    if !exists(store.db(), id).await? {
        return Ok(None);
    }
    Ok(Some(
        files::load(store.db(), LINEAGE, id, store.key()).await?,
    ))
}

/// What a fenced write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Put {
    /// Written; the lineage's new version.
    Written(i64),
    /// Not written: the lease was taken over or has expired (the writer lost its claim).
    Fenced,
}

/// Write lineage `id`'s files (and their derived columns) if `lease` still holds, in one
/// transaction with the check ([`lease::hold`]). The certificate version goes up when the
/// certificate changed. The due time is not before `not_before` (unix seconds; 0 for none):
/// a pass that looked at a lineage and found nothing to do puts it past its own time, so it
/// is not claimed again before the next pass, whatever the due time computed from its files.
///
/// # Errors
///
/// The database fails.
pub async fn put(
    store: &Store,
    lease: &Lease,
    id: &str,
    files: &Files,
    (ari, not_before): (bool, i64),
) -> Result<Put, Error> {
    let mut d = derive(id, files, ari);
    d.next_due = d.next_due.map(|at| at.max(not_before));
    let mut db = store.writer().await;
    let tx = db.transaction().await?;
    if !lease::hold(&tx, lease).await? {
        return Ok(Put::Fenced);
    }
    let old_cer: Option<Vec<u8>> = tx
        .query_opt(
            "SELECT body FROM acmers_lineage_files WHERE lineage = $1 AND name = $2",
            &[&id, &cer_name(id)],
        )
        .await?
        .map(|row| row.get(0));
    let cert_changed = old_cer.as_deref() != files.get(&cer_name(id));
    let version: i64 = tx
        .query_one(
            "INSERT INTO acmers_lineages AS l (id, main_domain, ecc, domains, server, key_length,
                 created, not_after, next_due, ari_next_check, next_attempt, failed_attempts,
                 last_error, cert_version, fence, ari_start, ari_end, ari_renew_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
                     CASE WHEN $14 THEN 1 ELSE 0 END, $15, $16, $17, $18)
             ON CONFLICT (id) DO UPDATE SET
                 main_domain = excluded.main_domain, ecc = excluded.ecc,
                 domains = excluded.domains, server = excluded.server,
                 key_length = excluded.key_length, created = excluded.created,
                 not_after = excluded.not_after, next_due = excluded.next_due,
                 ari_next_check = excluded.ari_next_check,
                 next_attempt = excluded.next_attempt,
                 failed_attempts = excluded.failed_attempts, last_error = excluded.last_error,
                 ari_start = excluded.ari_start, ari_end = excluded.ari_end,
                 ari_renew_at = excluded.ari_renew_at,
                 cert_version = l.cert_version + CASE WHEN $14 THEN 1 ELSE 0 END,
                 version = l.version + 1, fence = excluded.fence, updated_at = now()
             RETURNING version",
            &[
                &id,
                &d.main_domain,
                &d.ecc,
                &d.domains,
                &d.server,
                &d.key_length,
                &d.created,
                &d.not_after,
                &d.next_due,
                &d.ari_next_check,
                &d.next_attempt,
                &d.failed_attempts,
                &d.last_error,
                &cert_changed,
                &lease.token,
                &d.ari_window.map(|w| w.0),
                &d.ari_window.map(|w| w.1),
                &d.ari_renew_at,
            ],
        )
        .await?
        .get(0);
    files::replace(&tx, LINEAGE, id, files, store.key()).await?;
    tx.commit().await?;
    Ok(Put::Written(version))
}

/// Claim up to `limit` lineages due at `now` (unix seconds, the node's renewal clock) that no
/// other node holds, in order of due time, each with a new lease for `ttl`: one statement,
/// `FOR UPDATE SKIP LOCKED`, so nodes claiming at once get different lineages. A lineage
/// another node is working on is skipped; one whose holder's lease expired is taken over.
///
/// A pick can be lost to a node whose lease committed after this statement's snapshot (the
/// statement saw the lineage free, then found the lease on insert): the statement says so,
/// and when it claimed nothing else it runs again with a fresh snapshot, so an empty answer
/// always means that nothing due is free. Each lost pick is another node's claim, so this
/// ends.
///
/// # Errors
///
/// The database fails.
pub async fn claim_due(
    db: &Client,
    holder: &str,
    now: i64,
    limit: i64,
    ttl: std::time::Duration,
) -> Result<Vec<(String, Lease)>, Error> {
    loop {
        let rows = db
            .query(
                "WITH due AS (
                 SELECT l.id FROM acmers_lineages l
                 WHERE l.next_due <= $1
                   AND NOT EXISTS (SELECT 1 FROM acmers_leases x
                                   WHERE x.name = 'lineage:' || l.id
                                     AND x.expires_at > clock_timestamp())
                 ORDER BY l.next_due, l.id
                 LIMIT $2
                 FOR UPDATE OF l SKIP LOCKED),
             claimed AS (
             INSERT INTO acmers_leases AS x (name, holder, token, expires_at)
             SELECT 'lineage:' || id, $3, nextval('acmers_lease_token'),
                    clock_timestamp() + make_interval(secs => $4)
             FROM due
             ON CONFLICT (name) DO UPDATE
                 SET holder = excluded.holder, token = excluded.token,
                     expires_at = excluded.expires_at
                 WHERE x.expires_at <= clock_timestamp()
             RETURNING name, token)
             SELECT name, token FROM claimed
             UNION ALL
             SELECT NULL, NULL WHERE (SELECT count(*) FROM due) > (SELECT count(*) FROM claimed)",
                &[&now, &limit, &holder, &ttl.as_secs_f64()],
            )
            .await?;
        let lost = rows
            .iter()
            .any(|row| row.get::<_, Option<String>>(0).is_none());
        let claimed: Vec<(String, Lease)> = rows
            .into_iter()
            .filter_map(|row| {
                let name: String = row.get::<_, Option<String>>(0)?;
                let id = name.strip_prefix("lineage:")?.to_owned();
                Some((
                    id,
                    Lease {
                        name,
                        token: row.get(1),
                    },
                ))
            })
            .collect();
        if !lost || !claimed.is_empty() {
            return Ok(claimed);
        }
    }
}

/// One lineage as `--list` shows it.
#[derive(Clone, Debug)]
pub struct Listed {
    /// The folder name.
    pub id: String,
    /// The derived columns.
    pub derived: Derived,
}

/// Every lineage, by folder name.
///
/// # Errors
///
/// The database fails.
pub async fn list(db: &impl GenericClient) -> Result<Vec<Listed>, Error> {
    let rows = db
        .query(
            "SELECT id, main_domain, ecc, domains, server, key_length, created, not_after,
                    next_due, ari_next_check, next_attempt, failed_attempts, last_error,
                    ari_start, ari_end, ari_renew_at
             FROM acmers_lineages ORDER BY id",
            &[],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Listed {
            id: r.get(0),
            derived: Derived {
                main_domain: r.get(1),
                ecc: r.get(2),
                domains: r.get(3),
                server: r.get(4),
                key_length: r.get(5),
                created: r.get(6),
                not_after: r.get(7),
                next_due: r.get(8),
                ari_next_check: r.get(9),
                next_attempt: r.get(10),
                failed_attempts: r.get(11),
                last_error: r.get(12),
                ari_window: r.get::<_, Option<i64>>(13).zip(r.get::<_, Option<i64>>(14)),
                ari_renew_at: r.get(15),
            },
        })
        .collect())
}

/// Every lineage's conf (and with `cert`, its certificate), by folder name in byte order:
/// one query, for `--list`.
///
/// # Errors
///
/// The database fails.
pub async fn confs(
    db: &impl GenericClient,
    cert: bool,
) -> Result<Vec<(String, Vec<u8>, Option<Vec<u8>>)>, Error> {
    let rows = db
        .query(
            "SELECT l.id, c.body, CASE WHEN $1 THEN p.body END
             FROM acmers_lineages l
             JOIN acmers_lineage_files c
               ON c.lineage = l.id AND c.name = regexp_replace(l.id, '_ecc$', '') || '.conf'
             LEFT JOIN acmers_lineage_files p
               ON p.lineage = l.id AND p.name = regexp_replace(l.id, '_ecc$', '') || '.cer'
             ORDER BY l.id COLLATE \"C\"",
            &[&cert],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

#[cfg(test)]
#[path = "lineages_tests.rs"]
mod tests;
