use std::ffi::OsString;

use super::*;
use crate::cli::args::parse;
use crate::cli::settings::RunEnv;
use crate::store::Home;
use crate::store::record::AccountConf;

fn resolve(line: &str, conf: &str, env: &[(&str, &str)]) -> Result<Option<StoreSettings>, Failure> {
    let parsed = parse(
        std::iter::once("acmers")
            .chain(line.split_whitespace())
            .map(OsString::from),
    )
    .expect("parse");
    let globals = Globals {
        home: Home::new("/h".into(), None, None),
        account_conf: AccountConf::parse(conf),
        debug: 0,
        run: RunEnv::default(),
    };
    let env = |key: &str| {
        env.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    };
    StoreSettings::resolve(&parsed, &globals, &env)
}

#[test]
fn the_store_comes_from_the_option_then_the_environment_then_account_conf() {
    assert!(
        resolve("--cron", "", &[]).expect("ok").is_none(),
        "the file home"
    );
    let conf = "ACMERS_STORE='postgres://conf/db'\nACMERS_NODE='n-conf'\n\
                ACMERS_STORE_KEY='/etc/k'\n";
    let s = resolve("--cron", conf, &[]).expect("ok").expect("a store");
    assert_eq!(
        (s.url.as_str(), s.node.as_str()),
        ("postgres://conf/db", "n-conf")
    );
    assert_eq!(s.key_file.as_deref(), Some(std::path::Path::new("/etc/k")));
    assert_eq!(s.ttl, DEFAULT_TTL);
    let env = [
        ("ACMERS_STORE", "postgres://env/db"),
        ("ACMERS_NODE", "n-env"),
        ("ACMERS_LEASE_TTL", "7"),
    ];
    let s = resolve("--cron", conf, &env).expect("ok").expect("a store");
    assert_eq!(
        (s.url.as_str(), s.node.as_str()),
        ("postgres://env/db", "n-env")
    );
    assert_eq!(s.ttl, Duration::from_secs(7));
    let s = resolve("--cron --store postgres://arg/db --node n-arg", conf, &env)
        .expect("ok")
        .expect("a store");
    assert_eq!(
        (s.url.as_str(), s.node.as_str()),
        ("postgres://arg/db", "n-arg")
    );
}

#[test]
fn bad_node_names_and_lease_times_are_refused() {
    let store = "--cron --store postgres://h/db";
    assert!(resolve(&format!("{store} --node a/b"), "", &[]).is_err());
    assert!(resolve(&format!("{store} --node {}", "n".repeat(65)), "", &[]).is_err());
    assert!(resolve(store, "", &[("ACMERS_LEASE_TTL", "0")]).is_err());
    assert!(resolve(store, "", &[("ACMERS_LEASE_TTL", "soon")]).is_err());
    assert!(resolve(&format!("{store} --node web-1.example_2"), "", &[]).is_ok());
}

#[test]
fn only_node_commands_run_without_the_store() {
    assert!(node_local(Command::InstallCronjob));
    assert!(!node_local(Command::Cron));
    assert!(!node_local(Command::Revoke));
}
