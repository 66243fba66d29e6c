//! `--issue`: account → order (or the saved one, resumed) → authorizations → finalize →
//! bounded wait → download → verify → write (acme-compat §4).

use std::sync::Arc;

use anyhow::Context as _;
use tracing::debug;

use crate::acme::order::same_identifiers;
use crate::acme::poll::PollPolicy;
use crate::acme::types::OrderStatus;
use crate::acme::{Account, Client, Error as AcmeError, Order, RetryConfig};
use crate::cert;
use crate::cli::commands::account;
use crate::cli::commands::authorize::{authorize, progress};
use crate::cli::commands::lineage::{self, KeyOrigin};
use crate::cli::commands::{Outcome, http_client};
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{Globals, IssueSettings};
use crate::csr;
use crate::renew;
use crate::store::atomic::{create_private_dir_all, write_atomic};
use crate::store::{Conf, Lineage};

/// Run `--issue`.
pub async fn run(
    settings: &IssueSettings,
    globals: &mut Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let lineage = globals
        .home
        .lineage(settings.main_domain(), settings.key_type.is_ecc())?;
    let mut conf = Conf::load(&lineage.conf())?.unwrap_or_default();
    let pending = lineage::pending_order(&conf, &settings.server);
    if !settings.force && pending.is_none() && !is_due(&conf, settings) {
        printer.info("Domains not changed.");
        printer.info(format_args!(
            "Skipping. Next renewal time is: {}",
            conf.get("Le_NextRenewTimeStr").unwrap_or_default()
        ));
        printer.info("Add '--force' to force renewal.");
        return Ok(Outcome::Skipped);
    }
    create_private_dir_all(&lineage.dir)?;
    lineage::record_settings(&mut conf, settings);
    conf.save(&lineage.conf())?;
    printer.info(format_args!("Using CA: {}", settings.server));

    let http = http_client(settings.ca_bundle.as_deref())?;
    let client = Arc::new(
        Client::new(http, &settings.server, RetryConfig::default())
            .await
            .map_err(|e| Failure::from(e).detail(format!("CA: {}", settings.server)))?,
    );
    let mut account = account::load_or_register(
        client.clone(),
        &globals.home,
        &settings.server,
        settings.account_key_type,
        settings.email.as_deref(),
        printer,
    )
    .await?;
    let result = issue(
        settings,
        &lineage,
        &mut conf,
        &account.account,
        pending,
        printer,
    )
    .await;
    account.save_if_reregistered(printer)?;
    debug!(requests = client.requests(), "requests sent to the CA");
    result?;
    save_account_conf(globals, settings)?;
    Ok(Outcome::Done)
}

/// Not due: a certificate was issued, the names are unchanged and its renewal time is ahead.
fn is_due(conf: &Conf, settings: &IssueSettings) -> bool {
    let issued = conf.get("Le_CertCreateTime").is_some_and(|t| !t.is_empty());
    let same = lineage::saved_identifiers(conf)
        .is_some_and(|saved| same_identifiers(&saved, &settings.identifiers));
    let next = conf.get("Le_NextRenewTime").and_then(|t| t.parse().ok());
    !issued || !same || renew::is_due(jiff::Timestamp::now().as_second(), next, false)
}

async fn issue(
    settings: &IssueSettings,
    lineage: &Lineage,
    conf: &mut Conf,
    account: &Account,
    pending: Option<String>,
    printer: &Printer,
) -> Result<(), Failure> {
    let (key, origin) = lineage::domain_key(lineage, settings, printer)?;
    let csr = csr::build(&key, &settings.identifiers)?;
    write_atomic(&lineage.csr(), csr.pem.as_bytes(), 0o644)?;
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

    // A new key cannot use an order finalized with the old one.
    let resumed = match pending.filter(|_| origin == KeyOrigin::Reused) {
        Some(url) => resume(account, &url, settings, printer).await,
        None => None,
    };
    let mut order = match resumed {
        Some(order) => order,
        None => {
            let order = account.new_order(&settings.identifiers).await?;
            conf.set("Le_OrderFinalize", &order.state.finalize);
            conf.set("Le_LinkOrder", order.url.as_str());
            conf.remove("Le_LinkCert");
            conf.save(&lineage.conf())?;
            order
        }
    };
    let order_failure = |e: AcmeError, order: &Order| {
        Failure::from(e)
            .detail(format!("CA: {}", settings.server))
            .detail(format!("order: {}", order.url))
    };

    if order.state.status == OrderStatus::Pending {
        authorize(account, &order, settings, printer).await?;
        printer.info("Verification finished, beginning signing.");
    }
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
    let now = jiff::Timestamp::now().as_second();
    let chain = cert::verify_chain(&pem, &key, &settings.identifiers, now)
        .context("the CA's certificate failed verification; nothing was replaced")?;
    printer.info("Cert success.");
    printer.raw(chain.leaf_pem.trim_end());
    lineage::write_issued(lineage, conf, &chain, &cert_url, settings.days, now)?;
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

/// After a successful issue acme.sh saves the CA bundle in account.conf, so later runs (cron)
/// trust the same CA.
fn save_account_conf(globals: &mut Globals, settings: &IssueSettings) -> anyhow::Result<()> {
    let value = settings.ca_bundle.as_ref().map(|p| {
        std::path::absolute(p)
            .unwrap_or_else(|_| p.clone())
            .display()
            .to_string()
    });
    let current = globals.account_conf.get("CA_BUNDLE");
    if current.as_deref() == value.as_deref() {
        return Ok(());
    }
    match value {
        Some(v) => globals.account_conf.set("CA_BUNDLE", &v),
        None => globals.account_conf.remove("CA_BUNDLE"),
    }
    create_private_dir_all(&globals.home.config_home)?;
    globals.account_conf.save(&globals.home.account_conf())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::settings::Mode;
    use crate::keys::KeyType;

    fn settings(names: &[&str]) -> IssueSettings {
        IssueSettings {
            identifiers: names
                .iter()
                .map(|n| crate::acme::types::Identifier::Dns((*n).into()))
                .collect(),
            modes: vec![Mode::Standalone; names.len()],
            webroot_conf: "no".into(),
            key_type: KeyType::Ec256,
            account_key_type: KeyType::Ec256,
            server: "https://ca.test/dir".into(),
            ca_bundle: None,
            email: None,
            http_port: None,
            local_address: None,
            validation_timeout: std::time::Duration::from_secs(300),
            order_timeout: std::time::Duration::from_secs(300),
            force: false,
            days: None,
        }
    }

    #[test]
    fn due_rules() {
        let s = settings(&["a.test", "b.test"]);
        let future = jiff::Timestamp::now().as_second() + 3600;
        let issued = Conf::parse(&format!(
            "Le_Domain='a.test'\nLe_Alt='b.test'\nLe_CertCreateTime='1'\nLe_NextRenewTime='{future}'\n"
        ));
        assert!(!is_due(&issued, &s));
        // Other names → due.
        assert!(is_due(&issued, &settings(&["a.test"])));
        // Never issued → due.
        assert!(is_due(
            &Conf::parse("Le_Domain='a.test'\nLe_Alt='b.test'\n"),
            &s
        ));
        // Past renewal time → due.
        let past = Conf::parse(
            "Le_Domain='a.test'\nLe_Alt='b.test'\nLe_CertCreateTime='1'\nLe_NextRenewTime='2'\n",
        );
        assert!(is_due(&past, &s));
    }
}
