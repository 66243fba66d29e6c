//! The due queue's claim ([`acmers::fleet::lineages::claim_due`]) against a real PostgreSQL,
//! with the race made deterministic: another node's lease that commits while a claim waits on
//! it (found by `bench/fleet.sh`, where two of three nodes starting at once ended their pass
//! with nothing claimed while 10,000 lineages were due).

use std::time::{Duration, Instant};

use acmers::fleet::{lineages, migrate};

use crate::support::postgres::Postgres;

/// A hang guard, never a timing assertion.
const GUARD: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_claim_that_loses_its_pick_to_a_committing_node_claims_the_next_due_lineage() {
    let pg = Postgres::shared();
    let db = pg.database();
    let mut node_a = pg.client(&db).await;
    migrate::migrate(&mut node_a).await.expect("migrate");
    node_a
        .batch_execute(
            "INSERT INTO acmers_lineages (id, main_domain, ecc, domains, next_due) VALUES
                 ('first.test', 'first.test', false, 'first.test', 1),
                 ('second.test', 'second.test', false, 'second.test', 2)",
        )
        .await
        .expect("two due lineages");

    // Node a takes the first lineage's lease and has not committed yet.
    let tx = node_a.transaction().await.expect("begin");
    tx.batch_execute(
        "INSERT INTO acmers_leases (name, holder, token, expires_at)
         VALUES ('lineage:first.test', 'a', nextval('acmers_lease_token'),
                 clock_timestamp() + interval '2 minutes')",
    )
    .await
    .expect("node a's lease");

    // Node b claims: its snapshot shows the first lineage free, so it waits on a's lease.
    let node_b = pg.client(&db).await;
    let claim = tokio::spawn(async move {
        lineages::claim_due(&node_b, "b", 10, 1, Duration::from_secs(120)).await
    });
    let deadline = Instant::now() + GUARD;
    while pg.psql(
        &db,
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    ) != "1"
    {
        assert!(
            Instant::now() < deadline,
            "node b's claim never waited on a's lease"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tx.commit().await.expect("node a commits");

    let claimed = tokio::time::timeout(GUARD, claim)
        .await
        .expect("the claim hung")
        .expect("the claim task")
        .expect("claim_due");
    let ids: Vec<&str> = claimed.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        ids,
        ["second.test"],
        "an empty claim ends a node's pass although a lineage is still due and free"
    );
    assert_eq!(
        pg.psql(
            &db,
            "SELECT holder FROM acmers_leases WHERE name = 'lineage:first.test'"
        ),
        "a",
        "node a keeps its lease"
    );
}
