//! Writes a synthetic acme.sh home for the renew-all benchmark (`bench/renew_all.sh`).
//!
//! ```text
//! bench_home --home DIR --count N [--due M] [--server URL] [--not-due-days 60]
//!            [--http-port PORT] [--ca-bundle FILE] [--jobs J] [--ari-check-due]
//! ```
//!
//! The home gets an `account.conf` (`DEFAULT_ACME_SERVER`, optionally `CA_BUNDLE`) and `N`
//! lineage folders `l<i>.bench.test_ecc/` (i = 1..=N), each as acme.sh 3.1 leaves one after
//! `--issue -d l<i>.bench.test --standalone`: `<d>.key` (SEC1 P-256, mode 0600), `<d>.csr`,
//! `<d>.csr.conf`, `<d>.cer`, `ca.cer`, `fullchain.cer` and `<d>.conf` with acme.sh's keys in
//! acme.sh's order. Every lineage has its own key and its own certificate for its own name,
//! all signed by one throwaway CA made for this run (`ca.cer`); nothing trusts it.
//!
//! Lineages `1..=M` are due: issued `not-due-days + 1` days ago, so their `Le_NextRenewTime`
//! passed a day ago, and they carry `Le_HTTPPort` (when `--http-port` is given) so that a
//! standalone renewal against a local Pebble works. The other lineages were issued now, are
//! valid for 90 days and are next due in `--not-due-days` days. `Le_API` is `--server`, by
//! default an address where nothing listens, so an accidental request fails at once.
//!
//! acmers asks the CA for a lineage's renewal window (ARI, docs/ari.md) when its
//! `Acmers_ARI_NextCheck` has come or is missing. Every conf carries one 6 hours ahead (a home
//! acmers checked this hour), so a pass over the home asks nothing; with `--ari-check-due` the
//! key is left out (as in a home acme.sh wrote) and every lineage's check is due.
//!
//! Keys and certificates are made on `--jobs` threads (default: every core). The files are
//! written plainly (no fsync): this is test data, and a crash only means generating again.
//! The run ends by reading back the first, last and last due lineage with acmers' own conf
//! parser and chain check, then prints the elapsed time.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, UNIX_EPOCH};

use acmers::acme::types::Identifier;
use acmers::cert::verify_chain;
use acmers::keys::PrivateKey;
use acmers::renew::DAY;
use acmers::store::Conf;
use acmers::store::record::time_str;
use anyhow::{Context as _, Result, anyhow, bail, ensure};
use clap::Parser;

#[path = "synthetic/mod.rs"]
mod synthetic;

use synthetic::{Issuer, LIFETIME, unix_now};

/// Print progress every this many lineages (per thread).
const PROGRESS_EVERY: u64 = 10_000;

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "Write a synthetic acme.sh home for bench/renew_all.sh")]
struct Args {
    /// The home to create (must not exist, or be empty).
    #[arg(long)]
    home: PathBuf,
    /// Number of lineages.
    #[arg(long)]
    count: u64,
    /// How many of them (the first ones) are due for renewal.
    #[arg(long, default_value_t = 0)]
    due: u64,
    /// ACME directory URL: `DEFAULT_ACME_SERVER` and every `Le_API`.
    #[arg(long, default_value = "https://127.0.0.1:9/dir")]
    server: String,
    /// Days from now until a lineage that is not due is next due.
    #[arg(long, default_value_t = 60)]
    not_due_days: i64,
    /// `Le_HTTPPort` of the due lineages (standalone http-01 port).
    #[arg(long)]
    http_port: Option<u16>,
    /// `CA_BUNDLE` in account.conf: the CA that signed the ACME server's TLS certificate.
    #[arg(long)]
    ca_bundle: Option<PathBuf>,
    /// Worker threads [default: the number of cores].
    #[arg(long)]
    jobs: Option<usize>,
    /// Leave `Acmers_ARI_NextCheck` out: every lineage's ARI check is due.
    #[arg(long)]
    ari_check_due: bool,
}

/// What every lineage shares.
struct Plan<'a> {
    home: &'a Path,
    issuer: &'a Issuer,
    server: &'a str,
    /// `scheme://host[:port]` of `server`, for the order and certificate URLs.
    origin: &'a str,
    now: i64,
    due: u64,
    not_due_days: i64,
    http_port: Option<u16>,
    /// `--ari-check-due`.
    ari_check_due: bool,
}

fn main() -> Result<()> {
    let args = Args::parse();
    ensure!(args.count > 0, "--count must be at least 1");
    ensure!(
        args.due <= args.count,
        "--due {} is more than --count {}",
        args.due,
        args.count
    );
    ensure!(
        (1..LIFETIME / DAY).contains(&args.not_due_days),
        "--not-due-days must be between 1 and {}",
        LIFETIME / DAY - 1
    );
    // Written single-quoted into the confs, as acme.sh does: no quote or control character.
    let quotable = |s: &str| !s.chars().any(|c| c == '\'' || c.is_control());
    ensure!(quotable(&args.server), "--server must not contain `'`");
    if let Some(bundle) = &args.ca_bundle {
        ensure!(
            bundle.to_str().is_some_and(quotable),
            "--ca-bundle must be UTF-8 without `'`"
        );
    }
    let url = url::Url::parse(&args.server)
        .with_context(|| format!("--server `{}` is not a URL", args.server))?;
    let origin = url.origin().ascii_serialization();
    ensure!(origin != "null", "--server `{}` has no host", args.server);
    let jobs = match args.jobs {
        Some(0) => bail!("--jobs must be at least 1"),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(2, usize::from),
    };

    let started = Instant::now();
    prepare_home(&args.home)?;
    let mut account = format!("DEFAULT_ACME_SERVER='{}'\n", args.server);
    if let Some(bundle) = &args.ca_bundle {
        account.push_str(&format!("CA_BUNDLE='{}'\n", bundle.display()));
    }
    write_file(
        &args.home.join("account.conf"),
        account.as_bytes(),
        0o600,
        unix_now()?,
    )?;

    let issuer = Issuer::new("acmers renew-all bench CA")?;
    let plan = Plan {
        home: &args.home,
        issuer: &issuer,
        server: &args.server,
        origin: &origin,
        now: unix_now()?,
        due: args.due,
        not_due_days: args.not_due_days,
        http_port: args.http_port,
        ari_check_due: args.ari_check_due,
    };

    let count = args.count;
    // Set by a worker that failed, so that the others stop too.
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs)
            .map(|job| {
                let (plan, stop) = (&plan, &stop);
                scope.spawn(move || -> Result<()> {
                    for i in (1..=count).skip(job).step_by(jobs) {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        if let Err(e) = write_lineage(plan, i) {
                            stop.store(true, Ordering::Relaxed);
                            return Err(e.context(format!("lineage {i}")));
                        }
                        if i % PROGRESS_EVERY == 0 {
                            eprintln!("  {i} lineages ({:.1} s)", started.elapsed().as_secs_f64());
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().map_err(|_| anyhow!("a worker panicked"))?)
    })?;
    let generated = started.elapsed();

    let mut samples = vec![1, count];
    if args.due > 0 {
        samples.push(args.due);
    }
    for i in samples {
        check_lineage(&plan, i)?;
    }

    let secs = generated.as_secs_f64();
    println!(
        "generated {count} lineages ({} due) in {secs:.2} s ({:.0} µs per lineage, {jobs} threads): {}",
        args.due,
        secs * 1e6 / count as f64,
        args.home.display()
    );
    Ok(())
}

/// Create the home, or accept an existing empty folder.
fn prepare_home(home: &Path) -> Result<()> {
    match fs::read_dir(home) {
        Ok(mut entries) => {
            ensure!(
                entries.next().is_none(),
                "`{}` is not empty; give a new folder",
                home.display()
            );
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::create_dir_all(home).with_context(|| format!("cannot create `{}`", home.display()))
        }
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", home.display())),
    }
}

/// Lineage `i`: the domain key, CSR, certificate and the conf that acme.sh would have written.
fn write_lineage(plan: &Plan<'_>, i: u64) -> Result<()> {
    let domain = domain(i);
    let dir = lineage_dir(plan.home, i);
    fs::create_dir(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;

    let due = i <= plan.due;
    let created = if due {
        plan.now - (plan.not_due_days + 1) * DAY
    } else {
        plan.now
    };
    let next = created + plan.not_due_days * DAY;

    let issued = plan.issuer.lineage(i, &domain, created)?;
    let ca_pem = &plan.issuer.ca_pem;

    write_file(
        &dir.join(format!("{domain}.key")),
        issued.key.to_pem().as_bytes(),
        0o600,
        created,
    )?;
    write_file(
        &dir.join(format!("{domain}.csr")),
        issued.csr_pem.as_bytes(),
        0o644,
        created,
    )?;
    write_file(
        &dir.join(format!("{domain}.csr.conf")),
        issued.csr_conf.as_bytes(),
        0o644,
        created,
    )?;
    write_file(
        &dir.join(format!("{domain}.cer")),
        issued.cert_pem.as_bytes(),
        0o644,
        created,
    )?;
    write_file(&dir.join("ca.cer"), ca_pem.as_bytes(), 0o644, created)?;
    let fullchain = format!("{}{ca_pem}", issued.cert_pem);
    write_file(
        &dir.join("fullchain.cer"),
        fullchain.as_bytes(),
        0o644,
        created,
    )?;

    let conf = domain_conf(plan, i, &domain, created, next, due);
    write_file(
        &dir.join(format!("{domain}.conf")),
        conf.as_bytes(),
        0o644,
        created,
    )
}

/// `<d>.conf` exactly as acme.sh 3.1 writes it after a standalone issue (the fixture
/// `tests/fixtures/acmesh-home-basic/a.example.test_ecc/a.example.test.conf`).
fn domain_conf(
    plan: &Plan<'_>,
    i: u64,
    domain: &str,
    created: i64,
    next: i64,
    due: bool,
) -> String {
    let origin = plan.origin;
    // 43 characters, like Pebble's base64url order IDs; unique per lineage.
    let order = format!("bench{:038x}", i);
    let port = match (due, plan.http_port) {
        (true, Some(port)) => format!("Le_HTTPPort='{port}'\n"),
        _ => String::new(),
    };
    let ari = if plan.ari_check_due {
        String::new()
    } else {
        format!("Acmers_ARI_NextCheck='{}'\n", plan.now + 6 * 3600)
    };
    format!(
        "Le_Domain='{domain}'\n\
         Le_Alt='no'\n\
         Le_Webroot='no'\n\
         Le_PreHook=''\n\
         Le_PostHook=''\n\
         Le_RenewHook=''\n\
         Le_API='{server}'\n\
         {port}\
         Le_Keylength='ec-256'\n\
         Le_OrderFinalize='{origin}/finalize-order/{order}'\n\
         Le_LinkOrder='{origin}/my-order/{order}'\n\
         Le_LinkCert='{origin}/certZ/{i:016x}'\n\
         Le_CertCreateTime='{created}'\n\
         Le_CertCreateTimeStr='{created_str}'\n\
         Le_NextRenewTimeStr='{next_str}'\n\
         Le_NextRenewTime='{next}'\n\
         {ari}",
        server = plan.server,
        created_str = time_str(created),
        next_str = time_str(next),
    )
}

/// Read lineage `i` back with acmers' parser and chain check.
fn check_lineage(plan: &Plan<'_>, i: u64) -> Result<()> {
    let domain = domain(i);
    let dir = lineage_dir(plan.home, i);
    let conf_path = dir.join(format!("{domain}.conf"));
    let conf =
        Conf::load(&conf_path)?.with_context(|| format!("`{}` is missing", conf_path.display()))?;
    ensure!(
        conf.get("Le_Domain").as_deref() == Some(domain.as_str()),
        "Le_Domain of `{}` does not read back",
        conf_path.display()
    );
    let next: i64 = conf
        .get("Le_NextRenewTime")
        .and_then(|t| t.parse().ok())
        .with_context(|| format!("no Le_NextRenewTime in `{}`", conf_path.display()))?;
    ensure!(
        (next <= plan.now) == (i <= plan.due),
        "lineage {i}: Le_NextRenewTime {next} against now {} and --due {}",
        plan.now,
        plan.due
    );
    let key_pem = fs::read_to_string(dir.join(format!("{domain}.key")))?;
    let key = PrivateKey::from_pem(&key_pem)?;
    let fullchain = fs::read(dir.join("fullchain.cer"))?;
    let chain = verify_chain(
        &fullchain,
        &key.spki_der(),
        &[Identifier::Dns(domain)],
        plan.now,
    )
    .with_context(|| format!("the chain of lineage {i} does not verify"))?;
    ensure!(
        chain.issuers_pem == plan.issuer.ca_pem,
        "lineage {i}: ca.cer is not the run's CA"
    );
    Ok(())
}

fn domain(i: u64) -> String {
    format!("l{i}.bench.test")
}

fn lineage_dir(home: &Path, i: u64) -> PathBuf {
    home.join(format!("{}_ecc", domain(i)))
}

/// Create `path` (it must not exist) with `data` and `mode`, modified at `written` (unix
/// seconds): a home's files carry the time of the issuance that wrote them, which acmers
/// compares with `Le_CertCreateTime` to tell untouched certificates from damaged ones.
fn write_file(path: &Path, data: &[u8], mode: u32, written: i64) -> Result<()> {
    let mtime = UNIX_EPOCH + Duration::from_secs(u64::try_from(written)?);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .and_then(|mut f| {
            f.write_all(data)?;
            f.set_modified(mtime)
        })
        .with_context(|| format!("cannot write `{}`", path.display()))
}
