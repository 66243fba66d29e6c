//! An order that stays `processing` after finalize (fake server): `--order-timeout` bounds
//! the wait, the order URL is saved, and the next run resumes that order instead of placing
//! and finalizing a new one.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::support::acmers::Acmers;
use crate::support::certs::{leaf_sans, verify_chain_against_root};
use crate::support::conf::read_conf;
use crate::support::fake_acme::FakeAcme;
use crate::support::net::free_port;

const NAME: &str = "stuck.example.test";

fn issue_cmd(home: &Path, fake: &FakeAcme, http_port: u16) -> Acmers {
    Acmers::new(home)
        .args(["--issue", "-d", NAME, "--standalone", "--httpport"])
        .arg(http_port.to_string())
        .args(["--local-address", "127.0.0.1", "--server"])
        .arg(fake.directory_url())
        .arg("--ca-bundle")
        .arg(fake.ca_bundle_path().as_os_str())
}

/// Names of the `.cer` files in `dir` (none when it does not exist).
fn cer_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".cer"))
        .collect()
}

#[test]
fn stuck_processing_times_out_then_the_saved_order_is_resumed() {
    let fake = FakeAcme::start();
    fake.set_stuck(true);
    let top = tempfile::tempdir().expect("tempdir");
    let home = top.path().join("home");
    fs::create_dir(&home).expect("mkdir home");
    let lineage = home.join(format!("{NAME}_ecc"));
    let http_port = free_port();

    // A hang guard, not a timing assertion: the run must end on its own.
    let out = issue_cmd(&home, &fake, http_port)
        .args(["--order-timeout", "3"])
        .timeout(Duration::from_secs(60))
        .run();
    let order_url = fake.directory_url().replace("/dir", "/order/1");
    out.assert_code(1)
        .assert_stderr_has(r#"order is still "processing" after 3 s"#)
        .assert_stderr_has(&order_url);
    let lower = out.stderr.to_lowercase();
    assert!(
        lower.contains("re-run") || lower.contains("rerun"),
        "stderr lacks a hint to re-run:\n{}",
        out.stderr
    );
    let conf = read_conf(&lineage.join(format!("{NAME}.conf")));
    assert!(conf["Le_LinkOrder"].ends_with("/order/1"), "{conf:?}");
    assert_eq!(
        cer_files(&lineage),
        Vec::<String>::new(),
        "no certificate written"
    );
    assert_eq!((fake.hits("new-order"), fake.hits("finalize")), (1, 1));

    fake.set_stuck(false);
    let out = issue_cmd(&home, &fake, http_port).run();
    out.assert_code(0);
    assert_eq!(
        fake.hits("new-order"),
        1,
        "the saved order was resumed, not replaced"
    );
    assert_eq!(
        fake.hits("finalize"),
        1,
        "the resumed order was not finalized again"
    );
    let fullchain = fs::read_to_string(lineage.join("fullchain.cer")).expect("fullchain.cer");
    for file in [
        format!("{NAME}.cer"),
        "ca.cer".into(),
        format!("{NAME}.key"),
    ] {
        assert!(lineage.join(&file).is_file(), "{file} missing");
    }
    assert_eq!(leaf_sans(&fullchain), [NAME]);
    verify_chain_against_root(&fullchain, fake.root_pem(), &[NAME]);
}

/// A CA that answers `Retry-After: 0` (or a date in the past) to every poll of a stuck order
/// cannot make acmers poll in a loop: the waits follow the backoff and `--order-timeout` ends
/// the run.
#[test]
fn retry_after_zero_or_past_cannot_make_the_wait_endless() {
    for retry_after in ["0", "Sun, 06 Nov 1994 08:49:37 GMT"] {
        let fake = FakeAcme::start();
        fake.set_stuck(true);
        fake.set_retry_after(retry_after);
        let top = tempfile::tempdir().expect("tempdir");
        let home = top.path().join("home");
        // A hang guard, not a timing assertion: the run must end on its own.
        let out = issue_cmd(&home, &fake, free_port())
            .args(["--order-timeout", "3"])
            .timeout(Duration::from_secs(60))
            .run();
        out.assert_code(1)
            .assert_stderr_has(r#"order is still "processing" after 3 s"#);
        // The backoff starts at 5 ms at the least (a loopback CA) and doubles, so 3 s hold at
        // most ~11 polls even with the jitter at its shortest; a loop obeying `0` makes
        // thousands.
        let polls = fake.hits("order");
        assert!(polls <= 14, "{retry_after}: {polls} order polls");
    }
}
