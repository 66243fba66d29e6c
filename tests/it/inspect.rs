//! `--list`, `--info` and `--remove` on acme.sh's own fixture home, compared byte for byte with
//! what acme.sh 3.1.4 printed for the same home (`tests/fixtures/acmesh-home-basic.expected/`).
//! Where acmers deliberately differs (masked secrets, its stderr wording), the documented form
//! (docs/inspect.md, docs/differences.md) is asserted.

use std::fs;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use tempfile::TempDir;

use crate::support::acmers::{Acmers, Output};
use crate::support::home::{copy_fixture_home, snapshot};

const EXPECTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/acmesh-home-basic.expected"
);
/// The home path acme.sh ran with; `--info` prints it.
const FIXTURE_HOME: &str = "/var/lib/acmers-fixture/basic";
const HIDDEN: &str = "[hidden](please add '--output-insecure' to see this value)";

/// A copy of the fixture home in a temp dir.
struct Home {
    _top: TempDir,
    path: PathBuf,
}

impl Home {
    fn new() -> Self {
        let top = tempfile::tempdir().expect("tempdir");
        let path = top.path().join("home");
        copy_fixture_home(&path);
        Self { _top: top, path }
    }

    fn run(&self, args: &[&str]) -> Output {
        Acmers::new(&self.path).args(args).run()
    }

    /// An expected output file with the fixture's home path replaced by this copy's.
    fn expected(&self, name: &str) -> String {
        let text = fs::read_to_string(Path::new(EXPECTED).join(name)).expect("expected file");
        text.replace(FIXTURE_HOME, &self.path.display().to_string())
    }
}

#[test]
fn list_is_acmesh_table_byte_for_byte() {
    let home = Home::new();
    let out = home.run(&["--list"]);
    out.assert_code(0);
    assert_eq!(out.stdout, home.expected("list.txt"));
    assert_eq!(out.stderr, "");
    let out = home.run(&["--list", "--listraw"]);
    out.assert_code(0);
    assert_eq!(out.stdout, home.expected("listraw.txt"));
    assert_eq!(out.stderr, "");
}

#[test]
fn list_with_domain_prints_its_conf() {
    let home = Home::new();
    let conf =
        fs::read_to_string(home.path.join("b.example.test_ecc/b.example.test.conf")).expect("conf");
    let out = home.run(&["--list", "--listraw", "-d", "b.example.test"]);
    out.assert_code(0);
    assert_eq!(out.stdout, conf);
    // Without `--listraw` acme.sh pipes the same text through `column`, which leaves it as is.
    let out = home.run(&["--list", "-d", "b.example.test"]);
    assert_eq!(out.stdout, conf);
    let out = home.run(&["--list", "--listraw", "-d", "d.example.test"]);
    out.assert_code(0);
    assert_eq!(out.stdout, "", "a removed lineage has no conf to print");
}

#[test]
fn list_survives_an_unreadable_conf() {
    let home = Home::new();
    let conf = home.path.join("a.example.test_ecc/a.example.test.conf");
    fs::remove_file(&conf).expect("rm conf");
    // A symlink pointing at itself cannot be opened (ELOOP), whoever runs the test.
    std::os::unix::fs::symlink("a.example.test.conf", &conf).expect("symlink loop");
    let out = home.run(&["--list", "--listraw"]);
    out.assert_code(0);
    let want = home
        .expected("listraw.txt")
        .replace(
            "a.example.test|\"ec-256\"|no||https://localhost:14000/dir|2026-11-28T20:42:16Z|2026-12-27T20:42:16Z",
            "a.example.test|\"\"|||||",
        );
    assert_eq!(out.stdout, want);
    out.assert_stderr_has("warning: cannot read")
        .assert_stderr_has("a.example.test.conf");
    let out = home.run(&["--list", "--json"]);
    out.assert_code(0);
    assert_eq!(out.stdout.lines().count(), 3);
}

#[test]
fn list_json_reports_validity_and_errors() {
    let home = Home::new();
    // The renewal loop records its last error base64-wrapped, like acme.sh's hooks.
    let conf = home.path.join("c.example.test/c.example.test.conf");
    let error = "order failed: 'urn:ietf:params:acme:error:rejectedIdentifier'";
    let wrapped = base64::engine::general_purpose::STANDARD.encode(error);
    let mut text = fs::read_to_string(&conf).expect("conf");
    text.push_str(&format!(
        "Acmers_LastError='__ACME_BASE64__START_{wrapped}__ACME_BASE64__END_'\n\
         Acmers_LastErrorTime='1796000000'\n"
    ));
    fs::write(&conf, text).expect("write conf");

    let out = home.run(&["--list", "--json"]);
    out.assert_code(0);
    assert_eq!(out.stderr, "");
    let entries: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    let domains: Vec<&str> = entries
        .iter()
        .map(|e| e["main_domain"].as_str().expect("main_domain"))
        .collect();
    assert_eq!(
        domains,
        ["a.example.test", "b.example.test", "c.example.test"]
    );

    let (a, b, c) = (&entries[0], &entries[1], &entries[2]);
    assert_eq!(a["sans"], serde_json::json!(["a.example.test"]));
    assert_eq!(a["key_type"], "ec-256");
    assert_eq!(a["ca"], "https://localhost:14000/dir");
    assert_eq!(a["ca_url"], "https://localhost:14000/dir");
    assert!(
        a["not_after"]
            .as_str()
            .expect("not_after")
            .starts_with("2027-02-26T"),
        "{a}"
    );
    assert!(
        a["not_before"]
            .as_str()
            .expect("not_before")
            .starts_with("2026-11-28T"),
        "{a}"
    );
    assert_eq!(a["created"], "2026-11-28T20:42:16Z");
    assert_eq!(a["next_renewal"], "2026-12-27T20:42:16Z");
    assert_eq!(a["last_error"], serde_json::Value::Null);
    assert_eq!(a["last_error_time"], serde_json::Value::Null);
    let folder = home.path.join("a.example.test_ecc");
    assert_eq!(a["folder"], folder.display().to_string());

    assert_eq!(
        b["sans"],
        serde_json::json!(["b.example.test", "www.b.example.test"])
    );
    assert_eq!(b["key_type"], "ec-384");
    assert_eq!(b["next_renewal"], "2026-12-17T20:42:31Z");

    assert_eq!(c["key_type"], "2048");
    assert_eq!(c["last_error"], error);
    assert_eq!(c["last_error_time"], "2026-11-30T00:53:20Z");

    // A missing certificate file gives nulls, not a failure.
    fs::remove_file(home.path.join("b.example.test_ecc/b.example.test.cer")).expect("rm cer");
    let out = home.run(&["--list", "--json", "-d", "b.example.test"]);
    out.assert_code(0);
    let b: serde_json::Value = serde_json::from_str(out.stdout.trim_end()).expect("json");
    assert_eq!(b["not_after"], serde_json::Value::Null);
    assert_eq!(b["main_domain"], "b.example.test");
}

#[test]
fn info_masks_saved_secrets_unless_insecure() {
    let home = Home::new();
    let acmesh = home.expected("info.txt");
    let out = home.run(&["--info", "--output-insecure"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout, acmesh,
        "--output-insecure prints what acme.sh prints"
    );

    let out = home.run(&["--info"]);
    out.assert_code(0);
    let masked = acmesh
        .replace(
            "SAVED_CF_Token='fixture-token'",
            &format!("SAVED_CF_Token={HIDDEN}"),
        )
        .replace(
            "SAVED_CF_Account_ID='fixture-account-id'",
            &format!("SAVED_CF_Account_ID={HIDDEN}"),
        );
    assert_ne!(masked, acmesh);
    assert_eq!(out.stdout, masked);
    out.assert_stdout_lacks("fixture-token");
    assert_eq!(out.stderr, "");
}

#[test]
fn info_of_each_lineage_matches_acmesh() {
    let home = Home::new();
    let cases = [
        (
            &["-d", "a.example.test", "--ecc"][..],
            "info-a.example.test.txt",
        ),
        (
            &["-d", "b.example.test", "--ecc"],
            "info-b.example.test.txt",
        ),
        (&["-d", "c.example.test"], "info-c.example.test.txt"),
    ];
    for (args, expected) in cases {
        let out = home.run(&[&["--info"][..], args].concat());
        out.assert_code(0);
        assert_eq!(out.stdout, home.expected(expected), "{args:?}");
        assert_eq!(out.stderr, "", "{args:?}");
    }
}

#[test]
fn info_of_a_removed_lineage_names_the_missing_conf() {
    let home = Home::new();
    let out = home.run(&["--info", "-d", "d.example.test", "--ecc"]);
    out.assert_code(0);
    assert_eq!(out.stdout, home.expected("info-d.example.test.txt"));
    // acme.sh's stderr is `cat`'s complaint; acmers says the same and why.
    let conf = home.path.join("d.example.test_ecc/d.example.test.conf");
    out.assert_stderr_has(&format!("warning: `{}` does not exist", conf.display()))
        .assert_stderr_has("--remove");
}

#[test]
fn remove_keeps_files_and_drops_the_lineage_from_the_list() {
    let home = Home::new();
    let before = snapshot(&home.path);
    let dir = home.path.join("a.example.test_ecc");
    let out = home.run(&["--remove", "-d", "a.example.test", "--ecc"]);
    out.assert_code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(
        lines[0].ends_with(&format!(
            "] a.example.test is removed, the key and cert files are in {}",
            dir.display()
        )),
        "{}",
        lines[0]
    );
    assert!(lines[1].ends_with("] You can remove them by yourself."));

    let mut after = snapshot(&home.path);
    let conf = PathBuf::from("a.example.test_ecc/a.example.test.conf");
    let removed = PathBuf::from("a.example.test_ecc/a.example.test.conf.removed");
    assert_eq!(after.remove(&removed), before.get(&conf).cloned());
    let mut expected = before.clone();
    expected.remove(&conf);
    assert_eq!(after, expected, "every other file is untouched");

    let out = home.run(&["--list"]);
    out.assert_code(0);
    let want: String = home
        .expected("list.txt")
        .lines()
        .filter(|line| !line.starts_with("a.example.test "))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(out.stdout, want);

    let out = home.run(&["--remove", "-d", "a.example.test", "--ecc"]);
    out.assert_code(1)
        .assert_stderr_has("has already been removed");
}

#[test]
fn remove_of_an_unknown_domain_fails_and_changes_nothing() {
    let home = Home::new();
    let before = snapshot(&home.path);
    let out = home.run(&["--remove", "-d", "unknown.example.test"]);
    out.assert_code(1)
        .assert_stderr_has("'unknown.example.test' is not an issued domain, skipping")
        .assert_stderr_has("hint: ");
    // An EC lineage asked for as RSA: acmers points at `--ecc` only when it exists.
    let out = home.run(&["--remove", "-d", "c.example.test", "--ecc"]);
    out.assert_code(1).assert_stderr_has("without `--ecc`");
    let out = home.run(&["--remove"]);
    out.assert_code(1).assert_stderr_has("`-d`");
    assert_eq!(snapshot(&home.path), before);
}

#[test]
fn remove_without_ecc_uses_the_only_ecc_lineage_like_acmesh() {
    let home = Home::new();
    let out = home.run(&["--remove", "-d", "b.example.test"]);
    out.assert_code(0).assert_stdout_has(
        "The domain 'b.example.test' seems to already have an ECC cert, let's use it.",
    );
    assert!(
        home.path
            .join("b.example.test_ecc/b.example.test.conf.removed")
            .is_file()
    );
}
