//! `--list` and `--info` on the store: the same output as for a home, from one query.

use std::path::Path;
use std::sync::Arc;

use anyhow::anyhow;

use super::work::ACCOUNT_CONF;
use crate::cli::args::Parsed;
use crate::cli::commands::info::{domain_conf_text, mask_conf_text};
use crate::cli::commands::list::{self, Entry};
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{Format, InfoSettings, ListSettings};
use crate::fleet::{Store, accounts, lineages};
use crate::lineage::Outcome;
use crate::store::layout::split_folder;
use crate::store::record::DomainRecord;
use crate::store::scan::Found;
use crate::store::{Conf, Lineage};

/// `--list [--listraw | --json] [-d D]` on the store.
pub(super) async fn list(
    store: &Arc<Store>,
    parsed: &Parsed,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let settings = ListSettings::resolve(&parsed.args);
    let mut confs = lineages::confs(store.db(), settings.format == Format::Json).await?;
    if let Some(domain) = &settings.domain {
        confs.retain(|(id, ..)| split_folder(id).0 == domain);
    }
    if settings.format != Format::Json && settings.domain.is_some() {
        let mut text: String = confs
            .iter()
            .map(|(_, conf, _)| String::from_utf8_lossy(conf).into_owned())
            .collect();
        if settings.format == Format::Table {
            text = list::columns(&text);
        }
        list::print_block(printer, &text);
        return Ok(Outcome::Done);
    }
    let entries = confs
        .into_iter()
        .filter_map(|(id, conf, cert)| {
            let (main, ecc) = split_folder(&id);
            Some(Entry {
                found: Found {
                    lineage: Lineage::at(Path::new(""), main, ecc).ok()?,
                    main_domain: main.to_owned(),
                    ecc,
                },
                conf: Ok(DomainRecord::parse(&String::from_utf8_lossy(&conf))),
                cert,
            })
        })
        .collect::<Vec<_>>();
    list::print_entries(&entries, settings.format, printer)
}

/// `--info [-d D [--ecc]]` on the store.
pub(super) async fn info(
    store: &Arc<Store>,
    (url, node): (&str, &str),
    parsed: &Parsed,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let settings = InfoSettings::resolve(&parsed.args);
    let Some(domain) = &settings.domain else {
        // As acme.sh's first lines name the home: the store (password hidden) and the node.
        let home = accounts::load_home(store).await?;
        let conf = home.get(ACCOUNT_CONF).unwrap_or_default();
        let out = format!(
            "ACMERS_STORE={url}\nACMERS_NODE={node}\n{}",
            mask_conf_text(&String::from_utf8_lossy(conf), settings.insecure)
        );
        printer.raw(out.strip_suffix('\n').unwrap_or(&out));
        return Ok(Outcome::Done);
    };
    if let Some(id) = super::work::find(store, domain, settings.ecc).await?
        && let Some(files) = lineages::load(store, &id).await?
    {
        let name = lineages::conf_name(&id);
        let conf = Conf::parse(&String::from_utf8_lossy(
            files.get(&name).unwrap_or_default(),
        ));
        let out = format!(
            "DOMAIN_CONF={id}/{name}\n{}",
            domain_conf_text(&conf, settings.insecure)
        );
        printer.raw(out.strip_suffix('\n').unwrap_or(&out));
        return Ok(Outcome::Done);
    }
    Err(Failure::from(anyhow!(
        "'{domain}' is not a lineage in the store"
    )))
}
