//! Sending one [`Message`] through each hook of `NOTIFY_HOOK`, in order (acme.sh's
//! `_send_notify`): a plugin found by acme.sh's lookup in the `notify` category and called as
//! `<name>_send <subject> <content> <statuscode>` by [`Runner::call`], or the native
//! [`super::webhook`]. A hook that fails does not stop the others.

use std::path::{Path, PathBuf};

use super::webhook::{self, Webhook};
use super::{Config, Message};
use crate::plugin::{self, Category, Lookup, Runner};

/// Why one hook failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The plugin could not be found or run, or failed.
    #[error(transparent)]
    Plugin(#[from] plugin::Error),
    /// The webhook failed.
    #[error(transparent)]
    Webhook(#[from] webhook::Error),
}

/// The result of one hook.
#[derive(Debug)]
pub struct Sent {
    /// The hook's name as saved.
    pub hook: String,
    /// Whether it accepted the message.
    pub result: Result<(), Error>,
}

/// Everything needed to send: the settings and how hooks run.
#[derive(Clone)]
pub struct Notifier {
    /// The saved settings.
    pub config: Config,
    /// How plugins run (no domain conf; the time limit is `--hook-timeout`).
    pub runner: Runner,
    /// The folder of the running acmers (the first place plugins are looked up).
    pub bin_dir: Option<PathBuf>,
    /// The native webhook's settings.
    pub webhook: Webhook,
}

impl Notifier {
    /// Send `message` through every hook of the settings, in order.
    pub async fn send(&self, message: &Message) -> Vec<Sent> {
        let mut sent = Vec::new();
        for hook in &self.config.hooks {
            let result = if hook == webhook::NAME {
                self.webhook.send(message).await.map_err(Error::from)
            } else {
                self.plugin(hook, message).await
            };
            sent.push(Sent {
                hook: hook.clone(),
                result,
            });
        }
        sent
    }

    /// `<hook>_send` of the notify plugin `hook`.
    async fn plugin(&self, hook: &str, message: &Message) -> Result<(), Error> {
        let lookup = Lookup {
            bin_dir: self.bin_dir.as_deref(),
            home: &self.runner.home.working_dir,
            domain: None,
        };
        let script = plugin::find(Category::Notify, hook, &lookup)?;
        // A path names the plugin by its file name, as `--dns /path/dns_foo.sh` does.
        let name = if hook.contains('/') {
            Path::new(hook)
                .file_stem()
                .map_or_else(|| hook.to_owned(), |s| s.to_string_lossy().into_owned())
        } else {
            hook.to_owned()
        };
        let code = message.code.to_string();
        self.runner
            .call(
                &script,
                &format!("{name}_send"),
                &[&message.subject, &message.content, &code],
            )
            .await?;
        Ok(())
    }
}
