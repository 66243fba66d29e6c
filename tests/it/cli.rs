//! The command line without a CA: help, version, usage errors (exit 1, never clap's 2),
//! `--set-default-ca`, and acme.sh's output format (`[date] message`, info on stdout,
//! errors on stderr, `NO_TIMESTAMP=1`).

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use tempfile::TempDir;

use crate::util::{Acmers, Output, read_conf};

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

fn assert_help(text: &str) {
    for needle in ["Usage:", "--issue", "--set-default-ca", "--standalone"] {
        assert!(text.contains(needle), "help lacks {needle:?}:\n{text}");
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
        assert_help(&out.stdout);
        assert_eq!(out.stderr, "", "{args:?} writes nothing to stderr");
    }
    assert!(!top.home.exists(), "help creates no home");
}

#[test]
fn options_without_a_command_print_help_and_fail() {
    let top = top();
    let out = Acmers::new(&top.home).args(["-d", "a.example"]).run();
    out.assert_code(1);
    assert_help(&out.stdout);
    assert_contains(&out.stderr, "no command given");
}

#[test]
fn unknown_parameter_fails_with_acmesh_message() {
    let top = top();
    let out = bare(&top, &["--bogus"]);
    out.assert_code(1);
    assert_contains(&out.stderr, "Unknown parameter: --bogus");
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
    ] {
        let out = Acmers::new(&top.home).args(args).run();
        assert_eq!(out.code, 1, "{args:?} must exit 1 (2 means skipped)");
        assert!(!out.stderr.is_empty(), "{args:?}: no error shown");
    }
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
    assert_contains(&out.stderr, "a..example");
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
    assert_contains(&out.stderr, "--webroot");
    assert_contains(&out.stderr, "--standalone");
    assert!(!top.home.join("a.example_ecc").exists());
}

#[test]
fn set_default_ca_needs_server() {
    let top = top();
    let out = Acmers::new(&top.home).arg("--set-default-ca").run();
    out.assert_code(1);
    assert_contains(&out.stderr, "--server");
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
        assert_contains(&out.stdout, url);
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
    assert_contains(&out.stderr, "buypass");
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
    assert!(!out.stdout.contains('['), "{:?}", out.stdout);

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
    assert_contains(&out.stderr, "--parallel");
}
