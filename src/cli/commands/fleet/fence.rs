//! The leases a node holds while it works (docs/fleet.md, "Guarantees"): renewed in the
//! background, checked at every engine [`Checkpoint`], and the only way a lineage is written
//! to the store ([`lineages::put`], fenced by the lease). A node whose lease was taken over
//! while it was paused, cut off or slow writes nothing, and its engine stops at the next
//! checkpoint.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::anyhow;
use futures_util::future::LocalBoxFuture;

use super::work::folder_name;
use crate::cli::error::Failure;
use crate::cli::settings::Globals;
use crate::fleet::Store;
use crate::fleet::files::Files;
use crate::fleet::lease::{self, Lease};
use crate::fleet::lineages::{self, Put};
use crate::lineage::{Checkpoint, Session, Step};
use crate::store::Lineage;

/// Why a node stopped working on a lineage whose lease it lost.
const LOST: &str = "its lease was taken over by another node (this node was paused or cut off \
                    for longer than the lease time); nothing of this run was written";

/// The leases this process holds, by the lineage folder they cover in the work home.
#[derive(Default)]
pub(super) struct Held(Mutex<HashMap<PathBuf, (Lease, bool)>>);

impl Held {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, (Lease, bool)>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Hold `lease` for the folder `dir`.
    pub(super) fn insert(&self, dir: &Path, lease: Lease) {
        self.lock().insert(dir.to_owned(), (lease, false));
    }

    /// Stop holding the lease of `dir`; `None` when it was lost.
    pub(super) fn remove(&self, dir: &Path) -> Option<Lease> {
        match self.lock().remove(dir) {
            Some((lease, false)) => Some(lease),
            _ => None,
        }
    }

    /// The lease of `dir`, unless lost.
    fn get(&self, dir: &Path) -> Option<Lease> {
        match self.lock().get(dir) {
            Some((lease, false)) => Some(lease.clone()),
            _ => None,
        }
    }

    /// Mark the lease of `dir` lost.
    fn lose(&self, dir: &Path) {
        if let Some(entry) = self.lock().get_mut(dir) {
            entry.1 = true;
        }
    }
}

/// What the engine's checkpoints and the heartbeat share.
pub(super) struct Fence {
    pub store: Arc<Store>,
    pub held: Held,
    pub ttl: Duration,
}

impl Fence {
    /// A fence over `store` for leases of `ttl`, holding none yet.
    pub(super) fn new(store: &Arc<Store>, ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            store: store.clone(),
            held: Held::default(),
            ttl,
        })
    }

    /// Renew every held lease every third of its time, until dropped; a lease that is no
    /// longer ours is marked lost (its lineage stops at its next checkpoint). A database
    /// that does not answer is retried at the next beat: the lease may still be ours.
    pub(super) async fn heartbeat(&self) {
        let beat = (self.ttl / 3).max(Duration::from_millis(300));
        loop {
            tokio::time::sleep(beat).await;
            let held: Vec<(PathBuf, Lease)> = self
                .held
                .lock()
                .iter()
                .filter(|(_, (_, lost))| !lost)
                .map(|(dir, (lease, _))| (dir.clone(), lease.clone()))
                .collect();
            for (dir, lease) in held {
                if let Ok(false) = lease::renew(self.store.db(), &lease, self.ttl).await {
                    self.held.lose(&dir);
                }
            }
        }
    }

    /// Check and extend the lease of the lineage folder `dir`; `Err(why)` when it is lost or
    /// the store cannot be asked.
    async fn extend(&self, dir: &Path) -> Result<(), String> {
        let lease = self.held.get(dir).ok_or_else(|| LOST.to_owned())?;
        match lease::renew(self.store.db(), &lease, self.ttl).await {
            Ok(true) => Ok(()),
            Ok(false) => {
                self.held.lose(dir);
                Err(LOST.to_owned())
            }
            Err(e) => Err(format!("cannot reach the store: {:#}", anyhow!(e))),
        }
    }

    /// Write the lineage folder `dir` (store id `id`) fenced by its lease; `Err(why)` when
    /// the lease is lost or the write failed.
    pub(super) async fn save(&self, dir: &Path, id: &str, due: (bool, i64)) -> Result<(), String> {
        let lease = self.held.get(dir).ok_or_else(|| LOST.to_owned())?;
        let files = Files::from_dir(dir).map_err(|e| format!("{:#}", anyhow!(e)))?;
        match lineages::put(&self.store, &lease, id, &files, due).await {
            Ok(Put::Written(_)) => Ok(()),
            Ok(Put::Fenced) => {
                self.held.lose(dir);
                Err(LOST.to_owned())
            }
            Err(e) => Err(format!("cannot write to the store: {:#}", anyhow!(e))),
        }
    }
}

/// The engine's checkpoints on a fleet node. Where the order changed (saved, about to be
/// finalized) the folder is written to the store, fenced by the lineage's lease, so another
/// node can resume it; at the others (before a new order, before answering the challenges)
/// the lease is only checked and extended. A node that lost its lease stops at either.
pub(super) struct FenceCheckpoint(pub Arc<Fence>);

impl Checkpoint for FenceCheckpoint {
    fn reached<'a>(
        &'a self,
        lineage: &'a Lineage,
        step: Step,
    ) -> LocalBoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            match step {
                Step::OrderSaved | Step::Finalize => {
                    self.0
                        .save(&lineage.dir, &folder_name(lineage), (true, 0))
                        .await
                }
                Step::NewOrder | Step::Respond => self.0.extend(&lineage.dir).await,
            }
        })
    }
}

/// The engine's session on a fleet node: over the work home, fenced at every checkpoint,
/// without the engine's own installs (each node installs for itself).
///
/// # Errors
///
/// As the session of the file home.
pub(super) fn session(
    globals: &Globals,
    ca_bundle: Option<&Path>,
    cron: bool,
    fence: &Arc<Fence>,
) -> Result<Session, Failure> {
    let mut session = super::super::session(globals, ca_bundle, cron)?;
    session.installs = false;
    session.checkpoint = Some(Arc::new(FenceCheckpoint(fence.clone())));
    Ok(session)
}
