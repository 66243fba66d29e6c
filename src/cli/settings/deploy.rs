//! `--deploy -d D [--ecc] --deploy-hook NAME[,NAME…]`.

use std::path::PathBuf;
use std::time::Duration;

use super::{Globals, SettingsError, ca_bundle};
use crate::cli::args::Args;

/// Everything `--deploy` needs.
#[derive(Clone, Debug)]
pub(crate) struct DeploySettings {
    /// The lineage's main domain as typed.
    pub domain: String,
    /// `--ecc`.
    pub ecc: bool,
    /// The hooks to save as `Le_DeployHook` and run, in order.
    pub hooks: Vec<String>,
    /// Waiting for the lineage's lock.
    pub lock_timeout: Duration,
    /// Limit of each hook.
    pub hook_timeout: Duration,
    /// Extra roots for the hooks' HTTPS requests.
    pub ca_bundle: Option<PathBuf>,
}

impl DeploySettings {
    /// Resolve `--deploy`.
    ///
    /// # Errors
    ///
    /// No `-d`, or no `--deploy-hook`.
    pub(crate) fn resolve(args: &Args, globals: &Globals) -> Result<Self, SettingsError> {
        let domain = args
            .domains
            .first()
            .ok_or(SettingsError::Missing("`--deploy` needs `-d DOMAIN`"))?;
        let hooks: Vec<String> = args
            .deploy_hook
            .iter()
            .flat_map(|h| h.split(','))
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect();
        if hooks.is_empty() {
            return Err(SettingsError::Missing(
                "`--deploy` needs `--deploy-hook NAME` (acme.sh's deploy hooks: haproxy, ssh, docker, …)",
            ));
        }
        Ok(Self {
            domain: domain.clone(),
            ecc: args.ecc,
            hooks,
            lock_timeout: Duration::from_secs(args.lock_timeout),
            hook_timeout: Duration::from_secs(args.hook_timeout),
            ca_bundle: ca_bundle(args, globals),
        })
    }
}
