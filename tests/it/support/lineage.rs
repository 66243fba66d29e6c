//! Lineages issued by Pebble: [`issue`] runs one standalone `--issue`, and [`check_issued`]
//! checks what a successful one must leave in the acme.sh home, file by file: the lineage
//! folder, modes, conf keys, stdout lines, the chain (against the CA's root), the key, and
//! the account folder.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::acmers::{Acmers, Output};
use crate::support::certs::{
    KeyKind, assert_key_matches_leaf, leaf_sans, pem_certs, verify_chain_against_root,
};
use crate::support::conf::{Conf, read_conf};
use crate::support::home::{Site, read};
use crate::support::pebble::Pebble;

/// How a name is validated.
pub(crate) enum Mode<'a> {
    Standalone,
    Webroot(&'a Path),
    /// dns-01: the `Le_Webroot` entry (`dns_nsupdate`, `dns`, a plugin path).
    Dns(&'a str),
}

/// The files of one lineage.
pub(crate) struct Lineage {
    pub(crate) dir: PathBuf,
    pub(crate) key: PathBuf,
    pub(crate) cer: PathBuf,
    pub(crate) fullchain: PathBuf,
    pub(crate) conf: PathBuf,
}

impl Lineage {
    pub(crate) fn new(home: &Path, main: &str, kind: KeyKind) -> Self {
        let folder = match kind {
            KeyKind::Ec(_) => format!("{main}_ecc"),
            KeyKind::Rsa(_) => main.to_owned(),
        };
        let dir = home.join(folder);
        Self {
            key: dir.join(format!("{main}.key")),
            cer: dir.join(format!("{main}.cer")),
            fullchain: dir.join("fullchain.cer"),
            conf: dir.join(format!("{main}.conf")),
            dir,
        }
    }
}

fn mode_of(path: &Path) -> u32 {
    let meta = fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    meta.permissions().mode() & 0o7777
}

/// stdout has an acme.sh-style `[<date>] <message>` line.
fn assert_info_line(stdout: &str, message: &str) {
    let found = stdout
        .lines()
        .any(|line| line.starts_with('[') && line.ends_with(&format!("] {message}")));
    assert!(found, "stdout lacks `[<date>] {message}`:\n{stdout}");
}

/// The epoch seconds in `conf[key]`, checked against its `…Str` twin.
fn conf_time(conf: &Conf, key: &str) -> i64 {
    let secs: i64 = conf[key]
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not epoch seconds"));
    let ts = jiff::Timestamp::from_second(secs).expect("timestamp");
    assert_eq!(
        conf[format!("{key}Str").as_str()],
        ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    secs
}

/// What a successful issuance must have left behind.
pub(crate) struct Expect<'a> {
    pub(crate) names: &'a [&'a str],
    pub(crate) kind: KeyKind,
    pub(crate) mode: Mode<'a>,
    pub(crate) started: i64,
}

impl<'a> Expect<'a> {
    /// The default: a P-256 key and `--standalone`.
    pub(crate) fn standalone(names: &'a [&'a str], started: i64) -> Self {
        Self {
            names,
            kind: KeyKind::Ec(256),
            mode: Mode::Standalone,
            started,
        }
    }
}

/// Check every file, mode, conf key, stdout line and the certificate itself.
pub(crate) fn check_issued(
    site: &Site,
    pebble: &Pebble,
    out: &Output,
    expect: &Expect<'_>,
) -> Lineage {
    let main = expect.names[0];
    let lineage = Lineage::new(&site.home, main, expect.kind);
    let ca = lineage.dir.join("ca.cer");
    let csr = lineage.dir.join(format!("{main}.csr"));
    assert!(
        lineage.conf.is_file(),
        "no lineage conf at {}",
        lineage.conf.display()
    );
    assert_eq!(mode_of(&lineage.dir), 0o700, "lineage dir mode");
    assert_eq!(mode_of(&lineage.key), 0o600, "key mode");
    assert_eq!(mode_of(&lineage.conf), 0o600, "conf mode");
    assert!(read(&csr).starts_with("-----BEGIN CERTIFICATE REQUEST-----"));

    assert_info_line(
        &out.stdout,
        &format!("Your cert is in: {}", lineage.cer.display()),
    );
    assert_info_line(
        &out.stdout,
        &format!("Your cert key is in: {}", lineage.key.display()),
    );
    assert_info_line(
        &out.stdout,
        &format!("The intermediate CA cert is in: {}", ca.display()),
    );
    let full = lineage.fullchain.display();
    assert_info_line(
        &out.stdout,
        &format!("And the full-chain cert is in: {full}"),
    );

    let conf = read_conf(&lineage.conf);
    let alt = match expect.names[1..].join(",") {
        none if none.is_empty() => "no".to_owned(),
        list => list,
    };
    let webroot = match &expect.mode {
        Mode::Standalone => "no".to_owned(),
        Mode::Webroot(path) => path.display().to_string(),
        Mode::Dns(entry) => (*entry).to_owned(),
    };
    assert_eq!(conf["Le_Domain"], main);
    assert_eq!(conf["Le_Alt"], alt);
    assert_eq!(conf["Le_Webroot"], webroot);
    assert_eq!(conf["Le_API"], pebble.directory_url());
    assert_eq!(conf["Le_Keylength"], expect.kind.keylength());
    let port = match expect.mode {
        Mode::Standalone => Some(pebble.http_port().to_string()),
        Mode::Webroot(_) | Mode::Dns(_) => None,
    };
    assert_eq!(conf.get("Le_HTTPPort"), port.as_ref(), "Le_HTTPPort");
    let ca_base = pebble.directory_url().replace("/dir", "/");
    for key in ["Le_OrderFinalize", "Le_LinkOrder", "Le_LinkCert"] {
        assert!(conf[key].starts_with(&ca_base), "{key}={:?}", conf[key]);
    }
    let created = conf_time(&conf, "Le_CertCreateTime");
    let now = jiff::Timestamp::now().as_second();
    assert!(
        (expect.started..=now).contains(&created),
        "Le_CertCreateTime={created}"
    );
    assert!(conf_time(&conf, "Le_NextRenewTime") > created);

    let (leaf, chain, fullchain) = (read(&lineage.cer), read(&ca), read(&lineage.fullchain));
    assert_eq!(pem_certs(&leaf).len(), 1, "{main}.cer holds the leaf only");
    assert!(
        !pem_certs(&chain).is_empty(),
        "ca.cer holds the issuer chain"
    );
    let joined: Vec<_> = pem_certs(&leaf)
        .into_iter()
        .chain(pem_certs(&chain))
        .collect();
    assert_eq!(
        joined,
        pem_certs(&fullchain),
        "cer + ca.cer == fullchain.cer"
    );
    let mut sans = leaf_sans(&fullchain);
    let mut names: Vec<String> = expect.names.iter().map(|n| n.to_string()).collect();
    sans.sort();
    names.sort();
    assert_eq!(sans, names, "leaf SANs");
    verify_chain_against_root(&fullchain, &pebble.root_pem(), expect.names);
    assert_key_matches_leaf(&read(&lineage.key), &leaf, expect.kind);

    check_account(site, pebble);
    lineage
}

/// `account.conf` and the CA folder `ca/127.0.0.1/dir` with the account key and URL.
fn check_account(site: &Site, pebble: &Pebble) {
    assert_eq!(
        mode_of(&site.home.join("account.conf")),
        0o600,
        "account.conf mode"
    );
    let ca_dir = site.home.join("ca/127.0.0.1/dir");
    assert_eq!(mode_of(&ca_dir), 0o700, "CA folder mode");
    assert_eq!(
        mode_of(&ca_dir.join("account.key")),
        0o600,
        "account.key mode"
    );
    assert_eq!(mode_of(&ca_dir.join("ca.conf")), 0o600, "ca.conf mode");
    let account: serde_json::Value =
        serde_json::from_str(&read(&ca_dir.join("account.json"))).expect("account.json");
    assert!(account.is_object(), "{account}");
    let ca_conf = read_conf(&ca_dir.join("ca.conf"));
    let ca_base = pebble.directory_url().replace("/dir", "/");
    assert!(ca_conf["ACCOUNT_URL"].starts_with(&ca_base), "{ca_conf:?}");
    assert!(!ca_conf["CA_KEY_HASH"].is_empty(), "{ca_conf:?}");
}

/// Now in epoch seconds (the `started` of an [`Expect`]).
pub(crate) fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// `--issue -d <name> --standalone` on Pebble's http-01 port, plus `extra`.
pub(crate) fn issue(home: &Path, pebble: &Pebble, name: &str, extra: &[&str]) -> Output {
    Acmers::new(home)
        .args(["--issue", "-d", name, "--standalone", "--httpport"])
        .arg(pebble.http_port().to_string())
        .args(["--local-address", "127.0.0.1", "--server"])
        .arg(pebble.directory_url())
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path().as_os_str())
        .args(extra)
        .run()
}

/// `--renew -d <name> --force` at `server` (a Pebble directory URL, perhaps spelled with
/// another host name), trusting Pebble's CA.
pub(crate) fn renew_forced(home: &Path, pebble: &Pebble, name: &str, server: &str) -> Output {
    Acmers::new(home)
        .args(["--renew", "-d", name, "--force", "--server", server])
        .arg("--ca-bundle")
        .arg(pebble.ca_bundle_path())
        .run()
}

/// The folder of an EC lineage.
pub(crate) fn ecc_dir(home: &Path, name: &str) -> PathBuf {
    home.join(format!("{name}_ecc"))
}
