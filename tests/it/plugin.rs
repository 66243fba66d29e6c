//! acme.sh-style plugins through acmers' runner and helper library, with the real acmers
//! binary as the library's callback (docs/plugins.md). The plugins are written for these tests
//! (`tests/fixtures/plugins/`): every helper of the library, `_get`/`_post` against a loopback
//! server of the test, the conf helpers on a temp home (also from parallel calls), `_err`
//! messages, the time limit, a dnsapi plugin as a `dns::Provider`, and credentials from the
//! environment or account.conf.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acmers::dns::providers::plugin::Plugin;
use acmers::dns::{self, Provider as _, Record};
use acmers::plugin::{Error, Output, Runner};
use acmers::store::Home;
use base64::Engine as _;
use tempfile::TempDir;

use crate::support::acmers::Acmers;
use crate::support::net::free_port;

const PLUGINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/plugins");

fn plugin(file: &str) -> PathBuf {
    Path::new(PLUGINS).join(file)
}

/// A temp acme.sh home with a lineage folder for `example.test`.
struct Site {
    top: TempDir,
}

impl Site {
    fn new() -> Self {
        let top = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(top.path().join("home/example.test_ecc")).expect("mkdir lineage");
        Self { top }
    }

    fn home(&self) -> PathBuf {
        self.top.path().join("home")
    }

    fn account_conf(&self) -> PathBuf {
        self.home().join("account.conf")
    }

    fn domain_conf(&self) -> PathBuf {
        self.home().join("example.test_ecc/example.test.conf")
    }

    /// A runner over this home (debug level 2), with `env` added for the plugin.
    fn runner(&self, env: &[(&str, &str)]) -> Runner {
        Runner {
            helper: env!("CARGO_BIN_EXE_acmers").into(),
            home: Home::new(self.home(), None, None),
            account_conf: self.account_conf(),
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
}

/// The `name=value` lines of a call's stdout.
fn results(output: &Output) -> BTreeMap<String, String> {
    output
        .stdout
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Run `function` of the test plugin `file`, on a private runtime, with a hang guard (the
/// runner's own time limit is what is under test).
fn call(runner: &Runner, file: &str, function: &str, args: &[&str]) -> Result<Output, Error> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        tokio::time::timeout(
            Duration::from_secs(300),
            runner.call(&plugin(file), function, args),
        )
        .await
    })
    .unwrap_or_else(|_| panic!("{function} still running after 300 s"))
}

fn call_ok(runner: &Runner, file: &str, function: &str, args: &[&str]) -> Output {
    call(runner, file, function, args).unwrap_or_else(|e| panic!("{function} failed: {e}"))
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("stat").permissions().mode() & 0o7777
}

#[test]
fn every_helper_behaves_as_acme_sh_s() {
    let site = Site::new();
    let out = call_ok(&site.runner(&[]), "helpers.sh", "helpers_text", &[]);
    let got = results(&out);
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let expected = [
        ("green", "ok"),
        ("red", "bad"),
        ("contains", "yes"),
        ("contains_not", "yes"),
        ("startswith", "yes"),
        ("startswith_not", "yes"),
        ("endswith", "yes"),
        ("endswith_not", "yes"),
        ("egrep_o", r#""id":"12" "id":"34" "#),
        ("math", "11"),
        ("head_n", "a b "),
        ("tail_n", "c"),
        ("lower_case", "abc-9"),
        ("upper_case", "ABC-9"),
        ("url_encode", "a%20b%2f%c3%a9~-_."),
        ("url_encode_upper", "a%20b%2F%C3%A9"),
        ("url_replace", "a-b_c"),
        ("normalizeJson", r#"{ "a":"b","c":[1] }"#),
        ("json_encode", r#"a\"b\\c\td\n"#),
        ("json_decode", "http://x"),
        (
            "digest_sha256",
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=",
        ),
        (
            "digest_sha256_hex",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            "digest_sha1_hex",
            "a9993e364706816aba3e25717850c26c9cd0d89d",
        ),
        (
            "digest_sha512_hex",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
        ("digest_md5_hex", "900150983cd24fb0d6963f7d28e17f72"),
        // RFC 4231 test case 2 and RFC 2202 test case 2.
        (
            "hmac_sha256_hex",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        ("hmac_sha1_base64", "7/zfauXrL6LSdBbV8YTfnCWafHk="),
        ("hex_dump", " 61 62 0a"),
        ("ascii_hex", " 61 62"),
        ("h2b", "abc"),
        ("base64", &b64("hello")),
        ("base64_lines", "3"),
        ("dbase64", "hello"),
        ("idn", "xn--bcher-kva.example,plain.example"),
        ("idn_plain", "*.plain-name.example"),
        ("getfield", "b"),
        ("getfield_sep", "b"),
        ("exists", "yes"),
        ("exists_not", "yes"),
        ("sleep", "ok"),
        ("mktemp", "ok"),
        ("sed_i", "x=2"),
        ("resethttp", "ok"),
    ];
    for (name, value) in expected {
        assert_eq!(
            got.get(name).map(String::as_str),
            Some(value),
            "{name}\n--- stdout:\n{}\n--- stderr:\n{}",
            out.stdout,
            out.stderr
        );
    }
    assert!(got["time"].parse::<u64>().is_ok(), "time: {}", got["time"]);
    assert!(
        jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", &got["utc_date"]).is_ok(),
        "utc_date: {}",
        got["utc_date"]
    );
    assert!(got["stat"].contains(':'), "stat: {}", got["stat"]);
    // Messages: _info on stdout, the rest on stderr, no time stamps (acmers' log has its own),
    // `_debug3` hidden at level 2, secure values hidden.
    assert!(
        out.stdout.starts_with("an info line\nname='value'\n"),
        "{}",
        out.stdout
    );
    for line in [
        "a debug line",
        "a debug2 line",
        "secret1='[hidden](please add '--output-insecure' to see this value)'",
        "secret2='[hidden]",
        "a usage line",
        "a log line",
    ] {
        assert!(out.stderr.contains(line), "{line:?} in\n{}", out.stderr);
    }
    for absent in ["debug3", "s3cret"] {
        assert!(
            !out.stderr.contains(absent),
            "{absent:?} in\n{}",
            out.stderr
        );
    }
}

/// A request as the test's server saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    target: String,
    /// Lower-case names.
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP/1.1 server for `_get`/`_post`: every request is recorded and answered
/// `201` with the body `made <METHOD> <path>`, the headers `X-Test-Header: yes` and
/// `Set-Cookie: session=abc; Path=/`; `/status` is answered `404`.
fn serve() -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Some(request) = answer(stream) {
                record.lock().expect("seen").push(request);
            }
        }
    });
    (url, seen)
}

fn answer(mut stream: TcpStream) -> Option<Seen> {
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let (method, target) = (words.next()?.to_owned(), words.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let Some((name, value)) = line.trim_end().split_once(':') else {
            break;
        };
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let path = target.split('?').next().unwrap_or_default();
    let status = if path == "/status" {
        "404 Not Found"
    } else {
        "201 Created"
    };
    let text = format!("made {method} {path}");
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nX-Test-Header: yes\r\n\
         Set-Cookie: session=abc; Path=/\r\nConnection: close\r\n\r\n",
        text.len()
    );
    if method != "HEAD" {
        response.push_str(&text);
    }
    stream.write_all(response.as_bytes()).ok()?;
    Some(Seen {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

#[test]
fn get_and_post_send_what_the_plugin_asked_and_return_what_came() {
    let (url, seen) = serve();
    let closed = format!("http://127.0.0.1:{}/closed", free_port());
    let site = Site::new();
    let runner = site.runner(&[("TEST_URL", &url), ("CLOSED_URL", &closed)]);
    let out = call_ok(&runner, "helpers.sh", "helpers_http", &[]);
    let got = results(&out);
    let b64 = base64::engine::general_purpose::STANDARD.encode("made POST /b64");
    for (name, value) in [
        ("get_ret", "0"),
        ("get_body", "made GET /get"),
        ("get_status", "201"),
        ("get_header", "X-Test-Header: yes"),
        ("get_cookie", "Set-Cookie: session=abc; Path=/"),
        ("head_status", "201"),
        ("put_ret", "0"),
        ("put_body", "made PUT /json"),
        ("form_body", "made POST /form"),
        ("base64_body", &b64),
        ("delete_body", "made DELETE /delete"),
        ("error_status", "404"),
        // curl's "could not connect".
        ("closed_ret", "7"),
    ] {
        assert_eq!(
            got.get(name).map(String::as_str),
            Some(value),
            "{name}\n--- stdout:\n{}\n--- stderr:\n{}",
            out.stdout,
            out.stderr
        );
    }

    let seen = seen.lock().expect("seen").clone();
    let find = |method: &str, path: &str| {
        seen.iter()
            .find(|s| s.method == method && s.target.split('?').next() == Some(path))
            .unwrap_or_else(|| panic!("no {method} {path} among {seen:#?}"))
            .clone()
    };
    let get = find("GET", "/get");
    assert_eq!(get.target, "/get?token=s3cret");
    assert_eq!(get.header("x-api-key"), Some("key-1"));
    assert_eq!(get.header("authorization"), Some("Bearer t0ken"));
    assert_eq!(get.body, "");
    let head = find("HEAD", "/head");
    assert_eq!(head.header("x-api-key"), Some("key-1"));
    let put = find("PUT", "/json");
    assert_eq!(put.header("content-type"), Some("application/json"));
    assert_eq!(put.header("x-api-key"), None, "cleared _H1 sends nothing");
    assert_eq!(put.body, r#"{"a":1}"#);
    let form = find("POST", "/form");
    assert_eq!(
        form.header("content-type"),
        Some("application/x-www-form-urlencoded"),
        "curl's --data default"
    );
    assert_eq!(form.body, "a=1&b=2");
    let delete = find("DELETE", "/delete");
    assert_eq!(delete.body, "");
    assert_eq!(delete.header("content-type"), None);
    let typed = find("POST", "/typed");
    assert_eq!(typed.header("content-type"), Some("text/plain"), "from _H3");
    assert_eq!(typed.body, "raw");

    // The failed request is an error line naming the URL, without its query.
    assert!(
        out.stderr
            .contains(&format!("GET {closed}: request failed")),
        "{}",
        out.stderr
    );
    // Secrets in queries and headers never reach the output, at debug level 2 either.
    for secret in ["s3cret", "t0ken", "key-1"] {
        assert!(
            !out.stderr.contains(secret) && !out.stdout.contains(secret),
            "{secret} shown:\n{}\n{}",
            out.stdout,
            out.stderr
        );
    }
}

#[test]
fn conf_helpers_write_what_acme_sh_writes_and_keep_the_rest() {
    let site = Site::new();
    fs::write(
        site.account_conf(),
        "# kept comment\nUNKNOWN_KEY='keep me'\nCONF_Plain='legacy'\n\
         SAVED_CONF_Gone='x'\nCONF_Gone='y'\n",
    )
    .expect("write account.conf");
    fs::set_permissions(site.account_conf(), fs::Permissions::from_mode(0o644)).expect("chmod");
    fs::write(
        site.domain_conf(),
        "Le_Domain='example.test'\nLe_Gone='z'\n",
    )
    .expect("write domain conf");
    let out = call_ok(&site.runner(&[]), "helpers.sh", "helpers_conf", &[]);
    let got = results(&out);
    for (name, value) in [
        ("read_mutable", "it's a t0ken"),
        ("read_missing", ""),
        ("read", "old"),
        ("cleared", ""),
        ("domain", "zone-1"),
        ("domain_b64", "zone 2"),
    ] {
        assert_eq!(
            got.get(name).map(String::as_str),
            Some(value),
            "{name}\n{}\n{}",
            out.stdout,
            out.stderr
        );
    }
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    // SAVED_ keys, the legacy plain key removed, a quote stored in acme.sh's base64 wrapper,
    // unknown lines kept.
    assert_eq!(
        fs::read_to_string(site.account_conf()).expect("read"),
        format!(
            "# kept comment\nUNKNOWN_KEY='keep me'\n\
             SAVED_CONF_Token='__ACME_BASE64__START_{}__ACME_BASE64__END_'\n\
             SAVED_CONF_Plain='plain'\n",
            b64("it's a t0ken")
        )
    );
    assert_eq!(
        fs::read_to_string(site.domain_conf()).expect("read"),
        format!(
            "Le_Domain='example.test'\nZone_Id='zone-1'\n\
             Zone_B64='__ACME_BASE64__START_{}__ACME_BASE64__END_'\n",
            b64("zone 2")
        )
    );
    assert_eq!(mode(&site.account_conf()), 0o600);
    assert_eq!(mode(&site.domain_conf()), 0o600);
}

#[test]
fn account_conf_settings_are_shell_variables_the_environment_wins() {
    let site = Site::new();
    fs::write(
        site.account_conf(),
        "Legacy_Key='from-conf'\nEnv_Override='conf'\n\
         Quoted_Value='it'\\''s $(touch PWNED) `touch PWNED`'\n",
    )
    .expect("write account.conf");
    let out = call_ok(
        &site.runner(&[("Env_Override", "env")]),
        "helpers.sh",
        "helpers_vars",
        &[],
    );
    let got = results(&out);
    assert_eq!(got["legacy"], "from-conf");
    assert_eq!(got["override"], "env");
    assert_eq!(got["quoted"], "it's $(touch PWNED) `touch PWNED`");
    assert!(!Path::new("PWNED").exists() && !site.home().join("PWNED").exists());
}

#[test]
fn credentials_come_from_the_environment_first_then_saved_in_account_conf() {
    let site = Site::new();
    let fqdn = "_acme-challenge.example.test";
    let saved = || {
        acmers::store::Conf::load(&site.account_conf())
            .expect("load")
            .and_then(|c| c.get("SAVED_CREDS_Token"))
    };
    let add = |env: &[(&str, &str)]| {
        call(
            &site.runner(env),
            "dns_creds.sh",
            "dns_creds_add",
            &[fqdn, "v"],
        )
    };

    let err = add(&[]).expect_err("no credential anywhere");
    assert!(
        err.to_string().contains("You did not specify CREDS_Token."),
        "{err}"
    );

    let out = add(&[("CREDS_Token", "from-env")]).expect("env credential");
    assert!(out.stdout.contains("used=from-env"), "{}", out.stdout);
    assert_eq!(saved().as_deref(), Some("from-env"), "saved after use");

    fs::write(site.account_conf(), "SAVED_CREDS_Token='saved'\n").expect("write");
    let out = add(&[]).expect("saved credential");
    assert!(out.stdout.contains("used=saved"), "{}", out.stdout);

    let out = add(&[("CREDS_Token", "newer")]).expect("env wins");
    assert!(out.stdout.contains("used=newer"), "{}", out.stdout);
    assert_eq!(saved().as_deref(), Some("newer"));
}

#[test]
fn a_failing_plugin_s_err_lines_are_the_error() {
    let site = Site::new();
    let runner = site.runner(&[]);
    let fqdn = "_acme-challenge.example.test";
    match call(&runner, "dns_fails.sh", "dns_fails_add", &[fqdn, "v"]) {
        Err(Error::Failed {
            function, message, ..
        }) => {
            assert_eq!(function, "dns_fails_add");
            assert_eq!(
                message,
                format!("Invalid API token for {fqdn}; Check FAILS_Token")
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    // acme.sh's message for a plugin without the function, through the dns provider.
    let provider = Plugin::new(Arc::new(runner), plugin("dns_fails.sh"));
    let record = Record {
        fqdn: fqdn.into(),
        value: "v".into(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match rt.block_on(provider.remove(&record)) {
        Err(dns::Error::Plugin(text)) => assert!(
            text.contains(
                "It seems that your API file is incorrect. Make sure it has a function named: dns_fails_rm"
            ),
            "{text}"
        ),
        other => panic!("expected a plugin error, got {other:?}"),
    }
}

/// Whether process `pid` is gone (or a zombie waiting for its new parent to reap it).
pub(crate) fn gone(pid: &str) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn a_hanging_plugin_is_stopped_at_the_time_limit_with_its_children() {
    let site = Site::new();
    let pid_file = site.top.path().join("child.pid");
    let mut runner = site.runner(&[("HANG_PID_FILE", pid_file.to_str().expect("utf-8"))]);
    runner.time_limit = Duration::from_secs(1);
    match call(&runner, "dns_hangs.sh", "dns_hangs_add", &["x", "v"]) {
        Err(e @ Error::TimedOut { .. }) => {
            assert!(e.to_string().contains("timed out after 1 s"), "{e}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    let pid = fs::read_to_string(&pid_file).expect("pid file");
    let pid = pid.trim();
    // A hang guard only: the group was killed before `call` returned; reaping may lag.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !gone(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        gone(pid),
        "the plugin's child {pid} outlived the time limit"
    );
}

#[test]
fn a_dnsapi_plugin_adds_beside_and_removes_by_value() {
    let site = Site::new();
    let values = site.top.path().join("zone");
    let runner = site.runner(&[("VALUES_FILE", values.to_str().expect("utf-8"))]);
    let provider = Plugin::new(Arc::new(runner), plugin("dns_values.sh"));
    assert_eq!(provider.name(), "dns_values");
    let record = |fqdn: &str, value: &str| Record {
        fqdn: fqdn.into(),
        value: value.into(),
    };
    let apex = record("_acme-challenge.example.test", "apex-value");
    let wildcard = record("_acme-challenge.example.test", "wildcard-value");
    let other = record("_acme-challenge.other.test", "other-value");
    let zone = || fs::read_to_string(&values).expect("zone");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        for r in [&apex, &wildcard, &other] {
            provider.add(r).await.expect("add");
        }
        assert_eq!(
            zone(),
            "_acme-challenge.example.test apex-value\n\
             _acme-challenge.example.test wildcard-value\n\
             _acme-challenge.other.test other-value\n"
        );
        provider.remove(&apex).await.expect("remove");
        provider
            .remove(&apex)
            .await
            .expect("removing a missing value succeeds");
        assert_eq!(
            zone(),
            "_acme-challenge.example.test wildcard-value\n\
             _acme-challenge.other.test other-value\n"
        );
    });
}

#[test]
fn parallel_plugins_saving_to_account_conf_keep_every_key() {
    let site = Site::new();
    fs::write(site.account_conf(), "UNKNOWN_KEY='keep me'\n").expect("write account.conf");
    let runner = site.runner(&[]);
    let script = plugin("helpers.sh");
    let (calls, keys) = (4, 15);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let prefixes: Vec<String> = (0..calls).map(|n| format!("P{n}")).collect();
    let count = keys.to_string();
    let args: Vec<[&str; 2]> = prefixes.iter().map(|p| [p.as_str(), &count]).collect();
    let results = rt.block_on(futures_util::future::join_all(
        args.iter()
            .map(|args| runner.call(&script, "helpers_many", args)),
    ));
    for result in results {
        result.expect("saving succeeds");
    }
    let conf = acmers::store::Conf::load(&site.account_conf())
        .expect("load")
        .expect("account.conf");
    for prefix in &prefixes {
        for i in 1..=keys {
            assert_eq!(
                conf.get(&format!("SAVED_{prefix}_{i}")),
                Some(format!("value {i}")),
                "SAVED_{prefix}_{i} lost:\n{}",
                conf.render()
            );
        }
    }
    assert_eq!(conf.get("UNKNOWN_KEY").as_deref(), Some("keep me"));
}

#[test]
fn the_helper_is_not_a_documented_command() {
    let top = tempfile::tempdir().expect("tempdir");
    let out = Acmers::bare(top.path()).arg("--help").run();
    out.assert_code(0).assert_stdout_lacks("plugin-helper");
}
