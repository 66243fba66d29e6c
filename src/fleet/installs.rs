//! What each node installs (docs/fleet.md, "Serving the fleet"): per node and lineage, the
//! install targets and reload command (`--install-cert --node`), kept as conf lines, and the
//! certificate version the node installed last. A node installs what changed since.

use tokio_postgres::GenericClient;

use super::Error;

/// An install of this node whose certificate changed since it last installed it.
#[derive(Clone, Debug)]
pub struct Due {
    /// The lineage.
    pub lineage: String,
    /// The install settings as conf lines.
    pub conf: Vec<u8>,
    /// The lineage's certificate version now.
    pub cert_version: i64,
}

/// Save `node`'s install settings for `lineage` (installed again at its next pass).
///
/// # Errors
///
/// The database fails (or the store has no such lineage).
pub async fn set(
    db: &impl GenericClient,
    node: &str,
    lineage: &str,
    conf: &[u8],
) -> Result<(), Error> {
    db.execute(
        "INSERT INTO acmers_installs (node, lineage, conf) VALUES ($1, $2, $3)
         ON CONFLICT (node, lineage) DO UPDATE SET conf = excluded.conf, installed_version = 0",
        &[&node, &lineage, &conf],
    )
    .await?;
    Ok(())
}

/// `node`'s installs whose certificate changed since it last installed them: one query.
///
/// # Errors
///
/// The database fails.
pub async fn due(db: &impl GenericClient, node: &str) -> Result<Vec<Due>, Error> {
    let rows = db
        .query(
            "SELECT i.lineage, i.conf, l.cert_version
             FROM acmers_installs i JOIN acmers_lineages l ON l.id = i.lineage
             WHERE i.node = $1 AND l.cert_version > 0
               AND i.installed_version <> l.cert_version
             ORDER BY i.lineage",
            &[&node],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| Due {
            lineage: r.get(0),
            conf: r.get(1),
            cert_version: r.get(2),
        })
        .collect())
}

/// Record that `node` installed version `cert_version` of `lineage`.
///
/// # Errors
///
/// The database fails.
pub async fn mark(
    db: &impl GenericClient,
    node: &str,
    lineage: &str,
    cert_version: i64,
) -> Result<(), Error> {
    db.execute(
        "UPDATE acmers_installs SET installed_version = $3, installed_at = now()
         WHERE node = $1 AND lineage = $2",
        &[&node, &lineage, &cert_version],
    )
    .await?;
    Ok(())
}

/// `node`'s install settings of `lineage`.
///
/// # Errors
///
/// The database fails.
pub async fn get(
    db: &impl GenericClient,
    node: &str,
    lineage: &str,
) -> Result<Option<Vec<u8>>, Error> {
    Ok(db
        .query_opt(
            "SELECT conf FROM acmers_installs WHERE node = $1 AND lineage = $2",
            &[&node, &lineage],
        )
        .await?
        .map(|r| r.get(0)))
}
