//! The run environment (docs/environment.md): syslog lines received on a test socket, the log
//! file's detail and `LOG_FILE` from the environment, `--ca-path` and `--insecure` against a
//! Pebble whose CA is not otherwise trusted, a saved `USER_AGENT`, `--accountconf` and
//! `--accountkey`, and `USER_PATH` saved by `--issue` and put first on `PATH` by `--cron`.

use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::net::UnixDatagram;
use std::path::Path;

use crate::support::acmers::{Acmers, Output};
use crate::support::conf::read_conf;
use crate::support::home::{read, site};
use crate::support::pebble::{Pebble, PebbleOpts};

/// A datagram socket standing in for `/dev/log`, and what acmers sent to it.
struct SyslogSocket {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    socket: UnixDatagram,
}

impl SyslogSocket {
    fn bind() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log");
        let socket = UnixDatagram::bind(&path).expect("bind the syslog socket");
        socket.set_nonblocking(true).expect("nonblocking");
        Self {
            _dir: dir,
            path,
            socket,
        }
    }

    /// Every datagram received so far (the run is over: all it sent is queued).
    fn take(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut buf = vec![0; 64 * 1024];
        while let Ok(n) = self.socket.recv(&mut buf) {
            lines.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        lines
    }
}

/// `acmers --cron --use-wget` (whose note is a debug line) with the test socket as syslog.
fn cron(home: &Path, socket: &SyslogSocket, extra: &[&str]) -> Output {
    let out = Acmers::new(home)
        .env("ACMERS_SYSLOG_SOCKET", socket.path.to_str().expect("UTF-8"))
        .env("NO_TIMESTAMP", "1")
        .args(["--cron", "--use-wget"])
        .args(extra)
        .run();
    out.assert_code(0);
    out
}

/// Lines whose priority is `pri`, as `<pri>Mmm dd hh:mm:ss acme.sh[pid]: text`, by text.
fn texts(lines: &[String], pri: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.starts_with(&format!("<{pri}>")))
        .map(|l| {
            let (_, text) = l.split_once(" acme.sh[").expect("acme.sh tag");
            let (pid, text) = text.split_once("]: ").expect("pid");
            assert!(pid.parse::<u32>().is_ok(), "{l}");
            text.to_owned()
        })
        .collect()
}

/// `--syslog 7` sends info lines as `user.info` and debug lines as `user.debug` and is saved;
/// the next run without the option still sends; `--syslog` alone (3) sends errors only (a
/// warning is an error line); `--syslog 0` stops it; a missing socket is a warning only.
#[test]
fn syslog_lines_reach_the_socket_at_their_levels() {
    let site = site();
    let socket = SyslogSocket::bind();

    cron(&site.home, &socket, &["--syslog", "7"]);
    let lines = socket.take();
    assert_eq!(
        texts(&lines, "14"),
        ["===Starting cron===", "===End cron==="],
        "{lines:?}"
    );
    let debug = texts(&lines, "15");
    assert!(
        debug.iter().any(|l| l.contains("`--use-wget` is ignored")),
        "{lines:?}"
    );
    assert_eq!(read_conf(&site.home.join("account.conf"))["SYS_LOG"], "7");

    cron(&site.home, &socket, &[]);
    assert_eq!(texts(&socket.take(), "14").len(), 2, "SYS_LOG is saved");

    // `--insecure` prints a warning: an error line.
    cron(&site.home, &socket, &["--syslog", "--insecure"]);
    let lines = socket.take();
    assert!(texts(&lines, "14").is_empty(), "{lines:?}");
    let errors = texts(&lines, "11");
    assert!(
        errors
            .iter()
            .any(|l| l.starts_with("warning: `--insecure`")),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| l.starts_with("<11>")), "{lines:?}");

    cron(&site.home, &socket, &["--syslog", "0"]);
    assert!(socket.take().is_empty());
    let conf = read_conf(&site.home.join("account.conf"));
    assert_eq!(conf.get("SYS_LOG"), None, "--syslog 0 clears it");

    let out = Acmers::new(&site.home)
        .env("ACMERS_SYSLOG_SOCKET", "/nonexistent/acmers-test.sock")
        .args(["--cron", "--syslog", "6"])
        .run();
    out.assert_code(0)
        .assert_stderr_has(
            "warning: cannot write to syslog through `/nonexistent/acmers-test.sock`",
        )
        .assert_stdout_has("===End cron===");
}

/// `LOG_FILE` from the environment is the log (not saved); it gets debug lines by default
/// (acme.sh's log level 2), none at `LOG_LEVEL=0`; `--log-level` is saved.
#[test]
fn log_file_from_the_environment_and_log_level() {
    let site = site();
    let log = site.home.parent().expect("top").join("env.log");
    let run = |env: &[(&str, &str)], extra: &[&str]| {
        fs::write(&log, "").expect("empty the log");
        let mut acmers = Acmers::new(&site.home).env("LOG_FILE", log.to_str().expect("UTF-8"));
        for (key, value) in env {
            acmers = acmers.env(key, value);
        }
        acmers
            .args(["--cron", "--use-wget"])
            .args(extra)
            .run()
            .assert_code(0);
        read(&log)
    };
    let note = "`--use-wget` is ignored";

    let text = run(&[], &[]);
    assert!(
        text.contains("===Starting cron===") && text.contains(note),
        "{text}"
    );
    let conf = site.home.join("account.conf");
    assert!(!conf.exists(), "LOG_FILE from the environment is not saved");

    let text = run(&[("LOG_LEVEL", "0")], &[]);
    assert!(
        text.contains("===Starting cron===") && !text.contains(note),
        "{text}"
    );

    let text = run(&[], &["--log-level", "1"]);
    assert!(text.contains(note), "{text}");
    assert_eq!(read_conf(&conf)["LOG_LEVEL"], "1");
    assert_eq!(read_conf(&conf).get("LOG_FILE"), None);
}

/// `--issue` at Pebble on its http-01 port, trusting nothing but what `extra` says.
fn issue_untrusted(home: &Path, pebble: &Pebble, name: &str, extra: &[&str]) -> Output {
    Acmers::new(home)
        .args(["--issue", "-d", name, "--standalone", "--httpport"])
        .arg(pebble.http_port().to_string())
        .args(["--local-address", "127.0.0.1", "--server"])
        .arg(pebble.directory_url())
        .args(extra)
        .run()
}

/// Without Pebble's CA the issue fails; with a folder holding it (`--ca-path`, among a file
/// that is no certificate) it works and `CA_PATH` is saved; with `--insecure` it works with a
/// warning and nothing about it is saved.
#[test]
fn ca_path_and_insecure_against_an_untrusted_pebble() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let name = "ca-path.example.test";
    issue_untrusted(&site.home, &pebble, name, &[]).assert_code(1);

    let certs = site.home.parent().expect("top").join("certs");
    fs::create_dir(&certs).expect("mkdir");
    fs::copy(pebble.ca_bundle_path(), certs.join("pebble.pem")).expect("copy");
    fs::write(certs.join("README"), "not a certificate\n").expect("write");
    let certs_arg = certs.to_str().expect("UTF-8");
    issue_untrusted(&site.home, &pebble, name, &["--ca-path", certs_arg])
        .assert_code(0)
        .assert_stdout_has("Cert success.");
    let conf = read_conf(&site.home.join("account.conf"));
    assert_eq!(conf["CA_PATH"], certs_arg);

    let other = crate::support::home::site();
    issue_untrusted(
        &other.home,
        &pebble,
        "insecure.example.test",
        &["--insecure"],
    )
    .assert_code(0)
    .assert_stdout_has("Cert success.")
    .assert_stderr_has("are NOT verified in this run");
    let text = read(&other.home.join("account.conf"));
    assert!(!text.contains("HTTPS_INSECURE"), "{text}");
    // The next run is verified again.
    let renew = Acmers::new(&other.home)
        .args(["--renew", "-d", "insecure.example.test", "--force"])
        .run();
    renew.assert_code(1).assert_stderr_lacks("NOT verified");
}

/// Every request head a loopback listener received until `stop` connected with nothing.
fn request_heads(listener: std::net::TcpListener) -> Vec<String> {
    let mut heads = Vec::new();
    for tcp in listener.incoming() {
        let mut tcp = tcp.expect("accept");
        let head: Vec<String> = BufReader::new(&tcp)
            .lines()
            .map_while(Result::ok)
            .take_while(|line| !line.is_empty())
            .collect();
        if head.is_empty() {
            break;
        }
        let _ = tcp.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        heads.extend(head);
    }
    heads
}

/// `--useragent` is saved as `USER_AGENT`, and a later run without it sends it. The CA is a
/// loopback listener that keeps the request heads and answers 404 (Pebble does not show the
/// headers it receives).
#[test]
fn saved_useragent_is_used_by_later_runs() {
    let site = site();
    Acmers::new(&site.home)
        .args(["--list", "--useragent", "saved-agent/2.0"])
        .run()
        .assert_code(0);
    assert_eq!(
        read_conf(&site.home.join("account.conf"))["USER_AGENT"],
        "saved-agent/2.0"
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let heads = std::thread::spawn(move || request_heads(listener));
    let out = Acmers::new(&site.home)
        .args(["--issue", "-d", "a.example", "--standalone", "--httpport"])
        .arg(crate::support::net::free_port().to_string())
        .args(["--local-address", "127.0.0.1", "--server"])
        .arg(format!("http://{addr}/directory"))
        .run();
    out.assert_code(1);
    let _ = std::net::TcpStream::connect(addr);
    let heads = heads.join().expect("listener thread");
    assert!(
        heads
            .iter()
            .any(|line| line.eq_ignore_ascii_case("user-agent: saved-agent/2.0")),
        "{heads:?}\n{out:?}"
    );
}

/// `--accountconf FILE` is the account.conf read and written (the default one is not made);
/// `--accountkey FILE` is the account key (made there, the CA folder gets none), registered
/// at the CA (`CA_KEY_HASH` is its hash), and used again by `ACCOUNT_KEY_PATH` from the
/// environment.
#[test]
fn accountconf_and_accountkey_files() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let top = site.home.parent().expect("top").to_owned();
    let conf = top.join("elsewhere.conf");
    let key = top.join("elsewhere.key");
    let issue = |name: &str, extra: &[&str]| {
        Acmers::new(&site.home)
            .args(["--issue", "-d", name, "--standalone", "--httpport"])
            .arg(pebble.http_port().to_string())
            .args(["--local-address", "127.0.0.1", "--server"])
            .arg(pebble.directory_url())
            .arg("--ca-bundle")
            .arg(pebble.ca_bundle_path())
            .args(extra)
    };
    let (conf_arg, key_arg) = (conf.to_str().expect("UTF-8"), key.to_str().expect("UTF-8"));
    issue(
        "accountconf.example.test",
        &["--accountconf", conf_arg, "--accountkey", key_arg],
    )
    .run()
    .assert_code(0);
    assert!(!site.home.join("account.conf").exists());
    let saved = read_conf(&conf);
    assert_eq!(
        saved["CA_BUNDLE"],
        pebble.ca_bundle_path().to_str().expect("UTF-8")
    );
    let ca_dir = site.home.join("ca/127.0.0.1/dir");
    assert!(!ca_dir.join("account.key").exists());
    assert_eq!(
        fs::metadata(&key).expect("key").permissions().mode() & 0o777,
        0o600
    );
    let key_pem = fs::read(&key).expect("read key");
    let ca_conf = read_conf(&ca_dir.join("ca.conf"));
    assert_eq!(ca_conf["CA_KEY_HASH"], acmers::lineage::key_hash(&key_pem));

    // From the environment, the same account: nothing registered anew.
    let before = read(&ca_dir.join("ca.conf"));
    issue("again.example.test", &[])
        .env("ACCOUNT_CONF_PATH", conf_arg)
        .env("ACCOUNT_KEY_PATH", key_arg)
        .run()
        .assert_code(0);
    assert_eq!(read(&ca_dir.join("ca.conf")), before);
    assert!(!ca_dir.join("account.key").exists());
    assert_eq!(fs::read(&key).expect("read key"), key_pem);
}

/// `--issue` saves its `PATH` as `USER_PATH`; `--cron`, run with a `PATH` that lacks a folder,
/// runs a reload command found only in that folder.
#[test]
fn cron_puts_the_saved_user_path_first() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let top = site.home.parent().expect("top").to_owned();
    let bin = top.join("bin");
    fs::create_dir(&bin).expect("mkdir bin");
    let marker = top.join("reloaded");
    let program = bin.join("acmers-test-reload");
    fs::write(
        &program,
        format!("#!/bin/sh\necho reloaded >> '{}'\n", marker.display()),
    )
    .expect("write program");
    fs::set_permissions(&program, fs::Permissions::from_mode(0o755)).expect("chmod");
    let system_path = std::env::var("PATH").expect("PATH");
    let user_path = format!("{}:{system_path}", bin.display());
    let name = "user-path.example.test";

    Acmers::new(&site.home)
        .env("PATH", &user_path)
        .args(["--issue", "-d", name, "--standalone", "--httpport"])
        .arg(pebble.http_port().to_string())
        .args(["--local-address", "127.0.0.1", "--server"])
        .arg(pebble.directory_url())
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path())
        .args(["--reloadcmd", "acmers-test-reload"])
        .run()
        .assert_code(0);
    assert_eq!(
        read_conf(&site.home.join("account.conf"))["USER_PATH"],
        user_path
    );
    fs::remove_file(&marker).expect("the reload ran at the issue");

    Acmers::new(&site.home)
        .env("PATH", &system_path)
        .args(["--cron", "--force"])
        .run()
        .assert_code(0);
    assert!(marker.exists(), "the cron's reload found the program");
}

/// `--request-v6` keeps connections to IPv6: `localhost`'s IPv4 address is not used, so a CA
/// listening on 127.0.0.1 gets no request; `--request-v4` reaches it, and is saved in place of
/// the other.
#[test]
fn request_family_limits_the_addresses_used() {
    let site = site();
    let ask = |family: &str| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let heads = std::thread::spawn(move || request_heads(listener));
        let out = Acmers::new(&site.home)
            .args(["--issue", "-d", "a.example", "--standalone", "--httpport"])
            .arg(crate::support::net::free_port().to_string())
            .args(["--local-address", "127.0.0.1", family, "--server"])
            .arg(format!("http://localhost:{}/directory", addr.port()))
            .run();
        out.assert_code(1);
        let _ = std::net::TcpStream::connect(addr);
        (heads.join().expect("listener thread"), out)
    };
    let (heads, out) = ask("--request-v6");
    assert!(heads.is_empty(), "{heads:?}\n{out:?}");
    let conf = read_conf(&site.home.join("account.conf"));
    assert_eq!(conf["ACME_USE_IPV6_REQUESTS"], "1");

    let (heads, out) = ask("--request-v4");
    assert!(!heads.is_empty(), "{out:?}");
    let conf = read_conf(&site.home.join("account.conf"));
    assert_eq!(conf["ACME_USE_IPV4_REQUESTS"], "1");
    assert_eq!(conf.get("ACME_USE_IPV6_REQUESTS"), None);
}

/// Whether the test can give files away; says so loudly when not.
fn running_as_root() -> bool {
    let root = rustix::process::geteuid().is_root();
    if !root {
        eprintln!("NOT RUN: this test gives files to another user, which needs root");
    }
    root
}

/// Give `path` to `nobody`.
fn give_to_nobody(path: &Path) {
    rustix::fs::chownat(
        rustix::fs::CWD,
        path,
        Some(rustix::fs::Uid::from_raw(65_534)),
        None,
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .expect("chown");
}

/// As root, a `--ca-path` folder, or a file in it, that another user (`nobody`) owns is
/// refused before any request, as a `--ca-bundle` is (docs/security.md). Runs as root only
/// (CI does); as another user it says so and stops.
#[test]
fn ca_path_another_user_controls_is_refused_as_root() {
    if !running_as_root() {
        return;
    }
    let site = site();
    let certs = site.home.parent().expect("top").join("certs");
    fs::create_dir(&certs).expect("mkdir");
    let pem = certs.join("root.pem");
    fs::write(&pem, "-----BEGIN CERTIFICATE-----\n").expect("write");
    let refused = |expected: &Path| {
        Acmers::new(&site.home)
            .args(["--issue", "-d", "a.example", "--standalone", "--ca-path"])
            .arg(&certs)
            .args(["--server", "https://127.0.0.1:9/dir"])
            .run()
            .assert_code(1)
            .assert_stderr_has(&format!("cannot read the CA folder `{}`", certs.display()))
            .assert_stderr_has(&format!("refusing `{}` as root", expected.display()))
            .assert_stderr_lacks("Using CA");
    };
    give_to_nobody(&pem);
    refused(&pem);
    give_to_nobody(&certs);
    refused(&certs);
}

/// `--install --accountconf FILE` names the file in the default account.conf (acme.sh's
/// `install`), so later runs without the option read and write it.
#[test]
fn install_names_the_account_conf_for_later_runs() {
    let site = site();
    let conf = site.home.parent().expect("top").join("named.conf");
    Acmers::new(&site.home)
        .args(["--install", "--nocron", "--noprofile", "--accountconf"])
        .arg(&conf)
        .run()
        .assert_code(0);
    assert_eq!(
        read_conf(&site.home.join("account.conf"))["ACCOUNT_CONF_PATH"],
        conf.to_str().expect("UTF-8")
    );
    Acmers::new(&site.home)
        .args(["--set-default-ca", "--server", "letsencrypt_test"])
        .run()
        .assert_code(0);
    assert!(read_conf(&conf)["DEFAULT_ACME_SERVER"].contains("staging"));
    assert_eq!(
        read_conf(&site.home.join("account.conf")).get("DEFAULT_ACME_SERVER"),
        None
    );
}

/// As root, an `--accountkey` in a folder another user owns is refused: the account is not
/// used, no key is written there.
#[test]
fn accountkey_in_a_folder_another_user_owns_is_refused_as_root() {
    if !running_as_root() {
        return;
    }
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let keys = site.home.parent().expect("top").join("keys");
    fs::create_dir(&keys).expect("mkdir");
    give_to_nobody(&keys);
    let key = keys.join("account.key");
    Acmers::new(&site.home)
        .args(["--register-account", "--server"])
        .arg(pebble.directory_url())
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path())
        .arg("--accountkey")
        .arg(&key)
        .run()
        .assert_code(1)
        .assert_stderr_has(&format!("refusing `{}` as root", keys.display()));
    assert!(!key.exists());
}
