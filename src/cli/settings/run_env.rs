//! The run's environment (docs/environment.md): how much goes to the log file and to syslog,
//! and the options of every HTTPS client, from the command line, the environment and
//! account.conf (in that order), and what of it a run saves in account.conf (acme.sh's
//! `main` and `_processAccountConf`).

use std::path::PathBuf;

use crate::cli::args::Args;
use crate::https::{Family, RunOptions};
use crate::store::record::{AccountConf, RunEnvGiven};

/// acme.sh's `DEFAULT_LOG_LEVEL`: debug lines and the finer ones go to the log file.
pub(crate) const DEFAULT_LOG_LEVEL: u8 = 2;

/// The run's environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RunEnv {
    /// `LOG_LEVEL` (`--log-level`): 0 no debug lines in the log file, 1 debug, 2 also the
    /// finer steps, 3 also the HTTP stack's own.
    pub log_level: u8,
    /// `SYS_LOG` (`--syslog`): 0 off, from 1 errors, from 6 also info, from 7 also debug,
    /// from 8 the finer steps, 9 the HTTP stack's own (acme.sh's `SYSLOG_LEVEL_*`).
    pub syslog: u8,
    /// `LOG_FILE` from the environment (`--log` wins, account.conf's comes after).
    pub log_file: Option<PathBuf>,
    /// What every HTTPS client of the run uses.
    pub https: RunOptions,
    /// `NO_ARI=1` (account.conf, else the environment): ARI off (docs/ari.md).
    pub no_ari: bool,
}

impl Default for RunEnv {
    fn default() -> Self {
        Self {
            log_level: DEFAULT_LOG_LEVEL,
            syslog: 0,
            log_file: None,
            https: RunOptions::default(),
            no_ari: false,
        }
    }
}

impl RunEnv {
    /// Resolve: each option, else its environment variable, else its account.conf key, else
    /// acme.sh's default. `--useragent`, `--insecure`, `--ca-path` and `--request-v4/v6`
    /// already hold their variables ([`crate::cli::args::Parsed::apply_env`]); a value that
    /// is not a number is ignored.
    pub(crate) fn resolve(
        args: &Args,
        env: &dyn Fn(&str) -> Option<String>,
        conf: &AccountConf,
    ) -> Self {
        let number = |flag: Option<u8>, var: &str, saved: Option<String>| {
            flag.or_else(|| env(var).and_then(|v| v.parse().ok()))
                .or_else(|| saved.and_then(|v| v.parse().ok()))
        };
        let (saved_v4, saved_v6) = conf.request_families();
        let family = if args.request_v6 || (!args.request_v4 && saved_v6) {
            Some(Family::V6)
        } else if args.request_v4 || saved_v4 {
            Some(Family::V4)
        } else {
            None
        };
        Self {
            log_level: number(args.log_level, "LOG_LEVEL", conf.log_level())
                .unwrap_or(DEFAULT_LOG_LEVEL),
            syslog: number(args.syslog, "SYS_LOG", conf.sys_log()).unwrap_or(0),
            log_file: env("LOG_FILE").filter(|v| !v.is_empty()).map(PathBuf::from),
            https: RunOptions {
                user_agent: args.useragent.clone().or_else(|| conf.user_agent()),
                insecure: args.insecure,
                ca_path: args.ca_path.clone().or_else(|| conf.ca_path()),
                family,
            },
            // acme.sh sources account.conf over the environment.
            no_ari: conf
                .no_ari()
                .unwrap_or_else(|| env("NO_ARI").as_deref() == Some("1")),
        }
    }
}

/// Save in account.conf what this run was given for later runs, as acme.sh's `main` and
/// `_processAccountConf` do: `--log-level`, `--syslog` (0 clears it), `--useragent` (or
/// `USER_AGENT`), `--auto-upgrade` and `--request-v4`/`--request-v6` (or their variables).
/// `false` when
/// nothing was given. `--insecure` is never saved (docs/differences.md).
pub(crate) fn remember(args: &Args, conf: &mut AccountConf) -> bool {
    let log_level = args.log_level.map(|l| l.to_string());
    let syslog = args.syslog.map(|l| l.to_string());
    let ipv6 = (args.request_v4 || args.request_v6).then_some(args.request_v6);
    let given = RunEnvGiven {
        log_level: log_level.as_deref(),
        sys_log: syslog.as_deref(),
        user_agent: args.useragent.as_deref(),
        auto_upgrade: args.auto_upgrade.as_deref(),
        ipv6,
    };
    let any = given.log_level.is_some()
        || given.sys_log.is_some()
        || given.user_agent.is_some()
        || given.auto_upgrade.is_some()
        || given.ipv6.is_some();
    if any {
        conf.set_run_env(&given);
    }
    any
}

/// Where account.conf is: `--accountconf`, else `ACCOUNT_CONF_PATH` from the environment, else
/// the one the default account.conf names (acme.sh's `__initHome`); `None`: the default.
pub(crate) fn account_conf_path(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
    default_conf: impl FnOnce() -> Option<PathBuf>,
) -> Option<PathBuf> {
    args.account_conf
        .clone()
        .or_else(|| {
            env("ACCOUNT_CONF_PATH")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(default_conf)
}

/// The account key: `--accountkey`, else `ACCOUNT_KEY_PATH` from the environment, else from
/// account.conf (acme.sh's `_initpath`); `None`: each CA folder's `account.key`.
pub(crate) fn account_key_path(
    args: &Args,
    env: &dyn Fn(&str) -> Option<String>,
    conf: &AccountConf,
) -> Option<PathBuf> {
    args.account_key
        .clone()
        .or_else(|| {
            env("ACCOUNT_KEY_PATH")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| conf.account_key_path())
}

#[cfg(test)]
#[path = "run_env_tests.rs"]
mod tests;
