//! Smoke tests for the harness itself (no acmers involved): if one of these fails, the
//! acmers tests that use the same server cannot be trusted either.

use std::fs;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::certs::{leaf_sans, pem_certs, verify_chain_against_root};
use crate::support::conf::read_conf;
use crate::support::fake_acme::FakeAcme;
use crate::support::net::free_port;
use crate::support::net::{http_get, https_request};
use crate::support::nginx::{Nginx, open_up};
use crate::support::pebble::{Pebble, PebbleOpts};

#[test]
fn pebble_serves_directory_and_root() {
    let pebble = Pebble::start(PebbleOpts::default());
    let dir = pebble.directory();
    for key in ["newNonce", "newAccount", "newOrder"] {
        let url = dir[key]
            .as_str()
            .unwrap_or_else(|| panic!("no {key} in {dir}"));
        assert!(url.starts_with("https://127.0.0.1:"), "{key}: {url}");
    }
    let root = pebble.root_pem();
    assert!(root.starts_with("-----BEGIN CERTIFICATE-----"), "{root}");
    assert_eq!(pem_certs(&root).len(), 1);
    assert!(pebble.dir().join("pebble-config.json").is_file());
    assert!(pebble.ca_bundle_path().is_file());
    assert_eq!(pebble.orders_created(), 0);
}

#[test]
fn nginx_serves_a_file_from_a_temp_webroot() {
    let top = tempfile::tempdir().expect("tempdir");
    open_up(top.path());
    let webroot = top.path().join("www");
    fs::create_dir(&webroot).expect("mkdir webroot");
    open_up(&webroot);
    fs::write(webroot.join("hello.txt"), "hello from the webroot\n").expect("write file");
    fs::set_permissions(webroot.join("hello.txt"), fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let port = free_port();
    let _nginx = Nginx::serve(&webroot, port);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    assert_eq!(
        http_get(addr, "/hello.txt"),
        (200, "hello from the webroot\n".to_owned())
    );
    assert_eq!(http_get(addr, "/missing.txt").0, 404);
}

#[test]
fn conf_reader_handles_acmesh_quoting() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("x.conf");
    let text = "Le_Domain='a.example'\nLe_Alt='no'\n#c\nQ='it'\\''s'\nD=\"dq\"\nexport B=bare\n";
    fs::write(&path, text).expect("write conf");
    let conf = read_conf(&path);
    assert_eq!(conf["Le_Domain"], "a.example");
    assert_eq!(conf["Le_Alt"], "no");
    assert_eq!(conf["Q"], "it's");
    assert_eq!(conf["D"], "dq");
    assert_eq!(conf["B"], "bare");
    assert_eq!(conf.len(), 5);
}

/// A flattened JWS whose payload is `payload` (the fake ignores the signature).
fn fake_jws(payload: &Value) -> String {
    json!({
        "protected": URL_SAFE_NO_PAD.encode(b"{}"),
        "payload": URL_SAFE_NO_PAD.encode(payload.to_string()),
        "signature": "",
    })
    .to_string()
}

fn test_csr(names: &[&str]) -> (rcgen::KeyPair, Vec<u8>) {
    let key = rcgen::KeyPair::generate().expect("key");
    let params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("params");
    let csr = params.serialize_request(&key).expect("CSR");
    (key, csr.der().to_vec())
}

#[test]
fn fake_acme_answers_directory_and_nonce() {
    let fake = FakeAcme::start();
    let ca = fake.tls_ca_pem();
    let dir = https_request(Method::GET, &fake.directory_url(), ca, None);
    assert_eq!(dir.status, 200);
    let dir: Value = serde_json::from_str(&dir.body).expect("directory JSON");
    let new_nonce = dir["newNonce"].as_str().expect("newNonce");
    assert!(dir["newAccount"].is_string() && dir["newOrder"].is_string());
    let head = https_request(Method::HEAD, new_nonce, ca, None);
    assert_eq!(head.status, 200);
    let first = head.headers["replay-nonce"].clone();
    let again = https_request(Method::HEAD, new_nonce, ca, None);
    assert_ne!(again.headers["replay-nonce"], first, "nonces are fresh");
    assert_eq!(fake.hits("nonce"), 2);
    assert!(fake.ca_bundle_path().is_file());
}

#[test]
fn fake_acme_signs_a_csr() {
    let fake = FakeAcme::start();
    let names = ["a.example.test", "b.example.test"];
    let (key, csr) = test_csr(&names);
    let chain = fake.sign_csr(&csr).expect("sign");
    assert_eq!(pem_certs(&chain).len(), 2, "leaf and intermediate");
    assert_eq!(leaf_sans(&chain), names);
    verify_chain_against_root(&chain, fake.root_pem(), &names);
    let certs = pem_certs(&chain);
    let (_, leaf) = x509_parser::parse_x509_certificate(&certs[0]).expect("leaf");
    let spki = &leaf.tbs_certificate.subject_pki.subject_public_key.data;
    assert_eq!(
        spki.as_ref(),
        key.public_key_raw(),
        "leaf carries the CSR key"
    );
    assert!(fake.sign_csr(b"not a CSR").is_err());
}

#[test]
fn fake_acme_order_flow_with_stuck_processing() {
    let fake = FakeAcme::start();
    let ca = fake.tls_ca_pem();
    let post = |url: &str, payload: &Value| {
        let response = https_request(Method::POST, url, ca, Some(fake_jws(payload)));
        assert!(response.headers.contains_key("replay-nonce"), "{url}");
        let body = serde_json::from_str(&response.body).unwrap_or(Value::Null);
        (response.status, response.headers, body)
    };
    let dir: Value =
        serde_json::from_str(&https_request(Method::GET, &fake.directory_url(), ca, None).body)
            .expect("directory");
    let (status, headers, _) = post(dir["newAccount"].as_str().expect("newAccount"), &json!({}));
    assert_eq!(status, 201);
    assert!(
        headers["location"]
            .to_str()
            .expect("location")
            .ends_with("/acct/1")
    );

    let ids = json!([{"type": "dns", "value": "s.example.test"}]);
    let (status, headers, order) = post(
        dir["newOrder"].as_str().expect("newOrder"),
        &json!({ "identifiers": ids }),
    );
    assert_eq!((status, order["status"].as_str()), (201, Some("ready")));
    assert_eq!(order["identifiers"], ids);
    let order_url = headers["location"].to_str().expect("location").to_owned();
    let (_, _, authz) = post(
        order["authorizations"][0].as_str().expect("authz"),
        &json!(""),
    );
    assert_eq!(authz["status"], "valid");
    assert_eq!(authz["identifier"], ids[0]);

    fake.set_stuck(true);
    let (_, csr) = test_csr(&["s.example.test"]);
    let csr = json!({ "csr": URL_SAFE_NO_PAD.encode(&csr) });
    let (_, headers, order) = post(order["finalize"].as_str().expect("finalize"), &csr);
    assert_eq!(order["status"], "processing");
    assert_eq!(headers["retry-after"], "1");
    let (_, headers, order) = post(&order_url, &json!(""));
    assert_eq!(order["status"], "processing");
    assert_eq!(headers["retry-after"], "1");
    assert!(order.get("certificate").is_none());

    fake.set_stuck(false);
    let (_, _, order) = post(&order_url, &json!(""));
    assert_eq!(order["status"], "valid");
    fake.set_stuck(true);
    let (_, _, order) = post(&order_url, &json!(""));
    assert_eq!(order["status"], "valid", "a valid order stays valid");
    let cert_url = order["certificate"].as_str().expect("certificate URL");
    let cert = https_request(Method::POST, cert_url, ca, Some(fake_jws(&json!(""))));
    assert_eq!(cert.status, 200);
    assert_eq!(
        cert.headers["content-type"],
        "application/pem-certificate-chain"
    );
    verify_chain_against_root(&cert.body, fake.root_pem(), &["s.example.test"]);
    assert_eq!(
        (
            fake.hits("new-order"),
            fake.hits("finalize"),
            fake.hits("order")
        ),
        (1, 1, 3)
    );
}
