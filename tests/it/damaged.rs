//! A lineage whose files cannot be served is due now, whatever its saved renewal time (issue 7
//! item 12), and a conf that names another certificate than its folder is refused (item 13).
//! The fake CA issues at once (no challenge), so each case is one quick issuance.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::acmers::{Acmers, Output};
use crate::support::certs::{KeyKind, assert_key_matches_leaf, verify_chain_against_root};
use crate::support::conf::{read_conf, set_conf};
use crate::support::fake_acme::FakeAcme;
use crate::support::home::FIXTURE;
use crate::support::net::free_port;

const NAME: &str = "damaged.example.test";
/// A hang guard, not a timing assertion.
const GUARD: Duration = Duration::from_secs(60);

struct Site {
    _top: tempfile::TempDir,
    home: PathBuf,
    fake: FakeAcme,
}

impl Site {
    /// A lineage issued by the fake CA, which counts as issued an hour ago (its files are
    /// as old as the issuance; damage made now is newer).
    fn issued() -> Self {
        let top = tempfile::tempdir().expect("tempdir");
        let site = Self {
            home: top.path().join("home"),
            _top: top,
            fake: FakeAcme::start(),
        };
        site.run(&["--issue", "-d", NAME, "--standalone"])
            .assert_code(0);
        let hour_ago = jiff::Timestamp::now().as_second() - 3600;
        set_conf(&site.conf(), "Le_CertCreateTime", &hour_ago.to_string());
        set_filetimes(&site.dir(), hour_ago);
        site
    }

    fn run(&self, args: &[&str]) -> Output {
        Acmers::new(&self.home)
            .args(args)
            .args(["--local-address", "127.0.0.1", "--httpport"])
            .arg(free_port().to_string())
            .arg("--server")
            .arg(self.fake.directory_url())
            .arg("--ca-bundle")
            .arg(self.fake.ca_bundle_path())
            .timeout(GUARD)
            .run()
    }

    fn dir(&self) -> PathBuf {
        self.home.join(format!("{NAME}_ecc"))
    }

    fn file(&self, suffix: &str) -> PathBuf {
        self.dir().join(format!("{NAME}{suffix}"))
    }

    fn conf(&self) -> PathBuf {
        self.file(".conf")
    }
}

/// Set the modification time of every file in `dir` to `unix`.
fn set_filetimes(dir: &Path, unix: i64) {
    let time = rustix::fs::Timestamps {
        last_access: rustix::fs::Timespec {
            tv_sec: unix,
            tv_nsec: 0,
        },
        last_modification: rustix::fs::Timespec {
            tv_sec: unix,
            tv_nsec: 0,
        },
    };
    for entry in fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        rustix::fs::utimensat(rustix::fs::CWD, &path, &time, rustix::fs::AtFlags::empty())
            .expect("utimensat");
    }
}

#[test]
fn damaged_files_make_a_lineage_due_now() {
    let other_key = fs::read(Path::new(FIXTURE).join("a.example.test_ecc/a.example.test.key"))
        .expect("fixture key");
    type Damage = Box<dyn Fn(&Site)>;
    let cases: Vec<(&str, Damage)> = vec![
        (
            "missing certificate",
            Box::new(|s| fs::remove_file(s.file(".cer")).expect("rm")),
        ),
        (
            "truncated certificate",
            Box::new(|s| {
                let pem = fs::read(s.file(".cer")).expect("cer");
                fs::write(s.file(".cer"), &pem[..pem.len() / 2]).expect("write");
            }),
        ),
        (
            "garbage certificate",
            Box::new(|s| fs::write(s.file(".cer"), "not a certificate").expect("write")),
        ),
        (
            "key of another certificate",
            Box::new(move |s| fs::write(s.file(".key"), &other_key).expect("write")),
        ),
        (
            "missing key",
            Box::new(|s| fs::remove_file(s.file(".key")).expect("rm")),
        ),
    ];
    for (what, damage) in cases {
        let site = Site::issued();
        // Untouched and not due: skipped without a request.
        let out = site.run(&["--cron"]);
        out.assert_code(0)
            .assert_stdout_has(&format!("Skipped {NAME}"));
        assert_eq!(site.fake.hits("new-order"), 1, "{what}");

        damage(&site);
        let out = site.run(&["--cron"]);
        // Renewed, and the reason is given.
        out.assert_code(0)
            .assert_stdout_has(&format!("Renewing {NAME} now: "));
        assert_eq!(site.fake.hits("new-order"), 2, "{what}: renewed");
        let fullchain = fs::read_to_string(site.dir().join("fullchain.cer")).expect("chain");
        verify_chain_against_root(&fullchain, site.fake.root_pem(), &[NAME]);
        let key = fs::read_to_string(site.file(".key")).expect("key");
        let cer = fs::read_to_string(site.file(".cer")).expect("cer");
        assert_key_matches_leaf(&key, &cer, KeyKind::Ec(256));
    }
}

#[test]
fn a_conf_for_another_certificate_than_its_folder_is_refused() {
    for (key, value, named) in [
        (
            "Le_Domain",
            "other.example.test",
            "is for `other.example.test`",
        ),
        ("Le_Keylength", "2048", "with a 2048 key"),
    ] {
        let site = Site::issued();
        set_conf(&site.conf(), key, value);
        for args in [
            &["--renew", "-d", NAME, "--force"][..],
            &["--cron", "--force"],
        ] {
            let out = site.run(args);
            // Both the mismatch and the folder are named.
            out.assert_code(1)
                .assert_stderr_has(named)
                .assert_stderr_has(&site.dir().display().to_string());
        }
        assert_eq!(site.fake.hits("new-order"), 1, "{key}: nothing was ordered");
        let folders: Vec<String> = fs::read_dir(&site.home)
            .expect("home")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("example"))
            .collect();
        assert_eq!(folders, [format!("{NAME}_ecc")], "{key}");
        assert_eq!(read_conf(&site.conf())[key], value);
    }
}
