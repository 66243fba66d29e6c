//! One certificate from the CA: account → order (or the saved one, resumed) →
//! authorizations → finalize → bounded wait → download → verify → write.

use tracing::debug;

use super::authorize::{authorize, show_wait};
use super::files::{self, Issued, Signing};
use super::session::Session;
use super::validity::{self, Window};
use super::{Ca, Error, Limits, Progress, Request, Step};
use crate::acme::order::{Download, NewOrder, same_identifiers};
use crate::acme::poll::PollPolicy;
use crate::acme::types::{Identifier, OrderStatus};
use crate::acme::{Account, Error as AcmeError, Order};
use crate::cert::{self, IssuedChain};
use crate::csr;
use crate::store::Lineage;
use crate::store::record::{CaRecord, DomainRecord};
use crate::store::trust::Policy;
use crate::webserver;

/// Get a verified certificate for `request` and switch it into the lineage: the saved order
/// `pending` (resumed) or a new one → authorizations → finalize → bounded wait → download →
/// verify → journalled commit (RFC 8555 §7.4; acme.sh's `issue`).
pub(super) async fn obtain(
    session: &Session,
    (request, ca, limits): (&Request, &Ca, &Limits),
    lineage: &Lineage,
    record: &mut DomainRecord,
    pending: Option<String>,
    progress: &dyn Progress,
) -> Result<(), Error> {
    // A busy port fails the run before the CA is asked for an order it could not validate.
    session.listeners(request).await?;
    // Every dns provider (its variables, or the plugin file) is checked before the CA is
    // asked for an order it could not validate.
    let dns = super::dns::providers(session, request, (lineage, limits.hook))?;
    progress.info(&format_args!("Using CA: {}", ca.server));
    let state = session
        .interrupt
        .guard(session.ca(ca, limits.lock, progress))
        .await?;
    let account = &state.account.account;
    let identifiers = request.identifiers();
    check_profile(account, request, ca)?;
    let window = validity::window(
        request.order.valid_from.as_deref(),
        request.order.valid_to.as_deref(),
        jiff::Timestamp::now().as_second(),
    )?;
    let signing = files::signing(lineage, record, request, progress)?;
    // The CSR to finalize with, what `<d>.csr` holds, the key the certificate must carry, and
    // whether a saved order may have been finalized with that CSR.
    let (csr_der, csr_file, spki, resumable) = match &signing {
        Signing::Key(key, origin) => {
            let extensions = csr::Extensions {
                key_usage: request
                    .order
                    .extended_key_usage
                    .as_deref()
                    .unwrap_or_else(|| csr::default_key_usage(&ca.server)),
                must_staple: request.order.ocsp_must_staple,
            };
            let csr = csr::build_with(key, &identifiers, extensions)?;
            let resumable = origin.resumable();
            (csr.der, csr.pem.into_bytes(), key.spki_der(), resumable)
        }
        // A CSR given on the command line may be another one than an unfinished order's.
        Signing::Csr(csr) => (
            csr.der.clone(),
            csr.bytes.clone(),
            csr.spki_der.clone(),
            request.is_renewal(),
        ),
    };
    progress.info(&csr::describe(&request.main, &identifiers));
    let at_ca = |e| Error::at_ca(e, &ca.server);

    let (mut order, resumed) = session
        .interrupt
        .guard(async {
            // A new key cannot use an order finalized with another one.
            let resumed = match pending.filter(|_| resumable) {
                Some(url) => resume(account, &url, &identifiers, progress).await,
                None => None,
            };
            if let Some(order) = resumed {
                return Ok::<_, Error>((order, true));
            }
            let (not_before, not_after) = window.rfc3339();
            // A renewal names the certificate it replaces (RFC 9773 §5), when the CA has ARI.
            let replaces = (request.is_renewal()
                && state.client.directory().renewal_info.is_some()
                && session.ari_enabled(&ca.server))
            .then(|| super::ari::current_cert_id(lineage))
            .flatten();
            let ask = NewOrder {
                not_before: not_before.as_deref(),
                not_after: not_after.as_deref(),
                profile: request.order.profile.as_deref(),
                replaces: replaces.as_deref(),
                ..NewOrder::new(&identifiers)
            };
            session.checkpoint(lineage, Step::NewOrder).await?;
            let order = new_order(account, ask, progress).await.map_err(at_ca)?;
            record.set_new_order(order.url.as_str(), &order.state.finalize);
            record.set_manual_vlist(None);
            record.save(&lineage.conf())?;
            session.checkpoint(lineage, Step::OrderSaved).await?;
            Ok((order, false))
        })
        .await?;
    let at_order = |e, order: &Order| Error::at(e, &ca.server, "order", order.url.as_str());

    if order.state.status == OrderStatus::Pending {
        let authorized = authorize(
            session,
            (account, dns),
            (&order, resumed),
            (request, &ca.server, limits.validation),
            (&webserver::Place::of(&lineage.dir, limits.lock), lineage),
            progress,
        )
        .await;
        match authorized {
            Err(Error::DnsManual { vlist }) => {
                record.set_manual_vlist(Some(&vlist));
                record.save(&lineage.conf())?;
                return Err(Error::DnsManual { vlist });
            }
            other => other?,
        }
        // A dnsapi plugin may have saved settings in the conf (`_savedomainconf`); this run
        // changed nothing in it since it was last saved, so the file is the record now.
        if let Some(saved) = DomainRecord::load_trusted(&lineage.conf(), Policy::current())? {
            *record = saved;
        }
        progress.info(&"Verification finished, beginning signing.");
    }
    // The order is saved: a signal from here on leaves it for the next run to resume.
    let (download, cert_url) = session
        .interrupt
        .guard(async {
            let policy = PollPolicy::with_timeout(limits.order);
            if matches!(
                order.state.status,
                OrderStatus::Pending | OrderStatus::Ready
            ) {
                session.checkpoint(lineage, Step::Finalize).await?;
                progress.info(&"Let's finalize the order.");
                progress.info_kv(DomainRecord::FINALIZE_KEY, &order.state.finalize);
                order = finalize(account, &order, &csr_der, &policy, progress)
                    .await
                    .map_err(|e| at_order(e, &order))?;
            }
            account
                .wait_order(&mut order, &[OrderStatus::Valid], &policy, |w| {
                    show_wait(
                        progress,
                        w,
                        "Order status is 'processing', let's sleep and retry.",
                    )
                })
                .await
                .map_err(|e| at_order(e, &order))?;
            let cert_url = order.state.certificate.clone().ok_or_else(|| {
                at_order(
                    AcmeError::bad_response(&order.url, "valid order without a certificate URL"),
                    &order,
                )
            })?;
            progress.info(&"Downloading cert.");
            progress.info_kv(DomainRecord::CERT_KEY, &cert_url);
            let download = account.certificate(&cert_url).await.map_err(at_ca)?;
            Ok::<_, Error>((download, cert_url))
        })
        .await?;
    let now = jiff::Timestamp::now().as_second();
    let mut chain = match cert::verify_chain(&download.pem, &spki, &identifiers, now) {
        Ok(chain) => chain,
        Err(e) => {
            // Never resume this order again: its certificate is not usable.
            record.forget_order();
            record.save(&lineage.conf())?;
            return Err(Error::Verify(e));
        }
    };
    let preferred = match &request.order.preferred_chain {
        Some(name) => Some(name.clone()),
        None => CaRecord::load_trusted(&state.account.ca_dir.ca_conf(), Policy::current())?
            .default_preferred_chain(),
    };
    if let Some(name) = preferred.filter(|name| !chain.matches_issuer(name)) {
        let check = |pem: &[u8]| cert::verify_chain(pem, &spki, &identifiers, now);
        if let Some(alternate) = session
            .interrupt
            .guard(preferred_chain(
                account,
                (&download, &ca.server),
                &name,
                check,
                progress,
            ))
            .await?
        {
            chain = alternate;
        }
    }
    progress.info(&"Cert success.");
    progress.raw(chain.leaf_pem.trim_end());
    let issued = Issued {
        chain: &chain,
        key: match &signing {
            Signing::Key(key, origin) => Some((key, *origin)),
            Signing::Csr(_) => None,
        },
        csr: &csr_file,
        cert_url: &cert_url,
        days: request.days,
        next_renew: renew_time(request, &window, now, progress),
        now,
    };
    files::write_issued(lineage, record, &issued)?;
    files::print_paths(progress, lineage);
    Ok(())
}

/// Refuse a `--cert-profile` the CA's directory does not offer, before any order.
fn check_profile(account: &Account, request: &Request, ca: &Ca) -> Result<(), Error> {
    let Some(profile) = &request.order.profile else {
        return Ok(());
    };
    let offered = account
        .client()
        .directory()
        .meta
        .as_ref()
        .map(|meta| meta.profiles.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    if offered.contains(profile) {
        return Ok(());
    }
    Err(Error::UnknownProfile {
        profile: crate::acme::text::sanitize(profile),
        server: ca.server.clone(),
        offered: if offered.is_empty() {
            "none".into()
        } else {
            crate::acme::text::sanitize(&offered.join(", "))
        },
    })
}

/// The first alternate chain whose top issuer matches `name` (acme.sh's `issue` with
/// `--preferred-chain`: `_match_issuer` on each `rel="alternate"` link in turn), verified by
/// `check` like the default chain; `None` when none matches or can be used, and the default
/// chain is kept.
async fn preferred_chain(
    account: &Account,
    (download, server): (&Download, &str),
    name: &str,
    check: impl Fn(&[u8]) -> Result<IssuedChain, cert::CertError>,
    progress: &dyn Progress,
) -> Result<Option<IssuedChain>, Error> {
    for url in &download.alternates {
        progress.info(&format_args!("Trying rel: {url}"));
        let chain = match account.certificate(url).await {
            Ok(alternate) => check(&alternate.pem).map_err(Error::Verify),
            Err(e) => Err(Error::at(e, server, "alternate chain", url)),
        };
        match chain {
            Ok(chain) if chain.matches_issuer(name) => {
                progress.info(&format_args!("Matched issuer in: {url}"));
                return Ok(Some(chain));
            }
            Ok(_) => {}
            Err(e) => super::warn_error(progress, &e),
        }
    }
    Ok(None)
}

/// The renewal time when the order asked for a `notAfter` (acme.sh's `issue`), with acme.sh's
/// lines about a fixed end; `None` leaves it to `--days`.
fn renew_time(
    request: &Request,
    window: &Window,
    now: i64,
    progress: &dyn Progress,
) -> Option<i64> {
    let (not_after, valid_to) = (window.not_after?, request.order.valid_to.as_deref()?);
    if validity::is_fixed_end(valid_to) {
        validity::tell_fixed_end(progress, "until", valid_to);
    }
    Some(validity::next_renew_time(now, not_after, valid_to))
}

/// newOrder; when the CA refuses its `replaces` (RFC 9773 §5's `alreadyReplaced`, or as
/// acme.sh's `issue` judges: malformed, or a detail naming `replaces` or ARI), once more
/// without it.
async fn new_order(
    account: &Account,
    request: NewOrder<'_>,
    progress: &dyn Progress,
) -> Result<Order, AcmeError> {
    match account.new_order(&request).await {
        Err(AcmeError::Api { problem, .. })
            if request.replaces.is_some()
                && (problem.is("alreadyReplaced")
                    || problem.is("malformed")
                    || problem
                        .detail
                        .as_deref()
                        .is_some_and(|d| d.contains("replaces") || d.contains("ARI"))) =>
        {
            progress.info(&"ARI 'replaces' rejected by CA, retrying newOrder without 'replaces'.");
            let request = NewOrder {
                replaces: None,
                ..request
            };
            account.new_order(&request).await
        }
        other => other,
    }
}

/// Re-poll an order saved by an earlier run. `None` when it cannot be used (unknown to the
/// CA, invalid, expired, for other names): then a new order is made.
async fn resume(
    account: &Account,
    url: &str,
    identifiers: &[Identifier],
    progress: &dyn Progress,
) -> Option<Order> {
    match account.order(url).await {
        Ok(order)
            if order.state.status != OrderStatus::Invalid
                && same_identifiers(&order.state.identifiers, identifiers) =>
        {
            progress.info(&format_args!(
                "Resuming the saved order {url} (status '{}')",
                order.state.status
            ));
            Some(order)
        }
        Ok(order) => {
            debug!(status = %order.state.status, "saved order not usable; making a new one");
            None
        }
        Err(e) => {
            debug!(error = %e, "saved order not available; making a new one");
            None
        }
    }
}

/// Finalize; if the CA says the order is not ready yet, wait for `ready` and try once more.
async fn finalize(
    account: &Account,
    order: &Order,
    csr_der: &[u8],
    policy: &PollPolicy,
    progress: &dyn Progress,
) -> Result<Order, AcmeError> {
    match account.finalize(order, csr_der).await {
        Err(AcmeError::Api { problem, .. }) if problem.is("orderNotReady") => {
            let mut order = account.order(order.url.as_str()).await?;
            account
                .wait_order(
                    &mut order,
                    &[
                        OrderStatus::Ready,
                        OrderStatus::Processing,
                        OrderStatus::Valid,
                    ],
                    policy,
                    |w| {
                        show_wait(
                            progress,
                            w,
                            "Order status is not 'ready' yet, let's sleep and retry.",
                        )
                    },
                )
                .await?;
            if order.state.status == OrderStatus::Ready {
                account.finalize(&order, csr_der).await
            } else {
                Ok(order)
            }
        }
        other => other,
    }
}
