//! acme.sh's function-call form: a first argument without a leading dash names one of
//! acme.sh's functions (acme.sh's `main` runs `"$@"`), e.g. `acme.sh install` from a checkout
//! or `acme.sh renewAll`. [`rewrite`] turns the function name into the matching command flag
//! before clap sees the line; the arguments after it are kept as they are.

use std::ffi::OsString;

/// acme.sh's command functions acmers runs, and the flag of the matching command.
const FUNCTIONS: &[(&str, &str)] = &[
    ("install", "--install"),
    ("uninstall", "--uninstall"),
    ("upgrade", "--upgrade"),
    ("cron", "--cron"),
    ("issue", "--issue"),
    ("renew", "--renew"),
    ("renewAll", "--renew-all"),
    ("installcert", "--install-cert"),
    ("deploy", "--deploy"),
    ("signcsr", "--sign-csr"),
    ("showcsr", "--show-csr"),
    ("deactivate", "--deactivate"),
    ("list", "--list"),
    ("info", "--info"),
    ("remove", "--remove"),
    ("revoke", "--revoke"),
    ("installcronjob", "--install-cronjob"),
    ("uninstallcronjob", "--uninstall-cronjob"),
    ("setdefaultca", "--set-default-ca"),
    ("setnotify", "--set-notify"),
    ("registeraccount", "--register-account"),
    ("updateaccount", "--update-account"),
    ("deactivateaccount", "--deactivate-account"),
    ("version", "--version"),
    ("showhelp", "--help"),
];

/// A first argument that names no acme.sh command function acmers runs.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum FunctionCallError {
    /// One of acme.sh's internal helpers (`_date2time`, …).
    #[error(
        "`{0}` is one of acme.sh's internal helper functions; acmers does not run them \
         (see `acmers --help` for the commands)"
    )]
    Internal(String),
    /// Any other word.
    #[error(
        "`{0}` is not an acme.sh command acmers runs; give a command as an option \
         (for example `--issue`; see `acmers --help`)"
    )]
    Unknown(String),
}

/// `argv` (program name first) with a function name in first place replaced by its command
/// flag; unchanged when the first argument starts with a dash (or there is none).
///
/// # Errors
///
/// The first argument is an internal helper (starts with `_`) or no known function.
pub(crate) fn rewrite(mut argv: Vec<OsString>) -> Result<Vec<OsString>, FunctionCallError> {
    let Some(first) = argv.get(1) else {
        return Ok(argv);
    };
    let word = first.to_string_lossy().into_owned();
    if word.starts_with('-') {
        return Ok(argv);
    }
    if word.starts_with('_') {
        return Err(FunctionCallError::Internal(word));
    }
    let (_, flag) = FUNCTIONS
        .iter()
        .find(|(name, _)| *name == word)
        .ok_or(FunctionCallError::Unknown(word))?;
    argv[1] = OsString::from(flag);
    Ok(argv)
}

#[cfg(test)]
#[path = "function_call_tests.rs"]
mod tests;
