//! One module per command; each takes resolved settings and a printer.

pub(crate) mod deploy;
pub(crate) mod info;
pub(crate) mod install;
pub(crate) mod issue;
pub(crate) mod list;
pub(crate) mod remove;
pub(crate) mod renew;
pub(crate) mod revoke;
pub(crate) mod schedule;
pub(crate) mod set_default_ca;
pub(crate) mod set_notify;

use crate::cli::exit_code;
use crate::cli::printer::Printer;
use crate::cli::settings::Globals;

pub(crate) use crate::lineage::Outcome;

/// The exit code of a command that did not fail.
pub(crate) fn exit(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Done => exit_code::SUCCESS,
        Outcome::Skipped => exit_code::RENEW_SKIP,
    }
}

/// Name the settings of `account.conf` acmers does not act on yet (docs/compat.md). Said
/// once by a run that issued or renewed something (or tried to): a pass with nothing due
/// stays quiet, since cron mails what reaches stderr.
pub(crate) fn warn_unhonoured(globals: &Globals, printer: &Printer) {
    let keys = globals.account_conf.unhonoured();
    if !keys.is_empty() {
        printer.error(format_args!(
            "warning: acmers does not support yet, and ignores in `account.conf`: {}",
            keys.join(", ")
        ));
    }
}
