//! Finding the certificate lineages of a home (acme.sh's `list` and `renewAll`).
//!
//! acme.sh's `--list` and renew loop visit `CERT_HOME/*.*` and then `CERT_HOME/*:*`: every
//! directory whose name contains a `.` or a `:` and does not start with `.` (the shell's glob
//! skips hidden names). A name ending in `_ecc` is an EC lineage.
//!
//! Differences from acme.sh, all deliberate:
//!
//! - acme.sh takes the main domain of an `_ecc` folder by cutting the name at its **first**
//!   `_`, so `_acme.example.com_ecc` or `a_b.example.com_ecc` turn into a wrong domain and their
//!   conf is never found. acmers strips the `_ecc` suffix instead, so names containing `_` work.
//! - A name holding both a `.` and a `:` matches both globs and acme.sh visits it twice;
//!   acmers visits it once (in the `*.*` group).
//! - Names that are not UTF-8 or cannot be a lineage folder (a control character) are skipped
//!   with a warning.
//!
//! [`lineages`] is built for homes with 100,000 lineages: one `read_dir`, the entry's own file
//! type (an extra `stat` only for a symlink, which counts when it points at a directory, as
//! `[ -d ]` does), and only names kept.

use std::fs;
use std::io;
use std::path::Path;

use super::layout::split_folder;
use super::{Error, Lineage};

/// One lineage folder found under `CERT_HOME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The main domain: the folder name without its `_ecc` suffix.
    pub main_domain: String,
    /// Whether the folder is an `_ecc` (EC key) lineage.
    pub ecc: bool,
    /// The folder and its file names.
    pub lineage: Lineage,
}

/// The lineage folders of `cert_home` in the order acme.sh's renew loop visits them: names
/// containing a `.` first, then names containing a `:` but no `.`, each group sorted bytewise
/// (the glob order under `LANG=C.UTF-8`). Whether a folder holds a conf is not checked.
///
/// A missing `cert_home` has no lineages.
///
/// # Errors
///
/// [`Error::Read`] when `cert_home` cannot be listed.
pub fn lineages(cert_home: &Path) -> Result<Vec<Found>, Error> {
    let read_err = |source| Error::Read {
        path: cert_home.to_owned(),
        source,
    };
    let entries = match fs::read_dir(cert_home) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(read_err(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(read_err)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            tracing::warn!(name = ?name, "skipping a lineage folder whose name is not UTF-8");
            continue;
        };
        if !is_candidate(name) {
            continue;
        }
        let is_dir = match entry.file_type() {
            Ok(t) if t.is_dir() => true,
            Ok(t) if t.is_symlink() => fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()),
            Ok(_) => false,
            Err(e) => return Err(read_err(e)),
        };
        if is_dir {
            names.push(name.to_owned());
        }
    }
    // `*.*` first, then `*:*`; bytewise within each group.
    names.sort_unstable_by(|a, b| (!a.contains('.'), a).cmp(&(!b.contains('.'), b)));
    let mut found = Vec::with_capacity(names.len());
    for name in names {
        let (main_domain, ecc) = split_folder(&name);
        match Lineage::at(cert_home, main_domain, ecc) {
            Ok(lineage) => found.push(Found {
                main_domain: main_domain.to_owned(),
                ecc,
                lineage,
            }),
            Err(e) => tracing::warn!(error = %e, "skipping a lineage folder"),
        }
    }
    Ok(found)
}

/// Whether a folder name matches acme.sh's `*.*` or `*:*` globs.
fn is_candidate(name: &str) -> bool {
    !name.starts_with('.') && name != "ca" && (name.contains('.') || name.contains(':'))
}

/// The lineage `-d <domain> [--ecc]` names, chosen as acme.sh's `_initpath` does: with `ecc`
/// the `_ecc` folder; without it the RSA folder, unless only `<d>_ecc/` exists, in which case
/// that one is used ("seems to already have an ECC cert"). The caller can tell a fallback by
/// `lineage.ecc && !ecc`.
///
/// # Errors
///
/// [`Error::BadDomainDir`] when `domain` cannot be a folder name.
pub fn resolve(cert_home: &Path, domain: &str, ecc: bool) -> Result<Lineage, Error> {
    let wanted = Lineage::at(cert_home, domain, ecc)?;
    if ecc || wanted.dir.is_dir() {
        return Ok(wanted);
    }
    let ecc_lineage = Lineage::at(cert_home, domain, true)?;
    Ok(if ecc_lineage.dir.is_dir() {
        ecc_lineage
    } else {
        wanted
    })
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
