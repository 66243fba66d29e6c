//! acme.sh's shell plugins, run unmodified (docs/plugins.md): dnsapi plugins and deploy
//! hooks now, notify hooks with the same runner.
//!
//! - [`find`](mod@find): where a plugin file is (acme.sh's `_findHook`), and whether root may run it.
//! - [`runner`]: [`Runner::call`] runs one function of a plugin with `sh`, after the helper
//!   library [`LIB`], in its own process group and bounded in time; its output goes to the
//!   debug log and its `_err` lines into the error.
//! - [`deploy`](mod@deploy): [`deploy()`] finds a deploy hook and calls its `<name>_deploy`
//!   with a lineage's files, as acme.sh's `_deploy`.
//! - [`callback`]: the hidden `acmers --acmers-plugin-helper <op>` the library calls for
//!   HTTP, digests and HMACs, encodings and conf files.

pub mod callback;
pub mod deploy;
pub mod find;
pub mod runner;

use std::path::PathBuf;
use std::time::Duration;

pub use deploy::{DeployFiles, deploy};
pub use find::{Category, Lookup, find};
pub use runner::{Output, Runner};

/// The helper library (POSIX sh) defining the functions plugins call (`_get`, `_post`,
/// `_readaccountconf_mutable`, `_err`, …), evaluated before each plugin is sourced.
pub const LIB: &str = include_str!("lib.sh");

/// The first argument that makes the acmers binary the library's callback
/// (`acmers --acmers-plugin-helper <op> …`); never shown in `--help`.
pub const HELPER_FLAG: &str = "--acmers-plugin-helper";

/// The prefix of a plugin's functions: its file name without `.sh` (`dns_foo` for
/// `…/dns_foo.sh`, whose functions are `dns_foo_add` and `dns_foo_rm`).
pub fn function_prefix(script: &std::path::Path) -> String {
    let file = script
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    file.strip_suffix(".sh").unwrap_or(&file).to_owned()
}

/// Why a plugin could not be found or run, or failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No file in acme.sh's lookup order.
    #[error(
        "cannot find the {category} plugin `{name}` (looked for {}); put `{name}.sh` in one of these places or give its path",
        list(searched)
    )]
    NotFound {
        /// The plugin's category.
        category: Category,
        /// The name asked for (`dns_foo`).
        name: String,
        /// Every path tried, in order.
        searched: Vec<PathBuf>,
    },
    /// The file, or a folder or link on its path, is not root's alone (running as root).
    #[error(
        "not running the plugin `{}`: {reason}; as root, a plugin and every folder above it must be root's and not writable by others (`chown root`, `chmod go-w`)",
        path.display()
    )]
    Untrusted {
        /// The plugin file.
        path: PathBuf,
        /// What is wrong, and with which file or folder.
        reason: String,
    },
    /// `sh` could not be started, or the call's private folder not made.
    #[error("cannot run the plugin `{}`: {reason}", script.display())]
    Spawn {
        /// The plugin file.
        script: PathBuf,
        /// Why.
        reason: String,
    },
    /// The plugin function returned non-zero.
    #[error("{function} ({}) failed: {message}", script.display())]
    Failed {
        /// The plugin file.
        script: PathBuf,
        /// The function called (`dns_foo_add`).
        function: String,
        /// Its `_err` lines, else the end of its stderr, else its exit status (sanitized).
        message: String,
    },
    /// The call ran past its time limit; its whole process group was killed.
    #[error(
        "{function} ({}) timed out after {} s and was stopped with everything it started; the service may be slow or unreachable",
        script.display(),
        after.as_secs()
    )]
    TimedOut {
        /// The plugin file.
        script: PathBuf,
        /// The function called.
        function: String,
        /// The time limit.
        after: Duration,
    },
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| format!("`{}`", p.display()))
        .collect::<Vec<_>>()
        .join(", ")
}
