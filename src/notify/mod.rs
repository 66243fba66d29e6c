//! Notifications after renewals, as acme.sh sends them (docs/deploy-notify.md,
//! "Notifications"): which messages a run sends at which `NOTIFY_LEVEL` and `NOTIFY_MODE`, with
//! acme.sh's subjects, contents and status codes (`renewAll`, `renew`, `setnotify`), and
//! [`send`] to deliver one through each hook.
//!
//! - This module is pure: [`Config`] (the saved settings), [`Event`] (what happened to one
//!   certificate), [`for_run`] / [`for_one`] / [`test_message`] (the messages).
//! - [`send`](mod@send): each hook of `NOTIFY_HOOK`, an acme.sh notify plugin run by
//!   [`crate::plugin::Runner`] (`<name>_send <subject> <content> <statuscode>`), or the native
//!   [`webhook`].
//!
//! Uses `plugin`, `https`, `acme` (the HTTP seam) and `store`; never `lineage` or `cli`.

pub mod send;
pub mod webhook;

pub use send::{Notifier, Sent};

/// `NOTIFY_LEVEL` 0: send nothing.
pub const LEVEL_DISABLE: u8 = 0;
/// `NOTIFY_LEVEL` 1: errors only.
pub const LEVEL_ERROR: u8 = 1;
/// `NOTIFY_LEVEL` 2 (the default): errors and renewals.
pub const LEVEL_RENEW: u8 = 2;
/// `NOTIFY_LEVEL` 3: errors, renewals and skipped certificates.
pub const LEVEL_SKIP: u8 = 3;

/// acme.sh's `RENEW_SKIP`, the status code of a skip.
pub const CODE_SKIP: u8 = 2;

/// The notification settings of `account.conf`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `NOTIFY_HOOK`, split at commas (empty names dropped); empty: notifications are off.
    pub hooks: Vec<String>,
    /// `NOTIFY_LEVEL` (default [`LEVEL_RENEW`]; a value that is not a number counts as the
    /// default).
    pub level: u8,
    /// `NOTIFY_MODE`.
    pub mode: Mode,
    /// `NOTIFY_SOURCE`, else the host name (`uname -n`): appended to every subject as
    /// ` by <source>`.
    pub source: String,
}

/// `NOTIFY_MODE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `0` or empty (the default): one message per run.
    Bulk,
    /// `1`: one message per certificate.
    Cert,
    /// Any other value: acme.sh then sends no renewal message at all.
    Other,
}

impl Config {
    /// The settings from the raw `account.conf` values (`source`: `NOTIFY_SOURCE`, else the
    /// host name).
    pub fn from_saved(
        hook: Option<&str>,
        level: Option<&str>,
        mode: Option<&str>,
        source: String,
    ) -> Self {
        Self {
            hooks: split_hooks(hook.unwrap_or_default()),
            level: level
                .and_then(|l| l.trim().parse().ok())
                .unwrap_or(LEVEL_RENEW),
            mode: match mode.map(str::trim) {
                None | Some("" | "0") => Mode::Bulk,
                Some("1") => Mode::Cert,
                Some(_) => Mode::Other,
            },
            source,
        }
    }

    /// Whether a run may send anything (`_send_notify` returns early otherwise).
    pub fn active(&self) -> bool {
        !self.hooks.is_empty() && self.level != LEVEL_DISABLE
    }
}

/// A `--notify-hook` value split at commas, empty names dropped (acme.sh's `tr ',' " "`).
pub fn split_hooks(hooks: &str) -> Vec<String> {
    hooks
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The host name (acme.sh's `uname -n`), the default `NOTIFY_SOURCE`.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| {
            std::process::Command::new("uname")
                .arg("-n")
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        })
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// What happened to one certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Renewing failed.
    Failed,
    /// A new certificate was issued.
    Renewed,
    /// Not due (or another process had it).
    Skipped,
}

impl Kind {
    /// The lowest `NOTIFY_LEVEL` at which it is sent.
    pub fn level(self) -> u8 {
        match self {
            Self::Failed => LEVEL_ERROR,
            Self::Renewed => LEVEL_RENEW,
            Self::Skipped => LEVEL_SKIP,
        }
    }

    /// acme.sh's status code for it (the third argument of `<hook>_send`).
    pub fn code(self) -> u8 {
        match self {
            Self::Failed => 1,
            Self::Renewed => 0,
            Self::Skipped => CODE_SKIP,
        }
    }

    /// The name in the webhook's JSON (`renewed`, `failed`, `skipped`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::Renewed => "renewed",
            Self::Skipped => "skipped",
        }
    }

    /// acme.sh's per-certificate subject word and content.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Self::Failed => ("error", "There is an error."),
            Self::Renewed => ("success", "Good, the cert is renewed."),
            Self::Skipped => ("skipped", "Good, the cert is skipped."),
        }
    }
}

/// One certificate's result in a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: Kind,
    /// The certificate's folder name, as acme.sh names it in messages (`example.com_ecc`).
    pub domain: String,
    /// The CA's directory URL (`Le_API`), when known.
    pub ca: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it is renewed next (`Le_NextRenewTimeStr`), when known.
    pub next_attempt: Option<String>,
}

impl Event {
    /// An event with only its kind and domain.
    pub fn new(kind: Kind, domain: impl Into<String>) -> Self {
        Self {
            kind,
            domain: domain.into(),
            ca: None,
            error: None,
            next_attempt: None,
        }
    }
}

/// One message for every hook: `<hook>_send <subject> <content> <code>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The subject, ending in ` by <source>`.
    pub subject: String,
    /// The text.
    pub content: String,
    /// acme.sh's status code: 0 renewed (or the test message), 1 error, 2 skipped.
    pub code: u8,
    /// The events it reports (none for the test message): the webhook posts one object each.
    pub events: Vec<Event>,
}

impl Message {
    fn new(config: &Config, subject: &str, content: String, code: u8, events: Vec<Event>) -> Self {
        Self {
            subject: format!("{subject} by {}", config.source),
            content,
            code,
            events,
        }
    }

    fn single(config: &Config, event: Event) -> Self {
        let (word, content) = event.kind.words();
        let subject = format!("Renew {} {word}", event.domain);
        Self::new(
            config,
            &subject,
            content.into(),
            event.kind.code(),
            vec![event],
        )
    }
}

/// `--set-notify`'s test message (acme.sh's `_set_notify_hook`); `None` at level 0, where
/// acme.sh sends nothing and the hook is saved all the same.
pub fn test_message(config: &Config) -> Option<Message> {
    (config.level != LEVEL_DISABLE).then(|| {
        Message::new(
            config,
            "Hello, this is a notification from acme.sh",
            "If you receive this message, your notification works.".into(),
            0,
            Vec::new(),
        )
    })
}

/// The message of `--renew` for one certificate (acme.sh's `renew` outside `renewAll`),
/// whatever the mode; `None` below the event's level or with no hook.
pub fn for_one(config: &Config, event: Event) -> Option<Message> {
    (config.active() && config.level >= event.kind.level()).then(|| Message::single(config, event))
}

/// The messages of a `--renew-all` / `--cron` run (acme.sh's `renewAll`): in mode 1 one per
/// certificate at or below the level; in mode 0 one for the run when its worst event is at or
/// below the level, listing every certificate (skipped ones too) in sections `Errored certs`,
/// `Successful certs`, `Skipped certs`, each sorted by name.
pub fn for_run(config: &Config, events: &[Event]) -> Vec<Message> {
    if !config.active() {
        return Vec::new();
    }
    match config.mode {
        Mode::Other => Vec::new(),
        Mode::Cert => events
            .iter()
            .filter(|e| config.level >= e.kind.level())
            .map(|e| Message::single(config, e.clone()))
            .collect(),
        Mode::Bulk => {
            // A run with no certificate counts as skipped, as in acme.sh.
            let worst = events.iter().map(|e| e.kind).min().unwrap_or(Kind::Skipped);
            if config.level < worst.level() {
                return Vec::new();
            }
            let mut events = events.to_vec();
            events.sort_by(|a, b| (a.kind, &a.domain).cmp(&(b.kind, &b.domain)));
            let mut subject = String::from("Renew");
            let mut content = String::new();
            for (kind, word, title) in [
                (Kind::Failed, " Error", "Errored certs:\n"),
                (Kind::Renewed, " Success", "Successful certs:\n"),
                (Kind::Skipped, " Skipped", "Skipped certs:\n"),
            ] {
                let section: Vec<&Event> = events.iter().filter(|e| e.kind == kind).collect();
                if section.is_empty() {
                    continue;
                }
                subject.push_str(word);
                content.push_str(title);
                for event in section {
                    content.push_str(&format!("    {}\n", event.domain));
                }
                content.push('\n');
            }
            vec![Message::new(
                config,
                &subject,
                content,
                worst.code(),
                events,
            )]
        }
    }
}

#[cfg(test)]
mod tests;
