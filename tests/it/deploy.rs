//! `--deploy` and deploy hooks after renewals, against a real Pebble: the hook gets acme.sh's
//! arguments and the lineage's files, runs again after a renewal with nothing in the
//! environment, a failing hook fails the renewal but keeps the new certificate and is retried
//! alone by the next run, and a hanging hook is stopped at `--hook-timeout`. The hooks are
//! small scripts written by each test into `<home>/deploy/`.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use crate::support::acmers::Acmers;
use crate::support::conf::read_conf;
use crate::support::home::{read, site};
use crate::support::lineage::{ecc_dir, issue};
use crate::support::pebble::{Pebble, PebbleOpts};

const NAME: &str = "deploy.example.test";

/// Write the deploy hook `<home>/deploy/<name>.sh` (0600 in a 0700 folder, as root wants).
fn hook(home: &Path, name: &str, body: &str) {
    let dir = home.join("deploy");
    fs::create_dir_all(&dir).expect("mkdir deploy");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).expect("chmod");
    let path = dir.join(format!("{name}.sh"));
    fs::write(&path, body).expect("write hook");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
}

/// The test hook `tests/fixtures/deploy/record.sh`: it records its arguments and copies the
/// files into `$RECORD_DIR`, which it saves with `_savedeployconf`.
fn record_hook(home: &Path) {
    let from = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/deploy/record.sh"
    );
    hook(home, "record", &read(Path::new(from)));
}

fn conf(home: &Path) -> crate::support::conf::Conf {
    read_conf(&ecc_dir(home, NAME).join(format!("{NAME}.conf")))
}

#[test]
fn deploy_then_every_renewal_runs_the_hook_with_the_new_files() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    issue(&site.home, &pebble, NAME, &[]).assert_code(0);
    let out_dir = tempfile::tempdir().expect("tempdir");
    record_hook(&site.home);
    let dir = ecc_dir(&site.home, NAME);

    Acmers::new(&site.home)
        .env("RECORD_DIR", &out_dir.path().display().to_string())
        .args(["--deploy", "-d", NAME, "--ecc", "--deploy-hook", "record"])
        .run()
        .assert_code(0)
        .assert_stdout_has("Success");
    let args = read(&out_dir.path().join("args"));
    let expected: Vec<String> = [
        NAME.to_owned(),
        dir.join(format!("{NAME}.key")).display().to_string(),
        dir.join(format!("{NAME}.cer")).display().to_string(),
        dir.join("ca.cer").display().to_string(),
        dir.join("fullchain.cer").display().to_string(),
        dir.join(format!("{NAME}.pfx")).display().to_string(),
    ]
    .into();
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        expected,
        "acme.sh's arguments"
    );
    assert_eq!(
        read(&out_dir.path().join("cert")),
        read(&dir.join(format!("{NAME}.cer")))
    );
    assert_eq!(conf(&site.home)["Le_DeployHook"], "record,");
    assert_eq!(
        conf(&site.home)["SAVED_RECORD_DIR"],
        out_dir.path().display().to_string(),
        "the hook's setting, saved in the domain conf"
    );
    assert_eq!(conf(&site.home).get("Acmers_DeployPending"), None);

    // A renewal with nothing in the environment deploys the new certificate (the hook reads
    // RECORD_DIR back with `_getdeployconf`).
    let before = read(&dir.join(format!("{NAME}.cer")));
    Acmers::new(&site.home)
        .args(["--renew", "-d", NAME, "--force"])
        .run()
        .assert_code(0)
        .assert_stdout_has("Success");
    let renewed = read(&dir.join(format!("{NAME}.cer")));
    assert_ne!(renewed, before);
    assert_eq!(read(&out_dir.path().join("cert")), renewed);
}

#[test]
fn a_failed_deploy_keeps_the_certificate_and_only_the_deploy_is_retried() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    issue(&site.home, &pebble, NAME, &[]).assert_code(0);
    let marker = tempfile::tempdir().expect("tempdir");
    let broken = marker.path().join("broken");
    fs::write(&broken, "").expect("marker");
    let done = marker.path().join("done");
    hook(
        &site.home,
        "flaky",
        &format!(
            "flaky_deploy() {{\n  if [ -e '{b}' ]; then _err 'the target is down'; return 1; fi\n  \
             cp \"$3\" '{d}'\n}}\n",
            b = broken.display(),
            d = done.display()
        ),
    );
    let dir = ecc_dir(&site.home, NAME);
    Acmers::new(&site.home)
        .args(["--deploy", "-d", NAME, "--deploy-hook", "flaky"])
        .run()
        .assert_code(1)
        .assert_stderr_has("Error deploying for domain")
        .assert_stderr_has("the target is down");
    assert_eq!(
        conf(&site.home)["Le_DeployHook"],
        "flaky,",
        "saved even when it failed"
    );

    let before = read(&dir.join(format!("{NAME}.cer")));
    Acmers::new(&site.home)
        .args(["--renew", "-d", NAME, "--force"])
        .run()
        .assert_code(1)
        .assert_stderr_has("the target is down");
    let renewed = read(&dir.join(format!("{NAME}.cer")));
    assert_ne!(renewed, before, "the new certificate stays saved");
    assert_eq!(conf(&site.home)["Acmers_DeployPending"], "1");
    let orders = pebble.orders_created();

    // The target is back: the next cron run deploys without a new order.
    fs::remove_file(&broken).expect("rm marker");
    Acmers::new(&site.home)
        .arg("--cron")
        .run()
        .assert_code(0)
        .assert_stdout_has("left pending by an earlier run");
    assert_eq!(pebble.orders_created(), orders, "no new order");
    assert_eq!(read(&done), renewed);
    assert_eq!(conf(&site.home).get("Acmers_DeployPending"), None);
}

#[test]
fn a_hanging_deploy_hook_is_stopped_at_the_hook_timeout() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    issue(&site.home, &pebble, NAME, &[]).assert_code(0);
    hook(&site.home, "hangs", "hangs_deploy() {\n  sleep 600\n}\n");
    Acmers::new(&site.home)
        .args([
            "--deploy",
            "-d",
            NAME,
            "--deploy-hook",
            "hangs",
            "--hook-timeout",
            "1",
        ])
        .run()
        .assert_code(1)
        .assert_stderr_has("timed out");
}
