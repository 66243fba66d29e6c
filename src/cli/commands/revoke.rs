//! `--revoke -d D [--ecc] [--revoke-reason 0-10]`: revoke a lineage's certificate with the
//! account key, then with the domain key when the CA refuses (acme.sh's `revoke`).
//!
//! As acme.sh 3.1: the CA is the lineage's `Le_API`; the request is signed as the saved account
//! of that CA (`kid`), and when that fails (no account, not the account that issued it, any
//! problem) with `<d>.key` (`jwk`). No account is registered for a revocation. After
//! success `<d>.key` and `<d>.csr` are copied to `<d>.key.revoked` and `<d>.csr.revoked`
//! and `<d>.cer` is deleted; `<d>.conf` stays (`--remove` stops renewing).
//!
//! acmers differs in two places (docs/revoke.md): `--server` overrides `Le_API`, and an
//! `alreadyRevoked` answer counts as success, so a run interrupted after the CA revoked but
//! before the files were moved can be finished by running it again.

use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, anyhow};
use tracing::debug;

use crate::acme::revoke::{is_already_revoked, revoke_with_key};
use crate::acme::{Account, Client, RetryConfig};
use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{Globals, RevokeSettings};
use crate::keys::PrivateKey;
use crate::lineage::{http_client, http_config};
use crate::store::atomic::write_atomic;
use crate::store::record::{CaRecord, DomainRecord};
use crate::store::{Home, Lineage, file, scan};

/// Run `--revoke`.
pub(crate) async fn run(
    settings: &RevokeSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let d = &settings.domain;
    // `-k 2048` names the RSA folder: no fallback to `_ecc`.
    let lineage = if settings.rsa_asked {
        globals.home.lineage(&settings.domain, settings.ecc)?
    } else {
        scan::resolve(&globals.home.cert_home, &settings.domain, settings.ecc)?
    };
    if lineage.ecc && !settings.ecc {
        printer.info(format_args!(
            "The domain '{}' seems to already have an ECC cert, let's use it.",
            settings.domain
        ));
    }
    let Some(record) = DomainRecord::load(&lineage.conf())? else {
        return Err(Failure::from(anyhow!(
            "{d} is not an issued domain, skipping."
        )));
    };
    let der = read_leaf_der(&lineage)?;
    let server = settings
        .server
        .clone()
        .or_else(|| record.api())
        .unwrap_or_else(|| settings.default_server.clone());
    debug!(%server, domain = %d, "revoking");
    let on_ca = |f: Failure| f.detail(format!("CA: {server}"));

    let http = http_client(&http_config(settings.ca_bundle.as_deref())?)?;
    let client = Arc::new(
        Client::new(http, &server, RetryConfig::default())
            .await
            .map_err(|e| on_ca(Failure::from(e)))?,
    );
    let reason = Some(settings.reason);

    printer.info("Trying account key first.");
    let account_error = match saved_account(client.clone(), &globals.home, &server) {
        Ok(account) => match account.revoke(&der, reason).await {
            Ok(()) => return finish(&lineage, printer, false),
            Err(e) if is_already_revoked(&e) => return finish(&lineage, printer, true),
            Err(e) => anyhow::Error::from(e),
        },
        Err(e) => e,
    };
    printer.error("Error revoking.");
    printer.error(format_args!("{account_error:#}"));

    let key_path = lineage.key();
    let Some(key_file) = file::read(&key_path, file::MAX_FILE)? else {
        printer.info("Domain key file doesn't exist.");
        return Err(on_ca(Failure::from(account_error)));
    };
    printer.info("Trying domain key.");
    let key = PrivateKey::from_pem(&String::from_utf8_lossy(&key_file.bytes))
        .with_context(|| format!("cannot use the domain key `{}`", key_path.display()))?;
    match revoke_with_key(&client, &key, &der, reason).await {
        Ok(()) => finish(&lineage, printer, false),
        Err(e) if is_already_revoked(&e) => finish(&lineage, printer, true),
        Err(e) => {
            printer.error("Error revoking using domain key.");
            let unauthorized = e.problem().is_some_and(|p| p.is("unauthorized"));
            // The account key's error is printed above already.
            let mut failure = on_ca(Failure::from(e));
            if unauthorized {
                failure = failure.hint(format!(
                    "the CA accepts a revocation signed by the account that issued the \
                     certificate (its home and `--server`) or by the certificate's own key; \
                     `{}` does not belong to this certificate",
                    key_path.display()
                ));
            }
            Err(failure)
        }
    }
}

/// The DER of the first certificate in `<d>.cer`.
fn read_leaf_der(lineage: &Lineage) -> Result<Vec<u8>, Failure> {
    let d = &lineage.domain;
    let path = lineage.cer();
    let Some(loaded) = file::read(&path, file::MAX_FILE)? else {
        return Err(Failure::from(anyhow!(
            "Cert for {d} {} was not found, skipping.",
            path.display()
        )));
    };
    pem::parse_many(&loaded.bytes)
        .ok()
        .and_then(|blocks| blocks.into_iter().find(|b| b.tag() == "CERTIFICATE"))
        .map(pem::Pem::into_contents)
        .ok_or_else(|| {
            Failure::from(anyhow!(
                "Cert for {d} is empty, skipping: `{}` holds no PEM certificate",
                path.display()
            ))
        })
}

/// The saved account of `server`: `account.key` and `ACCOUNT_URL` in its `ca/` folder.
fn saved_account(client: Arc<Client>, home: &Home, server: &str) -> anyhow::Result<Account> {
    let ca_dir = home.ca_dir(server)?;
    let key_path = ca_dir.account_key();
    let Some(key_file) = file::read(&key_path, file::MAX_FILE)? else {
        return Err(anyhow!(
            "there is no account for this CA (`{}` does not exist)",
            key_path.display()
        ));
    };
    let url = CaRecord::load(&ca_dir.ca_conf())?
        .account_url()
        .ok_or_else(|| {
            anyhow!(
                "there is no account for this CA (no ACCOUNT_URL in `{}`)",
                ca_dir.ca_conf().display()
            )
        })?;
    let key = PrivateKey::from_pem(&String::from_utf8_lossy(&key_file.bytes))
        .with_context(|| format!("cannot use the account key `{}`", key_path.display()))?;
    Ok(Account::existing(client, Arc::new(key), Vec::new(), url))
}

/// After the CA revoked: keep copies of the key and CSR as `.revoked`, then delete `<d>.cer`.
/// Copies first, so an interruption leaves `<d>.cer` for a second run (which the CA answers
/// with `alreadyRevoked`, and which then finishes here).
fn finish(lineage: &Lineage, printer: &Printer, already: bool) -> Result<Outcome, Failure> {
    if already {
        printer.info("The certificate was revoked already.");
    } else {
        printer.info("Successfully revoked.");
    }
    let moved = (|| -> anyhow::Result<()> {
        keep_copy(&lineage.key(), 0o600)?;
        keep_copy(&lineage.csr(), 0o644)?;
        file::remove(&lineage.cer())?;
        std::fs::File::open(&lineage.dir)
            .and_then(|dir| dir.sync_all())
            .with_context(|| format!("failed to sync directory `{}`", lineage.dir.display()))
    })();
    moved.map_err(|e| {
        Failure::from(e.context("the certificate is revoked, but its files were not all moved"))
            .hint("run the same `--revoke` again to finish")
    })?;
    Ok(Outcome::Done)
}

/// Copy `path` to `path.revoked` (atomically, with `mode`), when `path` exists.
fn keep_copy(path: &Path, mode: u32) -> anyhow::Result<()> {
    let Some(loaded) = file::read(path, file::MAX_FILE)? else {
        return Ok(());
    };
    let mut target = OsString::from(path.as_os_str());
    target.push(".revoked");
    write_atomic(Path::new(&target), &loaded.bytes, mode)?;
    Ok(())
}

#[cfg(test)]
#[path = "revoke_tests.rs"]
mod tests;
