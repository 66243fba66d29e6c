//! `--deactivate -d D [-d D2 …]`: deactivate each name's valid authorization at its CA
//! (acme.sh's `deactivate`; docs/accounts.md).

use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{DeactivateSettings, Globals, zerossl_eab};
use crate::lineage::{self, Ca, Outcome};
use crate::store::record::DomainRecord;
use crate::store::scan;
use crate::store::trust::Policy;

/// Deactivate the names in order; the first failure stops the run with acme.sh's
/// `Deactivation failed.`.
pub(crate) async fn run(
    settings: &DeactivateSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let account = &settings.account;
    let session = super::session(globals, account.ca_bundle.as_deref(), false)?;
    let mut result = Ok(());
    for (typed, identifier) in &settings.names {
        let done = match ca_of(globals, settings, typed) {
            Ok(ca) => lineage::deactivate(&session, &ca, identifier, account.lock_timeout, printer)
                .await
                .map_err(Failure::from),
            Err(failure) => Err(failure),
        };
        if let Err(failure) = done {
            result = Err(failure);
            break;
        }
    }
    session.finish(printer).await?;
    result.inspect_err(|_| printer.error("Deactivation failed."))?;
    Ok(Outcome::Done)
}

/// The CA of a name: its lineage's `Le_API` when it has one (acme.sh's `_deactivate`), else
/// the selected CA.
fn ca_of(globals: &Globals, settings: &DeactivateSettings, typed: &str) -> Result<Ca, Failure> {
    let lineage = scan::resolve(&globals.home.cert_home, typed, settings.ecc)?;
    let saved = DomainRecord::load_trusted(&lineage.conf(), Policy::current())?
        .and_then(|record| record.api());
    let selected = &settings.account.ca;
    Ok(match saved {
        Some(server) => Ca {
            zerossl_eab: zerossl_eab(&server),
            server,
            ..selected.clone()
        },
        None => selected.clone(),
    })
}
