//! `--deactivate`: deactivate the valid authorization of a name at a CA, so the next order
//! for it must be validated again (acme.sh's `_deactivate`; RFC 8555 §7.5.2).

use std::time::Duration;

use super::session::Session;
use super::{Ca, Error, Progress};
use crate::acme::Error as AcmeError;
use crate::acme::order::NewOrder;
use crate::acme::text::sanitize;
use crate::acme::types::{AuthorizationStatus, ChallengeStatus, Identifier};

/// Ask `ca` for a new order for `identifier` alone and deactivate its authorization when it
/// is `valid` (one the CA reuses from an earlier validation). An authorization that is not
/// valid is left alone, and so is the order (acme.sh then starts a validation; acmers does
/// not: docs/differences.md).
///
/// # Errors
///
/// The account cannot be set up, the CA refuses, or the authorization is not deactivated.
pub async fn deactivate(
    session: &Session,
    ca: &Ca,
    identifier: &Identifier,
    lock_timeout: Duration,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let state = session
        .interrupt
        .guard(session.ca(ca, lock_timeout, progress))
        .await?;
    let account = &state.account.account;
    let name = sanitize(identifier.value());
    session
        .interrupt
        .guard(async {
            let order = account
                .new_order(&NewOrder::new(std::slice::from_ref(identifier)))
                .await
                .map_err(|e| Error::at_ca(e, &ca.server))?;
            let at_order = |e| Error::at(e, &ca.server, "order", order.url.as_str());
            let url = order.state.authorizations.first().ok_or_else(|| {
                at_order(AcmeError::bad_response(
                    &order.url,
                    "the order has no authorization",
                ))
            })?;
            let at_authz = |e| Error::at(e, &ca.server, "authorization", url);
            let authz = account.authorization(url).await.map_err(at_authz)?;
            if authz.status() != AuthorizationStatus::Valid {
                progress.info(&"No valid entries found.");
                progress.info(&format_args!(
                    "Nothing to deactivate for {name}: its authorization is '{}'",
                    authz.status()
                ));
                return Ok(());
            }
            let kind = authz
                .challenges()
                .iter()
                .find(|c| c.status == ChallengeStatus::Valid)
                .map_or_else(|| "authorization".to_owned(), |c| sanitize(c.kind.as_str()));
            progress.info(&format_args!("Deactivating {name}"));
            progress.info(&format_args!("Found {kind}"));
            progress.info(&format_args!("Deactivating {kind}"));
            let done = account.deactivate_authorization(authz.url()).await;
            let done = done.and_then(|done| match done.status() {
                AuthorizationStatus::Deactivated => Ok(()),
                other => Err(AcmeError::bad_response(
                    authz.url(),
                    format!("the authorization is '{other}' after the deactivation"),
                )),
            });
            if let Err(e) = done {
                progress.warn(&format_args!("Could not deactivate {kind}."));
                return Err(at_authz(e));
            }
            progress.info(&format_args!("Successfully deactivated {kind}."));
            progress.info(&"Successfully deactivated!");
            Ok(())
        })
        .await
}
