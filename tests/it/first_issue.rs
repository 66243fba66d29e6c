//! A first `--issue` that fails leaves nothing behind (issue 7 item 8): no lineage folder or
//! conf that `--list` would show and every pass would trip over, unless its order can still be
//! finished (the CA was processing it: see `stuck_order.rs`); a busy standalone port fails
//! before the CA is asked for an order; never-issued lineages are skipped by `--renew-all` as
//! by `--cron`.

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::acmers::Acmers;
use crate::support::fake_acme::{FakeAcme, Fault};
use crate::support::home::FIXTURE;
use crate::support::net::free_port;

const NAME: &str = "first.example.test";
/// A hang guard, not a timing assertion.
const GUARD: Duration = Duration::from_secs(90);

fn home(top: &Path) -> PathBuf {
    let home = top.join("home");
    fs::create_dir(&home).expect("mkdir home");
    home
}

fn lineage(home: &Path) -> PathBuf {
    home.join(format!("{NAME}_ecc"))
}

fn issue(home: &Path, server: &str, ca_bundle: Option<&Path>) -> Acmers {
    let mut cmd = Acmers::new(home)
        .args(["--issue", "-d", NAME, "--server", server])
        .timeout(GUARD);
    if let Some(bundle) = ca_bundle {
        cmd = cmd.arg("--ca-bundle").arg(bundle);
    }
    cmd
}

fn standalone(cmd: Acmers, port: u16) -> Acmers {
    cmd.args(["--standalone", "--local-address", "127.0.0.1", "--httpport"])
        .arg(port.to_string())
}

#[test]
fn an_unreachable_ca_leaves_no_lineage() {
    let top = tempfile::tempdir().expect("tempdir");
    let home = home(top.path());
    // Nothing listens on a port that was free a moment ago.
    let server = format!("https://127.0.0.1:{}/dir", free_port());
    let out = standalone(issue(&home, &server, None), free_port()).run();
    out.assert_code(1);
    assert!(
        !lineage(&home).exists(),
        "the failed first issuance left its folder"
    );
    let out = Acmers::new(&home).arg("--list").run();
    out.assert_code(0);
    out.assert_stdout_lacks(NAME);
}

#[test]
fn a_busy_port_fails_before_any_order() {
    let fake = FakeAcme::start();
    let top = tempfile::tempdir().expect("tempdir");
    let home = home(top.path());
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let out = standalone(
        issue(&home, &fake.directory_url(), Some(fake.ca_bundle_path())),
        port,
    )
    .run();
    // The port is named.
    out.assert_code(1).assert_stderr_has(&port.to_string());
    assert_eq!(fake.hits("new-order"), 0, "an order was placed");
    assert!(!lineage(&home).exists());
}

#[test]
fn a_failed_validation_removes_what_it_created_and_keeps_a_prior_key() {
    let fake = FakeAcme::start_with(Fault::ChallengeInvalid);
    let top = tempfile::tempdir().expect("tempdir");
    let home = home(top.path());
    let webroot = top.path().join("www");
    fs::create_dir(&webroot).expect("mkdir www");
    let run = || {
        issue(&home, &fake.directory_url(), Some(fake.ca_bundle_path()))
            .arg("-w")
            .arg(&webroot)
            .run()
    };
    run().assert_code(1);
    assert!(
        !lineage(&home).exists(),
        "the failed first issuance left its folder"
    );

    // acme.sh's `--create-domain-key` flow: a key made before the first issue stays.
    fs::create_dir(lineage(&home)).expect("mkdir lineage");
    let key = lineage(&home).join(format!("{NAME}.key"));
    let fixture_key = Path::new(FIXTURE).join("a.example.test_ecc/a.example.test.key");
    fs::copy(&fixture_key, &key).expect("copy key");
    run().assert_code(1);
    let mut left: Vec<String> = fs::read_dir(lineage(&home))
        .expect("read lineage")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [format!("{NAME}.key")]);
    assert_eq!(
        fs::read(&key).expect("key"),
        fs::read(&fixture_key).expect("fixture")
    );
}

#[test]
fn never_issued_lineages_are_skipped_by_renew_all_as_by_cron() {
    let top = tempfile::tempdir().expect("tempdir");
    let home = home(top.path());
    fs::create_dir(lineage(&home)).expect("mkdir");
    fs::write(
        lineage(&home).join(format!("{NAME}.conf")),
        format!(
            "Le_Domain='{NAME}'\nLe_Alt='no'\nLe_Webroot='no'\n\
             Le_API='https://127.0.0.1:9/dir'\nLe_Keylength='ec-256'\n"
        ),
    )
    .expect("write conf");
    for command in ["--renew-all", "--cron"] {
        let out = Acmers::new(&home).arg(command).timeout(GUARD).run();
        out.assert_code(0)
            .assert_stdout_has(&format!("Skipping invalid cert {NAME}"));
    }
}
