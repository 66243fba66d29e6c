//! `--list`, `--info` and `--remove`: which lineages to show or remove, and how.

use anyhow::anyhow;

use crate::cli::args::Args;
use crate::cli::error::Failure;

/// How `--list` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// acme.sh's aligned table (`column -t -s '|'`).
    Table,
    /// `--listraw`: the `|`-separated lines.
    Raw,
    /// `--json`: one JSON object per lineage and line.
    Json,
}

/// Resolved `--list` options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ListSettings {
    /// Output format (`--json` wins over `--listraw`).
    pub format: Format,
    /// `-d`: only this main domain (the first name of the first `-d`).
    pub domain: Option<String>,
}

impl ListSettings {
    /// Resolve `--list` from the command line.
    pub(crate) fn resolve(args: &Args) -> Self {
        let format = if args.json {
            Format::Json
        } else if args.listraw {
            Format::Raw
        } else {
            Format::Table
        };
        Self {
            format,
            domain: first_domain(args),
        }
    }
}

/// The main domain named by `-d`: the first comma-separated name of the first `-d`, as typed
/// (it names a folder, so it is not normalized).
pub(crate) fn first_domain(args: &Args) -> Option<String> {
    args.domains
        .first()
        .and_then(|d| d.split(',').map(str::trim).find(|d| !d.is_empty()))
        .map(str::to_owned)
}

/// Resolved `--info` options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InfoSettings {
    /// `-d`: the main domain of the lineage to show.
    pub domain: Option<String>,
    /// `--ecc`.
    pub ecc: bool,
    /// `--output-insecure`: show secrets.
    pub insecure: bool,
}

impl InfoSettings {
    /// Resolve `--info` from the command line.
    pub(crate) fn resolve(args: &Args) -> Self {
        Self {
            domain: first_domain(args),
            ecc: args.ecc,
            insecure: args.output_insecure,
        }
    }
}

/// Resolved `--remove` options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RemoveSettings {
    /// The main domain of the lineage.
    pub domain: String,
    /// `--ecc`.
    pub ecc: bool,
}

impl RemoveSettings {
    /// Resolve `--remove` from the command line.
    ///
    /// # Errors
    ///
    /// A usage error when `-d` is missing.
    pub(crate) fn resolve(args: &Args) -> Result<Self, Failure> {
        let domain = first_domain(args).ok_or_else(|| {
            Failure::from(anyhow!(
                "`--remove` needs the domain of the certificate (`-d`)"
            ))
            .hint("acmers --remove -d example.com [--ecc]; `acmers --list` shows the certificates")
        })?;
        Ok(Self {
            domain,
            ecc: args.ecc,
        })
    }
}

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;
