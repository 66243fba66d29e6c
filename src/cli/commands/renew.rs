//! `--renew`, `--renew-all` and `--cron` (acme.sh's `renew` and `renewAll`).
//!
//! The fleet pass reads each lineage's conf and decides from it alone: a lineage that is not
//! due costs one small file read and no network request. Due lineages are renewed
//! `--parallel` at a time with one shared HTTP client, account and standalone server; each
//! holds its own lock, so one slow or broken lineage delays no other.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::anyhow;
use futures_util::StreamExt as _;

use crate::acme::order::same_identifiers;
use crate::cli::args::Args;
use crate::cli::commands::Outcome;
use crate::cli::commands::context::Context;
use crate::cli::commands::issue::{process, save_account_conf};
use crate::cli::commands::lineage::{self, INSTALL_PENDING};
use crate::cli::error::Failure;
use crate::cli::exit_code;
use crate::cli::printer::Printer;
use crate::cli::saved;
use crate::cli::settings::{self, Globals, IssueSettings};
use crate::interrupt::Interrupted;
use crate::names;
use crate::renew;
use crate::store::{Conf, Lineage, journal, scan};

/// `--renew -d D [--ecc]`: not due → exit 2; unknown domain → exit 2 (acme.sh).
pub async fn run_one(
    args: &Args,
    globals: &mut Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let domain = args
        .domains
        .first()
        .ok_or_else(|| anyhow!("`--renew` needs `-d DOMAIN`"))?;
    let lineage = scan::resolve(&globals.home.cert_home, domain, args.ecc)?;
    let Some(conf) = lineage::load_trusted(&lineage)? else {
        printer.info(format_args!(
            "'{domain}' is not an issued domain, skipping."
        ));
        return Ok(Outcome::Skipped);
    };
    printer.info(format_args!("Renewing: '{domain}'"));
    let settings = saved::renewal(&conf, args, globals)?;
    check_folder(&lineage, &settings)?;
    printer.info(format_args!("Renewing using Le_API={}", settings.server));
    let ctx = Context::new(globals.home.clone(), settings.ca_bundle.as_deref(), false)?;
    let result = process(&ctx, &settings, &lineage, printer).await;
    ctx.finish(printer).await?;
    let outcome = result?;
    if outcome == Outcome::Done {
        save_account_conf(globals, &settings)?;
    }
    Ok(outcome)
}

/// What the fleet pass decided for one lineage from its conf.
enum Plan {
    /// Not due, nothing pending: no work.
    Skip(String),
    /// Needs a run of [`process`] (due, forced, a saved order or an unfinished update).
    Work(Lineage, Conf),
}

/// Decide from the conf alone whether a lineage needs work. `None`: not a certificate
/// (no conf, e.g. removed).
fn plan(lineage: Lineage, now: i64, args: &Args) -> Result<Option<Plan>, Failure> {
    let Some(conf) = Conf::load(&lineage.conf())? else {
        return Ok(None);
    };
    // A first issuance that never finished is finished by running `--issue` (or `--renew
    // -d`) again, not by every pass: acme.sh's cron rule, for both commands (docs/renewal.md).
    if conf.get("Le_CertCreateTime").is_none_or(|t| t.is_empty()) {
        return Ok(Some(Plan::Skip(format!(
            "Skipping invalid cert {}: it was never issued.",
            lineage.domain
        ))));
    }
    let next = conf.get("Le_NextRenewTime").and_then(|t| t.parse().ok());
    let api = conf.get("Le_API").unwrap_or_default();
    let unfinished = conf.get(INSTALL_PENDING).is_some()
        || lineage::pending_order(&conf, &api).is_some()
        || lineage.dir.join(journal::JOURNAL).exists();
    // `process` decides again under the lock, and says why a damaged lineage is renewed.
    if renew::is_due(now, next, args.force)
        || unfinished
        || lineage::damage(&lineage, &conf, now).is_some()
    {
        return Ok(Some(Plan::Work(lineage, conf)));
    }
    Ok(Some(Plan::Skip(format!(
        "Skipped {}: next renewal time is {}",
        lineage.domain,
        conf.get("Le_NextRenewTimeStr").unwrap_or_default()
    ))))
}

/// `--renew-all` and `--cron`: exit 0 when every lineage succeeded or was skipped, else the
/// code of the last failure (never 2).
pub async fn run_all(
    args: &Args,
    globals: &Globals,
    printer: &Printer,
    cron: bool,
) -> Result<Outcome, Failure> {
    if cron {
        printer.info("===Starting cron===");
    }
    let ctx = Context::new(
        globals.home.clone(),
        settings::ca_bundle(args, globals).as_deref(),
        cron,
    )?;
    let now = jiff::Timestamp::now().as_second();
    let found = scan::lineages(&globals.home.cert_home)?;
    let stop = AtomicBool::new(false);
    let mut failed = None;
    let mut failures = 0_usize;
    // Lineages are planned lazily as the stream is pulled: the not-due ones are printed and
    // dropped at once, so memory does not grow with the fleet.
    let mut work = Box::pin(
        futures_util::stream::iter(found)
            // After a signal no further lineage is started; those in flight clean up.
            .take_while(|_| std::future::ready(ctx.interrupt.received().is_none()))
            .filter_map(|found| {
                let domain = found.main_domain;
                let planned = plan(found.lineage, now, args);
                async move {
                    match planned {
                        Ok(Some(Plan::Skip(line))) => {
                            printer.info(line);
                            None
                        }
                        Ok(None) => None,
                        Ok(Some(Plan::Work(lineage, conf))) => Some(Ok((lineage, conf))),
                        Err(e) => Some(Err((domain, e))),
                    }
                }
            })
            .map(|item| renew_one(&ctx, item, args, globals, printer, &stop))
            .buffer_unordered(usize::from(args.parallel)),
    );
    while let Some((domain, result)) = work.next().await {
        match result {
            Ok(Outcome::Done) => {}
            Ok(Outcome::Skipped) => printer.info(format_args!("Skipped {domain}")),
            Err(failure) => {
                failure.render(printer);
                printer.error(format_args!("Error renewing {domain}."));
                failed = Some(failure.code);
                failures += 1;
                if args.stop_renew_on_error {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
    }
    drop(work);
    let interrupted = ctx.interrupt.received();
    ctx.finish(printer).await?;
    if cron {
        printer.info("===End cron===");
    }
    if let Some(signal) = interrupted {
        return Err(Failure::from(Interrupted { signal }));
    }
    match failed {
        None => Ok(Outcome::Done),
        Some(code) => Err(Failure::from(anyhow!(
            "{failures} certificate(s) could not be renewed; see the errors above"
        ))
        .with_code(code.max(exit_code::ERROR))),
    }
}

/// Renew one planned lineage (or report why it cannot be planned).
async fn renew_one(
    ctx: &Context,
    item: Result<(Lineage, Conf), (String, Failure)>,
    args: &Args,
    globals: &Globals,
    printer: &Printer,
    stop: &AtomicBool,
) -> (String, Result<Outcome, Failure>) {
    let (lineage, conf) = match item {
        Ok(work) => work,
        Err((domain, failure)) => return (domain, Err(failure)),
    };
    let domain = lineage.domain.clone();
    if stop.load(Ordering::Relaxed) {
        return (domain, Ok(Outcome::Skipped));
    }
    let printer = if args.parallel > 1 {
        printer.prefixed(&domain)
    } else {
        printer.clone()
    };
    printer.info(format_args!("Renewing: '{domain}'"));
    let result = match saved::renewal(&conf, args, globals) {
        Ok(settings) => match check_folder(&lineage, &settings) {
            Ok(()) => process(ctx, &settings, &lineage, &printer).await,
            Err(failure) => Err(failure),
        },
        Err(e) => Err(Failure::from(e).detail(format!("conf: {}", lineage.conf().display()))),
    };
    (domain, result)
}

/// A conf renews only the lineage of the folder it lives in: its `Le_Domain` and key type
/// must name that folder, or another name would be issued into another folder.
fn check_folder(found: &Lineage, settings: &IssueSettings) -> Result<(), Failure> {
    let same_name = names::parse_domains(std::slice::from_ref(&found.domain))
        .is_ok_and(|ids| same_identifiers(&ids, &settings.identifiers[..1]));
    if same_name && found.ecc == settings.key_type.is_ecc() {
        return Ok(());
    }
    Err(Failure::from(anyhow!(
        "the conf `{}` is for `{}` with a {} key, which does not belong in the folder `{}`",
        found.conf().display(),
        settings.main_domain(),
        settings.key_type.as_acmesh(),
        found.dir.display()
    ))
    .hint(
        "acmers does not renew a certificate into another folder: fix `Le_Domain` and \
         `Le_Keylength` in the conf, or move the conf to its own folder",
    ))
}
