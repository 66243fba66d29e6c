//! acme.sh's own home (tests/fixtures/acmesh-home-basic, made by acme.sh 3.1.4) renewed by
//! acmers against a new Pebble: the saved conf drives the renewal, and afterwards the conf
//! differs from acme.sh's only in the keys acme.sh itself rewrites on a renewal; comments,
//! unknown keys and base64-wrapped values survive.

use std::collections::BTreeSet;
use std::fs;

use base64::Engine as _;

use crate::support::certs::{leaf_sans, verify_chain_against_root};
use crate::support::home::{FIXTURE, copy_fixture_home, read, site};
use crate::support::lineage::renew_forced;
use crate::support::pebble::{Pebble, PebbleOpts};

/// The keys acme.sh rewrites when it renews a lineage with `--server` (issue(): order URLs,
/// times, and `Le_API` for the new CA).
const RENEWAL_KEYS: &[&str] = &[
    "Le_API",
    "Le_OrderFinalize",
    "Le_LinkOrder",
    "Le_LinkCert",
    "Le_CertCreateTime",
    "Le_CertCreateTimeStr",
    "Le_NextRenewTime",
    "Le_NextRenewTimeStr",
];

#[test]
fn acmesh_lineage_renews_from_its_saved_conf() {
    // The fixture saved `Le_HTTPPort='5002'`: Pebble must validate on that port.
    let pebble = Pebble::start(PebbleOpts {
        http_port: 5002,
        ..PebbleOpts::default()
    });
    let site = site();
    copy_fixture_home(&site.home);
    let dir = site.home.join("a.example.test_ecc");
    let conf_path = dir.join("a.example.test.conf");
    // What an admin or another tool may have added: a comment, an unknown key, a hook in
    // acme.sh's base64 wrapper.
    let post = "echo post-hook from the fixture";
    let wrapped = format!(
        "__ACME_BASE64__START_{}__ACME_BASE64__END_",
        base64::engine::general_purpose::STANDARD.encode(post)
    );
    let original = read(&conf_path).replace("Le_PostHook=''", &format!("Le_PostHook='{wrapped}'"))
        + "# kept by the admin\nSAVED_DEPLOY_SSH_USER='deploy'\n";
    fs::write(&conf_path, &original).expect("write conf");
    let key_before = read(&dir.join("a.example.test.key"));
    let cert_before = read(&dir.join("a.example.test.cer"));

    let server = pebble.directory_url().replace("127.0.0.1", "localhost");
    let out = renew_forced(&site.home, &pebble, "a.example.test", &server);
    out.assert_code(0)
        .assert_stdout_has("post-hook from the fixture");

    let fullchain = read(&dir.join("fullchain.cer"));
    assert_ne!(
        read(&dir.join("a.example.test.cer")),
        cert_before,
        "renewed"
    );
    assert_eq!(leaf_sans(&fullchain), ["a.example.test"]);
    verify_chain_against_root(&fullchain, &pebble.root_pem(), &["a.example.test"]);
    assert_eq!(
        read(&dir.join("a.example.test.key")),
        key_before,
        "the acme.sh domain key is reused"
    );

    // Line by line: same keys in the same order; only acme.sh's renewal keys changed.
    let after = read(&conf_path);
    let key_of = |line: &str| {
        line.split_once('=')
            .map_or_else(|| line.to_owned(), |(k, _)| k.to_owned())
    };
    let before_lines: Vec<&str> = original.lines().collect();
    // acmers' own ARI check time (docs/ari.md) is the one line added, at the end.
    let after_lines: Vec<&str> = after
        .lines()
        .filter(|l| !l.starts_with("Acmers_ARI_NextCheck="))
        .collect();
    assert!(
        after
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("Acmers_ARI_NextCheck=")),
        "{after}"
    );
    assert_eq!(
        before_lines.iter().map(|l| key_of(l)).collect::<Vec<_>>(),
        after_lines.iter().map(|l| key_of(l)).collect::<Vec<_>>(),
        "keys, comments and their order are kept:\n{after}"
    );
    let changed: BTreeSet<String> = before_lines
        .iter()
        .zip(&after_lines)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| key_of(b))
        .collect();
    for key in &changed {
        assert!(
            RENEWAL_KEYS.contains(&key.as_str()),
            "{key} changed:\n{after}"
        );
    }
    assert!(
        changed.contains("Le_API") && changed.contains("Le_LinkCert"),
        "{changed:?}"
    );
    assert!(
        after.contains(&format!("Le_PostHook='{wrapped}'")),
        "{after}"
    );
    assert!(
        after.contains(&format!("Le_API='{server}'")),
        "the lineage moved to the new CA"
    );

    // The other lineages are untouched.
    for (folder, file) in [
        ("b.example.test_ecc", "b.example.test.conf"),
        ("c.example.test", "c.example.test.conf"),
    ] {
        assert_eq!(
            read(&site.home.join(folder).join(file)),
            read(&std::path::Path::new(FIXTURE).join(folder).join(file))
        );
    }
}
