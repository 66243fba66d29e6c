//! `--install-cert`, and the install step after every issuance: copy the lineage's files to
//! the saved targets (each replaced atomically) and run the reload command (acme.sh's
//! `installcert` and `_installcert`).
//!
//! The conf key `Acmers_InstallPending` is set together with a new certificate and cleared
//! only after the targets and the reload command succeeded, so an install that a crash (or a
//! failing reload) interrupted is finished by the next run even when nothing is due.

use anyhow::{Context as _, anyhow};

use crate::cli::args::Args;
use crate::cli::commands::lineage::{self, INSTALL_PENDING};
use crate::cli::commands::{Outcome, hooks};
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{Globals, Install};
use crate::deploy::install::{self, Sources};
use crate::store::{Conf, Lineage, journal, lock, scan};

/// Install the lineage's files to the targets saved in `conf` and run the reload command,
/// then clear the pending mark.
pub async fn install_and_reload(
    lineage: &Lineage,
    conf: &mut Conf,
    timeout: std::time::Duration,
    printer: &Printer,
) -> anyhow::Result<()> {
    let saved = lineage::saved_install(conf);
    if !saved.is_empty() {
        let (cer, ca, key, fullchain) = (
            lineage.cer(),
            lineage.ca_cer(),
            lineage.key(),
            lineage.fullchain(),
        );
        let sources = Sources {
            cert: &cer,
            ca: &ca,
            key: &key,
            fullchain: &fullchain,
        };
        for done in install::install(&sources, &saved.files)? {
            printer.info(format_args!(
                "Installing {} to: {}",
                done.kind.label(),
                done.path.display()
            ));
            if let Some(old) = done.tightened_from {
                printer.error(format_args!(
                    "warning: `{}` was readable by every user (mode {old:o}); the new key file \
                     is not (mode {:o})",
                    done.path.display(),
                    old & !0o007
                ));
            }
        }
        if let Some(command) = &saved.reload {
            hooks::Runner::new(lineage, timeout, printer)
                .run("reload cmd", command, conf)
                .await
                .map_err(|e| e.context(format!("Reload error for: {}", lineage.domain)))?;
            printer.info("Reload successful");
        }
    }
    if conf.get(INSTALL_PENDING).is_some() {
        conf.remove(INSTALL_PENDING);
        conf.save(&lineage.conf())?;
    }
    Ok(())
}

/// `--install-cert -d D [--ecc] --cert-file … --reloadcmd …`.
pub async fn run(args: &Args, globals: &Globals, printer: &Printer) -> Result<Outcome, Failure> {
    let domain = args
        .domains
        .first()
        .ok_or_else(|| anyhow!("`--install-cert` needs `-d DOMAIN`"))?;
    let lineage = scan::resolve(&globals.home.cert_home, domain, args.ecc)?;
    let not_issued = || {
        Failure::from(anyhow!("'{domain}' is not an issued domain"))
            .hint("issue it first with `--issue`")
    };
    if lineage::load_trusted(&lineage)?.is_none() {
        return Err(not_issued());
    }
    let timeout = std::time::Duration::from_secs(args.lock_timeout);
    let _lock = lock::lock(&lineage.dir, timeout).await?.ok_or_else(|| {
        anyhow!(
            "another acmers process is working on `{}`; try again later",
            lineage.dir.display()
        )
    })?;
    journal::roll_forward(&lineage.dir)?;
    let mut conf = lineage::load_trusted(&lineage)?.ok_or_else(not_issued)?;
    lineage::record_install(&mut conf, &Install::from_args(args));
    conf.set(INSTALL_PENDING, "1");
    conf.save(&lineage.conf())
        .with_context(|| format!("cannot save the install targets of {domain}"))?;
    install_and_reload(
        &lineage,
        &mut conf,
        std::time::Duration::from_secs(args.hook_timeout),
        printer,
    )
    .await?;
    Ok(Outcome::Done)
}
