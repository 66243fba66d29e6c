//! `--install`: what to install besides the copy (acme.sh's `install` arguments).

use std::path::PathBuf;

use crate::cli::args::Args;

/// Resolved `--install` options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SetupSettings {
    /// `--nocron`: add no cron line.
    pub nocron: bool,
    /// `--noprofile`: leave the shell profile alone.
    pub noprofile: bool,
    /// `--force`: install without a cron line when there is no `crontab` (acme.sh's
    /// `_precheck`).
    pub force: bool,
    /// `--accountemail`/`-m`: saved as `ACCOUNT_EMAIL`.
    pub email: Option<String>,
    /// `--accountkey`: saved as `ACCOUNT_KEY_PATH`.
    pub account_key: Option<PathBuf>,
}

impl SetupSettings {
    /// Resolve `--install` from the command line.
    pub(crate) fn resolve(args: &Args) -> Self {
        Self {
            nocron: args.nocron,
            noprofile: args.noprofile,
            force: args.force,
            email: args.email.clone(),
            account_key: args.account_key.clone(),
        }
    }
}
