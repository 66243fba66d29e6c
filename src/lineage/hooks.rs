//! Hooks and the reload command: acme.sh's variables in the environment, the lineage folder as
//! the working directory, a time limit after which the whole process group is killed
//! (acme.sh's `_on_before_issue`, `_on_issue_success`, `_on_issue_err`).

use std::time::Duration;

use super::{Error, Progress};
use crate::deploy::{HookError, hook};
use crate::store::Lineage;
use crate::store::record::DomainRecord;

/// The variables acme.sh exports to hooks and reload commands.
fn env(lineage: &Lineage, record: &DomainRecord) -> Vec<(String, String)> {
    let path = |p: std::path::PathBuf| p.display().to_string();
    let mut vars = vec![
        ("CERT_PATH".into(), path(lineage.cer())),
        ("CERT_KEY_PATH".into(), path(lineage.key())),
        ("CA_CERT_PATH".into(), path(lineage.ca_cer())),
        ("CERT_FULLCHAIN_PATH".into(), path(lineage.fullchain())),
    ];
    vars.extend(record.hook_env(&lineage.domain));
    vars
}

/// Runs the hooks of one lineage with one time limit, reporting to one [`Progress`].
pub(super) struct Runner<'a> {
    lineage: &'a Lineage,
    timeout: Duration,
    progress: &'a dyn Progress,
}

impl<'a> Runner<'a> {
    /// A runner for `lineage`'s hooks, each limited to `timeout`.
    pub(super) fn new(lineage: &'a Lineage, timeout: Duration, progress: &'a dyn Progress) -> Self {
        Self {
            lineage,
            timeout,
            progress,
        }
    }

    /// Run one hook (`what` names it in messages: "pre hook", "reload cmd", …) with the
    /// variables of `record`, and print its output. A non-zero exit, a failure to start or
    /// the time limit is an error. Whether the command may run at all was decided when its
    /// record was loaded (docs/security.md).
    pub(super) async fn run(
        &self,
        what: &'static str,
        command: &str,
        record: &DomainRecord,
    ) -> Result<(), Error> {
        let (lineage, progress) = (self.lineage, self.progress);
        progress.info(&format_args!("Running {what}: {command}"));
        let output = hook::run(command, &env(lineage, record), &lineage.dir, self.timeout)
            .await
            .map_err(|source| {
                if let HookError::Failed { stderr_tail, .. } = &source {
                    for line in stderr_tail.lines() {
                        progress.warn(&line);
                    }
                }
                Error::Hook {
                    what,
                    domain: lineage.domain.clone(),
                    source,
                }
            })?;
        for text in [&output.stdout, &output.stderr] {
            let text = text.trim_end();
            if !text.is_empty() {
                progress.raw(text);
            }
        }
        Ok(())
    }
}
