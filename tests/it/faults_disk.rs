//! The disk rows of the fault matrix (docs/reliability.md): the home on a full file system in
//! the middle of a renewal, and on a read-only one. The home is a small tmpfs mounted for the
//! test (the tests run as root; a mount that cannot be made fails the test, never skips it).
//! The failing run leaves every certificate and key file as it was, and once space is back (or
//! the file system writable) the next run completes.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::acmers::Acmers;
use crate::support::fake_acme::FakeAcme;
use crate::support::home::snapshot;
use crate::support::net::free_port;

const NAME: &str = "disk.example.test";
/// A hang guard, not a timing assertion.
const GUARD: Duration = Duration::from_secs(120);

/// A 2 MiB tmpfs mounted on a fresh folder, unmounted on drop.
struct Tmpfs {
    _top: tempfile::TempDir,
    dir: PathBuf,
}

impl Tmpfs {
    fn mount() -> Self {
        let top = tempfile::tempdir().expect("tempdir");
        let dir = top.path().join("home");
        fs::create_dir(&dir).expect("mkdir");
        mount(&["-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs"], &dir);
        Self { _top: top, dir }
    }

    /// Remount read-only or writable.
    fn remount(&self, options: &str) {
        mount(&["-o", &format!("remount,{options}")], &self.dir);
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

fn mount(args: &[&str], dir: &Path) {
    let status = Command::new("mount")
        .args(args)
        .arg(dir)
        .status()
        .expect("run mount");
    assert!(
        status.success(),
        "cannot mount {args:?} on {}: these tests need root",
        dir.display()
    );
}

/// Fill the file system holding `dir` to the last byte: a file grown until ENOSPC.
fn fill(dir: &Path) -> PathBuf {
    let filler = dir.join("filler");
    let mut file = fs::File::create(&filler).expect("create filler");
    let block = [0_u8; 4096];
    while file.write_all(&block).is_ok() {}
    while file.write_all(&[0]).is_ok() {}
    filler
}

fn issue_cmd(home: &Path, fake: &FakeAcme) -> Acmers {
    Acmers::new(home)
        .args(["--issue", "-d", NAME, "--standalone", "--httpport"])
        .arg(free_port().to_string())
        .args(["--local-address", "127.0.0.1", "--server"])
        .arg(fake.directory_url())
        .arg("--ca-bundle")
        .arg(fake.ca_bundle_path().as_os_str())
        .timeout(GUARD)
}

/// The lineage's files but its conf (which records the order and the failure).
fn lineage_files(home: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = snapshot(&home.join(format!("{NAME}_ecc")));
    files.retain(|path, _| path.extension().is_none_or(|e| e != "conf"));
    assert!(files.len() >= 4, "no issued files: {:?}", files.keys());
    files
}

#[test]
fn a_disk_full_mid_renewal_keeps_every_file_and_the_next_run_completes() {
    let fake = FakeAcme::start();
    let home = Tmpfs::mount();
    issue_cmd(&home.dir, &fake).run().assert_code(0);
    let before = lineage_files(&home.dir);
    let polls = fake.hits("order");

    // Hold the renewal at the order poll, fill the disk, then let the CA issue.
    fake.set_stuck(true);
    let run = issue_cmd(&home.dir, &fake)
        .args(["-f", "--order-timeout", "100"])
        .spawn();
    let started = Instant::now();
    while fake.hits("order") <= polls {
        assert!(
            started.elapsed() < GUARD,
            "the renewal never polled its order"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let filler = fill(&home.dir);
    fake.set_stuck(false);
    let out = run.wait();
    out.assert_code(1)
        .assert_stderr_has("No space left on device")
        .assert_stderr_has(&home.dir.display().to_string());
    assert_eq!(fake.hits("cert"), 2, "the renewal got its certificate");
    assert!(before == lineage_files(&home.dir), "a lineage file changed");

    fs::remove_file(filler).expect("remove filler");
    issue_cmd(&home.dir, &fake).arg("-f").run().assert_code(0);
    let after = lineage_files(&home.dir);
    let cer = PathBuf::from(format!("{NAME}.cer"));
    assert_ne!(before[&cer], after[&cer], "the next run did not renew");
}

#[test]
fn a_read_only_home_fails_clearly_and_the_next_run_completes() {
    let fake = FakeAcme::start();
    let home = Tmpfs::mount();
    issue_cmd(&home.dir, &fake).run().assert_code(0);
    let before = snapshot(&home.dir);

    home.remount("ro");
    let out = issue_cmd(&home.dir, &fake).arg("-f").run();
    out.assert_code(1)
        .assert_stderr_has("Read-only file system")
        .assert_stderr_has(&home.dir.display().to_string());
    assert!(before == snapshot(&home.dir), "a file changed");

    home.remount("rw");
    issue_cmd(&home.dir, &fake).arg("-f").run().assert_code(0);
    let cer = PathBuf::from(format!("{NAME}_ecc/{NAME}.cer"));
    assert_ne!(
        before[&cer],
        snapshot(&home.dir)[&cer],
        "the next run did not renew"
    );
}
