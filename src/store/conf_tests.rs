//! Tests of [`Conf`](super::Conf): the acme.sh fixture home, accepted forms, hostile input,
//! `_setopt` semantics and saving.

use std::fs;
use std::os::unix::fs::MetadataExt as _;
use std::path::PathBuf;

use super::*;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn load_fixture(rel: &str) -> Conf {
    Conf::load(&fixture(&format!("acmesh-home-basic/{rel}")))
        .unwrap()
        .unwrap()
}

/// Every file below `dir`, recursively.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_fixture_file_round_trips_byte_for_byte() {
    let mut all = Vec::new();
    files(&fixture("acmesh-home-basic"), &mut all);
    let confs = all
        .iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".conf") || name.ends_with(".conf.removed")
        })
        .count();
    assert!(confs >= 10, "fixture home incomplete: {all:?}");
    // Not only the shell confs: PEM files and openssl configs must survive too.
    for path in &all {
        let bytes = fs::read(path).unwrap();
        let conf = Conf::parse_bytes(&bytes);
        assert_eq!(conf.render_bytes(), bytes, "{}", path.display());
        if let Ok(text) = std::str::from_utf8(&bytes) {
            assert_eq!(Conf::parse(text).render(), text, "{}", path.display());
        }
    }
}

/// acme.sh's `--info -d <d>` printed every key of the domain conf, decoded: compare.
#[test]
fn domain_confs_match_acmesh_info_output() {
    let cases = [
        ("a.example.test", "a.example.test_ecc/a.example.test.conf"),
        ("b.example.test", "b.example.test_ecc/b.example.test.conf"),
        ("c.example.test", "c.example.test/c.example.test.conf"),
    ];
    for (domain, rel) in cases {
        let conf = load_fixture(rel);
        let info = fs::read_to_string(fixture(&format!(
            "acmesh-home-basic.expected/info-{domain}.txt"
        )))
        .unwrap();
        let expected: Vec<(&str, &str)> = info
            .lines()
            .skip(1) // DOMAIN_CONF=…
            .map(|l| l.split_once('=').unwrap())
            .collect();
        let keys: Vec<&str> = expected.iter().map(|(k, _)| *k).collect();
        assert_eq!(conf.keys(), keys, "{domain}");
        for (key, value) in expected {
            assert_eq!(conf.get(key).as_deref(), Some(value), "{domain} {key}");
        }
    }
}

#[test]
fn fixture_values() {
    let c = load_fixture("c.example.test/c.example.test.conf");
    assert_eq!(c.get("Le_ReloadCmd").as_deref(), Some("echo reloaded c"));
    assert_eq!(c.get("Le_Alt").as_deref(), Some("no"));
    assert_eq!(c.get("Le_PreHook").as_deref(), Some(""));
    assert_eq!(c.get("Le_RenewalDays"), None);
    let d = load_fixture("d.example.test_ecc/d.example.test.conf.removed");
    assert_eq!(d.get("Le_PreHook").as_deref(), Some("echo pre"));
    assert_eq!(d.get("Le_PostHook").as_deref(), Some("echo post"));
    assert_eq!(d.get("Le_RenewHook").as_deref(), Some("echo renewed"));
    let account = load_fixture("account.conf");
    let server = account.get("DEFAULT_ACME_SERVER");
    assert_eq!(server.as_deref(), Some("https://localhost:14000/dir"));
    assert_eq!(
        account.get("SAVED_CF_Token").as_deref(),
        Some("fixture-token")
    );
    let ca = load_fixture("ca/localhost/dir/ca.conf");
    let hash = ca.get("CA_KEY_HASH");
    assert_eq!(
        hash.as_deref(),
        Some("DAjItkJwLDCpjzT8Kq/Q7f9KniHeU0vRGqKmplksk2w=")
    );
    assert_eq!(ca.keys(), ["CA_EMAIL", "ACCOUNT_URL", "CA_KEY_HASH"]);
}

#[test]
fn debug_shows_keys_not_values() {
    let account = load_fixture("account.conf");
    let debug = format!("{account:?}");
    assert!(
        debug.contains("SAVED_CF_Token") && !debug.contains("fixture-token"),
        "{debug}"
    );
}

#[test]
fn load_missing_file_is_none_other_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(Conf::load(&dir.path().join("nope.conf")).unwrap(), None);
    let err = Conf::load(dir.path()).unwrap_err();
    assert!(
        matches!(&err, Error::NotRegular { path } if path == dir.path()),
        "{err:?}"
    );
}

/// A conf replaced by a link to `/dev/zero`, a FIFO, a symbolic link or a huge file is
/// refused with an error naming it, instead of eating memory or hanging (issue 7 item 9).
#[test]
fn hostile_conf_files_are_refused_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let zero = dir.path().join("zero.conf");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let fifo = dir.path().join("fifo.conf");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let real = dir.path().join("real.conf");
    fs::write(&real, "A='1'\n").unwrap();
    let link = dir.path().join("link.conf");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    for path in [&zero, &fifo, &link, &PathBuf::from("/dev/zero")] {
        let err = Conf::load(path).unwrap_err();
        assert!(
            matches!(&err, Error::NotRegular { path: p } if p == path),
            "{}: {err:?}",
            path.display()
        );
    }
    let big = dir.path().join("big.conf");
    let file = fs::File::create(&big).unwrap();
    file.set_len(MAX_FILE + 1).unwrap();
    let err = Conf::load(&big).unwrap_err();
    assert!(
        matches!(&err, Error::TooLarge { path, .. } if *path == big),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "refusing `{}`: it is larger than 1048576 bytes",
            big.display()
        )
    );
    // The real file is read, and remembers who owned it.
    let conf = Conf::load(&real).unwrap().unwrap();
    assert_eq!(conf.get("A").as_deref(), Some("1"));
    let origin = conf.origin().unwrap();
    assert_eq!(origin.uid, rustix::process::geteuid().as_raw());
    assert_eq!(Conf::parse("A='1'\n").origin(), None);
}

#[test]
fn accepted_forms() {
    let cases: &[(&str, &str)] = &[
        ("K='v'", "v"),
        ("K=\"v\"", "v"),
        ("K=v", "v"),
        ("K=", ""),
        ("K=''", ""),
        ("export K='v'", "v"),
        ("export\tK=v", "v"),
        ("  \tK='v'", "v"),
        ("K='v'  # comment", "v"),
        ("K=v #comment", "v"),
        ("K=#comment", ""),
        ("K=a#b", "a#b"),
        ("K='v'\r", "v"),
        ("K=v\r", "v"),
        (r#"export K="a\"b""#, "a\"b"),
        (r#"K="\\ \$HOME \` \n""#, r"\ $HOME ` \n"),
        (r"K='it'\''s'", "it's"),
        (r"K=a\ b", "a b"),
        ("K='$(touch pwned)'", "$(touch pwned)"),
        ("K=\"$(touch pwned)\"", "$(touch pwned)"),
        ("K=`id`", "`id`"),
        ("K=$HOME", "$HOME"),
        ("K='a\"b'", "a\"b"),
        ("K=\"a'b\"", "a'b"),
        ("_k9='x'", "x"),
        ("K='\u{e9}t\u{e9}'", "\u{e9}t\u{e9}"),
    ];
    for (line, want) in cases {
        let conf = Conf::parse(line);
        let keys = conf.keys();
        assert_eq!(keys.len(), 1, "{line}");
        assert_eq!(conf.get(&keys[0]).as_deref(), Some(*want), "{line}");
        assert_eq!(conf.render(), *line);
    }
}

#[test]
fn unparseable_lines_are_kept_and_ignored() {
    let cases = [
        "K='unterminated",
        "K=\"unterminated",
        "K=\"a\\\"",
        "K=a b",
        "K=  'v'",
        "K=a;touch pwned",
        "K=a&&b",
        "K=a|b",
        "K=a>b",
        "K=a\\",
        "9K=v",
        "K-1=v",
        "K =v",
        "exportK v",
        "garbage \u{0}\u{1}\u{7f}",
        "=v",
    ];
    for line in cases {
        let text = format!("{line}\n");
        let conf = Conf::parse(&text);
        assert_eq!(conf.get("K"), None, "{line}");
        assert!(conf.keys().is_empty(), "{line}: {:?}", conf.keys());
        assert_eq!(conf.render(), text);
    }
}

#[test]
fn hostile_files_parse_as_data() {
    let text = "Le_Domain='$(touch pwned)'\r\nLe_Alt='no'\r\nLe_Alt='www.x'\r\nLe_Webroot='unterminated\r\n";
    let conf = Conf::parse(text);
    assert_eq!(conf.get("Le_Domain").as_deref(), Some("$(touch pwned)"));
    assert_eq!(
        conf.get("Le_Alt").as_deref(),
        Some("www.x"),
        "the last one wins"
    );
    assert_eq!(conf.get("Le_Webroot"), None);
    assert_eq!(conf.keys(), ["Le_Domain", "Le_Alt"]);
    assert_eq!(conf.render(), text);

    let long = "x".repeat(1 << 20);
    let text = format!("Le_Domain='{long}'\nLe_Alt={long}\n{long}\nK='v'");
    let conf = Conf::parse(&text);
    assert_eq!(conf.get("Le_Domain").as_deref(), Some(long.as_str()));
    assert_eq!(conf.get("Le_Alt").as_deref(), Some(long.as_str()));
    assert_eq!(conf.get("K").as_deref(), Some("v"));
    assert_eq!(conf.render(), text);

    let mut bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    bytes.extend_from_slice(b"\nLe_Domain='\xff\xfe'\nK='v'\n\x00\x01");
    let conf = Conf::parse_bytes(&bytes);
    assert_eq!(conf.get("Le_Domain").as_deref(), Some("\u{fffd}\u{fffd}"));
    assert_eq!(conf.get("K").as_deref(), Some("v"));
    assert_eq!(conf.render_bytes(), bytes);
}

#[test]
fn base64_wrapper_decoding() {
    let cases = [
        (
            "__ACME_BASE64__START_ZWNobyBwcmU=__ACME_BASE64__END_",
            "echo pre",
        ),
        (
            "__ACME_BASE64__START_ZWNobyBwcmU__ACME_BASE64__END_",
            "echo pre",
        ),
        (
            "__ACME_BASE64__START_ZWNo byBw\tcmU=\r__ACME_BASE64__END_",
            "echo pre",
        ),
        ("__ACME_BASE64__START___ACME_BASE64__END_", ""),
        // Invalid base64: the raw text.
        (
            "__ACME_BASE64__START_!!__ACME_BASE64__END_",
            "__ACME_BASE64__START_!!__ACME_BASE64__END_",
        ),
        // Not exactly wrapped: raw.
        (
            "x__ACME_BASE64__START_ZWNobyBwcmU=__ACME_BASE64__END_",
            "x__ACME_BASE64__START_ZWNobyBwcmU=__ACME_BASE64__END_",
        ),
        // Not UTF-8 after decoding: lossy.
        ("__ACME_BASE64__START_/w==__ACME_BASE64__END_", "\u{fffd}"),
    ];
    for (raw, want) in cases {
        let conf = Conf::parse(&format!("K='{raw}'\n"));
        assert_eq!(conf.get("K").as_deref(), Some(want), "{raw:?}");
    }
    // Files are line-based, but a decoded value may hold wrapped base64.
    let wrapped = b"__ACME_BASE64__START_ZWNo\nbyBw\r\ncmU=\n__ACME_BASE64__END_";
    assert_eq!(decode_value(wrapped), "echo pre");
}

#[test]
fn set_replaces_in_place_and_drops_later_duplicates() {
    let mut conf = Conf::parse("# head\nA='1'\nB=\"2\"\nexport A=3\nC='4'\nA='5'\n");
    conf.set("A", "new");
    assert_eq!(conf.render(), "# head\nA='new'\nB=\"2\"\nC='4'\n");
    conf.set("B", "two");
    assert_eq!(conf.render(), "# head\nA='new'\nB='two'\nC='4'\n");
    assert_eq!(conf.get("A").as_deref(), Some("new"));
}

#[test]
fn set_replaces_an_unparseable_assignment_of_the_key() {
    let mut conf = Conf::parse("A='unterminated\nB='1'\nA=x;y\n");
    conf.set("A", "fixed");
    assert_eq!(conf.render(), "A='fixed'\nB='1'\n");
}

#[test]
fn set_replaces_a_commented_default() {
    let mut conf =
        Conf::parse("#LOG_FILE=\"/x\"\n#LOG_LEVEL=1\n#AUTO_UPGRADE=\"1\"\n#LOG_LEVEL=2\n");
    conf.set("LOG_LEVEL", "2");
    assert_eq!(
        conf.render(),
        "#LOG_FILE=\"/x\"\nLOG_LEVEL='2'\n#AUTO_UPGRADE=\"1\"\n#LOG_LEVEL=2\n"
    );
}

#[test]
fn set_appends() {
    let mut conf = Conf::parse("A='1'\n");
    conf.set("B", "2");
    assert_eq!(conf.render(), "A='1'\nB='2'\n");
    let mut conf = Conf::parse("A='1'");
    conf.set("B", "2");
    assert_eq!(
        conf.render(),
        "A='1'\nB='2'\n",
        "newline added before appending"
    );
    let mut conf = Conf::default();
    conf.set("A", "1");
    assert_eq!(conf.render(), "A='1'\n");
    let mut conf = Conf::parse("A='1'\r\n");
    conf.set("A", "2");
    assert_eq!(
        conf.render(),
        "A='2'\n",
        "a rewritten line drops the CR, as acme.sh's sed does"
    );
}

#[test]
fn set_wraps_values_acmesh_cannot_read_back() {
    let values = [
        "it's",
        "a\nb",
        "a\rb",
        "tab\there",
        "\u{1b}[31m",
        "__ACME_BASE64__START_ZWNobyBwcmU=__ACME_BASE64__END_",
    ];
    for value in values {
        let mut conf = Conf::default();
        conf.set("K", value);
        let text = conf.render();
        assert!(
            text.starts_with("K='__ACME_BASE64__START_"),
            "{value:?}: {text}"
        );
        assert_eq!(text.lines().count(), 1, "{text}");
        assert_eq!(text.matches('\'').count(), 2, "{text}");
        assert_eq!(
            Conf::parse(&text).get("K").as_deref(),
            Some(value),
            "{value:?}"
        );
    }
    let mut conf = Conf::default();
    conf.set("K", "$(touch pwned) `id` \\ \" ; & | ~ * é");
    assert_eq!(conf.render(), "K='$(touch pwned) `id` \\ \" ; & | ~ * é'\n");
    assert_eq!(
        conf.get("K").as_deref(),
        Some("$(touch pwned) `id` \\ \" ; & | ~ * é")
    );
}

#[test]
fn set_base64_matches_acmesh() {
    let mut conf = Conf::default();
    conf.set_base64("Le_ReloadCmd", "echo reloaded c");
    conf.set_base64("Le_PreHook", "");
    let want = "Le_ReloadCmd='__ACME_BASE64__START_ZWNobyByZWxvYWRlZCBj__ACME_BASE64__END_'\nLe_PreHook=''\n";
    assert_eq!(conf.render(), want);
    assert_eq!(conf.get("Le_ReloadCmd").as_deref(), Some("echo reloaded c"));
}

#[test]
fn set_refuses_invalid_key_names() {
    let mut conf = Conf::parse("A='1'\n");
    for key in ["", "9A", "A B", "A;rm -rf /;B", "A=B", "#A"] {
        conf.set(key, "x");
        conf.set_base64(key, "x");
    }
    assert_eq!(conf.render(), "A='1'\n");
}

#[test]
fn remove_deletes_every_assignment_only() {
    let mut conf = Conf::parse("A='1'\n#A=default\nB='2'\nexport A=\"3\"\nA='broken\n");
    conf.remove("A");
    assert_eq!(conf.render(), "#A=default\nB='2'\n");
    conf.remove("missing");
    assert_eq!(conf.render(), "#A=default\nB='2'\n");
}

#[test]
fn untouched_lines_survive_edits() {
    let text =
        "# acme.sh conf\r\n\n  export X=\"keep\\$me\" # note\nbinary \u{1}\u{2}\nLe_Alt='no'\n";
    let mut conf = Conf::parse(text);
    conf.set("Le_Alt", "www.x");
    conf.set("New", "v");
    let want = "# acme.sh conf\r\n\n  export X=\"keep\\$me\" # note\nbinary \u{1}\u{2}\nLe_Alt='www.x'\nNew='v'\n";
    assert_eq!(conf.render(), want);
    assert_eq!(conf.get("X").as_deref(), Some("keep$me"));
}

#[test]
fn fixture_edit_changes_only_the_edited_line() {
    let path = fixture("acmesh-home-basic/c.example.test/c.example.test.conf");
    let before = fs::read_to_string(&path).unwrap();
    let mut conf = Conf::parse(&before);
    conf.set("Le_NextRenewTime", "1800000000");
    let after = conf.render();
    let changed: Vec<_> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        changed,
        [(
            "Le_NextRenewTime='1798404163'",
            "Le_NextRenewTime='1800000000'"
        )]
    );
    assert_eq!(before.lines().count(), after.lines().count());
}

#[test]
fn save_is_private_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("account.conf");
    fs::write(&path, "OLD='1'\n").unwrap();
    let mut conf = Conf::load(&path).unwrap().unwrap();
    conf.set("SAVED_CF_Token", "secret");
    conf.save(&path).unwrap();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "OLD='1'\nSAVED_CF_Token='secret'\n"
    );
    assert_eq!(fs::metadata(&path).unwrap().mode() & 0o7777, 0o600);
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["account.conf"]);
}

#[test]
fn many_distinct_keys_in_file_order() {
    let text: String = (0..100_000).map(|i| format!("K{i}='{i}'\n")).collect();
    let conf = Conf::parse(&text);
    let keys = conf.keys();
    assert_eq!(keys.len(), 100_000);
    assert_eq!((keys[0].as_str(), keys[99_999].as_str()), ("K0", "K99999"));
    assert_eq!(conf.get("K500").as_deref(), Some("500"));
}
