//! `--import-home DIR` and `--export-home DIR` (docs/fleet.md, "Moving in and out").
//!
//! Import copies a home's `account.conf`, every CA account under `ca/` and every lineage
//! folder (as acme.sh's `--list` finds them, a removed one too) into the store, each under
//! its lease, byte for byte. It is idempotent: importing the same home again changes nothing,
//! and a lineage whose certificate in the store is newer than the home's is left alone (the
//! fleet renewed it since). A lineage's install targets become this node's.
//!
//! Export writes the store out as a home acme.sh can use as it is: the same files, bytes and
//! layout; private keys opened with the store key, written 0600.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::anyhow;

use super::StoreSettings;
use super::work::{ACCOUNT_CONF, account_folders};
use crate::cli::args::Parsed;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::fleet::files::Files;
use crate::fleet::lineages::{self, Put};
use crate::fleet::{Store, accounts, installs, lease};
use crate::lineage::Outcome;
use crate::store::atomic::create_private_dir_all;
use crate::store::record::{AccountConf, DomainRecord};
use crate::store::trust::Policy;
use crate::store::{Home, scan};

/// `--import-home DIR`.
pub(super) async fn import(
    store: &Arc<Store>,
    settings: &StoreSettings,
    parsed: &Parsed,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let dir = dir_of(parsed.args.import_home.as_deref())?;
    Policy::current().check_dir(&dir)?;
    let conf_path = dir.join(ACCOUNT_CONF);
    let conf = crate::store::file::read(&conf_path, crate::fleet::files::MAX_FILE)?;
    // acme.sh's CERT_HOME moves the lineages out of the home.
    let cert_home = conf
        .as_ref()
        .and_then(|c| AccountConf::parse(&String::from_utf8_lossy(&c.bytes)).cert_home());
    let home = Home::new(dir.clone(), None, cert_home);
    let mut held_elsewhere = 0;
    if let Some(conf) = conf {
        let files = Files(vec![(ACCOUNT_CONF.to_owned(), conf.bytes)]);
        let written = with_lease(store, settings, "home", |held| {
            let files = files.clone();
            async move { accounts::put_home(store, &held, &files).await }
        })
        .await?;
        held_elsewhere += usize::from(!written);
        printer.info(format_args!("Imported {}", conf_path.display()));
    }
    for (folder, path) in account_folders(&home.ca_home())? {
        let files = Files::from_dir(&path)?;
        let written = with_lease(store, settings, &lease::account(&folder), |held| {
            let files = files.clone();
            let folder = folder.clone();
            async move { accounts::put(store, &held, &folder, &files).await }
        })
        .await?;
        held_elsewhere += usize::from(!written);
        printer.info(format_args!("Imported the account {}", path.display()));
    }
    let (mut imported, mut newer) = (0, 0);
    for found in scan::lineages(&home.cert_home)? {
        let id = super::work::folder_name(&found.lineage);
        Policy::current().check_dir(&found.lineage.dir)?;
        let files = Files::from_dir(&found.lineage.dir)?;
        if store_is_newer(store, &id, &files).await? {
            printer.info(format_args!(
                "Kept {id}: the store's certificate is newer than the one in {}",
                found.lineage.dir.display()
            ));
            newer += 1;
            continue;
        }
        let written = with_lease(store, settings, &lease::lineage(&id), |held| {
            let files = files.clone();
            let id = id.clone();
            async move { lineages::put(store, &held, &id, &files, (true, 0)).await }
        })
        .await?;
        if !written {
            held_elsewhere += 1;
            continue;
        }
        let record = lineages::record(&id, &files);
        let install = record.install();
        if !install.is_empty() {
            // Installed already where the home was: this node has this version.
            let mut conf = DomainRecord::default();
            conf.set_install(&install);
            installs::set(store.db(), &settings.node, &id, &conf.render_bytes()).await?;
            let version: i64 = store
                .db()
                .query_one(
                    "SELECT cert_version FROM acmers_lineages WHERE id = $1",
                    &[&id],
                )
                .await?
                .get(0);
            installs::mark(store.db(), &settings.node, &id, version).await?;
        }
        imported += 1;
    }
    printer.info(format_args!(
        "Imported {imported} lineage(s) from {}{}",
        dir.display(),
        match newer {
            0 => String::new(),
            n => format!("; kept {n} newer in the store"),
        }
    ));
    if held_elsewhere > 0 {
        return Err(Failure::from(anyhow!(
            "{held_elsewhere} item(s) were not imported: another node holds them"
        ))
        .hint("run the import again when the nodes' pass is over"));
    }
    Ok(Outcome::Done)
}

/// `--export-home DIR`.
pub(super) async fn export(
    store: &Arc<Store>,
    _settings: &StoreSettings,
    parsed: &Parsed,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let dir = dir_of(parsed.args.export_home.as_deref())?;
    create_private_dir_all(&dir)?;
    Policy::current().check_dir(&dir)?;
    let home = Home::new(dir.clone(), None, None);
    accounts::load_home(store).await?.write_dir(&dir)?;
    for (folder, files) in accounts::load_all(store).await? {
        if !accounts::safe_folder(&folder) {
            printer.error(format_args!(
                "warning: skipped the account `{}`: not a safe folder name",
                folder.escape_debug()
            ));
            continue;
        }
        files.write_dir(&home.ca_home().join(&folder))?;
    }
    let listed = lineages::list(store.db()).await?;
    for entry in &listed {
        let lineage = super::work::lineage_of(&home, &entry.id)?;
        if let Some(files) = lineages::load(store, &entry.id).await? {
            files.write_dir(&lineage.dir)?;
        }
    }
    printer.info(format_args!(
        "Exported {} lineage(s) to {}",
        listed.len(),
        dir.display()
    ));
    Ok(Outcome::Done)
}

/// The folder given to the command.
fn dir_of(dir: Option<&Path>) -> Result<PathBuf, Failure> {
    let dir = dir.ok_or_else(|| anyhow!("no folder given"))?;
    Ok(std::path::absolute(dir)?)
}

/// Whether the store's certificate of `id` ends later than the one in `files`.
async fn store_is_newer(store: &Store, id: &str, files: &Files) -> Result<bool, Failure> {
    let ours = lineages::derive(id, files, true).not_after;
    let row = store
        .db()
        .query_opt(
            "SELECT not_after FROM acmers_lineages WHERE id = $1",
            &[&id],
        )
        .await?;
    let theirs: Option<i64> = row.and_then(|r| r.get(0));
    Ok(matches!((theirs, ours), (Some(t), Some(o)) if t > o)
        || matches!((theirs, ours), (Some(_), None)))
}

/// Run `write` under the lease `name` (taken and given back here); `false` when another node
/// holds it, or took it over before the write.
async fn with_lease<F, Fut>(
    store: &Store,
    settings: &StoreSettings,
    name: &str,
    write: F,
) -> Result<bool, Failure>
where
    F: FnOnce(lease::Lease) -> Fut,
    Fut: Future<Output = Result<Put, crate::fleet::Error>>,
{
    let Some(held) = lease::try_acquire(store.db(), name, &settings.node, settings.ttl).await?
    else {
        return Ok(false);
    };
    let written = write(held.clone()).await;
    lease::release(store.db(), &held).await?;
    Ok(matches!(written?, Put::Written(_)))
}
