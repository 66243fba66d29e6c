//! Hooks and the reload command: acme.sh's variables in the environment, the lineage folder as
//! the working directory, a time limit after which the whole process group is killed
//! (acme-compat §4.11).

use std::os::unix::fs::MetadataExt as _;
use std::time::Duration;

use anyhow::{Context as _, bail};

use crate::cli::printer::Printer;
use crate::deploy::{HookError, hook};
use crate::store::{Conf, Lineage};

/// The variables acme.sh exports to hooks and reload commands.
pub fn env(lineage: &Lineage, conf: &Conf) -> Vec<(String, String)> {
    let path = |p: std::path::PathBuf| p.display().to_string();
    let get = |key: &str| conf.get(key).unwrap_or_default();
    vec![
        ("CERT_PATH".into(), path(lineage.cer())),
        ("CERT_KEY_PATH".into(), path(lineage.key())),
        ("CA_CERT_PATH".into(), path(lineage.ca_cer())),
        ("CERT_FULLCHAIN_PATH".into(), path(lineage.fullchain())),
        ("Le_Domain".into(), lineage.domain.clone()),
        ("Le_Alt".into(), get("Le_Alt")),
        ("Le_ForceNewDomainKey".into(), get("Le_ForceNewDomainKey")),
        ("Le_Next_Domain_Key".into(), String::new()),
    ]
}

/// Why a file's owner and mode make it unfit to hold commands run by `euid`, if they do.
/// Only a root run is checked (reliability.md A1.6, fault 52): root must not run commands
/// that another user could have written into the file.
fn untrusted(owner: u32, mode: u32, euid: u32) -> Option<&'static str> {
    if euid != 0 {
        None
    } else if owner != 0 {
        Some("it is owned by another user")
    } else if mode & 0o022 != 0 {
        Some("other users can write to it")
    } else {
        None
    }
}

/// Refuse commands from a conf (or a lineage folder) that another user could have changed.
fn check_trusted(lineage: &Lineage) -> anyhow::Result<()> {
    let euid = rustix::process::geteuid().as_raw();
    for path in [lineage.conf(), lineage.dir.clone()] {
        let meta = std::fs::metadata(&path)
            .with_context(|| format!("cannot check `{}`", path.display()))?;
        if let Some(why) = untrusted(meta.uid(), meta.mode(), euid) {
            bail!(
                "refusing to run a command saved in `{}` as root: {why}; fix its owner and \
                 mode (chown root, chmod go-w)",
                path.display()
            );
        }
    }
    Ok(())
}

/// Runs the hooks of one lineage with one time limit, printing to one printer.
pub struct Runner<'a> {
    lineage: &'a Lineage,
    timeout: Duration,
    printer: &'a Printer,
}

impl<'a> Runner<'a> {
    /// A runner for `lineage`'s hooks, each limited to `timeout`.
    pub fn new(lineage: &'a Lineage, timeout: Duration, printer: &'a Printer) -> Self {
        Self {
            lineage,
            timeout,
            printer,
        }
    }

    /// Run one hook (`what` names it in messages: "pre hook", "reload cmd", …) with the
    /// variables of `conf`, and print its output. A non-zero exit, a failure to start or the
    /// time limit is an error. Run as root, a command saved in a conf that another user can
    /// write is refused.
    pub async fn run(&self, what: &str, command: &str, conf: &Conf) -> anyhow::Result<()> {
        let (lineage, printer) = (self.lineage, self.printer);
        check_trusted(lineage)?;
        printer.info(format_args!("Running {what}: {command}"));
        let output = match hook::run(command, &env(lineage, conf), &lineage.dir, self.timeout).await
        {
            Ok(output) => output,
            Err(e) => {
                if let HookError::Failed { stderr_tail, .. } = &e {
                    for line in stderr_tail.lines() {
                        printer.error(line);
                    }
                }
                return Err(e).with_context(|| format!("{what} failed for {}", lineage.domain));
            }
        };
        for text in [&output.stdout, &output.stderr] {
            let text = text.trim_end();
            if !text.is_empty() {
                printer.raw(text);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_runs_only_commands_from_root_owned_unshared_files() {
        assert_eq!(untrusted(0, 0o100600, 0), None);
        assert_eq!(untrusted(0, 0o40700, 0), None);
        assert!(untrusted(1000, 0o100600, 0).is_some());
        assert!(untrusted(0, 0o100620, 0).is_some());
        assert!(untrusted(0, 0o40777, 0).is_some());
        // A user's own run over their own home is not second-guessed.
        assert_eq!(untrusted(1000, 0o100666, 1000), None);
    }
}
