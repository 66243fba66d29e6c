//! acme.sh plugins as the engine runs them: where they are looked up for a lineage
//! (acme.sh's `_findHook`) and the [`Runner`] settings every call of the lineage shares.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Error;
use super::session::Session;
use crate::plugin::{self, Category, Lookup, Runner};
use crate::store::Lineage;

/// The plugin `name` (or path) of `category` for `lineage`.
pub(super) fn find(
    session: &Session,
    lineage: &Lineage,
    category: Category,
    name: &str,
) -> Result<PathBuf, plugin::Error> {
    let exe = std::env::current_exe().ok();
    let lookup = Lookup {
        bin_dir: exe.as_deref().and_then(Path::parent),
        home: &session.home.working_dir,
        domain: Some(&lineage.domain),
    };
    plugin::find(category, name, &lookup)
}

/// How the plugins of `lineage` run: the running binary as the helper's callback, the home,
/// `account.conf`, the lineage's conf, `time_limit` per call, `--debug` and `--ca-bundle`.
pub(super) fn runner(
    session: &Session,
    lineage: &Lineage,
    time_limit: Duration,
) -> Result<Runner, Error> {
    let helper = std::env::current_exe()
        .map_err(|e| Error::setup("cannot run acme.sh plugins: where is the acmers binary?", e))?;
    Ok(Runner {
        helper,
        home: session.home.clone(),
        account_conf: session.home.account_conf(),
        domain_conf: Some(lineage.conf()),
        domain_vars: false,
        time_limit,
        debug: session.debug,
        ca_bundle: session.ca_bundle.clone(),
        env: Vec::new(),
    })
}
