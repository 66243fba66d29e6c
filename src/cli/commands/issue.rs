//! `--issue`, and the per-lineage procedure every issuance and renewal runs: lock, decide,
//! hooks, [`obtain`], install (acme.sh's `issue`).

use crate::acme::order::same_identifiers;
use crate::acme::{self, WaitKind};
use crate::cli::commands::context::Context;
use crate::cli::commands::install::install_and_reload;
use crate::cli::commands::lineage;
use crate::cli::commands::obtain::obtain;
use crate::cli::commands::{Outcome, hooks};
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{Globals, IssueSettings};
use crate::interrupt::Interrupted;
use crate::renew;
use crate::store::atomic::create_private_dir_all;
use crate::store::trust::Policy;
use crate::store::{Conf, Lineage, journal, lock};

/// Run `--issue`.
pub async fn run(
    settings: &IssueSettings,
    globals: &mut Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let ctx = Context::new(globals.home.clone(), settings.ca_bundle.as_deref(), false)?;
    let lineage = ctx
        .home
        .lineage(settings.main_domain(), settings.key_type.is_ecc())?;
    let result = process(&ctx, settings, &lineage, printer).await;
    ctx.finish(printer).await?;
    let outcome = result?;
    if outcome == Outcome::Done {
        save_account_conf(globals, settings)?;
    }
    Ok(outcome)
}

/// Issue or renew one lineage, start to end, under its lock: finish an interrupted update,
/// decide whether it is due, pre hook, order, switch the files in, install, reload, post and
/// renew hooks (acme.sh's `issue`; docs/renewal.md, "Hooks"). A failure is recorded in the conf for `--list --json`;
/// a failed first issuance removes what it created instead (docs/renewal.md).
pub async fn process(
    ctx: &Context,
    settings: &IssueSettings,
    lineage: &Lineage,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    // As root, nothing is created in, locked in or read from a folder another user controls.
    Policy::current().check_dir(&lineage.dir)?;
    let first = First::before(lineage);
    create_private_dir_all(&lineage.dir)?;
    let Some(_lock) = lock_lineage(ctx, lineage, settings, printer).await? else {
        return Ok(Outcome::Skipped);
    };
    if journal::roll_forward(&lineage.dir)? {
        printer.info(format_args!(
            "Finished the interrupted update of {}",
            lineage.dir.display()
        ));
    }
    let loaded = lineage::load_trusted(lineage)?;
    let first = loaded.is_none().then_some(first);
    let mut conf = loaded.unwrap_or_default();
    let pending = lineage::pending_order(&conf, &settings.server);
    if !settings.force && pending.is_none() && !is_due(&conf, settings) {
        let now = jiff::Timestamp::now().as_second();
        match lineage::damage(lineage, &conf, now) {
            Some(why) => printer.info(format_args!("Renewing {} now: {why}", lineage.domain)),
            None => return skip(lineage, &mut conf, settings, printer).await,
        }
    }
    if settings.renewal {
        lineage::record_renewal(&mut conf, settings);
    } else {
        lineage::record_settings(&mut conf, settings);
    }
    conf.save(&lineage.conf())?;
    let saved_hooks = lineage::saved_hooks(&conf);
    let hooks = hooks::Runner::new(lineage, settings.hook_timeout, printer);
    let mut result = match &saved_hooks.pre {
        Some(pre) => hooks
            .run("pre hook", pre, &conf)
            .await
            .map_err(|e| Failure::from(e.context("Error when running pre hook."))),
        None => Ok(()),
    };
    if result.is_ok() {
        result = async {
            obtain(ctx, settings, lineage, &mut conf, pending, printer).await?;
            install_and_reload(lineage, &mut conf, settings.hook_timeout, printer).await?;
            Ok::<_, Failure>(())
        }
        .await;
        if let Some(post) = &saved_hooks.post
            && let Err(e) = hooks.run("post hook", post, &conf).await
        {
            let failure = Failure::from(e.context("Error when running post hook."));
            match result {
                Ok(()) => result = Err(failure),
                // The attempt's own error is the one to return; show this one too.
                Err(_) => failure.render(printer),
            }
        }
    }
    if result.is_ok()
        && settings.renewal
        && let Some(renew) = &saved_hooks.renew
    {
        result = hooks
            .run("renew hook", renew, &conf)
            .await
            .map_err(|e| Failure::from(e.context("Error when running renew hook.")));
    }
    if let Err(failure) = &result {
        match first {
            Some(first) if !resumable(&failure.error, &conf) => first.undo(lineage, printer),
            _ => record_failure(lineage, &failure.error, printer),
        }
    }
    result.map(|()| Outcome::Done)
}

/// Not due: finish an install a crash or a failing reload left pending, and say so.
async fn skip(
    lineage: &Lineage,
    conf: &mut Conf,
    settings: &IssueSettings,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    if conf.get(lineage::INSTALL_PENDING).is_some() {
        install_and_reload(lineage, conf, settings.hook_timeout, printer).await?;
    }
    if !settings.renewal {
        printer.info("Domains not changed.");
    }
    printer.info(format_args!(
        "Skipping. Next renewal time is: {}",
        conf.get("Le_NextRenewTimeStr").unwrap_or_default()
    ));
    printer.info("Add '--force' to force renewal.");
    Ok(Outcome::Skipped)
}

/// What existed before a lineage's first issuance, so a failed one can remove what it made.
#[derive(Clone, Copy, Debug)]
struct First {
    dir_existed: bool,
    key_existed: bool,
}

impl First {
    /// Looked at before the folder is created; it matters only when no conf existed either.
    fn before(lineage: &Lineage) -> Self {
        let exists = |p: &std::path::Path| std::fs::symlink_metadata(p).is_ok();
        Self {
            dir_existed: exists(&lineage.dir),
            key_existed: exists(&lineage.key()),
        }
    }

    /// Remove what the failed first issuance created: the whole folder when it made it, else
    /// the conf, the lock file, and a key it generated. A key that was there before (acme.sh's
    /// `--create-domain-key`) stays.
    fn undo(self, lineage: &Lineage, printer: &Printer) {
        let removed = if self.dir_existed {
            let mut files = vec![lineage.conf(), lineage.dir.join(lock::LOCK_FILE)];
            if !self.key_existed {
                files.push(lineage.key());
            }
            files
                .iter()
                .try_for_each(|f| match std::fs::remove_file(f) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                    _ => Ok(()),
                })
        } else {
            std::fs::remove_dir_all(&lineage.dir)
        };
        match removed {
            Ok(()) => printer.info(format_args!(
                "Removed what the failed first issuance of {} created in {}",
                lineage.domain,
                lineage.dir.display()
            )),
            Err(e) => printer.error(format_args!(
                "warning: cannot remove what the failed first issuance created in {}: {e}",
                lineage.dir.display()
            )),
        }
    }
}

/// Whether a failed attempt left an order the next run can finish: the CA accepted the
/// finalize and was still processing it, or a signal stopped the run after the order was saved
/// (the user runs the command again).
fn resumable(error: &anyhow::Error, conf: &Conf) -> bool {
    let order_saved = conf.get("Le_LinkOrder").is_some_and(|u| !u.is_empty());
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<acme::Error>(),
            Some(acme::Error::Timeout {
                kind: WaitKind::Order,
                ..
            })
        ) || (order_saved && cause.is::<Interrupted>())
    })
}

/// Take the lineage's lock: at once or not at all in cron; else wait up to `--lock-timeout`.
/// `None` (skip) when another process keeps it, or finished this lineage while we waited
/// (two `--renew --force` at once make one order).
async fn lock_lineage(
    ctx: &Context,
    lineage: &Lineage,
    settings: &IssueSettings,
    printer: &Printer,
) -> Result<Option<lock::Lock>, Failure> {
    if let Some(held) = lock::try_lock(&lineage.dir)? {
        return Ok(Some(held));
    }
    // The certificate URL changes with every issuance (the time only by the second).
    let created =
        |conf: Option<Conf>| conf.map(|c| (c.get("Le_LinkCert"), c.get("Le_CertCreateTime")));
    let before = created(Conf::load(&lineage.conf())?);
    if !ctx.cron && !settings.lock_timeout.is_zero() {
        printer.info(format_args!(
            "Another acmers process is working on {}; waiting up to {} s",
            lineage.domain,
            settings.lock_timeout.as_secs()
        ));
        let waited = ctx.interrupt.guard(async {
            Ok::<_, Failure>(lock::lock(&lineage.dir, settings.lock_timeout).await?)
        });
        if let Some(held) = waited.await? {
            if created(Conf::load(&lineage.conf())?) == before {
                return Ok(Some(held));
            }
            printer.info(format_args!(
                "Skipping {}: another acmers process renewed it meanwhile.",
                lineage.domain
            ));
            return Ok(None);
        }
    }
    printer.info(format_args!(
        "Skipping {}: another acmers process is working on it (lock `{}`).",
        lineage.domain,
        lineage.dir.join(lock::LOCK_FILE).display()
    ));
    Ok(None)
}

/// Keep the failure in the conf (`--list --json` shows it); the run's outcome does not
/// depend on this succeeding.
fn record_failure(lineage: &Lineage, error: &anyhow::Error, printer: &Printer) {
    let saved = (|| {
        let mut conf = Conf::load(&lineage.conf())?.unwrap_or_default();
        conf.set_base64(lineage::LAST_ERROR, &format!("{error:#}"));
        conf.set(
            lineage::LAST_ERROR_TIME,
            &jiff::Timestamp::now().as_second().to_string(),
        );
        conf.save(&lineage.conf())
    })();
    if let Err(e) = saved {
        printer.error(format_args!("warning: cannot record the failure: {e}"));
    }
}

/// Not due: a certificate was issued, the names are unchanged and its renewal time is ahead.
fn is_due(conf: &Conf, settings: &IssueSettings) -> bool {
    let issued = conf.get("Le_CertCreateTime").is_some_and(|t| !t.is_empty());
    let same = lineage::saved_identifiers(conf)
        .is_some_and(|saved| same_identifiers(&saved, &settings.identifiers));
    let next = conf.get("Le_NextRenewTime").and_then(|t| t.parse().ok());
    !issued || !same || renew::is_due(jiff::Timestamp::now().as_second(), next, false)
}

/// After a successful issue acme.sh saves the CA bundle in account.conf, so later runs (cron)
/// trust the same CA.
pub fn save_account_conf(globals: &mut Globals, settings: &IssueSettings) -> anyhow::Result<()> {
    let value = settings.ca_bundle.as_ref().map(|p| {
        std::path::absolute(p)
            .unwrap_or_else(|_| p.clone())
            .display()
            .to_string()
    });
    let current = globals.account_conf.get("CA_BUNDLE");
    if current.as_deref() == value.as_deref() {
        return Ok(());
    }
    match value {
        Some(v) => globals.account_conf.set("CA_BUNDLE", &v),
        None => globals.account_conf.remove("CA_BUNDLE"),
    }
    create_private_dir_all(&globals.home.config_home)?;
    globals.account_conf.save(&globals.home.account_conf())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::settings::Mode;
    use crate::keys::KeyType;

    fn settings(names: &[&str]) -> IssueSettings {
        IssueSettings {
            identifiers: names
                .iter()
                .map(|n| acme::types::Identifier::Dns((*n).into()))
                .collect(),
            modes: vec![Mode::Standalone; names.len()],
            webroot_conf: "no".into(),
            key_type: KeyType::Ec256,
            account_key_type: KeyType::Ec256,
            server: "https://ca.test/dir".into(),
            ca_bundle: None,
            email: None,
            http_port: None,
            local_address: None,
            validation_timeout: std::time::Duration::from_secs(300),
            order_timeout: std::time::Duration::from_secs(300),
            force: false,
            days: None,
            hooks: Default::default(),
            install: Default::default(),
            hook_timeout: std::time::Duration::from_secs(300),
            lock_timeout: std::time::Duration::from_secs(60),
            renewal: false,
        }
    }

    #[test]
    fn due_rules() {
        let s = settings(&["a.test", "b.test"]);
        let future = jiff::Timestamp::now().as_second() + 3600;
        let issued = Conf::parse(&format!(
            "Le_Domain='a.test'\nLe_Alt='b.test'\nLe_CertCreateTime='1'\nLe_NextRenewTime='{future}'\n"
        ));
        assert!(!is_due(&issued, &s));
        // Other names → due.
        assert!(is_due(&issued, &settings(&["a.test"])));
        // Never issued → due.
        assert!(is_due(
            &Conf::parse("Le_Domain='a.test'\nLe_Alt='b.test'\n"),
            &s
        ));
        // Past renewal time → due.
        let past = Conf::parse(
            "Le_Domain='a.test'\nLe_Alt='b.test'\nLe_CertCreateTime='1'\nLe_NextRenewTime='2'\n",
        );
        assert!(is_due(&past, &s));
    }
}
