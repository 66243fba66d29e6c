//! One certificate lineage on disk: `<cert-home>/<main>[_ecc]/` with its key, CSR,
//! certificate files and `<main>.conf` (acme-compat §3.5, §3.6).

use anyhow::{Context as _, bail};

use crate::acme::types::Identifier;
use crate::cert::IssuedChain;
use crate::cli::printer::Printer;
use crate::cli::settings::IssueSettings;
use crate::keys::PrivateKey;
use crate::renew;
use crate::store::atomic::{create_private_dir_all, write_atomic};
use crate::store::{Conf, Lineage};

/// A pending order saved by an earlier run: `Le_LinkOrder` without a `Le_LinkCert`
/// (acmers removes `Le_LinkCert` when it creates an order and writes it back on success).
pub fn pending_order(conf: &Conf, server: &str) -> Option<String> {
    let order = conf.get("Le_LinkOrder").filter(|u| !u.is_empty())?;
    let has_cert = conf.get("Le_LinkCert").is_some_and(|u| !u.is_empty());
    let same_ca = conf.get("Le_API").as_deref() == Some(server);
    (!has_cert && same_ca).then_some(order)
}

/// The identifiers a conf was issued for: `Le_Domain` plus `Le_Alt` (`None` when absent or
/// not valid names).
pub fn saved_identifiers(conf: &Conf) -> Option<Vec<Identifier>> {
    let main = conf.get("Le_Domain")?;
    let alt = conf.get("Le_Alt").filter(|a| a != "no").unwrap_or_default();
    crate::names::parse_domains(&[main, alt]).ok()
}

/// Record the issue parameters in the conf, as acme.sh does before contacting the CA.
pub fn record_settings(conf: &mut Conf, settings: &IssueSettings) {
    let alt: Vec<&str> = settings.identifiers[1..]
        .iter()
        .map(Identifier::value)
        .collect();
    conf.set("Le_Domain", settings.main_domain());
    conf.set(
        "Le_Alt",
        &if alt.is_empty() {
            "no".into()
        } else {
            alt.join(",")
        },
    );
    conf.set("Le_Webroot", &settings.webroot_conf);
    for hook in ["Le_PreHook", "Le_PostHook", "Le_RenewHook"] {
        if conf.get(hook).is_none() {
            conf.set_base64(hook, "");
        }
    }
    conf.set("Le_API", &settings.server);
    match settings.http_port {
        Some(port) => conf.set("Le_HTTPPort", &port.to_string()),
        None => conf.remove("Le_HTTPPort"),
    }
    match settings.local_address {
        Some(ip) => conf.set("Le_LocalAddress", &ip.to_string()),
        None => conf.remove("Le_LocalAddress"),
    }
    conf.set("Le_Keylength", &settings.key_type.as_acmesh());
    match settings.days {
        Some(days) => conf.set("Le_RenewalDays", &days.to_string()),
        None => conf.remove("Le_RenewalDays"),
    }
}

/// Whether the domain key was reused or made new.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The existing `<d>.key`.
    Reused,
    /// A new key.
    Created,
}

/// Reuse `<d>.key` when it has the requested type; otherwise make a new one (a key of another
/// type is replaced only with `--force`, as in acme.sh).
pub fn domain_key(
    lineage: &Lineage,
    settings: &IssueSettings,
    printer: &Printer,
) -> anyhow::Result<(PrivateKey, KeyOrigin)> {
    let path = lineage.key();
    match std::fs::read_to_string(&path) {
        Ok(pem) => {
            let key = PrivateKey::from_pem(&pem)
                .with_context(|| format!("cannot use the domain key `{}`", path.display()))?;
            if key.key_type() == settings.key_type {
                return Ok((key, KeyOrigin::Reused));
            }
            if !settings.force {
                bail!(
                    "Domain key exists, do you want to overwrite it? `{}` is {}, but {} was asked \
                     for; add `--force` to replace it",
                    path.display(),
                    key.key_type().as_acmesh(),
                    settings.key_type.as_acmesh()
                );
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    }
    printer.info("Creating domain key");
    let key = PrivateKey::generate(settings.key_type)?;
    create_private_dir_all(&lineage.dir)?;
    write_atomic(&path, key.to_pem().as_bytes(), 0o600)?;
    printer.info(format_args!("The domain key is here: {}", path.display()));
    Ok((key, KeyOrigin::Created))
}

/// Write a verified chain: `<d>.cer`, `ca.cer`, `fullchain.cer`, then the conf times.
pub fn write_issued(
    lineage: &Lineage,
    conf: &mut Conf,
    chain: &IssuedChain,
    cert_url: &str,
    days: Option<i64>,
    now: i64,
) -> anyhow::Result<i64> {
    write_atomic(&lineage.cer(), chain.leaf_pem.as_bytes(), 0o644)?;
    write_atomic(&lineage.ca_cer(), chain.issuers_pem.as_bytes(), 0o644)?;
    write_atomic(&lineage.fullchain(), chain.fullchain_pem.as_bytes(), 0o644)?;
    let next = renew::next_renew_time(now, chain.not_before, chain.not_after, days);
    conf.set("Le_LinkCert", cert_url);
    conf.set("Le_CertCreateTime", &now.to_string());
    conf.set("Le_CertCreateTimeStr", &renew::time_str(now));
    conf.set("Le_NextRenewTimeStr", &renew::time_str(next));
    conf.set("Le_NextRenewTime", &next.to_string());
    conf.save(&lineage.conf())?;
    Ok(next)
}

/// Print acme.sh's closing lines: where each file is.
pub fn print_paths(printer: &Printer, lineage: &Lineage) {
    printer.info(format_args!("Your cert is in: {}", lineage.cer().display()));
    printer.info(format_args!(
        "Your cert key is in: {}",
        lineage.key().display()
    ));
    printer.info(format_args!(
        "The intermediate CA cert is in: {}",
        lineage.ca_cer().display()
    ));
    printer.info(format_args!(
        "And the full-chain cert is in: {}",
        lineage.fullchain().display()
    ));
}
