use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::*;
use crate::cli::args::{Args, parse};

fn args(line: &str) -> Args {
    parse(
        std::iter::once("acmers")
            .chain(line.split_whitespace())
            .map(OsString::from),
    )
    .unwrap()
    .args
}

fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |key: &str| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

const SAVED: &str = "LOG_LEVEL='1'\nSYS_LOG='6'\nUSER_AGENT='saved-agent'\n\
    CA_PATH='/saved-certs'\nACME_USE_IPV4_REQUESTS='1'\nHTTPS_INSECURE='1'\n";

/// acme.sh's defaults: log level 2, no syslog, nothing else.
#[test]
fn defaults() {
    let run = RunEnv::resolve(&args("--cron"), &env_of(&[]), &AccountConf::default());
    assert_eq!(run, RunEnv::default());
    assert_eq!((run.log_level, run.syslog), (2, 0));
}

/// The option wins over the environment, which wins over account.conf; a saved
/// `HTTPS_INSECURE` is not honoured.
#[test]
fn option_then_environment_then_account_conf() {
    let conf = AccountConf::parse(SAVED);
    let run = RunEnv::resolve(&args("--cron"), &env_of(&[]), &conf);
    assert_eq!((run.log_level, run.syslog), (1, 6));
    assert_eq!(run.https.user_agent.as_deref(), Some("saved-agent"));
    assert_eq!(run.https.ca_path, Some(PathBuf::from("/saved-certs")));
    assert_eq!(run.https.family, Some(Family::V4));
    assert!(!run.https.insecure, "never taken from account.conf");

    let env = env_of(&[
        ("LOG_LEVEL", "2"),
        ("SYS_LOG", "7"),
        ("LOG_FILE", "/env.log"),
    ]);
    let run = RunEnv::resolve(&args("--cron"), &env, &conf);
    assert_eq!((run.log_level, run.syslog), (2, 7));
    assert_eq!(run.log_file, Some(PathBuf::from("/env.log")));

    let line = "--cron --log-level 0 --syslog 3 --useragent cli --ca-path /cli --request-v6 \
                --insecure";
    let run = RunEnv::resolve(&args(line), &env, &conf);
    assert_eq!((run.log_level, run.syslog), (0, 3));
    assert_eq!(run.https.user_agent.as_deref(), Some("cli"));
    assert_eq!(run.https.ca_path, Some(PathBuf::from("/cli")));
    assert_eq!(run.https.family, Some(Family::V6));
    assert!(run.https.insecure);

    // Not a number: ignored.
    let run = RunEnv::resolve(&args("--cron"), &env_of(&[("SYS_LOG", "x")]), &conf);
    assert_eq!(run.syslog, 6);
}

/// What was given is saved as acme.sh saves it; `--syslog 0` clears; nothing given, nothing
/// saved; `--insecure` never.
#[test]
fn remember_saves_what_was_given() {
    let mut conf = AccountConf::parse("SYS_LOG='6'\nACME_USE_IPV6_REQUESTS='1'\n");
    assert!(!remember(&args("--cron --insecure"), &mut conf));
    assert!(remember(
        &args("--cron --log-level 1 --syslog 0 --useragent UA --request-v4 --insecure"),
        &mut conf
    ));
    let text = conf.conf().render();
    assert_eq!(
        text, "LOG_LEVEL='1'\nUSER_AGENT='UA'\nACME_USE_IPV4_REQUESTS='1'\n",
        "{text}"
    );
    assert!(remember(&args("--cron --syslog"), &mut conf));
    assert_eq!(conf.sys_log().as_deref(), Some("3"));
}

/// `--accountconf` > `ACCOUNT_CONF_PATH` > the default account.conf's `ACCOUNT_CONF_PATH`;
/// the default one is read only when needed.
#[test]
fn account_conf_precedence() {
    let env = env_of(&[("ACCOUNT_CONF_PATH", "/env.conf")]);
    let never = || -> Option<PathBuf> { panic!("the default account.conf is not needed") };
    assert_eq!(
        account_conf_path(&args("--cron --accountconf /cli.conf"), &env, never),
        Some(PathBuf::from("/cli.conf"))
    );
    assert_eq!(
        account_conf_path(&args("--cron"), &env, never),
        Some(PathBuf::from("/env.conf"))
    );
    assert_eq!(
        account_conf_path(&args("--cron"), &env_of(&[]), || Some("/named.conf".into())),
        Some(PathBuf::from("/named.conf"))
    );
}

/// `--accountkey` > `ACCOUNT_KEY_PATH` > account.conf's.
#[test]
fn account_key_precedence() {
    let conf = AccountConf::parse("ACCOUNT_KEY_PATH='/saved.key'\n");
    let env = env_of(&[("ACCOUNT_KEY_PATH", "/env.key")]);
    let key = |line: &str, env: &dyn Fn(&str) -> Option<String>| {
        account_key_path(&args(line), env, &conf)
    };
    assert_eq!(
        key("--cron --accountkey /cli.key", &env),
        Some(PathBuf::from("/cli.key"))
    );
    assert_eq!(key("--cron", &env), Some(PathBuf::from("/env.key")));
    assert_eq!(
        key("--cron", &env_of(&[])),
        Some(PathBuf::from("/saved.key"))
    );
}

/// The default account.conf naming another one: that one is read, written and its
/// `ACCOUNT_KEY_PATH` used (acme.sh's `__initHome`).
#[test]
fn globals_follow_the_account_conf_the_default_one_names() {
    let top = tempfile::tempdir().unwrap();
    let home = top.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let other = top.path().join("other.conf");
    let write = |path: &Path, text: &str| std::fs::write(path, text).unwrap();
    write(
        &home.join("account.conf"),
        &format!("ACCOUNT_CONF_PATH='{}'\n", other.display()),
    );
    write(
        &other,
        "ACCOUNT_EMAIL='other@a.com'\nACCOUNT_KEY_PATH='/k.key'\nLOG_LEVEL='1'\n",
    );
    let line = format!("--cron --home {}", home.display());
    let globals = super::super::globals(&args(&line), &env_of(&[])).unwrap();
    assert_eq!(globals.home.account_conf(), other);
    assert_eq!(globals.account_conf.email().as_deref(), Some("other@a.com"));
    assert_eq!(
        globals
            .home
            .ca_dir("https://ca.example/dir")
            .unwrap()
            .account_key(),
        PathBuf::from("/k.key")
    );
    assert_eq!(globals.run.log_level, 1);
}
