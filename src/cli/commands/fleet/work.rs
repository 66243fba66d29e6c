//! A node's private work home (`<home>/fleet/<pid>/`): the store's `account.conf` and
//! accounts, the lineages fetched into it, and what a command changed there written back —
//! lineages through the [`super::fence`], the shared settings and accounts under their
//! leases.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::anyhow;

use super::fence::Fence;
use crate::cli::error::Failure;
use crate::cli::settings::Globals;
use crate::fleet::files::Files;
use crate::fleet::lease;
use crate::fleet::lineages::{self, Put};
use crate::fleet::{Store, accounts};
use crate::store::atomic::create_private_dir_all;
use crate::store::layout::split_folder;
use crate::store::record::AccountConf;
use crate::store::{Home, Lineage};

/// The home's own file the store keeps.
pub(super) const ACCOUNT_CONF: &str = "account.conf";

/// The store id of a lineage named on the command line: its folder name.
pub(super) fn id_of(domain: &str, ecc: bool) -> String {
    if ecc {
        format!("{domain}_ecc")
    } else {
        domain.to_owned()
    }
}

/// The lineage of `domain` in the store, found as acme.sh finds one in a home: `--ecc` names
/// the `_ecc` folder; without it the plain folder, else the `_ecc` one. `None`: neither.
///
/// # Errors
///
/// The database fails.
pub(super) async fn find(
    store: &Store,
    domain: &str,
    ecc: bool,
) -> Result<Option<String>, Failure> {
    for id in [id_of(domain, ecc), id_of(domain, true)] {
        if lineages::exists(store.db(), &id).await? {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// A lineage's id in the store: its folder name.
pub(super) fn folder_name(lineage: &Lineage) -> String {
    lineage
        .dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The lineage of the store id `id` in `home` (the folder name: `example.com` or
/// `example.com_ecc`), checked as a folder name.
///
/// # Errors
///
/// An id that cannot be a folder name.
pub(super) fn lineage_of(home: &Home, id: &str) -> Result<Lineage, Failure> {
    let (main, ecc) = split_folder(id);
    Ok(home.lineage(main, ecc)?)
}

/// The private work home of this process: `<home>/fleet/<pid>/`, with the store's
/// `account.conf` and accounts. Work homes of processes that are gone are removed first.
pub(super) struct WorkHome {
    /// The home the engine runs in.
    pub home: Home,
    /// The store's home files as fetched.
    fetched: Files,
    /// The store's accounts as fetched, by folder.
    accounts: Vec<(String, Files)>,
}

impl WorkHome {
    /// Make the work home and fill it with the store's home files and accounts.
    ///
    /// # Errors
    ///
    /// The folder cannot be made, or the store cannot be read.
    pub(super) async fn new(store: &Store, node_home: &Home) -> Result<Self, Failure> {
        let base = node_home.working_dir.join("fleet");
        create_private_dir_all(&base)?;
        remove_stale(&base);
        let dir = base.join(std::process::id().to_string());
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        create_private_dir_all(&dir)?;
        let home = Home::new(dir.clone(), None, None);
        // Plugins are the node's own (installed with acmers on every node).
        for category in ["dnsapi", "deploy", "notify"] {
            let own = node_home.working_dir.join(category);
            if own.is_dir() {
                std::os::unix::fs::symlink(&own, dir.join(category))?;
            }
        }
        let fetched = accounts::load_home(store).await?;
        fetched.write_dir(&dir)?;
        let mut all = accounts::load_all(store).await?;
        all.retain(|(folder, _)| accounts::safe_folder(folder));
        for (folder, files) in &all {
            files.write_dir(&home.ca_home().join(folder))?;
        }
        Ok(Self {
            home,
            fetched,
            accounts: all,
        })
    }

    /// Write back the CA accounts this run made or changed (`--register-account`,
    /// `--update-account-key`, …), each under its lease and only if no other node changed it
    /// meanwhile (else the change is dropped with a warning).
    ///
    /// # Errors
    ///
    /// The store fails, or the work home cannot be read.
    pub(super) async fn save_accounts(
        &self,
        store: &Store,
        (node, ttl): (&str, Duration),
        progress: &dyn crate::lineage::Progress,
    ) -> Result<(), Failure> {
        for (folder, path) in account_folders(&self.home.ca_home())? {
            let now = Files::from_dir(&path)?;
            let before = self
                .accounts
                .iter()
                .find(|(f, _)| *f == folder)
                .map(|(_, files)| files);
            if before == Some(&now) {
                continue;
            }
            let Some(held) =
                lease::try_acquire(store.db(), &lease::account(&folder), node, ttl).await?
            else {
                progress.warn(&format_args!(
                    "warning: the account {folder} changed in this run but another node holds \
                     it; the change is not saved in the store"
                ));
                continue;
            };
            let result = async {
                let current = match accounts::exists(store.db(), &folder).await? {
                    true => Some(
                        crate::fleet::files::load(
                            store.db(),
                            crate::fleet::files::ACCOUNT,
                            &folder,
                            store.key(),
                        )
                        .await?,
                    ),
                    false => None,
                };
                if current.as_ref() != before {
                    progress.warn(&format_args!(
                        "warning: the account {folder} changed in this run and in the store \
                         since; the store's is kept"
                    ));
                    return Ok::<_, Failure>(());
                }
                accounts::put(store, &held, &folder, &now).await?;
                Ok(())
            }
            .await;
            lease::release(store.db(), &held).await?;
            result?;
        }
        Ok(())
    }

    /// Write back `account.conf` when this run changed it (a plugin saved a setting, as
    /// acme.sh's `_saveaccountconf_mutable`), under the home's lease and only if no other
    /// node changed it meanwhile (else the change is dropped with a warning).
    ///
    /// # Errors
    ///
    /// The store fails.
    pub(super) async fn save_home(
        &self,
        store: &Store,
        (node, ttl): (&str, Duration),
        progress: &dyn crate::lineage::Progress,
    ) -> Result<(), Failure> {
        let now = Files::from_dir(&self.home.working_dir)?;
        let now = Files(
            now.0
                .into_iter()
                .filter(|(name, _)| self.fetched.get(name).is_some() || name == ACCOUNT_CONF)
                .collect(),
        );
        if now == self.fetched {
            return Ok(());
        }
        let Some(held) = lease::try_acquire(store.db(), "home", node, ttl).await? else {
            progress.warn(&"warning: account.conf changed in this run but another node holds it; the change is not saved in the store");
            return Ok(());
        };
        let result = async {
            if accounts::load_home(store).await? != self.fetched {
                progress.warn(&"warning: account.conf changed in this run and in the store since; the store's is kept");
                return Ok::<_, Failure>(());
            }
            accounts::put_home(store, &held, &now).await?;
            Ok(())
        }
        .await;
        lease::release(store.db(), &held).await?;
        result
    }

    /// The settings every command shares, over the work home: the store's `account.conf`,
    /// this run's debug level and run environment.
    pub(super) fn globals(&self, node: &Globals) -> Result<Globals, Failure> {
        let account_conf = crate::store::file::read(&self.home.account_conf(), 1 << 20)?
            .map(|f| AccountConf::parse(&String::from_utf8_lossy(&f.bytes)))
            .unwrap_or_default();
        Ok(Globals {
            home: self.home.clone(),
            account_conf,
            debug: node.debug,
            run: node.run.clone(),
        })
    }

    /// Fill the folder of lineage `id` from the store (an empty folder when the store has
    /// none yet).
    ///
    /// # Errors
    ///
    /// The store cannot be read, or the folder written.
    pub(super) async fn fetch(&self, store: &Store, id: &str) -> Result<Lineage, Failure> {
        let lineage = lineage_of(&self.home, id)?;
        if lineage.dir.exists() {
            std::fs::remove_dir_all(&lineage.dir)?;
        }
        match lineages::load(store, id).await? {
            Some(files) => files.write_dir(&lineage.dir)?,
            None => create_private_dir_all(&lineage.dir)?,
        }
        Ok(lineage)
    }

    /// Make sure the store has the account of `ca` (registering it now, under the account's
    /// lease, when no node has), and that the work home has the store's.
    ///
    /// # Errors
    ///
    /// The store fails, or the registration fails.
    pub(super) async fn account(
        &self,
        fence: &Fence,
        session: &crate::lineage::Session,
        (ca, lock): (&crate::lineage::Ca, Duration),
        node: &str,
        progress: &dyn crate::lineage::Progress,
    ) -> Result<(), Failure> {
        let ca_dir = self.home.ca_dir(&ca.server)?;
        let folder = ca_dir
            .dir
            .strip_prefix(self.home.ca_home())
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let store = &fence.store;
        let deadline = tokio::time::Instant::now() + lock;
        loop {
            if accounts::exists(store.db(), &folder).await? {
                if !ca_dir.account_json().exists() {
                    let files = crate::fleet::files::load(
                        store.db(),
                        crate::fleet::files::ACCOUNT,
                        &folder,
                        store.key(),
                    )
                    .await?;
                    files.write_dir(&ca_dir.dir)?;
                }
                return Ok(());
            }
            let name = lease::account(&folder);
            if let Some(held) = lease::try_acquire(store.db(), &name, node, fence.ttl).await? {
                let result = async {
                    if accounts::exists(store.db(), &folder).await? {
                        return Ok::<_, Failure>(false);
                    }
                    session.prepare_account(ca, lock, progress).await?;
                    let files = Files::from_dir(&ca_dir.dir)?;
                    match accounts::put(store, &held, &folder, &files).await? {
                        Put::Written(_) => Ok(true),
                        Put::Fenced => Err(Failure::from(anyhow!(
                            "the account lease of `{folder}` was taken over while this node \
                             registered it; nothing was written"
                        ))),
                    }
                }
                .await;
                lease::release(store.db(), &held).await?;
                if !result? {
                    continue;
                }
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Failure::from(anyhow!(
                    "another node is registering the account at {} and did not finish \
                     within {} s",
                    ca.server,
                    lock.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
}

impl Drop for WorkHome {
    fn drop(&mut self) {
        // Keys of this run are not left on the node's disk; the store has them.
        let _ = std::fs::remove_dir_all(&self.home.working_dir);
    }
}

/// Remove the work homes of processes that no longer run (killed with -9).
fn remove_stale(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let alive = rustix::process::Pid::from_raw(pid)
            .is_some_and(|p| rustix::process::test_kill_process(p).is_ok());
        if !alive {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The account folders under `ca/`: every folder holding an `account.key`, `account.json` or
/// `ca.conf`, by its path below `ca/`.
///
/// # Errors
///
/// A folder cannot be read.
pub(super) fn account_folders(ca_home: &Path) -> Result<Vec<(String, PathBuf)>, Failure> {
    let mut found = Vec::new();
    let mut todo = vec![ca_home.to_owned()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut has_account = false;
        for entry in entries.flatten() {
            let kind = entry.file_type()?;
            let name = entry.file_name();
            if kind.is_dir() {
                todo.push(entry.path());
            } else if kind.is_file()
                && matches!(
                    name.to_str(),
                    Some("account.key" | "account.json" | "ca.conf")
                )
            {
                has_account = true;
            }
        }
        if has_account {
            let folder = dir
                .strip_prefix(ca_home)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            if accounts::safe_folder(&folder) {
                found.push((folder, dir));
            }
        }
    }
    found.sort();
    Ok(found)
}
