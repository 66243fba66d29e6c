//! The command line without a CA: help, version, usage errors (exit 1, never clap's 2),
//! conflicting options, `--set-default-ca`, `--log` into a new home, and acme.sh's output
//! format (`[date] message`, info on stdout, errors on stderr, `NO_TIMESTAMP=1`, control
//! characters escaped).

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use tempfile::TempDir;

use crate::support::acmers::{Acmers, Output};
use crate::support::conf::read_conf;

const LETSENCRYPT: &str = "https://acme-v02.api.letsencrypt.org/directory";
const ZEROSSL: &str = "https://acme.zerossl.com/v2/DV90";

/// A temp dir with an (absent) acme.sh home inside.
struct Top {
    dir: TempDir,
    home: PathBuf,
}

fn top() -> Top {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    Top { dir, home }
}

/// Run `acmers <args>` with no `--home` at all.
fn bare(top: &Top, args: &[&str]) -> Output {
    Acmers::bare(top.dir.path()).args(args).run()
}

fn assert_help(out: &Output) {
    for needle in [
        "Usage:",
        "--issue",
        "--set-default-ca",
        "--standalone",
        "--dns [<PROVIDER>]",
        // The providers' table, with each one's variables.
        "dns_cf",
        "CF_Token",
        "dns_nsupdate",
        "[NSUPDATE_ZONE]",
    ] {
        out.assert_stdout_has(needle);
    }
}

fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "{needle:?} not found in:\n{haystack}"
    );
}

#[test]
fn no_arguments_and_help_flags_print_help_and_succeed() {
    let top = top();
    for args in [&[][..], &["-h"], &["--help"]] {
        let out = bare(&top, args);
        out.assert_code(0);
        assert_help(&out);
        assert_eq!(out.stderr, "", "{args:?} writes nothing to stderr");
    }
    assert!(!top.home.exists(), "help creates no home");
}

#[test]
fn options_without_a_command_print_help_and_fail() {
    let top = top();
    let out = Acmers::new(&top.home).args(["-d", "a.example"]).run();
    out.assert_code(1);
    assert_help(&out);
    out.assert_stderr_has("no command given");
}

#[test]
fn unknown_parameter_fails_with_acmesh_message() {
    let top = top();
    let out = bare(&top, &["--bogus"]);
    out.assert_code(1);
    out.assert_stderr_has("Unknown parameter: --bogus");
    assert_eq!(out.stdout, "", "usage errors go to stderr only");
}

#[test]
fn bad_option_values_exit_1_never_2() {
    let top = top();
    for args in [
        &["--issue", "--httpport", "nope"][..],
        &[
            "--issue",
            "-d",
            "a.example",
            "--standalone",
            "--httpport",
            "70000",
        ],
        &["--issue", "--validation-timeout", "soon"],
        &["--issue", "-d"],
        &[
            "--issue",
            "-d",
            "a.example",
            "--standalone",
            "--httpport",
            "0",
        ],
        &[
            "--issue",
            "-d",
            "a.example",
            "--standalone",
            "--validation-timeout",
            "0",
        ],
        &[
            "--issue",
            "-d",
            "a.example",
            "--standalone",
            "--order-timeout",
            "0",
        ],
        &[
            "--issue",
            "-d",
            "a.example",
            "--standalone",
            "--hook-timeout",
            "0",
        ],
        &["--cron", "--lock-timeout", "604801"],
        &["--cron", "--debug", "9"],
    ] {
        let out = Acmers::new(&top.home).args(args).run();
        assert_eq!(out.code, 1, "{args:?} must exit 1 (2 means skipped)");
        assert!(!out.stderr.is_empty(), "{args:?}: no error shown");
        out.assert_stderr_has("hint: see `acmers --help`");
    }
    assert!(!top.home.exists(), "a refused line creates nothing");
    // 0 is a meaningful lock timeout: skip a locked certificate at once.
    let out = Acmers::new(&top.home)
        .args(["--cron", "--lock-timeout", "0"])
        .run();
    out.assert_code(0);
}

#[test]
fn more_validation_modes_than_names_is_refused() {
    let top = top();
    let out = Acmers::new(&top.home)
        .args([
            "--issue",
            "-d",
            "a.example",
            "--standalone",
            "--webroot",
            "/srv/www",
        ])
        .run();
    out.assert_code(1);
    out.assert_stderr_has("`--webroot /srv/www` would never be used");
    out.assert_stderr_has("the i-th mode validates the i-th name");
    assert!(!top.home.join("a.example_ecc").exists());
}

#[test]
fn several_commands_warn_and_the_last_one_runs() {
    let top = top();
    let out = Acmers::new(&top.home)
        .env("NO_TIMESTAMP", "1")
        .args(["--issue", "-d", "a.example", "--standalone", "--cron"])
        .run();
    out.assert_code(0);
    assert_eq!(out.stdout, "===Starting cron===\n===End cron===\n");
    assert_eq!(
        out.stderr,
        "warning: 2 commands given (`--issue`, `--cron`); only the last one, `--cron`, runs \
         (as in acme.sh)\n"
    );
    assert!(
        !top.home.join("a.example_ecc").exists(),
        "--issue did not run"
    );
}

#[test]
fn version_prints_two_lines() {
    let top = top();
    for flag in ["--version", "-v"] {
        let out = bare(&top, &[flag]);
        out.assert_code(0);
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), 2, "{flag}: {:?}", out.stdout);
        assert!(lines[0].starts_with("https://"), "{flag}: {:?}", lines[0]);
        assert_eq!(lines[1], format!("v{}", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn invalid_domain_is_named() {
    let top = top();
    let out = Acmers::new(&top.home)
        .args(["--issue", "-d", "a..example", "--standalone"])
        .run();
    out.assert_code(1);
    out.assert_stderr_has("a..example");
    let lineage = top.home.join("a..example_ecc");
    assert!(!lineage.exists(), "no lineage folder for a bad name");
}

#[test]
fn issue_without_a_mode_names_both_modes() {
    let top = top();
    let out = Acmers::new(&top.home)
        .args(["--issue", "-d", "a.example"])
        .run();
    out.assert_code(1);
    out.assert_stderr_has("--webroot");
    out.assert_stderr_has("--standalone");
    assert!(!top.home.join("a.example_ecc").exists());
}

#[test]
fn set_default_ca_needs_server() {
    let top = top();
    let out = Acmers::new(&top.home).arg("--set-default-ca").run();
    out.assert_code(1);
    out.assert_stderr_has("--server");
    assert!(!top.home.join("account.conf").exists());
}

#[test]
fn set_default_ca_short_names() {
    let top = top();
    let conf = top.home.join("account.conf");
    for (name, url) in [("letsencrypt", LETSENCRYPT), ("zerossl", ZEROSSL)] {
        let out = Acmers::new(&top.home)
            .args(["--set-default-ca", "--server", name])
            .run();
        out.assert_code(0);
        out.assert_stdout_has(url);
        assert_eq!(read_conf(&conf)["DEFAULT_ACME_SERVER"], url);
        let text = fs::read_to_string(&conf).expect("account.conf");
        assert!(
            text.lines()
                .any(|l| l == format!("DEFAULT_ACME_SERVER='{url}'")),
            "acme.sh quoting: {text}"
        );
        let mode = fs::metadata(&conf).expect("stat").permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600, "account.conf mode");
    }

    let before = fs::read(&conf).expect("account.conf");
    let out = Acmers::new(&top.home)
        .args(["--set-default-ca", "--server", "buypass"])
        .run();
    out.assert_code(1);
    out.assert_stderr_has("buypass");
    assert_eq!(
        fs::read(&conf).expect("account.conf"),
        before,
        "a refused server changes nothing"
    );
}

/// `[<date>] message`: info on stdout, errors on stderr; `NO_TIMESTAMP=1` drops the prefix.
#[test]
fn output_lines_look_like_acmesh() {
    let top = top();
    let set = ["--set-default-ca", "--server", "letsencrypt"];
    let info = format!("Changed default CA to: {LETSENCRYPT}");
    let error = "Unknown parameter: --bogus";

    let out = Acmers::new(&top.home).args(set).run();
    out.assert_code(0);
    assert_eq!(out.stderr, "");
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains(&info))
        .unwrap_or_else(|| {
            panic!("no info line in stdout:\n{}", out.stdout);
        });
    assert!(
        line.starts_with('[') && line.ends_with(&format!("] {info}")),
        "{line:?}"
    );
    let date = &line[1..line.len() - info.len() - 2];
    assert!(
        date.len() >= 20 && date.chars().any(|c| c.is_ascii_digit()) && date.contains(':'),
        "not a date: {date:?}"
    );

    let out = bare(&top, &["--bogus"]);
    let line = out.stderr.lines().next().expect("an error line");
    assert!(
        line.starts_with('[') && line.ends_with(&format!("] {error}")),
        "{line:?}"
    );

    let out = Acmers::new(&top.home)
        .args(set)
        .env("NO_TIMESTAMP", "1")
        .run();
    out.assert_code(0);
    assert!(out.stdout.lines().any(|l| l == info), "{:?}", out.stdout);
    out.assert_stdout_lacks("[");

    let out = Acmers::bare(top.dir.path())
        .arg("--bogus")
        .env("NO_TIMESTAMP", "1")
        .run();
    out.assert_code(1);
    assert_eq!(out.stderr.lines().next(), Some(error));
}

/// Golden lines and exit codes of the lifecycle commands on a home without certificates.
#[test]
fn lifecycle_commands_on_an_empty_home() {
    let top = top();
    let run = |args: &[&str]| {
        Acmers::new(&top.home)
            .env("NO_TIMESTAMP", "1")
            .args(args)
            .run()
    };

    let out = run(&["--cron"]);
    out.assert_code(0);
    assert_eq!(out.stdout, "===Starting cron===\n===End cron===\n");
    assert_eq!(out.stderr, "");

    let out = run(&["--renew-all"]);
    out.assert_code(0);
    assert_eq!(out.stdout, "");

    let out = run(&["--renew", "-d", "nothing.example"]);
    out.assert_code(2);
    assert_eq!(
        out.stdout,
        "'nothing.example' is not an issued domain, skipping.\n"
    );

    let out = run(&["--renew"]);
    out.assert_code(1);
    assert_eq!(out.stderr, "error: `--renew` needs `-d DOMAIN`\n");

    let out = run(&[
        "--install-cert",
        "-d",
        "nothing.example",
        "--cert-file",
        "/tmp/x",
    ]);
    out.assert_code(1);
    assert_eq!(
        out.stderr,
        "error: 'nothing.example' is not an issued domain\nhint: issue it first with `--issue`\n"
    );

    let out = run(&["--cron", "--parallel", "0"]);
    out.assert_code(1);
    out.assert_stderr_has("--parallel");
}

/// No byte of the output is a control character other than the line ends.
fn assert_no_control_characters(out: &Output) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let bad: Vec<char> = text
            .chars()
            .filter(|c| c.is_control() && *c != '\n')
            .collect();
        assert!(
            bad.is_empty(),
            "{name} carries raw control characters {bad:?}"
        );
    }
}

/// Control characters typed on the command line are shown as `?`, on every path that echoes
/// them, and the lines keep acme.sh's `[date] message` form.
#[test]
fn control_characters_in_arguments_are_escaped() {
    let top = top();
    let cases: &[(&[&str], &str)] = &[
        (
            &["--issue", "-d", "a\x1b[31mb.example", "--standalone"],
            "`a?[31mb.example` is not a valid domain name",
        ),
        (
            &["--issue", "-d", "a.example\r\n[forged] ok", "--standalone"],
            "`a.example??[forged] ok` is not",
        ),
        (&["--renew", "-d", "a\x1b[2Jb\n.example"], "refusing domain"),
        (
            &[
                "--issue",
                "-d",
                "a.example",
                "--standalone",
                "-w",
                "/w\x1b[31m",
            ],
            "`--webroot /w?[31m` would never be used",
        ),
        (
            &["--issue", "--httpport", "8\r\n9"],
            "invalid value '8??9' for '--httpport <PORT>'",
        ),
        (&["--bo\x1b[5mgus"], "Unknown parameter: --bo?[5mgus"),
    ];
    for (args, expected) in cases {
        let out = Acmers::new(&top.home).args(*args).run();
        out.assert_code(1);
        assert_no_control_characters(&out);
        out.assert_stderr_has(expected);
        for line in out.stderr.lines() {
            let (date, _message) = line
                .strip_prefix('[')
                .and_then(|rest| rest.split_once("] "))
                .unwrap_or_else(|| panic!("{args:?}: not a `[date] message` line: {line:?}"));
            assert!(date.contains(':'), "{args:?}: not a date: {date:?}");
        }
    }
}

/// `--log` on a first run: the home is created (0700) before the log is opened, so the log
/// keeps the run's lines; a `--log FILE` whose folder does not exist is refused up front.
#[test]
fn log_into_a_new_home_keeps_the_first_run() {
    let top = top();
    let out = Acmers::new(&top.home)
        .args(["--issue", "-d", "a..example", "--standalone", "--log"])
        .run();
    out.assert_code(1);
    out.assert_stderr_has("`a..example` is not a valid domain name");
    out.assert_stderr_lacks("warning");
    let log = fs::read_to_string(top.home.join("acme.sh.log")).expect("the log file");
    assert_contains(&log, "`a..example` is not a valid domain name");
    let mode = fs::metadata(&top.home).expect("home").permissions().mode() & 0o7777;
    assert_eq!(mode, 0o700, "home mode");

    let top = self::top();
    let log_path = top.home.join("acmers.log");
    let out = Acmers::new(&top.home)
        .args(["--set-default-ca", "--server", "letsencrypt", "--log"])
        .arg(&log_path)
        .run();
    out.assert_code(0);
    let log = fs::read_to_string(&log_path).expect("the log file");
    assert_contains(&log, &format!("Changed default CA to: {LETSENCRYPT}"));

    let missing = top.dir.path().join("no-such-folder").join("acmers.log");
    let out = Acmers::new(&top.home)
        .args(["--set-default-ca", "--server", "zerossl", "--log"])
        .arg(&missing)
        .run();
    out.assert_code(1);
    out.assert_stderr_has("cannot open the log file");
    out.assert_stderr_has("no-such-folder");
    assert_eq!(
        read_conf(&top.home.join("account.conf"))["DEFAULT_ACME_SERVER"],
        LETSENCRYPT,
        "the refused run changed nothing"
    );
    assert!(
        !missing.parent().expect("parent").exists(),
        "no folder made for a --log FILE"
    );
}

/// A CA URL the protocol client would refuse is refused before the lineage folder or its conf
/// is created.
#[test]
fn a_refused_server_leaves_no_lineage() {
    for server in ["ftp://example.test/dir", "http://example.test/dir"] {
        let top = top();
        let out = Acmers::new(&top.home)
            .args([
                "--issue",
                "--server",
                server,
                "-d",
                "x.example",
                "--standalone",
            ])
            .run();
        out.assert_code(1);
        out.assert_stderr_has(server);
        let left: Vec<String> = fs::read_dir(&top.home)
            .map(|dir| {
                dir.map(|e| {
                    e.expect("dir entry")
                        .file_name()
                        .to_string_lossy()
                        .into_owned()
                })
                .filter(|name| name.starts_with("x.example"))
                .collect()
            })
            .unwrap_or_default();
        assert!(left.is_empty(), "{server}: left {left:?} behind");
    }
}

/// acme.sh options acmers does not need run as usual; `--debug` (or `DEBUG`) explains each,
/// `--debug 0` is off, and `--insecure`/`HTTPS_INSECURE=1` say that TLS is not verified.
#[test]
fn acmesh_only_flags_are_accepted_and_explained() {
    let top = top();
    let run = |env: Option<(&str, &str)>, args: &[&str]| {
        let mut acmers = Acmers::new(&top.home).env("NO_TIMESTAMP", "1");
        if let Some((key, value)) = env {
            acmers = acmers.env(key, value);
        }
        acmers.args(args).run()
    };
    let note = "`--use-wget` is ignored";

    let out = run(None, &["--cron", "--debug", "--use-wget", "--insecure"]);
    out.assert_code(0);
    out.assert_stderr_has(note);
    out.assert_stderr_has("are NOT verified in this run");

    let out = run(Some(("DEBUG", "1")), &["--cron", "--use-wget"]);
    out.assert_code(0);
    out.assert_stderr_has(note);

    let out = run(
        Some(("HTTPS_INSECURE", "1")),
        &["--cron", "--debug", "0", "--use-wget"],
    );
    out.assert_code(0);
    assert_eq!(
        out.stderr,
        "warning: `--insecure`/`HTTPS_INSECURE`: TLS certificates (of the CA, the DNS API and the \
         notification hooks) are NOT verified in this run; acmers does not save this setting\n"
    );
}

/// `--useragent UA` is the `User-Agent` of the run's requests to the CA. The CA is a fake:
/// a loopback listener that keeps each request's head and answers 404 (pebble does not show
/// the headers it receives).
#[test]
fn useragent_is_sent_to_the_ca() {
    use std::io::{BufRead as _, BufReader, Write as _};
    let top = top();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = format!("http://{addr}/directory");
    // Every request head until an empty one: the connection made below once acmers is done.
    let heads = std::thread::spawn(move || {
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
    });
    // The standalone server needs a free port (port 80 may be taken by a test running at
    // the same time, which would end the run before it asked the CA anything).
    let port = crate::support::net::free_port().to_string();
    let out = Acmers::new(&top.home)
        .args([
            "--issue",
            "-d",
            "a.example",
            "--standalone",
            "--httpport",
            &port,
            "--local-address",
            "127.0.0.1",
            "--server",
            &server,
            "--useragent",
            "probe-agent/1.0",
        ])
        .run();
    out.assert_code(1);
    let _ = std::net::TcpStream::connect(addr);
    let heads = heads.join().expect("listener thread");
    assert!(
        heads
            .iter()
            .any(|line| line.eq_ignore_ascii_case("user-agent: probe-agent/1.0")),
        "{heads:?}\n{out:?}"
    );
}

/// `--log FILE` is saved as `LOG_FILE` in account.conf (as acme.sh's `main` does), so the next
/// run without `--log` appends to the same file.
#[test]
fn log_file_is_saved_for_later_runs() {
    let top = top();
    let log_path = top.dir.path().join("acmers.log");
    Acmers::new(&top.home)
        .env("NO_TIMESTAMP", "1")
        .args(["--cron", "--log"])
        .arg(&log_path)
        .run()
        .assert_code(0);
    assert_eq!(
        read_conf(&top.home.join("account.conf"))["LOG_FILE"],
        log_path.to_str().expect("UTF-8 path")
    );
    fs::write(&log_path, "").expect("empty the log");
    Acmers::new(&top.home)
        .env("NO_TIMESTAMP", "1")
        .args(["--cron"])
        .run()
        .assert_code(0);
    assert_contains(
        &fs::read_to_string(&log_path).expect("the log file"),
        "===End cron===",
    );
}

/// `ACME_DIRECTORY` in the environment chooses the CA of `--issue` (acme.sh's `_initAPI`).
#[test]
fn acme_directory_from_the_environment() {
    let top = top();
    let server = "ftp://env.example/dir";
    let out = Acmers::new(&top.home)
        .env("ACME_DIRECTORY", server)
        .args(["--issue", "-d", "x.example", "--standalone"])
        .run();
    out.assert_code(1);
    out.assert_stderr_has(server);
}

/// Completions and the man page come from the one command-line definition: bash loads the
/// completion script and registers it, and the man page is roff naming acmers' options.
#[test]
fn completions_and_man_page_are_generated() {
    let top = top();
    let out = bare(&top, &["--completions", "bash"]);
    out.assert_code(0).assert_stdout_has("--dns-resolver");
    let script = top.dir.path().join("acmers.bash");
    fs::write(&script, &out.stdout).expect("write completion");
    let loaded = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(". '{}' && complete -p acmers", script.display()))
        .output()
        .expect("run bash");
    assert!(loaded.status.success(), "{loaded:?}");
    assert!(String::from_utf8_lossy(&loaded.stdout).contains("acmers"));
    for shell in ["zsh", "fish"] {
        bare(&top, &["--completions", shell])
            .assert_code(0)
            .assert_stdout_has("deploy-hook");
    }
    bare(&top, &["--man-page"])
        .assert_code(0)
        .assert_stdout_has(".TH acmers 1")
        .assert_stdout_has("\\-\\-set\\-notify");
    assert!(!top.home.exists(), "nothing written to a home");
}
