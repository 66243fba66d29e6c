//! SIGTERM, SIGINT and SIGHUP while a validation is pending (issue 7 item 4): acmers stops
//! waiting, removes the token it presented, runs the post hook, and exits 128 + the signal
//! number; a second signal exits at once. The fake CA keeps the authorization `pending`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::acmers::{Acmers, Running};
use crate::support::fake_acme::{FakeAcme, Fault};

const NAME: &str = "signal.example.test";

struct Case {
    top: tempfile::TempDir,
    fake: FakeAcme,
}

impl Case {
    fn new() -> Self {
        let case = Self {
            top: tempfile::tempdir().expect("tempdir"),
            fake: FakeAcme::start_with(Fault::PendingForever),
        };
        fs::create_dir(case.webroot()).expect("mkdir www");
        case
    }

    fn webroot(&self) -> PathBuf {
        self.top.path().join("www")
    }

    fn mark(&self, name: &str) -> PathBuf {
        self.top.path().join(name)
    }

    /// `--issue` in webroot mode with hooks that leave marks; never finishes on its own
    /// within the hang guard's patience (validation timeout of an hour).
    fn spawn(&self, post_hook: &str) -> Running {
        Acmers::new(&self.top.path().join("home"))
            .args(["--issue", "-d", NAME, "-w"])
            .arg(self.webroot())
            .arg("--server")
            .arg(self.fake.directory_url())
            .arg("--ca-bundle")
            .arg(self.fake.ca_bundle_path())
            .args(["--validation-timeout", "3600", "--hook-timeout", "600"])
            .arg("--pre-hook")
            .arg(format!("touch {}", self.mark("pre").display()))
            .arg("--post-hook")
            .arg(post_hook)
            .timeout(Duration::from_secs(60))
            .spawn()
    }

    /// The token files under the webroot.
    fn tokens(&self) -> Vec<PathBuf> {
        let dir = self.webroot().join(".well-known/acme-challenge");
        fs::read_dir(&dir)
            .map(|entries| entries.map(|e| e.expect("entry").path()).collect())
            .unwrap_or_default()
    }
}

/// Poll until `ready` holds (a hang guard of 30 s, not a timing assertion).
fn wait_until(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_signal_cleans_up_runs_the_post_hook_and_exits_128_plus_n() {
    for (signal, code) in [("TERM", 143), ("INT", 130), ("HUP", 129)] {
        let case = Case::new();
        let post = case.mark("post");
        let run = case.spawn(&format!("touch {}", post.display()));
        wait_until("the token", || !case.tokens().is_empty());
        assert!(case.mark("pre").exists(), "{signal}: the pre hook ran");
        run.signal(signal);
        let out = run.wait();
        out.assert_code(code)
            .assert_stderr_has(&format!("interrupted by SIG{signal}"));
        assert!(post.exists(), "{signal}: the post hook ran");
        assert!(case.tokens().is_empty(), "{signal}: the token was removed");
        assert!(Path::new(&case.webroot()).is_dir(), "the webroot stays");
    }
}

#[test]
fn a_second_signal_exits_at_once_and_takes_the_hook_along() {
    let case = Case::new();
    let started = case.mark("post-started");
    // A post hook that would hold the run for five minutes; it records its process group.
    let run = case.spawn(&format!("echo $$ > {}; sleep 300", started.display()));
    wait_until("the token", || !case.tokens().is_empty());
    run.signal("TERM");
    wait_until("the post hook", || {
        fs::read_to_string(&started).is_ok_and(|s| s.ends_with('\n'))
    });
    run.signal("TERM");
    // The hang guard (60 s) fails the test if the hook's five minutes are waited out.
    run.wait().assert_code(143);
    let pgid: i32 = fs::read_to_string(&started)
        .expect("pid")
        .trim()
        .parse()
        .expect("a pid");
    let group = rustix::process::Pid::from_raw(pgid).expect("pid");
    wait_until("the hook's process group to end", || {
        rustix::process::test_kill_process_group(group).is_err()
    });
}
