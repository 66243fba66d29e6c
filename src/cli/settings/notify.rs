//! `--set-notify` and the notifications of the renewal commands: the settings saved in
//! `account.conf` (acme.sh's `setnotify`), the `webhook` hook's URL (`WEBHOOK_URL` from the
//! environment, else `SAVED_WEBHOOK_URL`) and how notify plugins run.

use std::path::PathBuf;
use std::time::Duration;

use super::{Globals, SettingsError, ca_bundle};
use crate::cli::args::Args;
use crate::notify::webhook::{self, Webhook};
use crate::notify::{self, Config, Notifier};
use crate::plugin::Runner;

/// acme.sh's `NO_VALUE`: `--notify-hook no` clears the saved hooks.
const NO_VALUE: &str = "no";

/// `--set-notify`.
pub(crate) struct SetNotifySettings {
    /// `--notify-hook`: `Some("")` for `no` (clear), `None` when not given.
    pub hook: Option<String>,
    /// `--notify-level`.
    pub level: Option<u8>,
    /// `--notify-mode`.
    pub mode: Option<u8>,
    /// `--notify-source`.
    pub source: Option<String>,
    /// `WEBHOOK_URL` from the environment, saved when the test message went through.
    pub webhook_url: Option<String>,
    /// Sends the test message: the given hooks, with the given level and source over the
    /// saved ones.
    pub notifier: Notifier,
}

impl SetNotifySettings {
    /// Resolve `--set-notify`.
    ///
    /// # Errors
    ///
    /// None of the four options is given.
    pub(crate) fn resolve(args: &Args, globals: &Globals) -> Result<Self, SettingsError> {
        if args.notify_hook.is_empty()
            && args.notify_level.is_none()
            && args.notify_mode.is_none()
            && args.notify_source.is_none()
        {
            return Err(SettingsError::Missing(
                "`--set-notify` needs `--notify-hook NAME`, `--notify-level 0-3`, \
                 `--notify-mode 0|1` or `--notify-source NAME`",
            ));
        }
        // Repeated `--notify-hook`s add up, as in acme.sh's `_process`.
        let hook = (!args.notify_hook.is_empty())
            .then(|| args.notify_hook.join(","))
            .map(|h| if h == NO_VALUE { String::new() } else { h });
        let mut notifier = notifier(
            globals,
            ca_bundle(args, globals),
            Duration::from_secs(args.hook_timeout),
        );
        let config = &mut notifier.config;
        config.hooks = notify::split_hooks(hook.as_deref().unwrap_or_default());
        config.level = args.notify_level.unwrap_or(config.level);
        if let Some(source) = &args.notify_source {
            config.source.clone_from(source);
        }
        Ok(Self {
            hook,
            level: args.notify_level,
            mode: args.notify_mode,
            source: args.notify_source.clone(),
            webhook_url: env_webhook_url(),
            notifier,
        })
    }
}

/// `WEBHOOK_URL` from the environment, if set and not empty.
fn env_webhook_url() -> Option<String> {
    std::env::var(webhook::URL_VAR)
        .ok()
        .filter(|u| !u.is_empty())
}

/// How a run notifies: the saved settings, plugins run with `hook_timeout` per call, the
/// webhook with the run's `--ca-bundle`.
pub(crate) fn notifier(
    globals: &Globals,
    ca_bundle: Option<PathBuf>,
    hook_timeout: Duration,
) -> Notifier {
    let saved = &globals.account_conf;
    let [hook, level, mode, source] = saved.notify();
    let config = Config::from_saved(
        hook.as_deref(),
        level.as_deref(),
        mode.as_deref(),
        source.unwrap_or_else(notify::hostname),
    );
    let exe = std::env::current_exe().ok();
    Notifier {
        config,
        runner: Runner {
            // Unknown executable: a plugin calling back fails with that message, reported as
            // the hook's failure.
            helper: exe.clone().unwrap_or_else(|| PathBuf::from("acmers")),
            home: globals.home.clone(),
            account_conf: globals.home.account_conf(),
            domain_conf: None,
            domain_vars: false,
            time_limit: hook_timeout,
            debug: globals.debug,
            ca_bundle: ca_bundle.clone(),
            env: Vec::new(),
        },
        bin_dir: exe.and_then(|e| e.parent().map(PathBuf::from)),
        webhook: Webhook {
            url: env_webhook_url().or_else(|| saved.saved(webhook::URL_VAR)),
            ca_bundle,
            time_limit: hook_timeout,
        },
    }
}
