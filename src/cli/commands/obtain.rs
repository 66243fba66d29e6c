//! One certificate from the CA: account → order (or the saved one, resumed) →
//! authorizations → finalize → bounded wait → download → verify → write.

use tracing::debug;

use crate::acme::order::same_identifiers;
use crate::acme::poll::PollPolicy;
use crate::acme::types::OrderStatus;
use crate::acme::{Account, Error as AcmeError, Order};
use crate::cert;
use crate::cli::commands::authorize::{authorize, progress};
use crate::cli::commands::context::Context;
use crate::cli::commands::lineage;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{IssueSettings, Mode};
use crate::csr;
use crate::store::{Conf, Lineage};

/// Get a verified certificate for `settings` and switch it into the lineage: the saved order
/// (resumed) or a new one → authorizations → finalize → bounded wait → download → verify →
/// journalled commit (RFC 8555 §7.4; acme.sh's `issue`).
pub async fn obtain(
    ctx: &Context,
    settings: &IssueSettings,
    lineage: &Lineage,
    conf: &mut Conf,
    pending: Option<String>,
    printer: &Printer,
) -> Result<(), Failure> {
    // A busy port fails the run before the CA is asked for an order it could not validate.
    if settings.modes.contains(&Mode::Standalone) {
        ctx.standalone(settings).await?;
    }
    printer.info(format_args!("Using CA: {}", settings.server));
    let ca = ctx.interrupt.guard(ctx.ca(settings, printer)).await?;
    let account = &ca.account.account;
    let (key, origin) = lineage::domain_key(lineage, settings, printer)?;
    let csr = csr::build(&key, &settings.identifiers)?;
    if settings.identifiers.len() == 1 {
        printer.info(format_args!("Single domain='{}'", settings.main_domain()));
    } else {
        let list: Vec<String> = settings
            .identifiers
            .iter()
            .map(|id| match id {
                crate::acme::types::Identifier::Dns(d) => format!("DNS:{d}"),
                crate::acme::types::Identifier::Ip(ip) => format!("IP:{ip}"),
            })
            .collect();
        printer.info(format_args!("Multi domain='{}'", list.join(",")));
    }

    let mut order = ctx
        .interrupt
        .guard(async {
            // A new key cannot use an order finalized with another one.
            let resumed = match pending.filter(|_| origin.resumable()) {
                Some(url) => resume(account, &url, settings, printer).await,
                None => None,
            };
            if let Some(order) = resumed {
                return Ok::<_, Failure>(order);
            }
            let order = account.new_order(&settings.identifiers).await?;
            conf.set("Le_OrderFinalize", &order.state.finalize);
            conf.set("Le_LinkOrder", order.url.as_str());
            // Emptied, not removed: the line keeps its place in the file.
            conf.set("Le_LinkCert", "");
            conf.save(&lineage.conf())?;
            Ok(order)
        })
        .await?;
    let order_failure = |e: AcmeError, order: &Order| {
        Failure::from(e)
            .detail(format!("CA: {}", settings.server))
            .detail(format!("order: {}", order.url))
    };

    if order.state.status == OrderStatus::Pending {
        authorize(ctx, account, &order, settings, printer).await?;
        printer.info("Verification finished, beginning signing.");
    }
    // The order is saved: a signal from here on leaves it for the next run to resume.
    let (pem, cert_url) = ctx
        .interrupt
        .guard(async {
            let policy = PollPolicy::with_timeout(settings.order_timeout);
            if matches!(
                order.state.status,
                OrderStatus::Pending | OrderStatus::Ready
            ) {
                printer.info("Let's finalize the order.");
                printer.info_kv("Le_OrderFinalize", &order.state.finalize);
                order = finalize(account, &order, &csr.der, &policy, printer)
                    .await
                    .map_err(|e| order_failure(e, &order))?;
            }
            account
                .wait_order(&mut order, &[OrderStatus::Valid], &policy, |w| {
                    progress(
                        printer,
                        w,
                        "Order status is 'processing', let's sleep and retry.",
                    )
                })
                .await
                .map_err(|e| order_failure(e, &order))?;
            let cert_url = order.state.certificate.clone().ok_or_else(|| {
                AcmeError::bad_response(&order.url, "valid order without a certificate URL")
            })?;
            printer.info("Downloading cert.");
            printer.info_kv("Le_LinkCert", &cert_url);
            let pem = account.certificate(&cert_url).await?;
            Ok::<_, Failure>((pem, cert_url))
        })
        .await?;
    let now = jiff::Timestamp::now().as_second();
    let chain = match cert::verify_chain(&pem, &key, &settings.identifiers, now) {
        Ok(chain) => chain,
        Err(e) => {
            // Never resume this order again: its certificate is not usable.
            conf.remove("Le_LinkOrder");
            conf.save(&lineage.conf())?;
            return Err(anyhow::Error::from(e)
                .context("the CA's certificate failed verification; nothing was replaced")
                .into());
        }
    };
    printer.info("Cert success.");
    printer.raw(chain.leaf_pem.trim_end());
    let install_pending = !lineage::saved_install(conf).is_empty();
    let issued = lineage::Issued {
        chain: &chain,
        key: (&key, origin),
        csr_pem: &csr.pem,
        cert_url: &cert_url,
        days: settings.days,
        now,
    };
    lineage::write_issued(lineage, conf, &issued, install_pending)?;
    lineage::print_paths(printer, lineage);
    Ok(())
}

/// Re-poll an order saved by an earlier run. `None` when it cannot be used (unknown to the
/// CA, invalid, expired, for other names): then a new order is made.
async fn resume(
    account: &Account,
    url: &str,
    settings: &IssueSettings,
    printer: &Printer,
) -> Option<Order> {
    match account.order(url).await {
        Ok(order)
            if order.state.status != OrderStatus::Invalid
                && same_identifiers(&order.state.identifiers, &settings.identifiers) =>
        {
            printer.info(format_args!(
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
    printer: &Printer,
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
                        progress(
                            printer,
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
