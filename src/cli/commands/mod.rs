//! One module per command; each takes resolved settings and a printer.

pub(crate) mod info;
pub(crate) mod install;
pub(crate) mod issue;
pub(crate) mod list;
pub(crate) mod list_json;
pub(crate) mod remove;
pub(crate) mod renew;
pub(crate) mod revoke;
pub(crate) mod schedule;
pub(crate) mod set_default_ca;

use crate::cli::exit_code;

pub(crate) use crate::lineage::Outcome;

/// The exit code of a command that did not fail.
pub(crate) fn exit(outcome: Outcome) -> u8 {
    match outcome {
        Outcome::Done => exit_code::SUCCESS,
        Outcome::Skipped => exit_code::RENEW_SKIP,
    }
}
