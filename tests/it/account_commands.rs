//! The account commands against a real Pebble (docs/accounts.md): `--register-account`,
//! `--update-account`, `--deactivate-account`, `--update-account-key`, and external account binding at a Pebble that requires it (`--register-account` and
//! `--issue`, the binding saved in ca.conf, a forgotten account registered again with it).

use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::support::acmers::Acmers;
use crate::support::certs::LocalTls;
use crate::support::conf::read_conf;
use crate::support::home::{read, site};
use crate::support::https_server::HttpsServer;
use crate::support::pebble::{Pebble, PebbleOpts};

const KID: &str = "kid-acmers";

/// An HMAC key whose base64 forms differ (`+/` against `-_`, padding).
fn hmac_key() -> Vec<u8> {
    let mut key = [0xfb, 0xff, 0xbf].repeat(10);
    key.push(1);
    key
}

/// A Pebble that requires a binding and knows [`KID`] with [`hmac_key`].
fn eab_pebble() -> Pebble {
    Pebble::start(PebbleOpts {
        eab_keys: vec![(KID.to_owned(), URL_SAFE_NO_PAD.encode(hmac_key()))],
        ..PebbleOpts::default()
    })
}

/// acmers with `--server` and `--ca-bundle` of `pebble`.
fn at(home: &Path, pebble: &Pebble) -> Acmers {
    Acmers::new(home)
        .args(["--server", &pebble.directory_url(), "--ca-bundle"])
        .arg(pebble.ca_bundle_path().as_os_str())
}

/// `--issue -d name --standalone` on Pebble's http-01 port.
fn issue(home: &Path, pebble: &Pebble, name: &str) -> Acmers {
    at(home, pebble)
        .args(["--issue", "-d", name, "--standalone", "--httpport"])
        .arg(pebble.http_port().to_string())
        .args(["--local-address", "127.0.0.1"])
}

#[test]
fn register_account_registers_once_and_prints_the_thumbprint() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    let register =
        || at(&site.home, &pebble).args(["--register-account", "-m", "admin@example.test"]);
    let out = register().run();
    out.assert_code(0)
        .assert_stdout_has("Registered")
        .assert_stdout_has("ACCOUNT_THUMBPRINT='");
    let ca_dir = site.home.join("ca/127.0.0.1/dir");
    let conf = read_conf(&ca_dir.join("ca.conf"));
    assert_eq!(conf["CA_EMAIL"], "admin@example.test");
    let url = conf["ACCOUNT_URL"].clone();
    assert!(ca_dir.join("account.key").is_file());

    // Sent again: the CA finds the key's account.
    let again = register().run();
    again.assert_code(0).assert_stdout_has("Already registered");
    assert_eq!(read_conf(&ca_dir.join("ca.conf"))["ACCOUNT_URL"], url);
    let thumbprint = |stdout: &str| {
        stdout
            .lines()
            .find_map(|l| {
                l.split_once("ACCOUNT_THUMBPRINT='")
                    .map(|(_, t)| t.to_owned())
            })
            .expect("thumbprint line")
    };
    assert_eq!(thumbprint(&out.stdout), thumbprint(&again.stdout));
}

#[test]
fn eab_required_without_binding_says_which_flags_to_pass() {
    let pebble = eab_pebble();
    let site = site();
    let out = at(&site.home, &pebble).arg("--register-account").run();
    out.assert_code(1).assert_stderr_has("--eab-kid");
    let ca_conf = site.home.join("ca/127.0.0.1/dir/ca.conf");
    assert!(
        !ca_conf.exists() || !read(&ca_conf).contains("ACCOUNT_URL"),
        "an account was saved"
    );
}

#[test]
fn eab_binding_is_saved_and_accepted_by_issue() {
    let pebble = eab_pebble();
    let site = site();
    // Standard base64 with padding is accepted as well as base64url.
    let out = at(&site.home, &pebble)
        .args(["--register-account", "--eab-kid", KID, "--eab-hmac-key"])
        .arg(STANDARD.encode(hmac_key()))
        .run();
    out.assert_code(0).assert_stdout_has("Registered");
    let ca_conf_path = site.home.join("ca/127.0.0.1/dir/ca.conf");
    let conf = read_conf(&ca_conf_path);
    assert_eq!(conf["CA_EAB_KEY_ID"], KID);
    assert_eq!(conf["CA_EAB_HMAC_KEY"], URL_SAFE_NO_PAD.encode(hmac_key()));

    // A fresh home: `--issue` with the binding on its command line.
    let fresh = crate::support::home::site();
    issue(&fresh.home, &pebble, "eab2.example.test")
        .args(["--eab-kid", KID, "--eab-hmac-key"])
        .arg(URL_SAFE_NO_PAD.encode(hmac_key()))
        .run()
        .assert_code(0);
    let conf = read_conf(&fresh.home.join("ca/127.0.0.1/dir/ca.conf"));
    assert_eq!(conf["CA_EAB_KEY_ID"], KID);
}

/// An account the EAB CA has never seen (its saved URL is on another CA, so the same key is
/// registered again at the first request) is registered with the binding saved in ca.conf.
#[test]
fn reregistration_at_an_eab_ca_uses_the_saved_binding() {
    let other = Pebble::start(PebbleOpts::default());
    let pebble = eab_pebble();
    let site = site();
    at(&site.home, &other)
        .arg("--register-account")
        .run()
        .assert_code(0);
    let ca_conf_path = site.home.join("ca/127.0.0.1/dir/ca.conf");
    let mut text = read(&ca_conf_path);
    text.push_str(&format!(
        "CA_EAB_KEY_ID='{KID}'\nCA_EAB_HMAC_KEY='{}'\n",
        URL_SAFE_NO_PAD.encode(hmac_key())
    ));
    fs::write(&ca_conf_path, text).expect("write ca.conf");
    let out = issue(&site.home, &pebble, "again.example.test").run();
    out.assert_code(0)
        .assert_stdout_has("registered the same key again");
    let url = &read_conf(&ca_conf_path)["ACCOUNT_URL"];
    assert!(
        url.starts_with(&pebble.directory_url().replace("/dir", "/")),
        "ACCOUNT_URL={url}"
    );
}

#[test]
fn update_account_sends_the_new_contact() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    at(&site.home, &pebble)
        .args(["--register-account", "-m", "old@example.test"])
        .run()
        .assert_code(0);
    at(&site.home, &pebble)
        .args(["--update-account", "-m", "new@example.test"])
        .run()
        .assert_code(0)
        .assert_stdout_has("Account update success for")
        .assert_stdout_has("ACCOUNT_THUMBPRINT='");
    let ca_dir = site.home.join("ca/127.0.0.1/dir");
    assert_eq!(
        read_conf(&ca_dir.join("ca.conf"))["CA_EMAIL"],
        "new@example.test"
    );
    let json = read(&ca_dir.join("account.json"));
    assert!(
        json.contains("mailto:new@example.test") && !json.contains("old@"),
        "the CA's account object: {json}"
    );
}

#[test]
fn deactivate_account_moves_the_account_away() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    at(&site.home, &pebble)
        .arg("--register-account")
        .run()
        .assert_code(0);
    let ca_dir = site.home.join("ca/127.0.0.1/dir");
    let url = read_conf(&ca_dir.join("ca.conf"))["ACCOUNT_URL"].clone();
    let key = read(&ca_dir.join("account.key"));
    let id = url.rsplit('/').next().expect("id");
    at(&site.home, &pebble)
        .arg("--deactivate-account")
        .run()
        .assert_code(0)
        .assert_stdout_has("Successfully deactivated account");
    let moved = ca_dir.join("deactivated").join(id);
    assert_eq!(read(&moved.join("account.key")), key);
    assert_eq!(read_conf(&moved.join("ca.conf"))["ACCOUNT_URL"], url);
    assert!(!ca_dir.join("account.key").exists() && !ca_dir.join("ca.conf").exists());

    // The CA refuses the deactivated key: registering it again fails.
    fs::copy(moved.join("account.key"), ca_dir.join("account.key")).expect("copy key back");
    at(&site.home, &pebble)
        .arg("--register-account")
        .run()
        .assert_code(1);
    // No account left to deactivate.
    fs::remove_file(ca_dir.join("account.key")).expect("remove key");
    at(&site.home, &pebble)
        .arg("--deactivate-account")
        .run()
        .assert_code(1)
        .assert_stderr_has("--register-account");
}

#[test]
fn update_account_key_rolls_the_account_over() {
    let pebble = Pebble::start(PebbleOpts::default());
    let site = site();
    at(&site.home, &pebble)
        .arg("--register-account")
        .run()
        .assert_code(0);
    let ca_dir = site.home.join("ca/127.0.0.1/dir");
    let before = read_conf(&ca_dir.join("ca.conf"));
    let old_key = read(&ca_dir.join("account.key"));
    at(&site.home, &pebble)
        .arg("--update-account-key")
        .run()
        .assert_code(0)
        .assert_stdout_has("ACCOUNT_THUMBPRINT='");
    let after = read_conf(&ca_dir.join("ca.conf"));
    assert_ne!(read(&ca_dir.join("account.key")), old_key);
    assert_eq!(after["ACCOUNT_URL"], before["ACCOUNT_URL"]);
    assert_ne!(after["CA_KEY_HASH"], before["CA_KEY_HASH"]);
    assert!(!ca_dir.join("account.key.next").exists());

    // The CA knows the new key as the same account.
    at(&site.home, &pebble)
        .arg("--register-account")
        .run()
        .assert_code(0)
        .assert_stdout_has("Already registered");
    assert_eq!(
        read_conf(&ca_dir.join("ca.conf"))["ACCOUNT_URL"],
        before["ACCOUNT_URL"]
    );
    issue(&site.home, &pebble, "rolled.example.test")
        .run()
        .assert_code(0)
        .assert_stdout_lacks("Registering account");
}

/// ZeroSSL's EAB endpoint on loopback: answers every POST with [`KID`] and [`hmac_key`] as
/// ZeroSSL does, and keeps the request bodies. A fake because ZeroSSL's endpoint is not a
/// component that can run here.
struct ZeroSslEab {
    url: String,
    bodies: Arc<Mutex<Vec<String>>>,
    _server: HttpsServer,
}

impl ZeroSslEab {
    fn start(tls: &LocalTls) -> Self {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&bodies);
        let answer = serde_json::json!({
            "success": true,
            "eab_kid": KID,
            "eab_hmac_key": URL_SAFE_NO_PAD.encode(hmac_key()),
        })
        .to_string();
        let server = HttpsServer::start(tls, move |req: hyper::Request<hyper::body::Incoming>| {
            let (bodies, answer) = (Arc::clone(&shared), answer.clone());
            async move {
                use http_body_util::BodyExt as _;
                let body = req
                    .into_body()
                    .collect()
                    .await
                    .map(|b| b.to_bytes())
                    .unwrap_or_default();
                bodies
                    .lock()
                    .expect("lock")
                    .push(String::from_utf8_lossy(&body).into_owned());
                Some(hyper::Response::new(http_body_util::Full::new(
                    hyper::body::Bytes::from(answer),
                )))
            }
        });
        Self {
            url: format!(
                "https://127.0.0.1:{}/acme/eab-credentials-email",
                server.addr().port()
            ),
            bodies,
            _server: server,
        }
    }
}

#[test]
fn zerossl_eab_is_fetched_for_the_account_email() {
    let pebble = eab_pebble();
    let site = site();
    let tls = LocalTls::generate();
    let endpoint = ZeroSslEab::start(&tls);
    let bundle = site.home.parent().expect("top").join("bundle.pem");
    fs::write(
        &bundle,
        format!("{}{}", tls.ca_pem, read(pebble.ca_bundle_path())),
    )
    .expect("write bundle");
    let zerossl = || {
        Acmers::new(&site.home)
            .env("ACMERS_ZEROSSL_DIRECTORY", &pebble.directory_url())
            .env("ACMERS_ZEROSSL_EAB_ENDPOINT", &endpoint.url)
            .args(["--server", &pebble.directory_url(), "--ca-bundle"])
            .arg(&bundle)
            .arg("--register-account")
    };

    // No email: acme.sh's refusal, and nothing asked.
    zerossl()
        .run()
        .assert_code(1)
        .assert_stderr_has("-m my@example.com");
    assert!(endpoint.bodies.lock().expect("lock").is_empty());

    zerossl()
        .args(["-m", "admin@example.test"])
        .run()
        .assert_code(0)
        .assert_stdout_has("No EAB credentials found for ZeroSSL")
        .assert_stdout_has("Registered");
    assert_eq!(
        *endpoint.bodies.lock().expect("lock"),
        ["email=admin%40example.test"]
    );
    let conf = read_conf(&site.home.join("ca/127.0.0.1/dir/ca.conf"));
    assert_eq!(conf["CA_EAB_KEY_ID"], KID);
    assert_eq!(conf["CA_EAB_HMAC_KEY"], URL_SAFE_NO_PAD.encode(hmac_key()));
}
