//! Hooks and the reload command: acme.sh's variables in the environment, the lineage folder as
//! the working directory, a time limit after which the whole process group is killed
//! (acme-compat §4.11).

use std::time::Duration;

use anyhow::Context as _;

use crate::cli::printer::Printer;
use crate::deploy::hook;
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

/// Run one hook (`what` names it in messages: "pre hook", "reload cmd", …) and print its
/// output. A non-zero exit, a failure to start or the time limit is an error.
pub async fn run(
    what: &str,
    command: &str,
    lineage: &Lineage,
    conf: &Conf,
    timeout: Duration,
    printer: &Printer,
) -> anyhow::Result<()> {
    printer.info(format_args!("Running {what}: {command}"));
    let output = hook::run(command, &env(lineage, conf), &lineage.dir, timeout)
        .await
        .with_context(|| format!("{what} failed for {}", lineage.domain))?;
    for text in [&output.stdout, &output.stderr] {
        let text = text.trim_end();
        if !text.is_empty() {
            printer.raw(text);
        }
    }
    Ok(())
}
