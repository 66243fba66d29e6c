//! The fleet store (docs/fleet.md) with a real PostgreSQL (a throwaway cluster) and Pebble:
//! several nodes (acmers processes with their own `--node` and home) sharing one store.
//! http-01 is answered as a fleet answers it: one real nginx in acme.sh's stateless mode with
//! the one account's thumbprint. The nodes reach Pebble through the fault proxy, which slows
//! finalize down where a test needs a node caught in the middle of an order.
//!
//! The lineages are issued into an ordinary home first, made due by moving their renewal time
//! into the past, and imported; then the nodes run `--cron` on the store. Pebble's log counts
//! the orders.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::acmers::{Acmers, Output, Running};
use crate::support::conf::set_conf;
use crate::support::fault_proxy::{Action, Endpoint, FaultProxy, Rule};
use crate::support::nginx::Nginx;
use crate::support::pebble::{Pebble, PebbleOpts};
use crate::support::postgres::Postgres;

/// The lease time of the nodes (seconds): short, so a take-over comes soon.
const TTL: &str = "3";
/// A hang guard, not a timing assertion.
const GUARD: Duration = Duration::from_secs(180);

/// A Pebble, an nginx answering its http-01 challenges statelessly, a store and the home the
/// lineages were first issued in.
struct Fleet {
    top: tempfile::TempDir,
    proxy: FaultProxy,
    pebble: Pebble,
    _nginx: Nginx,
    pg: Option<Postgres>,
    url: String,
    names: Vec<String>,
}

impl Fleet {
    /// `n` lineages issued, due, and imported into a fresh database of the shared cluster.
    fn new(n: usize) -> Self {
        Self::with(n, None)
    }

    /// As [`Fleet::new`] on a cluster of the test's own (which it may restart).
    fn with_own_cluster(n: usize) -> Self {
        Self::with(n, Some(Postgres::start()))
    }

    fn with(n: usize, pg: Option<Postgres>) -> Self {
        let top = tempfile::tempdir().expect("tempdir");
        let pebble = Pebble::start(PebbleOpts::default());
        let proxy = FaultProxy::start(&pebble);
        let seed = top.path().join("seed");
        let out = Acmers::new(&seed)
            .arg("--register-account")
            .args(["--server", &proxy.directory_url(), "--ca-bundle"])
            .arg(proxy.ca_bundle_path())
            .run();
        out.assert_code(0);
        let nginx = Nginx::stateless(pebble.http_port(), out.thumbprint());
        let names: Vec<String> = (0..n).map(|i| format!("n{i}.fleet.example.test")).collect();
        for name in &names {
            Acmers::new(&seed)
                .args(["--issue", "-d", name, "--stateless", "--server"])
                .arg(proxy.directory_url())
                .arg("--ca-bundle")
                .arg(proxy.ca_bundle_path())
                .run()
                .assert_code(0);
            make_due(&seed.join(format!("{name}_ecc")), name);
        }
        let url = match &pg {
            Some(pg) => pg.database(),
            None => Postgres::shared().database(),
        };
        let fleet = Self {
            top,
            proxy,
            pebble,
            _nginx: nginx,
            pg,
            url,
            names,
        };
        fleet.import_seed();
        fleet
    }

    /// Import the home the lineages were issued in (again: what changed in it since).
    fn import_seed(&self) {
        self.node("seed")
            .arg("--import-home")
            .arg(self.top.path().join("seed"))
            .run()
            .assert_code(0);
    }

    fn cluster(&self) -> &Postgres {
        self.pg.as_ref().unwrap_or_else(|| Postgres::shared())
    }

    /// `acmers --store … --node <name>` with its own home.
    fn node(&self, name: &str) -> Acmers {
        Acmers::new(&self.top.path().join(format!("node-{name}")))
            .args(["--store", &self.url, "--node", name, "--ca-bundle"])
            .arg(self.proxy.ca_bundle_path())
            .env("ACMERS_LEASE_TTL", TTL)
            .timeout(GUARD)
    }

    /// `--cron` on node `name`.
    fn cron(&self, name: &str) -> Acmers {
        self.node(name).arg("--cron")
    }

    /// SQL on the store.
    fn sql(&self, sql: &str) -> String {
        self.cluster().psql(&self.url, sql)
    }

    /// The certificate versions of the lineages, by name.
    fn cert_versions(&self) -> Vec<(String, i64)> {
        self.sql("SELECT id, cert_version FROM acmers_lineages ORDER BY id")
            .lines()
            .map(|line| {
                let (id, v) = line.split_once('|').expect("id|version");
                (id.to_owned(), v.trim().parse().expect("a number"))
            })
            .collect()
    }

    /// Every lineage renewed exactly once since the import (version 1 → 2).
    fn assert_each_renewed_once(&self) {
        let versions = self.cert_versions();
        assert_eq!(versions.len(), self.names.len(), "{versions:?}");
        for (id, version) in versions {
            assert_eq!(version, 2, "{id} was renewed {} time(s)", version - 1);
        }
    }

    /// `--cron` on node `node`, returned once it has saved a new order in the store and is
    /// finalizing it (the CA's finalize takes 2 s from here on).
    fn mid_order(&self, node: &str) -> Running {
        self.proxy
            .add(Rule::on(Endpoint::Finalize).then(Action::Delay(Duration::from_secs(2))));
        let running = self.cron(node).args(["--parallel", "1"]).spawn();
        self.wait_for_saved_order(node);
        running
    }

    /// Wait until node `node` has saved a new order in the store (the checkpoint after
    /// newOrder: an unfinished order makes the lineage due at once, `next_due = 0`).
    fn wait_for_saved_order(&self, node: &str) {
        self.wait_for(
            &format!("an order saved by node {node}"),
            &format!(
                "SELECT l.id FROM acmers_lineages l JOIN acmers_leases x
                   ON x.name = 'lineage:' || l.id AND x.holder = '{node}'
                 WHERE l.next_due = 0"
            ),
        );
    }

    /// Wait until `query` returns a row (a hang guard of 60 s).
    fn wait_for(&self, what: &str, query: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.sql(query).trim().is_empty() {
            assert!(Instant::now() < deadline, "never saw {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Move a lineage's renewal time into the past.
fn make_due(dir: &Path, name: &str) {
    let conf = dir.join(format!("{name}.conf"));
    let past = jiff::Timestamp::now().as_second() - 3600;
    set_conf(&conf, "Le_NextRenewTime", &past.to_string());
}

/// Nodes running `--cron` at once over the same due lineages.
fn nodes_at_once(nodes: &[&str], lineages: usize) {
    let fleet = Fleet::new(lineages);
    let before = fleet.pebble.orders_created();
    let running: Vec<_> = nodes
        .iter()
        .map(|n| fleet.cron(n).args(["--parallel", "2"]).spawn())
        .collect();
    let outs: Vec<Output> = running.into_iter().map(|r| r.wait()).collect();
    for out in &outs {
        out.assert_code(0);
    }
    assert_eq!(
        fleet.pebble.orders_created() - before,
        lineages,
        "one order per due lineage, whatever the number of nodes"
    );
    fleet.assert_each_renewed_once();
    let renewed: usize = outs
        .iter()
        .map(|o| o.stdout.matches("Cert success.").count())
        .sum();
    assert_eq!(renewed, lineages);
    // A second pass on every node finds nothing due and orders nothing.
    for n in nodes {
        fleet.cron(n).run().assert_code(0);
    }
    assert_eq!(fleet.pebble.orders_created() - before, lineages);
}

#[test]
fn two_nodes_at_once_make_one_order_per_due_lineage() {
    nodes_at_once(&["a", "b"], 4);
}

#[test]
fn three_nodes_at_once_make_one_order_per_due_lineage() {
    nodes_at_once(&["a", "b", "c"], 6);
}

#[test]
fn a_paused_node_loses_its_lease_and_writes_nothing_when_resumed() {
    let fleet = Fleet::new(3);
    let before = fleet.pebble.orders_created();
    let a = fleet.mid_order("a");
    a.signal("STOP");
    // Past the lease time, another node takes over and renews everything.
    std::thread::sleep(Duration::from_secs(4));
    let b = fleet.cron("b").run();
    b.assert_code(0)
        .assert_stdout_has("Resuming the saved order");
    fleet.assert_each_renewed_once();
    a.signal("CONT");
    let a = a.wait();
    a.assert_code(1);
    // Its lease is gone, or (paused inside a write) the server ended its session.
    assert!(
        a.stderr.contains("lease was taken over") || a.stderr.contains("cannot write to the store"),
        "node a says why it stopped: {}",
        a.stderr
    );
    // Whatever node a did after it woke up, the store holds node b's certificates only.
    fleet.assert_each_renewed_once();
    assert_eq!(
        fleet.pebble.orders_created() - before,
        3,
        "node b finished node a's order instead of making another"
    );
}

#[test]
fn an_order_of_a_killed_node_is_resumed_by_another() {
    let fleet = Fleet::new(2);
    let before = fleet.pebble.orders_created();
    let a = fleet.mid_order("a");
    a.signal("KILL");
    let a = a.wait();
    assert_ne!(a.code, 0);
    std::thread::sleep(Duration::from_secs(4));
    let b = fleet.cron("b").run();
    eprintln!(
        "DEBUG KILL A OUT {}\nB OUT {}\nB ERR {}",
        a.stdout, b.stdout, b.stderr
    );
    b.assert_code(0);
    fleet.assert_each_renewed_once();
    assert_eq!(
        fleet.pebble.orders_created() - before,
        2,
        "the killed node's order is finished, not made again\n{}",
        b.stdout
    );
}

#[test]
fn a_database_restart_fails_the_pass_cleanly_and_the_next_finishes() {
    let fleet = Fleet::with_own_cluster(3);
    let a = fleet.cron("a").args(["--parallel", "1"]).spawn();
    fleet.wait_for(
        "a lease of node a",
        "SELECT token FROM acmers_leases WHERE holder = 'a' AND name LIKE 'lineage:%'",
    );
    fleet.cluster().restart();
    let out = a.wait();
    out.assert_code(1);
    assert!(
        out.stderr.contains("store"),
        "the error names the store: {}",
        out.stderr
    );
    std::thread::sleep(Duration::from_secs(4));
    fleet.cron("a").run().assert_code(0);
    fleet.assert_each_renewed_once();
}

/// The files of a home that acme.sh reads (not its `http.header` scratch file).
fn home_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    crate::support::home::snapshot(dir)
        .into_iter()
        .filter(|(p, _)| !p.ends_with("http.header"))
        .collect()
}

#[test]
fn an_acmesh_home_imports_and_exports_byte_for_byte() {
    let top = tempfile::tempdir().expect("tempdir");
    let home = top.path().join("acmesh");
    crate::support::home::copy_fixture_home(&home);
    let url = Postgres::shared().database();
    let node = || {
        Acmers::new(&top.path().join("node"))
            .args(["--store", &url])
            .timeout(GUARD)
    };
    Acmers::new(&top.path().join("node"))
        .arg("--import-home")
        .arg(&home)
        .run()
        .assert_code(1)
        .assert_stderr_has("needs the fleet store");
    node().arg("--import-home").arg(&home).run().assert_code(0);
    // Again: nothing changes.
    node()
        .arg("--import-home")
        .arg(&home)
        .run()
        .assert_code(0)
        .assert_stdout_has("Imported 4 lineage(s)");
    let out = top.path().join("exported");
    node().arg("--export-home").arg(&out).run().assert_code(0);
    assert_eq!(home_files(&out), home_files(&home));
    // The store lists what acme.sh listed for that home, byte for byte.
    let expected =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/acmesh-home-basic.expected");
    for (args, file) in [
        (&["--list"][..], "list.txt"),
        (&["--list", "--listraw"], "listraw.txt"),
    ] {
        let out = node().args(args).run();
        out.assert_code(0);
        assert_eq!(
            out.stdout,
            std::fs::read_to_string(expected.join(file)).expect("expected output")
        );
    }
    // A file name in the store that is not a plain file name is refused, not written.
    Postgres::shared().psql(
        &url,
        "UPDATE acmers_lineage_files SET name = '../escaped.cer' WHERE name = 'ca.cer'
           AND lineage = 'c.example.test'",
    );
    let again = top.path().join("again");
    node()
        .arg("--export-home")
        .arg(&again)
        .run()
        .assert_code(1)
        .assert_stderr_has("refusing the file name `../escaped.cer`");
    assert!(!again.join("escaped.cer").exists());
    // A store a newer acmers migrated is refused, not written with an older idea of it.
    Postgres::shared().psql(&url, "INSERT INTO acmers_schema (version) VALUES (999)");
    node()
        .arg("--list")
        .run()
        .assert_code(1)
        .assert_stderr_has("upgrade acmers on this node");
}

/// A store key file of 32 random bytes (mode 0600).
fn store_key(path: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let key: Vec<u8> = (0..32).map(|_| rand_byte()).collect();
    std::fs::write(path, key).expect("write key");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    path.to_owned()
}

/// A byte from the system's random source.
fn rand_byte() -> u8 {
    use std::io::Read as _;
    let mut b = [0_u8; 1];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .expect("read /dev/urandom");
    b[0]
}

#[test]
fn private_keys_are_sealed_with_the_store_key_and_need_it() {
    let top = tempfile::tempdir().expect("tempdir");
    let home = top.path().join("acmesh");
    crate::support::home::copy_fixture_home(&home);
    let key = store_key(&top.path().join("store.key"));
    let other = store_key(&top.path().join("other.key"));
    let url = Postgres::shared().database();
    let node = |key: Option<&Path>| {
        let acmers = Acmers::new(&top.path().join("node"))
            .args(["--store", &url])
            .timeout(GUARD);
        match key {
            Some(k) => acmers.env("ACMERS_STORE_KEY", &k.display().to_string()),
            None => acmers,
        }
    };
    node(Some(&key))
        .arg("--import-home")
        .arg(&home)
        .run()
        .assert_code(0);
    // Every private key (and account.conf) is sealed; no key is in the database in clear.
    let sql = |q: &str| Postgres::shared().psql(&url, q);
    let clear = sql(
        "SELECT name FROM acmers_lineage_files WHERE position('PRIVATE KEY'::bytea in body) > 0
         UNION ALL SELECT name FROM acmers_account_files WHERE position('PRIVATE KEY'::bytea in body) > 0
         UNION ALL SELECT name FROM acmers_home_files WHERE NOT sealed",
    );
    assert_eq!(clear.trim(), "", "stored in clear: {clear}");
    let sealed =
        sql("SELECT count(*) FROM acmers_lineage_files WHERE sealed AND name LIKE '%.key'");
    assert_eq!(sealed.trim(), "4");
    // Without the key, or with another, a node is refused before it reads anything.
    node(None)
        .arg("--list")
        .run()
        .assert_code(1)
        .assert_stderr_has("ACMERS_STORE_KEY");
    node(Some(&other))
        .arg("--list")
        .run()
        .assert_code(1)
        .assert_stderr_has("not with");
    // With it, the export is the home, byte for byte.
    let out = top.path().join("exported");
    node(Some(&key))
        .arg("--export-home")
        .arg(&out)
        .run()
        .assert_code(0);
    assert_eq!(home_files(&out), home_files(&home));
}

#[test]
fn each_node_installs_what_changed_and_reloads_once() {
    let fleet = Fleet::new(2);
    let sites = fleet.top.path().join("sites");
    std::fs::create_dir_all(&sites).expect("mkdir");
    let install = |node: &str| {
        let log = sites.join(format!("{node}-reloads.log"));
        for name in &fleet.names {
            fleet
                .node(node)
                .args(["--install-cert", "-d", name, "--ecc", "--fullchain-file"])
                .arg(sites.join(format!("{node}-{name}.pem")))
                .arg("--reloadcmd")
                .arg(format!("echo reload >> {}", log.display()))
                .run()
                .assert_code(0);
        }
        log
    };
    let (log_a, log_b) = (install("a"), install("b"));
    let reloads = |log: &Path| {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .count()
    };
    // `--install-cert` installs at once, each lineage's reload as acme.sh does.
    assert_eq!((reloads(&log_a), reloads(&log_b)), (2, 2));
    // Node a renews both; each node then installs both, with one reload.
    fleet.cron("a").run().assert_code(0);
    assert_eq!(reloads(&log_a), 3);
    assert_eq!(reloads(&log_b), 2, "node b has not run yet");
    fleet.cron("b").run().assert_code(0);
    assert_eq!(reloads(&log_b), 3);
    for node in ["a", "b"] {
        for name in &fleet.names {
            let installed =
                std::fs::read(sites.join(format!("{node}-{name}.pem"))).expect("installed");
            let id = format!("{name}_ecc");
            let stored = fleet.sql(&format!(
                "SELECT encode(body, 'escape') FROM acmers_lineage_files
                 WHERE lineage = '{id}' AND name = 'fullchain.cer'"
            ));
            assert_eq!(
                String::from_utf8_lossy(&installed).trim(),
                stored.trim(),
                "node {node} has the renewed {name}"
            );
        }
    }
    // Nothing changed since: no install, no reload.
    fleet.cron("a").run().assert_code(0);
    fleet.cron("b").run().assert_code(0);
    assert_eq!((reloads(&log_a), reloads(&log_b)), (3, 3));
}

#[test]
fn issue_into_the_store_then_list_and_info() {
    let fleet = Fleet::new(1);
    let name = "new.fleet.example.test";
    let before = fleet.pebble.orders_created();
    let issue = |node: &str| {
        fleet
            .node(node)
            .args(["--issue", "-d", name, "--stateless", "--server"])
            .arg(fleet.proxy.directory_url())
            .run()
    };
    issue("a").assert_code(0).assert_stdout_has("Cert success.");
    assert_eq!(fleet.pebble.orders_created() - before, 1);
    // The same again is not due: no order (acme.sh's "Domains not changed").
    issue("b")
        .assert_code(2)
        .assert_stdout_has("Domains not changed.");
    assert_eq!(fleet.pebble.orders_created() - before, 1);
    let list = fleet.node("c").arg("--list").run();
    list.assert_code(0);
    assert!(list.stdout.contains(name) && list.stdout.contains(&fleet.names[0]));
    let json = fleet.node("c").args(["--list", "--json"]).run();
    json.assert_code(0).assert_stdout_has("\"not_after\":\"20");
    fleet
        .node("c")
        .args(["--info", "-d", name])
        .run()
        .assert_code(0)
        .assert_stdout_has(&format!("Le_Domain={name}"))
        .assert_stdout_has("Le_Webroot=stateless");
    // `--renew`, `--revoke` and `--remove` work on the lineage in the store (the `_ecc`
    // folder found without `--ecc`, as acme.sh finds it).
    fleet
        .node("b")
        .args(["--renew", "-d", name, "--force"])
        .run()
        .assert_code(0)
        .assert_stdout_has("Cert success.");
    assert_eq!(fleet.pebble.orders_created() - before, 2);
    fleet
        .node("b")
        .args(["--renew", "-d", name])
        .run()
        .assert_code(2)
        .assert_stdout_has("Skipping. Next renewal time is");
    fleet
        .node("c")
        .args(["--revoke", "-d", name])
        .run()
        .assert_code(0)
        .assert_stdout_has("Successfully revoked.");
    fleet
        .node("c")
        .args(["--remove", "-d", name])
        .run()
        .assert_code(0);
    let list = fleet.node("c").arg("--list").run();
    assert!(!list.stdout.contains(name), "{}", list.stdout);
    // A command the store does not support says so instead of using the node's home.
    fleet
        .node("c")
        .args(["--to-pkcs8", "-d", &fleet.names[0]])
        .run()
        .assert_code(1)
        .assert_stderr_has("does not work on the fleet store");
}

#[test]
fn a_node_notifies_with_the_stores_settings_and_its_own_plugins() {
    let fleet = Fleet::new(1);
    let conf = fleet.top.path().join("seed/account.conf");
    set_conf(&conf, "NOTIFY_HOOK", "record");
    set_conf(&conf, "NOTIFY_LEVEL", "3");
    fleet.import_seed();
    // The plugin is the node's own.
    let plugins = fleet.top.path().join("node-a/notify");
    std::fs::create_dir_all(&plugins).expect("mkdir");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/notify/record.sh"),
        plugins.join("record.sh"),
    )
    .expect("copy hook");
    let record = fleet.top.path().join("record.log");
    fleet
        .cron("a")
        .env("RECORD_FILE", &record.display().to_string())
        .run()
        .assert_code(0);
    let calls = std::fs::read_to_string(&record).expect("the hook ran");
    assert!(calls.contains(&fleet.names[0]), "{calls}");
    // What the hook saved in account.conf is in the store now.
    let out = fleet.node("b").arg("--info").run();
    out.assert_code(0)
        .assert_stdout_has("SAVED_RECORD_FILE=")
        .assert_stdout_has("ACMERS_NODE=b\n")
        .assert_stdout_has("ACMERS_STORE=postgres://postgres:***@127.0.0.1:");
}

#[test]
fn nodes_starting_on_an_empty_store_register_one_account() {
    let top = tempfile::tempdir().expect("tempdir");
    let pebble = Pebble::start(PebbleOpts::default());
    let proxy = FaultProxy::start(&pebble);
    let url = Postgres::shared().database();
    // Registration is slowed down, so both nodes want the account at once.
    proxy.add(Rule::on(Endpoint::NewAccount).then(Action::Delay(Duration::from_secs(1))));
    let running: Vec<_> = ["a", "b"]
        .iter()
        .map(|node| {
            Acmers::new(&top.path().join(format!("node-{node}")))
                .args(["--store", &url, "--node", node, "--ca-bundle"])
                .arg(proxy.ca_bundle_path())
                .args(["--issue", "-d", &format!("{node}.fleet.example.test")])
                .args(["--stateless", "--server", &proxy.directory_url()])
                .timeout(GUARD)
                .spawn()
        })
        .collect();
    let outs: Vec<Output> = running.into_iter().map(|r| r.wait()).collect();
    // Nothing answers http-01 here: the orders fail, but after the account step.
    let thumbprints: Vec<&str> = outs.iter().map(Output::thumbprint).collect();
    assert_eq!(thumbprints[0], thumbprints[1], "one account for both nodes");
    let accounts = Postgres::shared().psql(&url, "SELECT count(*) FROM acmers_accounts");
    assert_eq!(accounts.trim(), "1");
}

#[test]
fn the_store_is_reached_over_verified_tls_with_the_password_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let tls = crate::support::certs::LocalTls::generate();
    let pg = Postgres::start_with_tls(&tls.cert_pem, &tls.key_pem);
    let url = pg.database();
    let db = url
        .rsplit('/')
        .next()
        .and_then(|rest| rest.split('?').next())
        .expect("database name");
    let top = tempfile::tempdir().expect("tempdir");
    let bundle = top.path().join("db-ca.pem");
    std::fs::write(&bundle, &tls.ca_pem).expect("write bundle");
    let pgpass = top.path().join("pgpass");
    std::fs::write(
        &pgpass,
        format!(
            "# the store\n127.0.0.1:{}:{db}:postgres:{}\n",
            pg.port(),
            pg.password()
        ),
    )
    .expect("write pgpass");
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    // No sslmode: TLS, verified; no password in the URL: the password file.
    let store = pg.url_without_password(db).replace("?sslmode=require", "");
    let node = |bundle: Option<&Path>| {
        let acmers = Acmers::new(&top.path().join("node"))
            .args(["--store", &store, "--list"])
            .env("PGPASSFILE", &pgpass.display().to_string())
            .timeout(GUARD);
        match bundle {
            Some(b) => acmers.arg("--ca-bundle").arg(b),
            None => acmers,
        }
    };
    // The cluster takes TCP sessions over TLS only (`hostssl`).
    node(Some(&bundle))
        .run()
        .assert_code(0)
        .assert_stdout_has("Main_Domain");
    // Not trusted without the bundle; a password file others can read is refused.
    node(None).run().assert_code(1);
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    node(Some(&bundle))
        .run()
        .assert_code(1)
        .assert_stderr_has("chmod 600");
}

#[test]
fn shared_settings_and_accounts_are_changed_on_the_store() {
    let top = tempfile::tempdir().expect("tempdir");
    let pebble = Pebble::start(PebbleOpts::default());
    let url = Postgres::shared().database();
    let node = |name: &str| {
        Acmers::new(&top.path().join(format!("node-{name}")))
            .args(["--store", &url, "--node", name, "--ca-bundle"])
            .arg(pebble.ca_bundle_path())
            .timeout(GUARD)
    };
    node("a")
        .args(["--set-default-ca", "--server", &pebble.directory_url()])
        .run()
        .assert_code(0);
    // Every node now uses the store's default CA and its one account.
    let first = node("a").arg("--register-account").run();
    first.assert_code(0);
    let again = node("b").arg("--register-account").run();
    again.assert_code(0);
    assert_eq!(first.thumbprint(), again.thumbprint());
    node("b")
        .arg("--info")
        .run()
        .assert_code(0)
        .assert_stdout_has(&format!("DEFAULT_ACME_SERVER='{}'", pebble.directory_url()));
    // A key rollover on one node is the account of every node.
    node("a").arg("--update-account-key").run().assert_code(0);
    let rolled = node("b").arg("--register-account").run();
    rolled.assert_code(0);
    assert_ne!(rolled.thumbprint(), first.thumbprint());
    let accounts = Postgres::shared().psql(&url, "SELECT count(*) FROM acmers_accounts");
    assert_eq!(accounts.trim(), "1");
}

#[test]
fn a_node_stops_claiming_when_the_ca_cannot_be_reached() {
    let fleet = Fleet::new(3);
    // Every directory answer is cut off: the CA cannot be reached.
    fleet
        .proxy
        .add(Rule::on(Endpoint::Directory).then(Action::Truncate(0)));
    let out = fleet.cron("a").args(["--parallel", "1"]).run();
    out.assert_code(1);
    // One lineage failed; the others were not claimed, so they are neither failed nor
    // waiting: the next pass (or another node) takes them as they are.
    let failed = fleet.sql("SELECT count(*) FROM acmers_lineages WHERE failed_attempts > 0");
    assert_eq!(failed.trim(), "1", "{}", out.stderr);
    let due = fleet.sql(&format!(
        "SELECT count(*) FROM acmers_lineages WHERE next_due <= {}",
        jiff::Timestamp::now().as_second()
    ));
    assert_eq!(due.trim(), "2");
    fleet.proxy.clear();
    std::thread::sleep(Duration::from_secs(4));
    fleet.cron("b").run().assert_code(0);
    assert_eq!(
        fleet
            .sql("SELECT count(*) FROM acmers_lineages WHERE cert_version = 2")
            .trim(),
        "2",
        "the two left are renewed by the next pass; the failed one waits for its backoff"
    );
}

#[test]
fn a_lineage_a_pass_leaves_does_not_hold_up_the_others() {
    let fleet = Fleet::new(3);
    // n0 is due first in the store (an old ARI check time), but waits after a failure: the
    // pass finds nothing to do with it, and must go on with the others.
    let conf = fleet
        .top
        .path()
        .join(format!("seed/{0}_ecc/{0}.conf", fleet.names[0]));
    let now = jiff::Timestamp::now().as_second();
    set_conf(&conf, "Acmers_ARI_NextCheck", &(now - 7200).to_string());
    set_conf(&conf, "Acmers_NextAttempt", &(now + 3600).to_string());
    set_conf(&conf, "Acmers_FailedAttempts", "1");
    fleet.import_seed();
    let out = fleet.cron("a").args(["--parallel", "1"]).run();
    out.assert_code(0);
    let versions = fleet.cert_versions();
    assert_eq!(versions[0].1, 1, "n0 waits for its next attempt");
    assert_eq!(
        (versions[1].1, versions[2].1),
        (2, 2),
        "the others are renewed in the same pass\n{}",
        out.stdout
    );
    // Not due again before the next pass, which leaves it as well.
    let due = fleet.sql(&format!(
        "SELECT next_due > {now} FROM acmers_lineages WHERE id = '{}_ecc'",
        fleet.names[0]
    ));
    assert_eq!(due.trim(), "t");
}
