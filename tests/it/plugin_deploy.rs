//! acme.sh-style deploy hooks through [`acmers::plugin::deploy`], with the real acmers binary
//! as the helper library's callback (docs/plugins.md, "Deploy hooks"). The hooks are written
//! for these tests (`tests/fixtures/deploy/`) and copied into the temp home's `deploy/`
//! folder, where the lookup finds them by name: every helper deploy hooks use, the domain
//! conf's settings as variables, `USER_PATH`, settings saved and read back in a run with an
//! empty environment, the recording hook the engine's tests reuse, `_err` messages, a missing
//! function and the time limit.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use acmers::plugin::{DeployFiles, Error, Output, Runner, deploy};
use acmers::store::{Conf, Home};
use base64::Engine as _;
use tempfile::TempDir;

use crate::plugin::gone;

const HOOKS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/deploy");
const LINEAGE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/acmesh-home-basic/c.example.test"
);
const DOMAIN: &str = "example.test";

/// A temp acme.sh home with the test hooks in `deploy/` and a lineage folder for
/// `example.test`.
struct Site {
    top: TempDir,
}

impl Site {
    fn new() -> Self {
        let top = tempfile::tempdir().expect("tempdir");
        let hooks = top.path().join("home/deploy");
        fs::create_dir_all(&hooks).expect("mkdir deploy");
        fs::create_dir_all(top.path().join("home/example.test_ecc")).expect("mkdir lineage");
        for entry in fs::read_dir(HOOKS).expect("fixtures") {
            let entry = entry.expect("entry");
            let to = hooks.join(entry.file_name());
            fs::copy(entry.path(), &to).expect("copy hook");
            fs::set_permissions(&to, fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        Self { top }
    }

    fn home(&self) -> PathBuf {
        self.top.path().join("home")
    }

    fn domain_conf(&self) -> PathBuf {
        self.home().join("example.test_ecc/example.test.conf")
    }

    /// A runner over this home with `env` added; `domain_vars` off (`deploy` turns it on).
    fn runner(&self, env: &[(&str, &str)]) -> Runner {
        Runner {
            helper: env!("CARGO_BIN_EXE_acmers").into(),
            home: Home::new(self.home(), None, None),
            account_conf: self.home().join("account.conf"),
            domain_conf: Some(self.domain_conf()),
            domain_vars: false,
            time_limit: Duration::from_secs(120),
            debug: 2,
            ca_bundle: None,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn conf(&self) -> Conf {
        Conf::load(&self.domain_conf())
            .expect("load")
            .expect("domain conf")
    }
}

/// The files of the RSA lineage of acme.sh's fixture home.
fn files(pfx: Option<PathBuf>) -> DeployFiles {
    let file = |name: &str| Path::new(LINEAGE).join(name);
    DeployFiles {
        key: file("c.example.test.key"),
        cert: file("c.example.test.cer"),
        ca: file("ca.cer"),
        fullchain: file("fullchain.cer"),
        pfx,
    }
}

/// `deploy` on a private runtime, with a hang guard (the runner's own time limit is what the
/// hang test checks).
fn run(runner: &Runner, hook: &str, files: &DeployFiles) -> Result<Output, Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        tokio::time::timeout(
            Duration::from_secs(300),
            deploy(runner, None, hook, DOMAIN, files),
        )
        .await
    })
    .unwrap_or_else(|_| panic!("{hook} still running after 300 s"))
}

/// The `name=value` lines of a call's stdout.
fn results(output: &Output) -> Vec<(String, String)> {
    output
        .stdout
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn result<'a>(got: &'a [(String, String)], name: &str) -> Option<&'a str> {
    got.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[test]
fn a_deploy_hook_gets_its_helpers_the_domain_conf_and_user_path() {
    let site = Site::new();
    let marker = site.top.path().join("evaluated");
    fs::write(
        site.domain_conf(),
        format!(
            "Le_Domain='example.test'\nLe_Keylength='ec-256'\nLe_OCSP_Staple='0'\n\
             Le_Evil='$(touch {})'\nDEPLOY_OLD_PLAIN='legacy'\n\
             SAVED_DEPLOY_OLD_SAVED='saved old'\nSAVED_DEPLOY_OLD_STALE='stale'\n\
             SAVED_DEPLOY_NEW_STALE='current'\n",
            marker.display()
        ),
    )
    .expect("write domain conf");
    let tools = site.top.path().join("tools");
    fs::create_dir(&tools).expect("mkdir tools");
    let tool = tools.join("acmers-test-tool");
    fs::write(&tool, "#!/bin/sh\necho tool-ran\n").expect("write tool");
    fs::set_permissions(&tool, fs::Permissions::from_mode(0o755)).expect("chmod");
    fs::write(
        site.home().join("account.conf"),
        format!("USER_PATH='{}'\n", tools.display()),
    )
    .expect("write account.conf");
    let pfx = site.top.path().join("out.pfx");
    let pfx_text = pfx.to_str().expect("utf-8");

    let runner = site.runner(&[
        ("DEPLOY_TEST_TOKEN", "t0ken-1"),
        ("DEPLOY_TEST_QUOTED", "\"quoted\""),
        ("Le_OCSP_Staple", "from-env"),
        ("DEPLOY_TEST_PFX", pfx_text),
    ]);
    let out = run(&runner, "helpers", &files(None)).expect("helpers_deploy");
    let got = results(&out);
    let domain_path = site.home().join("example.test_ecc");
    for (name, value) in [
        ("args", "6"),
        ("domain", DOMAIN),
        ("pfx_arg", ""),
        ("keylength", "ec-256"),
        ("staple", "from-env"),
        ("evil", &format!("$(touch {})", marker.display())),
        ("domain_path", domain_path.to_str().expect("utf-8")),
        ("token", "t0ken-1"),
        ("token_exported", "t0ken-1"),
        ("quoted", "quoted"),
        ("unset", ""),
        ("migrate_plain", "0"),
        ("migrate_saved", "0"),
        ("migrate_stale", "1"),
        ("migrate_missing", "1"),
        ("ecc_ec256", "yes"),
        ("ecc_2048", "no"),
        ("ecc_empty", "no"),
        ("tool", "tool-ran"),
        ("tool_missing", "yes"),
        ("topkcs", "0"),
        ("mktemp", "ok"),
        ("json_encode", r#"a\"b\n"#),
        ("json_decode", "http://x"),
        ("getfield", "b"),
        ("inithttp", "ok"),
    ] {
        assert_eq!(
            result(&got, name),
            Some(value),
            "{name}\n--- stdout:\n{}\n--- stderr:\n{}",
            out.stdout,
            out.stderr
        );
    }
    let date = result(&got, "utc_date").expect("utc_date");
    assert!(
        jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", date).is_ok(),
        "utc_date: {date}"
    );
    assert!(!marker.exists(), "a domain conf value was run as code");

    // What the hook saved, moved and left, in acme.sh's keys and wrapper.
    let conf = site.conf();
    let rendered = conf.render();
    for (key, value) in [
        ("SAVED_DEPLOY_TEST_TOKEN", Some("t0ken-1")),
        ("SAVED_DEPLOY_TEST_B64", Some("it's saved")),
        ("DEPLOY_OLD_PLAIN", None),
        ("SAVED_DEPLOY_NEW_PLAIN", Some("legacy")),
        ("SAVED_DEPLOY_OLD_SAVED", None),
        ("SAVED_DEPLOY_NEW_SAVED", Some("saved old")),
        ("SAVED_DEPLOY_OLD_STALE", None),
        ("SAVED_DEPLOY_NEW_STALE", Some("current")),
        ("Le_PFXPassword", Some("pfx pass")),
        ("Le_Keylength", Some("ec-256")),
    ] {
        assert_eq!(conf.get(key).as_deref(), value, "{key} in\n{rendered}");
    }
    for wrapped in ["it's saved", "saved old", "pfx pass"] {
        let line = format!("'__ACME_BASE64__START_{}__ACME_BASE64__END_'", b64(wrapped));
        assert!(rendered.contains(&line), "{line} in\n{rendered}");
    }

    // The PKCS#12 file holds the certificate under the name given, with the password given.
    let info = Command::new("openssl")
        .args([
            "pkcs12",
            "-in",
            pfx_text,
            "-nokeys",
            "-passin",
            "pass:pfx pass",
        ])
        .output()
        .expect("run openssl");
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    assert!(text.contains("friendlyName: test name"), "{text}");
    assert!(
        text.contains("CN=c.example.test") || text.contains("CN = c.example.test"),
        "{text}"
    );

    // A later run with an empty environment reads the saved setting back, exported.
    let out = run(
        &site.runner(&[("DEPLOY_TEST_PFX", pfx_text)]),
        "helpers",
        &files(None),
    )
    .expect("helpers_deploy again");
    let got = results(&out);
    assert_eq!(result(&got, "token"), Some("t0ken-1"), "{}", out.stdout);
    assert_eq!(
        result(&got, "token_exported"),
        Some("t0ken-1"),
        "{}",
        out.stdout
    );
    assert_eq!(result(&got, "staple"), Some("0"), "{}", out.stdout);
}

#[test]
fn the_record_hook_gets_the_files_in_acme_sh_s_order_and_runs_again_from_the_saved_conf() {
    let site = Site::new();
    let dir = site.top.path().join("record");
    let dir_text = dir.to_str().expect("utf-8");
    let pfx = site.top.path().join("example.test.pfx");
    let files = files(Some(pfx.clone()));
    run(&site.runner(&[("RECORD_DIR", dir_text)]), "record", &files).expect("record_deploy");

    let path = |p: &Path| p.to_str().expect("utf-8").to_owned();
    let args = fs::read_to_string(dir.join("args")).expect("args");
    assert_eq!(
        args.lines().collect::<Vec<_>>(),
        [
            DOMAIN.to_owned(),
            path(&files.key),
            path(&files.cert),
            path(&files.ca),
            path(&files.fullchain),
            path(&pfx),
        ]
    );
    for (copy, original) in [
        ("key", &files.key),
        ("cert", &files.cert),
        ("ca", &files.ca),
        ("fullchain", &files.fullchain),
    ] {
        assert_eq!(
            fs::read(dir.join(copy)).expect("copy"),
            fs::read(original).expect("original"),
            "{copy}"
        );
    }
    assert_eq!(
        site.conf().get("SAVED_RECORD_DIR").as_deref(),
        Some(dir_text)
    );

    // Renewal: no environment, no pfx.
    let files = DeployFiles { pfx: None, ..files };
    run(&site.runner(&[]), "record", &files).expect("record_deploy from the saved conf");
    let args = fs::read_to_string(dir.join("args")).expect("args");
    assert_eq!(
        args.lines().last(),
        Some(""),
        "an empty pfx argument: {args:?}"
    );
    assert_eq!(args.lines().count(), 6, "{args:?}");
    assert_eq!(
        fs::read_to_string(dir.join("runs")).expect("runs"),
        "example.test\nexample.test\n"
    );
}

#[test]
fn a_failing_deploy_hook_s_err_lines_are_the_error() {
    let site = Site::new();
    let runner = site.runner(&[]);
    match run(&runner, "fails", &files(None)) {
        Err(Error::Failed {
            function, message, ..
        }) => {
            assert_eq!(function, "fails_deploy");
            assert_eq!(
                message,
                "Cannot reach the panel for example.test; Check DEPLOY_FAILS_URL"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    match run(&runner, "misnamed", &files(None)) {
        Err(Error::Failed { message, .. }) => assert_eq!(
            message,
            "It seems that your API file is not correct. Make sure it has a function named: misnamed_deploy"
        ),
        other => panic!("expected a failure, got {other:?}"),
    }
    match run(&runner, "nosuch", &files(None)) {
        Err(Error::NotFound { searched, .. }) => {
            assert!(
                searched.contains(&site.home().join("deploy/nosuch.sh")),
                "{searched:?}"
            );
            assert!(
                searched.contains(&site.home().join("example.test/nosuch.sh")),
                "the domain's folder is searched: {searched:?}"
            );
        }
        other => panic!("expected not found, got {other:?}"),
    }
}

#[test]
fn a_hanging_deploy_hook_is_stopped_at_the_time_limit_with_its_children() {
    let site = Site::new();
    let pid_file = site.top.path().join("child.pid");
    let mut runner = site.runner(&[("HANG_PID_FILE", pid_file.to_str().expect("utf-8"))]);
    runner.time_limit = Duration::from_secs(1);
    match run(&runner, "hangs", &files(None)) {
        Err(e @ Error::TimedOut { .. }) => {
            assert!(e.to_string().contains("hangs_deploy"), "{e}");
            assert!(e.to_string().contains("timed out after 1 s"), "{e}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    let pid = fs::read_to_string(&pid_file).expect("pid file");
    let pid = pid.trim();
    // A hang guard only: the group was killed before `deploy` returned; reaping may lag.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !gone(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(gone(pid), "the hook's child {pid} outlived the time limit");
}
