//! The account commands (docs/accounts.md): `--register-account` (acme.sh's
//! `registeraccount`), `--update-account` (`updateaccount`), `--deactivate-account`
//! (`deactivateaccount`) and `--update-account-key` (RFC 8555 §7.3.5 key rollover).

use std::sync::Arc;

use crate::acme::{Client, RetryConfig};
use crate::cli::args::Command;
use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{AccountSettings, Globals};
use crate::lineage::{self, http_client, http_config};

/// Run one account command against the settings' CA.
pub(crate) async fn run(
    command: Command,
    settings: &AccountSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let server = &settings.ca.server;
    let http = http_client(&http_config(settings.ca_bundle.as_deref())?)?;
    let client = Client::new(http, server, RetryConfig::default())
        .await
        .map_err(|e| Failure::from(e).detail(format!("CA: {server}")))?;
    let client = Arc::new(client);
    let (home, ca, lock) = (&globals.home, &settings.ca, settings.lock_timeout);
    match command {
        Command::UpdateAccount => {
            lineage::update_account(client, home, ca, lock, printer).await?;
        }
        Command::DeactivateAccount => {
            lineage::deactivate_account(client, home, ca, lock, printer).await?;
        }
        Command::UpdateAccountKey => {
            lineage::change_account_key(client, home, ca, lock, printer).await?;
        }
        _ => {
            lineage::register(client, home, ca, lock, printer).await?;
        }
    }
    Ok(Outcome::Done)
}
