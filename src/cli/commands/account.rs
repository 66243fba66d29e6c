//! The account commands: `--register-account` (acme.sh's `registeraccount`). See
//! docs/accounts.md.

use std::sync::Arc;

use crate::acme::{Client, RetryConfig};
use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{AccountSettings, Globals};
use crate::lineage::{self, http_client, http_config};

/// The directory of the settings' CA.
async fn client(settings: &AccountSettings) -> Result<Arc<Client>, Failure> {
    let server = &settings.ca.server;
    let http = http_client(&http_config(settings.ca_bundle.as_deref())?)?;
    let client = Client::new(http, server, RetryConfig::default())
        .await
        .map_err(|e| Failure::from(e).detail(format!("CA: {server}")))?;
    Ok(Arc::new(client))
}

/// Run `--register-account`: create the account key if there is none, send newAccount (with
/// the binding given or saved), save the account in `ca.conf` and print
/// `ACCOUNT_THUMBPRINT='…'`.
pub(crate) async fn register(
    settings: &AccountSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let client = client(settings).await?;
    lineage::register(
        client,
        &globals.home,
        &settings.ca,
        settings.lock_timeout,
        printer,
    )
    .await?;
    Ok(Outcome::Done)
}
