//! Writes synthetic lineages straight into a fleet store database for the fleet benchmark
//! (`bench/fleet.sh`, docs/benchmarks.md "Fleet store").
//!
//! ```text
//! fleet_store --url URL --count N [--due M] [--server URL] [--not-due-days 60]
//!             [--replace] [--jobs J]
//! ```
//!
//! Connects to `--url` without TLS (a loopback bench cluster only), brings the schema up to
//! date with [`acmers::fleet::migrate::migrate`], then writes lineages `l<i>.bench.test_ecc`
//! (i = 1..=N) with `COPY … FROM STDIN BINARY`, one transaction per chunk of lineages. Each
//! has the files `bench_home` writes into a home — its own P-256 key, CSR, `<d>.csr.conf`, a
//! certificate for its own name signed by one throwaway CA of this run, `ca.cer`,
//! `fullchain.cer` and `<d>.conf` — with `Le_Webroot='stateless'` and `Le_API` = `--server`.
//! The columns beside the files come from [`acmers::fleet::lineages::derive`], so they are
//! exactly what acmers computes when it writes a lineage (as `--import-home` does: ARI on).
//!
//! Lineages `1..=M` are due (issued `not-due-days + 1` days ago); the others were issued now
//! and are next due in `--not-due-days` days. Every conf carries `Acmers_ARI_NextCheck` 6 hours
//! ahead, so no ARI check is due. `--replace` first deletes the lineages it is about to write
//! (to turn the first M lineages of a filled store due). Keys and certificates are made on
//! `--jobs` threads (default: every core). No key is sealed (no store key).

use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use acmers::fleet::files::Files;
use acmers::fleet::lineages::{Derived, derive};
use acmers::renew::DAY;
use acmers::store::record::time_str;
use anyhow::{Context as _, Result, anyhow, ensure};
use clap::Parser;
use tokio_postgres::NoTls;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

/// Lineages per transaction.
const CHUNK: u64 = 5_000;

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "Write synthetic lineages into a fleet store for bench/fleet.sh")]
struct Args {
    /// The store database (`postgres://…?sslmode=disable`, loopback).
    #[arg(long)]
    url: String,
    /// Number of lineages.
    #[arg(long)]
    count: u64,
    /// How many of them (the first ones) are due for renewal.
    #[arg(long, default_value_t = 0)]
    due: u64,
    /// ACME directory URL: every `Le_API`.
    #[arg(long, default_value = "https://127.0.0.1:9/dir")]
    server: String,
    /// Days from now until a lineage that is not due is next due.
    #[arg(long, default_value_t = 60)]
    not_due_days: i64,
    /// Delete the lineages first (replace them).
    #[arg(long)]
    replace: bool,
    /// Worker threads [default: the number of cores].
    #[arg(long)]
    jobs: Option<usize>,
}

#[path = "synthetic/mod.rs"]
mod synthetic;

use synthetic::{Issuer, LIFETIME, unix_now};

/// What every lineage shares.
struct Plan {
    issuer: Issuer,
    server: String,
    /// `scheme://host[:port]` of `server`, for the order and certificate URLs.
    origin: String,
    now: i64,
    due: u64,
    not_due_days: i64,
}

/// One lineage ready to be written: folder name, files, derived columns.
type Row = (String, Files, Derived);

fn main() -> Result<()> {
    let args = Args::parse();
    ensure!(args.count > 0, "--count must be at least 1");
    ensure!(args.due <= args.count, "--due is more than --count");
    ensure!(
        (1..LIFETIME / DAY).contains(&args.not_due_days),
        "--not-due-days must be between 1 and {}",
        LIFETIME / DAY - 1
    );
    ensure!(
        !args.server.chars().any(|c| c == '\'' || c.is_control()),
        "--server must not contain `'`"
    );
    let origin = url::Url::parse(&args.server)
        .with_context(|| format!("--server `{}` is not a URL", args.server))?
        .origin()
        .ascii_serialization();
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
        .max(1);
    let plan = Plan {
        issuer: Issuer::new("acmers fleet bench CA")?,
        server: args.server.clone(),
        origin,
        now: unix_now()?,
        due: args.due,
        not_due_days: args.not_due_days,
    };
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(fill(&args, &plan, jobs))
}

/// Connect, migrate, and write every chunk.
async fn fill(args: &Args, plan: &Plan, jobs: usize) -> Result<()> {
    let started = Instant::now();
    let (mut client, connection) = tokio_postgres::connect(&args.url, NoTls)
        .await
        .context("cannot connect to --url")?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("the connection failed: {e}");
        }
    });
    acmers::fleet::migrate::migrate(&mut client).await?;
    let (mut made, mut written) = (Duration::ZERO, Duration::ZERO);
    let mut first = 1;
    while first <= args.count {
        let last = (first + CHUNK - 1).min(args.count);
        let t = Instant::now();
        let rows = generate(plan, first..=last, jobs)?;
        made += t.elapsed();
        let t = Instant::now();
        let tx = client.transaction().await?;
        if args.replace {
            let ids: Vec<&str> = rows.iter().map(|(id, _, _)| id.as_str()).collect();
            tx.execute("DELETE FROM acmers_lineages WHERE id = ANY($1)", &[&ids])
                .await?;
        }
        copy_rows(&tx, &rows).await?;
        tx.commit().await?;
        written += t.elapsed();
        if last.is_multiple_of(20_000) {
            eprintln!(
                "  {last} lineages ({:.1} s)",
                started.elapsed().as_secs_f64()
            );
        }
        first = last + 1;
    }
    println!(
        "wrote {} lineages ({} due) in {:.1} s: {:.1} s making keys and certificates, {:.1} s \
         writing",
        args.count,
        args.due,
        started.elapsed().as_secs_f64(),
        made.as_secs_f64(),
        written.as_secs_f64()
    );
    Ok(())
}

/// Lineages `range` on `jobs` threads, in order.
fn generate(plan: &Plan, range: RangeInclusive<u64>, jobs: usize) -> Result<Vec<Row>> {
    let ids: Vec<u64> = range.collect();
    let per = ids.len().div_ceil(jobs);
    std::thread::scope(|scope| {
        let workers: Vec<_> = ids
            .chunks(per)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|&i| lineage(plan, i))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        let mut rows = Vec::with_capacity(ids.len());
        for w in workers {
            rows.extend(w.join().map_err(|_| anyhow!("a worker panicked"))??);
        }
        Ok(rows)
    })
}

/// Write `rows` within `tx`: the lineages, then their files.
async fn copy_rows(tx: &tokio_postgres::Transaction<'_>, rows: &[Row]) -> Result<()> {
    let sink = tx
        .copy_in(
            "COPY acmers_lineages (id, main_domain, ecc, domains, server, key_length, created,
                 not_after, next_due, ari_next_check, next_attempt, failed_attempts,
                 last_error, cert_version, ari_start, ari_end, ari_renew_at) FROM STDIN BINARY",
        )
        .await?;
    let types = [
        Type::TEXT,
        Type::TEXT,
        Type::BOOL,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::INT4,
        Type::TEXT,
        Type::INT8,
        Type::INT8,
        Type::INT8,
        Type::INT8,
    ];
    let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
    // A new lineage's first write sets its certificate version to 1 (lineages::put).
    let cert_version = 1_i64;
    for (id, _, d) in rows {
        let (ari_start, ari_end) = (d.ari_window.map(|w| w.0), d.ari_window.map(|w| w.1));
        let row: [&(dyn ToSql + Sync); 17] = [
            id,
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
            &cert_version,
            &ari_start,
            &ari_end,
            &d.ari_renew_at,
        ];
        writer.as_mut().write(&row).await?;
    }
    writer.finish().await?;

    let sink = tx
        .copy_in("COPY acmers_lineage_files (lineage, name, body, sealed) FROM STDIN BINARY")
        .await?;
    let types = [Type::TEXT, Type::TEXT, Type::BYTEA, Type::BOOL];
    let mut writer = std::pin::pin!(BinaryCopyInWriter::new(sink, &types));
    for (id, files, _) in rows {
        for (name, body) in &files.0 {
            writer.as_mut().write(&[id, name, body, &false]).await?;
        }
    }
    writer.finish().await?;
    Ok(())
}

/// Lineage `i`: its files as an issuance in stateless mode leaves them, and their columns.
fn lineage(plan: &Plan, i: u64) -> Result<Row> {
    let domain = format!("l{i}.bench.test");
    let id = format!("{domain}_ecc");
    let created = if i <= plan.due {
        plan.now - (plan.not_due_days + 1) * DAY
    } else {
        plan.now
    };
    let next = created + plan.not_due_days * DAY;

    let issued = plan.issuer.lineage(i, &domain, created)?;
    let ca_pem = &plan.issuer.ca_pem;

    let origin = &plan.origin;
    let order = format!("bench{i:038x}");
    let conf = format!(
        "Le_Domain='{domain}'\nLe_Alt='no'\nLe_Webroot='stateless'\nLe_PreHook=''\n\
         Le_PostHook=''\nLe_RenewHook=''\nLe_API='{server}'\nLe_Keylength='ec-256'\n\
         Le_OrderFinalize='{origin}/finalize-order/{order}'\n\
         Le_LinkOrder='{origin}/my-order/{order}'\nLe_LinkCert='{origin}/certZ/{i:016x}'\n\
         Le_CertCreateTime='{created}'\nLe_CertCreateTimeStr='{created_str}'\n\
         Le_NextRenewTimeStr='{next_str}'\nLe_NextRenewTime='{next}'\n\
         Acmers_ARI_NextCheck='{check}'\n",
        server = plan.server,
        created_str = time_str(created),
        next_str = time_str(next),
        check = plan.now + 6 * 3600,
    );
    let mut files = vec![
        (format!("{domain}.conf"), conf.into_bytes()),
        (format!("{domain}.key"), issued.key.to_pem().into_bytes()),
        (format!("{domain}.csr"), issued.csr_pem.into_bytes()),
        (format!("{domain}.csr.conf"), issued.csr_conf.into_bytes()),
        (
            format!("{domain}.cer"),
            issued.cert_pem.clone().into_bytes(),
        ),
        ("ca.cer".to_owned(), ca_pem.clone().into_bytes()),
        (
            "fullchain.cer".to_owned(),
            format!("{}{ca_pem}", issued.cert_pem).into_bytes(),
        ),
    ];
    files.sort();
    let files = Files(files);
    let derived = derive(&id, &files, true);
    ensure!(
        derived
            .next_due
            .is_some_and(|at| (at <= plan.now) == (i <= plan.due)),
        "lineage {i}: next_due {:?} against now {} and --due {}",
        derived.next_due,
        plan.now,
        plan.due
    );
    Ok((id, files, derived))
}
