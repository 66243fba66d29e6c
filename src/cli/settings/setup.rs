//! `--install` and `--uninstall`: what to do besides the copy (acme.sh's `install` and
//! `uninstall` arguments).

use std::path::PathBuf;

use crate::cli::args::Args;

/// Resolved `--install`/`--uninstall` options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SetupSettings {
    /// `--nocron`: add (or remove) no cron line.
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
    /// Resolve `--install`/`--uninstall` from the command line.
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
