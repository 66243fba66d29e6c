//! Root and another local user (docs/security.md): as root, acmers refuses a conf, lineage
//! folder or home folder that `nobody` owns or that others can write, before any request
//! or write, so no command saved in it runs as root. These tests give files to `nobody`
//! and therefore run as root (CI does); run as another user they say so and stop.

use std::fs;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::acmers::{Acmers, Output};
use crate::support::conf::read_conf;
use crate::support::fake_acme::FakeAcme;
use crate::support::net::free_port;

const NAME: &str = "trust.example.test";
/// `nobody`: the other local user.
const NOBODY: u32 = 65_534;
/// A hang guard, not a timing assertion.
const GUARD: Duration = Duration::from_secs(60);

/// Whether the tests can give files away; says so loudly when not.
fn running_as_root() -> bool {
    let root = rustix::process::geteuid().is_root();
    if !root {
        eprintln!(
            "NOT RUN: this test gives files to another user, which needs root (CI runs as root)"
        );
    }
    root
}

/// Give `path` (not a link's target) to `uid`.
fn give(path: &Path, uid: u32) {
    rustix::fs::chownat(
        rustix::fs::CWD,
        path,
        Some(rustix::fs::Uid::from_raw(uid)),
        None,
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .expect("chown");
}

fn give_to_nobody(path: &Path) {
    give(path, NOBODY);
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// An issued lineage on the fake CA, with a reload command and a pre hook that leave a mark.
struct Site {
    _top: tempfile::TempDir,
    home: PathBuf,
    marker: PathBuf,
    fake: FakeAcme,
}

impl Site {
    fn new() -> Self {
        let fake = FakeAcme::start();
        let top = tempfile::tempdir().expect("tempdir");
        let home = top.path().join("home");
        let marker = top.path().join("ran-as-root");
        let site = Self {
            _top: top,
            home,
            marker,
            fake,
        };
        let hook = format!("touch {}", site.marker.display());
        site.cmd(&["--issue", "-d", NAME, "--standalone", "--pre-hook", &hook])
            .args(["--local-address", "127.0.0.1", "--httpport"])
            .arg(free_port().to_string())
            .args(["--reloadcmd", &hook, "--fullchain-file"])
            .arg(site.home.join("installed.pem"))
            .run()
            .assert_code(0);
        fs::remove_file(&site.marker).expect("the hooks ran once at issuance");
        site
    }

    fn cmd(&self, args: &[&str]) -> Acmers {
        Acmers::new(&self.home)
            .args(args)
            .arg("--server")
            .arg(self.fake.directory_url())
            .arg("--ca-bundle")
            .arg(self.fake.ca_bundle_path())
            .timeout(GUARD)
    }

    fn lineage(&self) -> PathBuf {
        self.home.join(format!("{NAME}_ecc"))
    }

    fn conf(&self) -> PathBuf {
        self.lineage().join(format!("{NAME}.conf"))
    }

    fn requests(&self) -> usize {
        [
            "dir",
            "nonce",
            "account",
            "new-order",
            "order",
            "finalize",
            "cert",
        ]
        .iter()
        .map(|r| self.fake.hits(r))
        .sum()
    }

    /// Run `args`, expecting a refusal of `refused` for `why` with nothing done: no request,
    /// no hook, the conf unchanged.
    fn assert_refused(&self, args: &[&str], refused: &Path, why: &str) -> Output {
        let conf_before = fs::read(self.conf()).expect("conf");
        let requests = self.requests();
        let out = self.cmd(args).run();
        out.assert_code(1);
        let expected = format!("refusing `{}` as root: {why}", refused.display());
        // The refusal and its hint.
        out.assert_stderr_has(&expected)
            .assert_stderr_has("chown root");
        assert!(
            !self.marker.exists(),
            "a command saved in the conf ran as root"
        );
        assert_eq!(self.requests(), requests, "the CA was contacted");
        assert_eq!(fs::read(self.conf()).expect("conf"), conf_before);
        out
    }
}

#[test]
fn a_conf_another_user_owns_or_can_write_runs_nothing() {
    if !running_as_root() {
        return;
    }
    let site = Site::new();
    give_to_nobody(&site.conf());
    let owned = "it is owned by another user (uid 65534)";
    site.assert_refused(&["--renew", "-d", NAME, "--force"], &site.conf(), owned);
    site.assert_refused(
        &["--install-cert", "-d", NAME, "--reloadcmd", "true"],
        &site.conf(),
        owned,
    );
    // The check was made on the file as read: it is still the other user's.
    assert_eq!(fs::metadata(site.conf()).expect("conf").uid(), NOBODY);

    give(&site.conf(), 0);
    chmod(&site.conf(), 0o666);
    site.assert_refused(
        &["--renew", "-d", NAME, "--force"],
        &site.conf(),
        "other users can write to it (mode 666)",
    );
    // A due lineage in the cron pass: refused, reported, the pass goes on.
    let out = site.assert_refused(
        &["--cron", "--force"],
        &site.conf(),
        "other users can write",
    );
    out.assert_stderr_has(&format!("Error renewing {NAME}."));
}

#[test]
fn folders_another_user_controls_are_refused() {
    if !running_as_root() {
        return;
    }
    let site = Site::new();
    let renew = ["--renew", "-d", NAME, "--force"];
    give_to_nobody(&site.lineage());
    site.assert_refused(
        &renew,
        &site.lineage(),
        "it is owned by another user (uid 65534)",
    );
    give(&site.lineage(), 0);

    // The home itself, writable by everyone.
    chmod(&site.home, 0o777);
    site.assert_refused(&renew, &site.home, "other users can write to it (mode 777)");
    chmod(&site.home, 0o755);

    // Sanity: with every folder closed again the same renewal runs, hooks included.
    site.cmd(&renew).run().assert_code(0);
    assert!(site.marker.exists(), "the saved hooks ran");
}

/// A lineage folder that is a symbolic link: followed when root made it, refused when another
/// user owns the link (issue 7 item 14).
#[test]
fn a_symlinked_lineage_folder_is_followed_only_when_root_owns_the_link() {
    if !running_as_root() {
        return;
    }
    let site = Site::new();
    let moved = site.home.join("elsewhere");
    fs::rename(site.lineage(), &moved).expect("move the lineage");
    symlink(&moved, site.lineage()).expect("symlink");
    let renew = ["--renew", "-d", NAME, "--force"];
    site.cmd(&renew).run().assert_code(0);
    assert!(site.marker.exists(), "root's own link works");
    fs::remove_file(&site.marker).expect("rm marker");

    give_to_nobody(&site.lineage());
    site.assert_refused(
        &renew,
        &site.lineage(),
        "it is a symbolic link owned by another user (uid 65534)",
    );
    assert_eq!(
        read_conf(&moved.join(format!("{NAME}.conf")))["Le_Domain"],
        NAME
    );
}

/// `account.conf`, the log file and the CA bundle decide what root trusts and where it writes:
/// another user's are refused (issue 7 items 2 and 3).
#[test]
fn account_conf_log_and_ca_bundle_of_another_user_are_refused() {
    if !running_as_root() {
        return;
    }
    let site = Site::new();
    let list = || Acmers::new(&site.home).arg("--list").timeout(GUARD);

    let account = site.home.join("account.conf");
    give_to_nobody(&account);
    let out = list().run();
    out.assert_code(1);
    let expected = format!(
        "refusing `{}` as root: it is owned by another user (uid 65534)",
        account.display()
    );
    out.assert_stderr_has(&expected);
    give(&account, 0);
    list().run().assert_code(0);

    // A log in a folder everyone can write (a sticky `/tmp`): refused, nothing created.
    let open = site.home.parent().expect("top").join("open");
    fs::create_dir(&open).expect("mkdir");
    chmod(&open, 0o1777);
    let log = open.join("acme.log");
    let out = list().arg("--log").arg(&log).run();
    out.assert_code(1);
    out.assert_stderr_has(&format!("refusing `{}` as root", open.display()));
    assert!(!log.exists());

    // A log that is another user's link to root's file: the file is not appended to.
    let victim = site.home.join("victim");
    fs::write(&victim, "precious\n").expect("write");
    let link = site.home.join("acme.log");
    symlink(&victim, &link).expect("symlink");
    give_to_nobody(&link);
    let out = list().arg("--log").arg(&link).run();
    out.assert_code(1);
    out.assert_stderr_has("symbolic link owned by another user");
    assert_eq!(fs::read_to_string(&victim).expect("victim"), "precious\n");

    // A CA bundle another user owns could make root trust their CA.
    let bundle = site.home.join("theirs.pem");
    fs::copy(site.fake.ca_bundle_path(), &bundle).expect("copy bundle");
    give_to_nobody(&bundle);
    let requests = site.requests();
    let out = Acmers::new(&site.home)
        .args(["--renew", "-d", NAME, "--force", "--ca-bundle"])
        .arg(&bundle)
        .timeout(GUARD)
        .run();
    out.assert_code(1);
    out.assert_stderr_has("cannot read the CA bundle");
    out.assert_stderr_has("owned by another user (uid 65534)");
    assert_eq!(site.requests(), requests, "the CA was contacted");
    assert!(!site.marker.exists());
}
