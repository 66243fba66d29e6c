//! `--stateless`, `--nginx` and `--apache` (docs/webservers.md) with a real nginx and a real
//! Apache on loopback, each with its own config tree, against Pebble (and the fake CA where a
//! validation must stay pending): issuance and renewal, and the config restored byte for byte
//! (same mode) after success, a failed validation, SIGTERM, and `kill -9` (by the next run).

use std::fs;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::acmers::{Acmers, Running};
use crate::support::apache::Apache;
use crate::support::conf::read_conf;
use crate::support::fake_acme::{FakeAcme, Fault};
use crate::support::net::{free_port, http_get};
use crate::support::nginx::{open_up, run_config};
use crate::support::pebble::{Pebble, PebbleOpts};
use crate::support::process::Subprocess;

const CHALLENGE: &str = "/.well-known/acme-challenge/probe";

/// A temp tree (traversable by the servers' unprivileged workers) with an acmers home.
struct Tree {
    top: tempfile::TempDir,
}

impl Tree {
    fn new() -> Self {
        let top = tempfile::tempdir().expect("tempdir");
        open_up(top.path());
        Self { top }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.top.path().join(name)
    }

    fn acmers(&self) -> Acmers {
        Acmers::new(&self.path("home"))
    }

    /// The lineage folder of an EC certificate for `name`.
    fn lineage(&self, name: &str) -> PathBuf {
        self.path("home").join(format!("{name}_ecc"))
    }
}

/// The bytes and permission bits of a file.
fn content(path: &Path) -> (Vec<u8>, u32) {
    let bytes = fs::read(path).expect("read config");
    let mode = fs::metadata(path)
        .expect("stat config")
        .permissions()
        .mode()
        & 0o7777;
    (bytes, mode)
}

/// Nothing of a run's config changes is left in the lineage folder.
fn assert_no_leftovers(lineage: &Path) {
    let left: Vec<_> = fs::read_dir(lineage)
        .map(|d| {
            d.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains("webserver"))
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "left in the lineage folder: {left:?}");
}

/// An nginx with a main config that includes `sites/*.conf`; the site file (0640) has the
/// server block for the test's name on `port`, answering every path with `site`.
struct NginxSite {
    main: PathBuf,
    site: PathBuf,
    port: u16,
    _process: Subprocess,
}

impl NginxSite {
    fn start(tree: &Tree, server_names: &str, port: u16, extra: &str) -> Self {
        let dir = tree.path("nginx");
        fs::create_dir_all(dir.join("sites")).expect("mkdir nginx");
        let d = dir.display();
        let main = dir.join("nginx.conf");
        fs::write(
            &main,
            format!(
                "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log info;\n\
                 events {{ worker_connections 64; }}\n\
                 http {{\n    access_log off;\n    client_body_temp_path {d}/client_body;\n\
                 \x20   proxy_temp_path {d}/proxy;\n    fastcgi_temp_path {d}/fastcgi;\n\
                 \x20   uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n\
                 \x20   include sites/*.conf;\n}}\n"
            ),
        )
        .expect("write nginx.conf");
        let site = dir.join("sites/site.conf");
        fs::write(
            &site,
            format!(
                "# the test's site\nserver {{\n\tlisten 127.0.0.1:{port};\n\
                 \tserver_name {server_names} localhost;\n\n\
                 \tlocation / {{\n\t\treturn 200 \"site\";\n\t}}\n}}\n{extra}"
            ),
        )
        .expect("write site.conf");
        fs::set_permissions(&site, fs::Permissions::from_mode(0o640)).expect("chmod");
        let process = run_config(&main, port);
        Self {
            main,
            site,
            port,
            _process: process,
        }
    }

    /// What nginx answers for a challenge path now.
    fn challenge_answer(&self) -> (u16, String) {
        http_get(SocketAddr::from(([127, 0, 0, 1], self.port)), CHALLENGE)
    }

    /// The site config is as `before` (bytes and mode), nginx reloaded it (the site answers
    /// the challenge path itself again), and `lineage` keeps no backup or marker.
    fn assert_restored(&self, before: &(Vec<u8>, u32), lineage: &Path, when: &str) {
        assert_eq!(&content(&self.site), before, "{when}");
        assert_eq!(
            self.challenge_answer(),
            (200, "site".to_owned()),
            "reloaded"
        );
        assert_no_leftovers(lineage);
    }

    fn changed(&self) -> bool {
        fs::read_to_string(&self.site).is_ok_and(|t| t.contains("#ACME_NGINX_START"))
    }
}

fn pebble_args(acmers: Acmers, pebble: &Pebble) -> Acmers {
    acmers
        .arg("--server")
        .arg(pebble.directory_url())
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path())
}

#[test]
fn nginx_issue_and_renewal_restore_the_config_byte_for_byte() {
    let name = "nginx.example.test";
    let tree = Tree::new();
    let pebble = Pebble::start(PebbleOpts::default());
    let nginx = NginxSite::start(&tree, name, pebble.http_port(), "");
    let before = content(&nginx.site);
    let run = |args: &[&str]| {
        pebble_args(tree.acmers().args(args), &pebble)
            .env("NGINX_CONF", &nginx.main.display().to_string())
            .run()
    };
    run(&["--issue", "-d", name, "--nginx"])
        .assert_code(0)
        .assert_stdout_has("Cert success.");
    nginx.assert_restored(&before, &tree.lineage(name), "the site config is restored");
    let conf = read_conf(&tree.lineage(name).join(format!("{name}.conf")));
    assert_eq!(conf["Le_Webroot"], "nginx:");

    run(&["--renew", "-d", name, "--force"])
        .assert_code(0)
        .assert_stdout_has("Cert success.");
    assert_eq!(content(&nginx.site), before, "restored after the renewal");
    assert_eq!(nginx.challenge_answer(), (200, "site".to_owned()));
}

#[test]
fn nginx_failed_validation_restores_the_config() {
    let name = "elsewhere.example.test";
    let tree = Tree::new();
    let pebble = Pebble::start(PebbleOpts::default());
    // The name's server block listens on another port than the one Pebble validates on,
    // where a default server answers 404.
    let other = free_port();
    let default = format!(
        "server {{\n\tlisten 127.0.0.1:{} default_server;\n\treturn 404;\n}}\n",
        pebble.http_port()
    );
    let nginx = NginxSite::start(&tree, name, other, &default);
    let before = content(&nginx.site);
    // The search may start at the site file itself.
    pebble_args(tree.acmers().args(["--issue", "-d", name]), &pebble)
        .arg("--nginx")
        .arg(&nginx.site)
        .env("NGINX_CONF", &nginx.main.display().to_string())
        .run()
        .assert_code(1)
        .assert_stdout_has(&format!("Verifying: {name}"))
        .assert_stderr_has("404");
    assert_eq!(content(&nginx.site), before, "restored after the failure");
    assert_no_leftovers(&tree.lineage(name));
}

/// Wait until the run answered the fake CA's challenge; on the hang guard, stop the run and
/// show what it printed.
fn wait_for_answer(fake: &FakeAcme, run: Running) -> Running {
    let deadline = Instant::now() + Duration::from_secs(60);
    while fake.hits("chall") == 0 {
        if Instant::now() > deadline {
            run.signal("KILL");
            let out = run.wait();
            panic!("no challenge answer:\n{}\n{}", out.stdout, out.stderr);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    run
}

/// `--issue --nginx` against the fake CA, whose authorization stays pending.
fn spawn_pending(tree: &Tree, fake: &FakeAcme, name: &str, main: &Path) -> Running {
    tree.acmers()
        .args(["--issue", "-d", name, "--nginx"])
        .env("NGINX_CONF", &main.display().to_string())
        .arg("--server")
        .arg(fake.directory_url())
        .arg("--ca-bundle")
        .arg(fake.ca_bundle_path())
        .args(["--validation-timeout", "3600"])
        .timeout(Duration::from_secs(120))
        .spawn()
}

#[test]
fn nginx_sigterm_mid_validation_restores_the_config() {
    let name = "term.example.test";
    let tree = Tree::new();
    let fake = FakeAcme::start_with(Fault::PendingForever);
    let nginx = NginxSite::start(&tree, name, free_port(), "");
    let before = content(&nginx.site);
    let run = spawn_pending(&tree, &fake, name, &nginx.main);
    let run = wait_for_answer(&fake, run);
    assert!(nginx.changed(), "the location is in place while validating");
    let (_, body) = nginx.challenge_answer();
    assert!(
        body.starts_with("probe."),
        "nginx answers the token: {body}"
    );
    run.signal("TERM");
    run.wait().assert_code(143);
    nginx.assert_restored(&before, &tree.lineage(name), "restored after SIGTERM");
}

#[test]
fn nginx_kill_9_mid_validation_is_repaired_by_the_next_run() {
    let name = "kill.example.test";
    let tree = Tree::new();
    let fake = FakeAcme::start_with(Fault::PendingForever);
    let nginx = NginxSite::start(&tree, name, free_port(), "");
    let before = content(&nginx.site);
    let run = spawn_pending(&tree, &fake, name, &nginx.main);
    let run = wait_for_answer(&fake, run);
    run.signal("KILL");
    run.wait();
    assert!(nginx.changed(), "a killed run cannot restore");
    assert!(tree.lineage(name).join(".acmers.webserver").exists());

    // The next run for the lineage restores the config before anything else; its own
    // validation then fails, and it restores its own change too.
    fake.set_fault(Fault::ChallengeInvalid);
    tree.acmers()
        .args(["--renew", "-d", name])
        .env("NGINX_CONF", &nginx.main.display().to_string())
        .arg("--ca-bundle")
        .arg(fake.ca_bundle_path())
        .run()
        .assert_code(1)
        .assert_stdout_has(&format!(
            "Restored {} as it was before an interrupted run changed it",
            nginx.site.display()
        ));
    nginx.assert_restored(&before, &tree.lineage(name), "repaired byte for byte");
}

#[test]
fn stateless_issue_and_renewal_with_nginx_answering_the_thumbprint() {
    let name = "stateless.example.test";
    let tree = Tree::new();
    let pebble = Pebble::start(PebbleOpts::default());
    let out = pebble_args(tree.acmers().arg("--register-account"), &pebble).run();
    out.assert_code(0);
    let thumbprint = out.thumbprint();
    // The location of acme.sh's wiki for stateless mode.
    let location = format!(
        "server {{\n\tlisten 127.0.0.1:{} default_server;\n\
         \tlocation ~ ^/\\.well-known/acme-challenge/([-_a-zA-Z0-9]+)$ {{\n\
         \t\tdefault_type text/plain;\n\t\treturn 200 \"$1.{thumbprint}\";\n\t}}\n}}\n",
        pebble.http_port()
    );
    let _nginx = NginxSite::start(&tree, "unused.example.test", free_port(), &location);
    pebble_args(
        tree.acmers().args(["--issue", "-d", name, "--stateless"]),
        &pebble,
    )
    .run()
    .assert_code(0)
    .assert_stdout_has("Cert success.");
    let conf = read_conf(&tree.lineage(name).join(format!("{name}.conf")));
    assert_eq!(conf["Le_Webroot"], "stateless");
    pebble_args(
        tree.acmers().args(["--renew", "-d", name, "--force"]),
        &pebble,
    )
    .run()
    .assert_code(0)
    .assert_stdout_has("Cert success.");
}

/// The Apache of a test, its config folder the one `apache2ctl` is pointed at.
fn apache(tree: &Tree, port: u16) -> (Apache, PathBuf) {
    let dir = tree.path("apache");
    fs::create_dir(&dir).expect("mkdir apache");
    open_up(&dir);
    (Apache::start(&dir, port), dir)
}

fn with_apache_env(acmers: Acmers, tree: &Tree, dir: &Path) -> Acmers {
    acmers
        .env("APACHE_CONFDIR", &dir.display().to_string())
        .env("ACME_DIR", &tree.path("acme").display().to_string())
}

#[test]
fn apache_issue_and_renewal_restore_the_config_byte_for_byte() {
    let name = "apache.example.test";
    let tree = Tree::new();
    let pebble = Pebble::start(PebbleOpts::default());
    let (apache, dir) = apache(&tree, pebble.http_port());
    let before = content(apache.conf());
    for args in [["--issue", "--apache"], ["--renew", "--force"]] {
        let acmers = tree.acmers().args(args).args(["-d", name]);
        with_apache_env(pebble_args(acmers, &pebble), &tree, &dir)
            .run()
            .assert_code(0)
            .assert_stdout_has("Cert success.");
        assert_eq!(content(apache.conf()), before, "{args:?}: restored");
        assert_no_leftovers(&tree.lineage(name));
        let left = tree.path("acme/.well-known");
        assert!(!left.exists(), "{args:?}: the token folder is removed");
    }
    let conf = read_conf(&tree.lineage(name).join(format!("{name}.conf")));
    assert_eq!(conf["Le_Webroot"], "apache");
}

#[test]
fn apache_sigterm_mid_validation_restores_the_config() {
    let name = "apache-term.example.test";
    let tree = Tree::new();
    let fake = FakeAcme::start_with(Fault::PendingForever);
    let port = free_port();
    let (apache, dir) = apache(&tree, port);
    let before = content(apache.conf());
    let acmers = tree
        .acmers()
        .args(["--issue", "-d", name, "--apache"])
        .arg("--server")
        .arg(fake.directory_url())
        .arg("--ca-bundle")
        .arg(fake.ca_bundle_path())
        .args(["--validation-timeout", "3600"]);
    let run = with_apache_env(acmers, &tree, &dir).spawn();
    let run = wait_for_answer(&fake, run);
    let tokens = tree.path("acme/.well-known/acme-challenge");
    let token = fs::read_dir(&tokens)
        .expect("the token folder")
        .next()
        .expect("a token")
        .expect("entry")
        .file_name();
    let token = token.to_str().expect("token");
    let path = format!("/.well-known/acme-challenge/{token}");
    let (status, body) = http_get(SocketAddr::from(([127, 0, 0, 1], port)), &path);
    assert_eq!(status, 200, "Apache serves the token through the alias");
    assert!(body.starts_with(&format!("{token}.")), "{body}");
    run.signal("TERM");
    run.wait().assert_code(143);
    assert_eq!(content(apache.conf()), before, "restored after SIGTERM");
    assert_no_leftovers(&tree.lineage(name));
}
