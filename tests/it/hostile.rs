//! Hostile CA data from the fake server (docs/security.md): challenge tokens that are paths,
//! shell, quotes or too long, an oversized or HTML directory, a rate-limited newOrder, a failed challenge, an
//! authorization that never completes, and certificates that must not be installed.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::TempDir;

use crate::support::acmers::Acmers;
use crate::support::fake_acme::{FakeAcme, Fault, UNAUTHORIZED_DETAIL};
use crate::support::net::free_port;

const NAME: &str = "hostile.example.test";
/// A hang guard for runs that must fail fast; not a timing assertion.
const GUARD: Duration = Duration::from_secs(60);

/// A temp dir with the home, an empty webroot and a working directory for acmers.
struct Case {
    top: TempDir,
    home: PathBuf,
    webroot: PathBuf,
    cwd: PathBuf,
}

fn case() -> Case {
    let top = tempfile::tempdir().expect("tempdir");
    let [home, webroot, cwd] = ["home", "www", "cwd"].map(|d| top.path().join(d));
    for dir in [&home, &webroot, &cwd] {
        fs::create_dir(dir).expect("mkdir");
    }
    Case {
        top,
        home,
        webroot,
        cwd,
    }
}

impl Case {
    fn base(&self, fake: &FakeAcme) -> Acmers {
        Acmers::new(&self.home)
            .current_dir(&self.cwd)
            .args(["--issue", "-d", NAME, "--server"])
            .arg(fake.directory_url())
            .arg("--ca-bundle")
            .arg(fake.ca_bundle_path().as_os_str())
            .timeout(GUARD)
    }

    /// `--issue` in webroot mode.
    fn webroot_cmd(&self, fake: &FakeAcme) -> Acmers {
        self.base(fake).arg("-w").arg(self.webroot.as_os_str())
    }

    /// `--issue` in standalone mode (the fake never fetches the token).
    fn standalone_cmd(&self, fake: &FakeAcme) -> Acmers {
        self.base(fake)
            .args(["--standalone", "--local-address", "127.0.0.1", "--httpport"])
            .arg(free_port().to_string())
    }

    fn lineage(&self) -> PathBuf {
        self.home.join(format!("{NAME}_ecc"))
    }

    fn webroot_entries(&self) -> Vec<String> {
        fs::read_dir(&self.webroot)
            .expect("read webroot")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect()
    }
}

/// Every path under `dir` whose file name contains `needle`.
fn find_named(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).expect("read_dir") {
        let entry = entry.expect("entry");
        let path = entry.path();
        if entry.file_name().to_string_lossy().contains(needle) {
            found.push(path.clone());
        }
        if entry.file_type().expect("file type").is_dir() {
            found.extend(find_named(&path, needle));
        }
    }
    found
}

/// A token that is not base64url is refused before anything is written or answered.
fn refuses_token(fake: &FakeAcme, case: &Case, token: &str, marker: &str) {
    fake.set_fault(Fault::Token(token.into()));
    let out = case.webroot_cmd(fake).run();
    out.assert_code(1).assert_stderr_has("base64url");
    assert!(
        out.stderr.to_lowercase().contains("refus"),
        "stderr does not say the token is refused:\n{}",
        out.stderr
    );
    assert_eq!(
        case.webroot_entries(),
        Vec::<String>::new(),
        "webroot touched"
    );
    assert_eq!(
        fake.hits("chall"),
        0,
        "a refused challenge must not be answered"
    );
    let stray = find_named(case.top.path(), marker);
    assert!(stray.is_empty(), "{token:?} left {stray:?}");
}

#[test]
fn path_traversal_token_is_refused() {
    let fake = FakeAcme::start();
    let case = case();
    refuses_token(&fake, &case, "../../evil", "evil");
    // `../../evil` from `.well-known/acme-challenge` would land here.
    assert!(!case.webroot.join("evil").exists());
    assert!(!case.top.path().join("evil").exists());
}

#[test]
fn shell_and_fragment_tokens_are_refused() {
    let fake = FakeAcme::start();
    let case = case();
    refuses_token(&fake, &case, "evil#fragment", "evil");
    refuses_token(&fake, &case, "$(touch evil-ran)", "evil");
    refuses_token(&fake, &case, "evil token with spaces", "evil");
}

/// The token rows of the fault matrix hostile tokens above do not cover (docs/reliability.md).
#[test]
fn slash_quote_and_overlong_tokens_are_refused() {
    let fake = FakeAcme::start();
    let case = case();
    refuses_token(&fake, &case, "evil/token", "evil");
    refuses_token(&fake, &case, "evil\"token'", "evil");
    // Base64url characters only, but longer than a file name may be.
    let long = format!("evil{}", "A".repeat(296));
    refuses_token(&fake, &case, &long, "evil");
}

#[test]
fn oversized_directory_hits_the_size_cap() {
    let fake = FakeAcme::start_with(Fault::HugeDirectory);
    let case = case();
    let out = case.standalone_cmd(&fake).run();
    out.assert_code(1).assert_stderr_has("larger than");
    assert_eq!(fake.hits("nonce") + fake.hits("account"), 0);
    assert!(
        !case.home.join("ca").exists(),
        "no account folder for a CA never reached"
    );
}

/// Abort at the 1 MiB cap (docs/differences.md). A body over the cap is no transient I/O error;
/// fetching it again only downloads the same megabytes again.
#[test]
fn oversized_directory_is_not_fetched_again() {
    let fake = FakeAcme::start_with(Fault::HugeDirectory);
    let case = case();
    case.standalone_cmd(&fake).run().assert_code(1);
    assert_eq!(
        fake.hits("dir"),
        1,
        "the oversized directory was fetched again"
    );
}

#[test]
fn html_directory_is_not_an_acme_directory() {
    let fake = FakeAcme::start_with(Fault::HtmlDirectory);
    let case = case();
    let out = case.standalone_cmd(&fake).run();
    out.assert_code(1)
        .assert_stderr_has("not an ACME directory")
        .assert_stderr_has("text/html");
    assert_eq!(fake.hits("dir"), 1, "no retry loop on a captive portal");
}

#[test]
fn rate_limited_new_order_fails_with_the_retry_time() {
    let fake = FakeAcme::start_with(Fault::RateLimited);
    let case = case();
    let out = case.standalone_cmd(&fake).run();
    out.assert_code(1)
        .assert_stderr_has("rateLimited")
        .assert_stderr_has("too many new orders recently");
    assert_eq!(fake.hits("new-order"), 1, "newOrder was sent again");
    let hint = out
        .stderr
        .lines()
        .find(|l| l.contains("hint:"))
        .unwrap_or_else(|| panic!("no hint:\n{}", out.stderr));
    let (_, when) = hint
        .split_once("retry after ")
        .unwrap_or_else(|| panic!("the hint has no retry time: {hint}"));
    let when: jiff::Timestamp = when
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("retry time {when:?} is not a timestamp: {e}"));
    let hour = jiff::SignedDuration::from_secs(3600);
    let slack = jiff::SignedDuration::from_secs(300);
    let expected = jiff::Timestamp::now() + hour;
    assert!(
        when > expected - slack && when < expected + slack,
        "retry time {when} is not about an hour from now ({expected})"
    );
}

#[test]
fn invalid_challenge_shows_the_problem_and_cleans_the_webroot() {
    let fake = FakeAcme::start_with(Fault::ChallengeInvalid);
    let case = case();
    fake.watch_webroot(&case.webroot);
    let out = case.webroot_cmd(&fake).run();
    out.assert_code(1)
        .assert_stderr_has("urn:ietf:params:acme:error:unauthorized")
        .assert_stderr_has(UNAUTHORIZED_DETAIL)
        .assert_stderr_has(NAME);
    let hint = out
        .stderr
        .lines()
        .find(|l| l.contains("hint:"))
        .unwrap_or("");
    assert!(
        hint.contains("port 80") && hint.contains("--webroot"),
        "the hint does not point at port 80 / --webroot:\n{}",
        out.stderr
    );
    let presented = fake.presented();
    assert_eq!(presented.len(), 1, "one challenge answered");
    let content = presented[0]
        .as_deref()
        .expect("token file present at challenge time");
    assert!(
        content.starts_with("ZmFrZS10b2tlbi") && content.contains('.'),
        "not a key authorization: {content:?}"
    );
    assert_eq!(
        case.webroot_entries(),
        Vec::<String>::new(),
        "webroot not cleaned up"
    );
    assert!(!case.lineage().join(format!("{NAME}.cer")).exists());
}

/// `--validation-timeout` bounds the wait for an authorization that never completes.
#[test]
fn validation_timeout_bounds_a_pending_authorization() {
    let fake = FakeAcme::start_with(Fault::PendingForever);
    let case = case();
    fake.watch_webroot(&case.webroot);
    let out = case
        .webroot_cmd(&fake)
        .args(["--validation-timeout", "2"])
        .run();
    out.assert_code(1);
    let waited = ["pending", "processing"]
        .map(|status| format!("authorization is still \"{status}\" after 2 s"));
    assert!(
        waited.iter().any(|w| out.stderr.contains(w.as_str())),
        "stderr lacks the timeout:\n{}",
        out.stderr
    );
    out.assert_stderr_has("hint:")
        .assert_stderr_has("--validation-timeout");
    assert!(
        fake.hits("authz") >= 2,
        "the authorization was never re-polled"
    );
    assert_eq!(fake.presented().len(), 1);
    assert!(
        fake.presented()[0].is_some(),
        "token file present at challenge time"
    );
    assert_eq!(
        case.webroot_entries(),
        Vec::<String>::new(),
        "webroot not cleaned up"
    );
    assert_eq!(fake.hits("finalize"), 0);
}
