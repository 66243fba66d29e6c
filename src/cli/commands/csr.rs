//! `--show-csr` and `--sign-csr` (acme.sh's `showcsr` and `signcsr`; docs/csr.md).

use std::io::Read as _;
use std::path::Path;

use crate::cli::args::Parsed;
use crate::cli::commands::{Outcome, issue};
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{self, Globals, IssueSettings};
use crate::csr::{CsrFile, MAX_CSR};

/// Read the `--csr` file: at most [`MAX_CSR`] bytes, PEM or DER, its signature checked.
fn read(path: &Path) -> Result<CsrFile, Failure> {
    let cannot = |e: anyhow::Error| {
        Failure::from(e.context(format!("Cannot read subject from CSR: {}", path.display())))
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CSR as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| cannot(e.into()))?;
    CsrFile::parse(&bytes).map_err(|e| cannot(e.into()))
}

/// `--show-csr --csr FILE`: the subject, the other names and the key length, as acme.sh's
/// `showcsr` prints them.
pub(crate) fn show(parsed: &Parsed, printer: &Printer) -> Result<Outcome, Failure> {
    let path = settings::csr_path(&parsed.args, settings::SHOW_USAGE)?;
    let csr = read(path)?;
    let subject = csr.common_name.clone().unwrap_or_default();
    if subject.is_empty() {
        printer.info("The subject is empty");
    }
    printer.info(format_args!("Subject={subject}"));
    printer.info(format_args!("SubjectAltNames={}", csr.alt_names_line()));
    printer.info(format_args!("KeyLength={}", csr.key_type.as_openssl()));
    Ok(Outcome::Done)
}

/// `--sign-csr --csr FILE` and a validation mode: issue for the CSR's names into the lineage
/// folder of its main name and key type, finalizing with the CSR as given.
pub(crate) async fn sign(
    parsed: &Parsed,
    globals: &mut Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let path = settings::csr_path(&parsed.args, settings::SIGN_USAGE)?;
    let csr = read(path)?;
    let settings = IssueSettings::sign_csr(parsed, globals, (path, csr))?;
    let lineage = issue::folder(&globals.home, &settings)?;
    // Written with the certificate, so a failed first issuance leaves no folder behind.
    printer.info(format_args!("Copying CSR to: {}", lineage.csr().display()));
    let job = (&settings.request, &settings.ca, &settings.limits);
    issue::run_one(
        job,
        &lineage,
        settings.ca_bundle.as_deref(),
        globals,
        printer,
    )
    .await
}
