//! `--list-profiles [--server CA]`: the certificate profiles the CA's directory offers
//! (`meta.profiles`), printed as acme.sh's `list_profiles` does.

use crate::acme::text::sanitize;
use crate::acme::{Client, RetryConfig};
use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{AccountSettings, ca_display_name};
use crate::lineage::{http_client, http_config};

/// Run `--list-profiles`.
pub(crate) async fn run(settings: &AccountSettings, printer: &Printer) -> Result<Outcome, Failure> {
    let server = &settings.ca.server;
    let name = ca_display_name(server).unwrap_or(server);
    printer.info(format_args!("Fetching profiles from {name} ({server})..."));
    let http = http_client(&http_config(settings.ca_bundle.as_deref())?)?;
    let client = Client::new(http, server, RetryConfig::default())
        .await
        .map_err(|e| Failure::from(e).detail(format!("CA: {server}")))?;
    let profiles = client
        .directory()
        .meta
        .as_ref()
        .map(|meta| &meta.profiles)
        .filter(|profiles| !profiles.is_empty());
    let Some(profiles) = profiles else {
        printer.info(format_args!(
            "The CA '{name}' does not publish certificate profiles via its directory endpoint."
        ));
        return Ok(Outcome::Done);
    };
    let mut table = format!("\n{:<15} info\n{}\n", "name", "-".repeat(68));
    for (profile, info) in profiles {
        let info = match info {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        table.push_str(&format!("{:<15} {}\n", sanitize(profile), sanitize(&info)));
    }
    printer.raw(table.trim_end());
    Ok(Outcome::Done)
}
