//! `--set-notify` (acme.sh's `setnotify`): save the notification settings in `account.conf`,
//! and before saving new hooks send acme.sh's test message through each of them; and
//! [`deliver`], which sends a renewal run's messages and reports the hooks that failed.

use anyhow::anyhow;

use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{Globals, SetNotifySettings};
use crate::notify::{self, Message, Notifier, webhook};
use crate::store::atomic::create_private_dir_all;
use crate::store::record::AccountConf;

/// Run `--set-notify`: exit 1 when a hook does not take the test message (nothing about the
/// hooks is saved then; the level, mode and source are).
pub(crate) async fn run(
    settings: &SetNotifySettings,
    globals: &mut Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    create_private_dir_all(&globals.home.config_home)?;
    let path = globals.home.account_conf();
    if let Some(level) = settings.level {
        printer.info(format_args!("Set notify level to: {level}"));
    }
    if let Some(mode) = settings.mode {
        printer.info(format_args!("Set notify mode to: {mode}"));
    }
    if let Some(source) = &settings.source {
        printer.info(format_args!("Set notify source to: {source}"));
    }
    let save = |hook: Option<&str>, conf: &mut AccountConf| {
        conf.set_notify(
            hook,
            settings.level,
            settings.mode,
            settings.source.as_deref(),
        );
    };
    AccountConf::update(&path, |conf| save(None, conf))?;
    let Some(hook) = settings.hook.as_deref() else {
        return Ok(Outcome::Done);
    };
    if hook.is_empty() {
        printer.info("Set notify hook to: no");
        printer.info("Clearing notify hook");
        AccountConf::update(&path, |conf| save(Some(""), conf))?;
        return Ok(Outcome::Done);
    }
    printer.info(format_args!("Set notify hook to: {hook}"));
    let sent = match notify::test_message(&settings.notifier.config) {
        Some(message) => deliver(&settings.notifier, &message, printer, "error").await,
        None => true,
    };
    if !sent {
        return Err(Failure::from(anyhow!("Cannot set notify hook to: {hook}")));
    }
    let webhook_url = settings.webhook_url.as_deref().filter(|_| {
        settings
            .notifier
            .config
            .hooks
            .iter()
            .any(|h| h == webhook::NAME)
    });
    AccountConf::update(&path, |conf| {
        save(Some(hook), conf);
        if let Some(url) = webhook_url {
            conf.set_saved(webhook::URL_VAR, url);
        }
    })?;
    Ok(Outcome::Done)
}

/// Send `message` through every hook, printing `Sending via: <hook>` and `<hook> Success`
/// (acme.sh's lines) or, on stderr, `<prefix>: notify hook `<hook>` failed: <why>`; `true` when
/// every hook took it.
pub(crate) async fn deliver(
    notifier: &Notifier,
    message: &Message,
    printer: &Printer,
    prefix: &str,
) -> bool {
    let mut all = true;
    for sent in notifier.send(message).await {
        printer.info(format_args!("Sending via: {}", sent.hook));
        match sent.result {
            Ok(()) => printer.info(format_args!("{} Success", sent.hook)),
            Err(e) => {
                all = false;
                printer.error(format_args!(
                    "{prefix}: notify hook `{}` failed: {e}",
                    sent.hook
                ));
            }
        }
    }
    all
}
