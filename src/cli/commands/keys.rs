//! The local key and format commands (docs/keys.md): `--create-account-key` (acme.sh's
//! `createAccountKey`), `--create-domain-key` (`createDomainKey`), `--create-csr`
//! (`createCSR`), `--to-pkcs12` (`toPkcs`) and `--to-pkcs8` (`toPkcs8`). None talks to a CA.

use anyhow::anyhow;

use crate::cli::args::Command;
use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{AccountSettings, Globals, KeyFileSettings};
use crate::lineage;
use crate::store::{Lineage, scan};

/// Run `--create-account-key`: the account key of the settings' CA, where `--issue` would use
/// it, created when absent.
pub(crate) async fn create_account_key(
    settings: &AccountSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    lineage::create_account_key(&globals.home, &settings.ca, settings.lock_timeout, printer)
        .await?;
    Ok(Outcome::Done)
}

/// Run one of the local lineage commands.
pub(crate) async fn run(
    command: Command,
    settings: &KeyFileSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let timeout = settings.lock_timeout;
    if command == Command::CreateDomainKey {
        // The key type picks the folder, as for `--issue`.
        let lineage = globals
            .home
            .lineage(&settings.main, settings.key_type.is_ecc())?;
        lineage::create_domain_key(
            &lineage,
            settings.key_type,
            settings.force,
            timeout,
            printer,
        )
        .await?;
        return Ok(Outcome::Done);
    }
    if command == Command::CreateCsr {
        // Without a folder there is no key: acme.sh's "This key file was not found".
        let lineage = scan::resolve(&globals.home.cert_home, &settings.main, settings.ecc)?;
        let names = (settings.main.as_str(), settings.identifiers.as_slice());
        let key_usage = settings.key_usage.as_deref();
        lineage::create_csr(&lineage, names, key_usage, timeout, printer).await?;
        return Ok(Outcome::Done);
    }
    let lineage = existing(globals, settings)?;
    if command == Command::ToPkcs12 {
        lineage::to_pkcs12(&lineage, &settings.password, timeout, printer).await?;
    } else {
        lineage::to_pkcs8(&lineage, timeout, printer).await?;
    }
    Ok(Outcome::Done)
}

/// The lineage folder of `-d` (`--ecc`, else the EC folder when only that one exists, as
/// acme.sh's `_initpath`), which must exist.
fn existing(globals: &Globals, settings: &KeyFileSettings) -> Result<Lineage, Failure> {
    let cert_home = &globals.home.cert_home;
    let (domain, ecc) = (&settings.main, settings.ecc);
    let lineage = scan::resolve(cert_home, domain, ecc)?;
    if lineage.dir.is_dir() {
        return Ok(lineage);
    }
    let other = Lineage::at(cert_home, domain, !ecc)
        .ok()
        .filter(|other| other.dir.is_dir());
    let hint = match other {
        Some(_) => format!("`{domain}` has only an RSA folder: run the command without `--ecc`"),
        None => format!(
            "create its key with `acmers --create-domain-key -d {domain}` or issue a \
             certificate with `--issue`; `acmers --list` shows the certificates"
        ),
    };
    Err(Failure::from(anyhow!(
        "no certificate folder for `{domain}` (`{}`)",
        lineage.dir.display()
    ))
    .hint(hint))
}
