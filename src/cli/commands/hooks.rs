//! Hooks and the reload command: acme.sh's variables in the environment, the lineage folder as
//! the working directory, a time limit after which the whole process group is killed
//! (acme.sh's `_on_before_issue`, `_on_issue_success`, `_on_issue_err`).

use std::time::Duration;

use anyhow::Context as _;

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
    /// time limit is an error. Whether the command may run at all was decided when its conf
    /// was loaded ([`lineage::load_trusted`](super::lineage::load_trusted)).
    pub async fn run(&self, what: &str, command: &str, conf: &Conf) -> anyhow::Result<()> {
        let (lineage, printer) = (self.lineage, self.printer);
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
