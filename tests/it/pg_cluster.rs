//! The throwaway PostgreSQL clusters of [`crate::support::postgres`] (no acmers involved): if
//! one of these fails, the fleet store's tests that use the same helper cannot be trusted
//! either.

use std::sync::Arc;
use std::time::Duration;

use tokio_postgres::error::SqlState;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, NoTls, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::support::certs::{LocalTls, pem_certs};
use crate::support::postgres::Postgres;

/// A hang guard, never a timing assertion.
const CONNECT_GUARD: Duration = Duration::from_secs(60);

/// Connect to `url` with `tls`, driving the connection on a task.
async fn connect<T>(url: &str, tls: T) -> Result<Client, tokio_postgres::Error>
where
    T: MakeTlsConnect<Socket> + Send + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    let (client, connection) =
        tokio::time::timeout(CONNECT_GUARD, tokio_postgres::connect(url, tls))
            .await
            .expect("connection attempt hung")?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

async fn select_one(client: &Client) -> Result<i32, tokio_postgres::Error> {
    Ok(client.query_one("SELECT 1", &[]).await?.get(0))
}

/// rustls (aws-lc-rs) trusting only the CA certificates in `ca_pem`.
fn rustls_trusting(ca_pem: &str) -> MakeRustlsConnect {
    let mut roots = rustls::RootCertStore::empty();
    for cert in pem_certs(ca_pem) {
        roots.add(cert).expect("CA certificate");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    MakeRustlsConnect::new(config)
}

#[tokio::test]
async fn a_fresh_database_answers_with_its_password_only() {
    let pg = Postgres::shared();
    let url = pg.database();
    assert!(url.starts_with("postgres://postgres:"), "{url}");
    assert!(url.ends_with("?sslmode=disable"), "{url}");
    let client = connect(&url, NoTls).await.expect("connect");
    assert_eq!(select_one(&client).await.expect("SELECT 1"), 1);
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .await
        .expect("count tables")
        .get(0);
    assert_eq!(tables, 0, "a fresh database is empty");
    let max: u32 = pg
        .psql(&url, "SHOW max_connections")
        .parse()
        .expect("a number");
    assert!(max >= 200, "max_connections = {max}");

    // TCP connections need the password (scram-sha-256).
    let bare = pg.url_without_password(&url);
    assert!(!bare.contains(pg.password()), "{bare}");
    let refused = connect(&bare, NoTls)
        .await
        .expect_err("no password refused");
    assert!(
        format!("{refused:?}").contains("password missing"),
        "{refused:?}"
    );
    let wrong = url.replace(pg.password(), "wrong");
    let refused = connect(&wrong, NoTls)
        .await
        .expect_err("wrong password refused");
    assert_eq!(
        refused.as_db_error().map(|e| e.code()),
        Some(&SqlState::INVALID_PASSWORD),
        "{refused:?}"
    );
}

#[tokio::test]
async fn two_databases_are_independent() {
    let pg = Postgres::shared();
    let (first, second) = (pg.database(), pg.database());
    assert_ne!(first, second);
    pg.psql(
        &first,
        "CREATE TABLE t (v text); INSERT INTO t VALUES ('first')",
    );
    assert_eq!(pg.psql(&first, "SELECT v FROM t"), "first");
    assert_eq!(pg.psql(&second, "SELECT to_regclass('t') IS NULL"), "t");
    let client = pg.client(&second).await;
    client
        .batch_execute("CREATE TABLE t (v text); INSERT INTO t VALUES ('second')")
        .await
        .expect("create in the second database");
    assert_eq!(pg.psql(&first, "SELECT v FROM t"), "first");
    assert_eq!(pg.psql(&second, "SELECT v FROM t"), "second");
}

#[tokio::test]
async fn terminated_sessions_are_gone() {
    let pg = Postgres::shared();
    let db = pg.database();
    let client = pg.client(&db).await;
    assert_eq!(select_one(&client).await.expect("SELECT 1"), 1);
    assert_eq!(pg.terminate_backends(&db), 1);
    assert!(select_one(&client).await.is_err(), "terminated session");
    let again = pg.client(&db).await;
    assert_eq!(select_one(&again).await.expect("new session"), 1);
}

#[tokio::test]
async fn restart_keeps_data_on_the_same_port() {
    let pg = Postgres::start();
    let db = pg.database();
    let port = pg.port();
    let client = pg.client(&db).await;
    client
        .batch_execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
        .await
        .expect("write");
    pg.restart();
    assert_eq!(pg.port(), port);
    assert!(select_one(&client).await.is_err(), "old session ended");
    let client = pg.client(&db).await;
    let kept: i32 = client
        .query_one("SELECT v FROM kept", &[])
        .await
        .expect("read after restart")
        .get(0);
    assert_eq!(kept, 42);
}

#[tokio::test]
async fn stopped_refuses_and_started_again_answers() {
    let pg = Postgres::start();
    let url = pg.database();
    pg.stop();
    assert!(
        connect(&url, NoTls).await.is_err(),
        "connected to a stopped server"
    );
    pg.start_again();
    let client = connect(&url, NoTls)
        .await
        .expect("connect after start_again");
    assert_eq!(select_one(&client).await.expect("SELECT 1"), 1);
}

#[tokio::test]
async fn tls_cluster_takes_only_verified_tls() {
    let tls = LocalTls::generate();
    let pg = Postgres::start_with_tls(&tls.cert_pem, &tls.key_pem);
    let url = pg.database();
    assert!(url.ends_with("?sslmode=require"), "{url}");

    let client = connect(&url, rustls_trusting(&tls.ca_pem))
        .await
        .expect("connect over TLS");
    let ssl: bool = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("pg_stat_ssl")
        .get(0);
    assert!(ssl, "the session uses TLS");

    let other_ca = LocalTls::generate().ca_pem;
    assert!(
        connect(&url, rustls_trusting(&other_ca)).await.is_err(),
        "a server certificate from an untrusted CA was accepted"
    );
    let plain = url.replace("sslmode=require", "sslmode=disable");
    assert!(
        connect(&plain, NoTls).await.is_err(),
        "a plaintext session was accepted"
    );
}
