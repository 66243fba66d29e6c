//! acme.sh's function-call form: a first argument without a leading dash names one of
//! acme.sh's functions (acme.sh's `main` runs `"$@"`), e.g. `acme.sh install` from a checkout
//! or `acme.sh renewAll`. [`rewrite`] turns the function name into the matching command flag
//! before clap sees the line. The positional parameters some of those functions take
//! (`acme.sh install nocron "" "" me@example.com`, `acme.sh renew example.com ecc`) become
//! the matching options ([`POSITIONAL`]); the arguments from the first option on are kept as
//! they are.

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
    ("createAccountKey", "--create-account-key"),
    ("createDomainKey", "--create-domain-key"),
    ("createCSR", "--create-csr"),
    ("toPkcs", "--to-pkcs12"),
    ("toPkcs8", "--to-pkcs8"),
    ("version", "--version"),
    ("showhelp", "--help"),
];

/// What a positional parameter of an acme.sh function means.
#[derive(Clone, Copy)]
enum Param {
    /// A flag, set when the parameter is not empty (acme.sh tests `[ "$1" ]`).
    Flag(&'static str),
    /// An option taking the parameter as its value, when not empty.
    Value(&'static str),
    /// `--ecc` when the parameter is an EC key length (`ecc`, `ec-256`, …), as acme.sh's
    /// `_isEccKey` reads an `_isEcc` parameter.
    Ecc,
}

/// The positional parameters of the functions that take them, in acme.sh's order (`install`,
/// `uninstall`, `renew`, `list`, `remove`, `revoke`, `installcronjob` and the key and format
/// functions).
const POSITIONAL: &[(&str, &[Param])] = &[
    (
        "install",
        &[
            Param::Flag("--nocron"),
            Param::Value("--config-home"),
            Param::Flag("--noprofile"),
            Param::Value("--accountemail"),
        ],
    ),
    ("uninstall", &[Param::Flag("--nocron")]),
    ("renew", &[Param::Value("--domain"), Param::Ecc]),
    (
        "list",
        &[Param::Flag("--listraw"), Param::Value("--domain")],
    ),
    ("remove", &[Param::Value("--domain"), Param::Ecc]),
    (
        "revoke",
        &[
            Param::Value("--domain"),
            Param::Ecc,
            Param::Value("--revoke-reason"),
        ],
    ),
    ("installcronjob", &[Param::Value("--config-home")]),
    ("createAccountKey", &[Param::Value("--accountkeylength")]),
    (
        "createDomainKey",
        &[Param::Value("--domain"), Param::Value("--keylength")],
    ),
    (
        "createCSR",
        &[
            Param::Value("--domain"),
            Param::Value("--domain"),
            Param::Ecc,
        ],
    ),
    (
        "toPkcs",
        &[
            Param::Value("--domain"),
            Param::Value("--password"),
            Param::Ecc,
        ],
    ),
    ("toPkcs8", &[Param::Value("--domain"), Param::Ecc]),
];

/// The options for `function`'s positional parameters at the front of `rest`, and how many
/// parameters they took (up to the first word starting with a dash).
fn positional(function: &str, rest: &[OsString]) -> (Vec<OsString>, usize) {
    let params = POSITIONAL
        .iter()
        .find(|(name, _)| *name == function)
        .map_or(&[][..], |(_, params)| *params);
    let given = rest
        .iter()
        .take(params.len())
        .take_while(|a| !a.to_string_lossy().starts_with('-'))
        .count();
    let mut options = Vec::new();
    for (param, value) in params.iter().zip(&rest[..given]) {
        let text = value.to_string_lossy();
        if text.is_empty() {
            continue;
        }
        match param {
            Param::Flag(flag) => options.push(OsString::from(flag)),
            Param::Value(option) => options.extend([OsString::from(option), value.clone()]),
            Param::Ecc => {
                if crate::keys::KeyType::parse_acmesh(&text).is_ok_and(|k| k.is_ecc())
                    || text == "ecc"
                {
                    options.push(OsString::from("--ecc"));
                }
            }
        }
    }
    (options, given)
}

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
        .ok_or_else(|| FunctionCallError::Unknown(word.clone()))?;
    let (options, taken) = positional(&word, &argv[2..]);
    argv[1] = OsString::from(flag);
    argv.splice(2..2 + taken, options);
    Ok(argv)
}

#[cfg(test)]
#[path = "function_call_tests.rs"]
mod tests;
