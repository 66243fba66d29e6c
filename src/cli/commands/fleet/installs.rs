//! Serving the fleet (docs/fleet.md): each node installs the certificates it serves to its
//! own targets. `--install-cert --node N` saves node N's targets and reload command in the
//! store and installs at once; every `--cron` on a node then installs each certificate that
//! changed in the store since that node last installed it, and runs each distinct reload
//! command once at the end.

use std::sync::Arc;

use anyhow::anyhow;

use super::StoreSettings;
use super::work::{self, WorkHome};
use crate::cli::args::Parsed;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{Globals, InstallSettings};
use crate::fleet::lineages;
use crate::fleet::{Store, installs};
use crate::lineage::{self, Outcome};
use crate::store::record::{DomainRecord, Install};

/// `--install-cert -d D --store … [--node N]`: save this node's targets, install now.
pub(super) async fn install_cert(
    store: &Arc<Store>,
    settings: &StoreSettings,
    parsed: &Parsed,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let install = InstallSettings::resolve(&parsed.args)?;
    let found = work::find(store, &install.domain, install.ecc).await?;
    let issued = match &found {
        Some(id) => lineages::load(store, id)
            .await?
            .is_some_and(|files| lineages::record(id, &files).is_issued()),
        None => false,
    };
    let Some(id) = found.filter(|_| issued) else {
        return Err(Failure::from(anyhow!(
            "'{}' is not an issued domain in the store",
            install.domain
        ))
        .hint("issue it first with `--issue --store …`, or import a home with `--import-home`"));
    };
    let mut conf = DomainRecord::default();
    conf.set_install(&install.install);
    installs::set(store.db(), &settings.node, &id, &conf.render_bytes()).await?;
    printer.info(format_args!(
        "Saved the install targets of {} for node {}",
        install.domain, settings.node
    ));
    let work = WorkHome::new(store, &globals.home).await?;
    run_node(store, settings, &work, printer).await?;
    Ok(Outcome::Done)
}

/// Install on this node every certificate that changed since it last installed it, then run
/// each distinct reload command once.
///
/// # Errors
///
/// The store cannot be read; an install or reload failed (the others are still done, and a
/// failed one is tried again at the next pass).
pub(super) async fn run_node(
    store: &Store,
    settings: &StoreSettings,
    work: &WorkHome,
    printer: &Printer,
) -> Result<(), Failure> {
    let due = installs::due(store.db(), &settings.node).await?;
    let mut reloads: Vec<(
        String,
        crate::store::Lineage,
        DomainRecord,
        Vec<&installs::Due>,
    )> = Vec::new();
    let mut failed = 0;
    for item in &due {
        let result = async {
            let lineage = work.fetch(store, &item.lineage).await?;
            let saved = DomainRecord::parse(&String::from_utf8_lossy(&item.conf)).install();
            let mut record = DomainRecord::load(&lineage.conf())?.unwrap_or_default();
            record.set_install(&Install {
                files: saved.files.clone(),
                reload: None,
            });
            lineage::install_and_reload(&lineage, &mut record, settings.hook, printer).await?;
            Ok::<_, Failure>((lineage, record, saved.reload))
        }
        .await;
        match result {
            Ok((lineage, record, Some(command))) => {
                match reloads.iter_mut().find(|(c, ..)| *c == command) {
                    Some((.., items)) => items.push(item),
                    None => reloads.push((command, lineage, record, vec![item])),
                }
            }
            Ok((_, _, None)) => {
                installs::mark(store.db(), &settings.node, &item.lineage, item.cert_version)
                    .await?;
            }
            Err(failure) => {
                failure.render(printer);
                printer.error(format_args!("Error installing {}.", item.lineage));
                failed += 1;
            }
        }
    }
    for (command, lineage, record, items) in &reloads {
        match lineage::reload(lineage, record, command, settings.hook, printer).await {
            Ok(()) => {
                for item in items {
                    installs::mark(store.db(), &settings.node, &item.lineage, item.cert_version)
                        .await?;
                }
            }
            Err(e) => {
                Failure::from(e).render(printer);
                failed += items.len();
            }
        }
    }
    if failed > 0 {
        return Err(Failure::from(anyhow!(
            "{failed} install(s) on node {} failed; the next pass tries them again",
            settings.node
        )));
    }
    Ok(())
}
