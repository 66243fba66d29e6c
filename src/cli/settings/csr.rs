//! `--sign-csr` and `--show-csr`: the CSR file, and `--sign-csr`'s request built from it
//! (acme.sh's `signcsr`): the names and key type come from the CSR, everything else as for
//! `--issue`.

use std::path::{Path, PathBuf};

use super::{Globals, IssueSettings, SettingsError};
use crate::cli::args::{Args, Parsed};
use crate::csr::CsrFile;
use crate::lineage::Kind;

/// `--csr FILE`; without it, the command's `usage` line as the error.
pub(crate) fn csr_path<'a>(args: &'a Args, usage: &'static str) -> Result<&'a Path, SettingsError> {
    args.csr.as_deref().ok_or(SettingsError::Missing(usage))
}

/// The usage line of `--sign-csr` without `--csr`, as acme.sh's `signcsr`.
pub(crate) const SIGN_USAGE: &str =
    "Usage: acmers --sign-csr --csr <csr-file> --webroot <directory>";
/// The usage line of `--show-csr` without `--csr`, as acme.sh's `showcsr`.
pub(crate) const SHOW_USAGE: &str = "Usage: acmers --show-csr --csr <csr-file>";

impl IssueSettings {
    /// Resolve `--sign-csr` for `csr`, read from `path`: the main name and the other names as
    /// acme.sh's `signcsr` takes them from the CSR (`-d` and `--keylength` are not used), the
    /// lineage folder by the CSR's key type, and the rest as [`IssueSettings::resolve`].
    ///
    /// # Errors
    ///
    /// The CSR names nothing, `--key-file` is given (there is no key to install), or as
    /// [`IssueSettings::resolve`].
    pub(crate) fn sign_csr(
        parsed: &Parsed,
        globals: &Globals,
        (path, csr): (&Path, CsrFile),
    ) -> Result<Self, SettingsError> {
        if parsed.args.key_file.is_some() {
            return Err(SettingsError::CsrKeyFile);
        }
        let (main, others) = csr
            .main_and_others()
            .ok_or_else(|| SettingsError::CsrNoName(PathBuf::from(path)))?;
        let domains: Vec<String> = std::iter::once(&main)
            .chain(&others)
            .map(|id| id.value().to_owned())
            .collect();
        let mut settings = Self::resolve_for(parsed, globals, &domains, csr.key_type)?;
        if let Kind::Issue(given) = &mut settings.request.kind {
            given.csr = Some(Box::new(csr));
        }
        Ok(settings)
    }
}
