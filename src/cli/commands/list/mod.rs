//! `--list [--listraw | --json] [-d D]`: the certificates of the home, as acme.sh lists them
//! (acme.sh's `list`).
//!
//! One row per lineage folder that holds a `<d>.conf` (a removed lineage has only
//! `<d>.conf.removed` and is not listed), in acme.sh's glob order (see [`scan::lineages`]):
//! `Le_Domain|"Le_Keylength"|Le_Alt|Le_Certificate_Profile|CA|Le_CertCreateTimeStr|Le_NextRenewTimeStr`
//! under the header `Main_Domain|KeyLength|SAN_Domains|Profile|CA|Created|Renew`. The table is
//! aligned exactly like acme.sh's `column -t -s '|'`; `--listraw` prints the `|` lines;
//! `--json` prints one JSON object per line ([`json`]). With `-d D` and
//! `--listraw` (or the table) the conf of `D`'s lineages is printed instead, as acme.sh does.
//!
//! A conf that cannot be read is listed with what is known (its folder's domain) and a warning
//! on stderr; one bad lineage never fails the list.

pub(crate) mod json;

use std::fmt::Write as _;

use crate::acme::text::escape_controls;
use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{self, Globals, LETSENCRYPT};
use crate::cli::settings::{Format, ListSettings};
use crate::store::record::DomainRecord;
use crate::store::scan::{self, Found};
use crate::store::{self, file};

/// acme.sh's `--list` header.
pub(crate) const HEADER: &str = "Main_Domain|KeyLength|SAN_Domains|Profile|CA|Created|Renew";

/// One listed lineage: its folder and its conf (`Err` when the conf exists but is unreadable).
#[derive(Debug)]
pub(crate) struct Entry {
    /// The folder.
    pub found: Found,
    /// The parsed conf, or why it could not be read.
    pub conf: Result<DomainRecord, store::Error>,
    /// The certificate, when it is not read from the folder (the fleet store's).
    pub cert: Option<Vec<u8>>,
}

/// Run `--list`.
pub(crate) fn run(
    settings: &ListSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let mut found = scan::lineages(&globals.home.cert_home)?;
    if let Some(domain) = &settings.domain {
        found.retain(|f| &f.main_domain == domain);
    }
    if settings.format != Format::Json && settings.domain.is_some() {
        print_confs(&found, settings.format, printer);
        return Ok(Outcome::Done);
    }
    let entries = load_entries(found, printer);
    print_entries(&entries, settings.format, printer)
}

/// Print the list of `entries` in `format`.
///
/// # Errors
///
/// The JSON cannot be rendered.
pub(crate) fn print_entries(
    entries: &[Entry],
    format: Format,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let text = match format {
        Format::Json => json::render(entries)?,
        Format::Raw => raw_table(entries),
        Format::Table => columns(&raw_table(entries)),
    };
    print_block(printer, &text);
    Ok(Outcome::Done)
}

/// `--list -d D`: the confs of `D`'s lineages as stored (`cat`), through `column` for the
/// table format, as acme.sh does.
fn print_confs(found: &[Found], format: Format, printer: &Printer) {
    let mut text = String::new();
    for f in found {
        match file::read(&f.lineage.conf(), file::MAX_FILE) {
            Ok(Some(loaded)) => text.push_str(&String::from_utf8_lossy(&loaded.bytes)),
            Ok(None) => {}
            Err(e) => warn_unreadable(printer, &f.main_domain, &e),
        }
    }
    if format == Format::Table {
        text = columns(&text);
    }
    print_block(printer, &text);
}

/// Read the conf of every folder; folders without a conf are dropped.
fn load_entries(found: Vec<Found>, printer: &Printer) -> Vec<Entry> {
    let mut entries = Vec::with_capacity(found.len());
    for f in found {
        let conf = match DomainRecord::load(&f.lineage.conf()) {
            Ok(Some(conf)) => Ok(conf),
            Ok(None) => continue,
            Err(e) => {
                warn_unreadable(printer, &f.main_domain, &e);
                Err(e)
            }
        };
        entries.push(Entry {
            found: f,
            conf,
            cert: None,
        });
    }
    entries
}

/// `warning: cannot read the conf of <domain>: <error>: <its causes>`.
fn warn_unreadable(printer: &Printer, domain: &str, error: &store::Error) {
    let mut line = format!("warning: cannot read the conf of {domain}: {error}");
    let mut cause = std::error::Error::source(error);
    while let Some(e) = cause {
        let _ = write!(line, ": {e}");
        cause = e.source();
    }
    printer.error(line);
}

/// Print `text` without its final newline (the printer adds one); nothing when empty.
pub(crate) fn print_block(printer: &Printer, text: &str) {
    let text = text.strip_suffix('\n').unwrap_or(text);
    if !text.is_empty() {
        printer.raw(text);
    }
}

/// The header and one `|` line per entry, each ending in `\n` (`--listraw`).
pub(crate) fn raw_table(entries: &[Entry]) -> String {
    let mut out = String::with_capacity(64 + entries.len() * 160);
    out.push_str(HEADER);
    out.push('\n');
    for entry in entries {
        out.push_str(&raw_row(entry));
        out.push('\n');
    }
    out
}

/// One `--listraw` line (no newline).
pub(crate) fn raw_row(entry: &Entry) -> String {
    let Ok(conf) = &entry.conf else {
        return format!("{}|\"\"|||||", escape_controls(&entry.found.main_domain));
    };
    // Control characters in a cell (a newline would break the table, an escape sequence
    // would reach the terminal) become `?`.
    let cell = |value: Option<String>| escape_controls(&value.unwrap_or_default()).into_owned();
    format!(
        "{}|\"{}\"|{}|{}|{}|{}|{}",
        cell(conf.main_domain()),
        cell(conf.key_length()),
        cell(Some(conf.alt_raw())),
        cell(conf.certificate_profile()),
        cell(Some(ca_display_name(&conf.api().unwrap_or_default()))),
        cell(Some(conf.cert_create_time_str())),
        cell(Some(conf.next_renew_time_str())),
    )
}

/// acme.sh's `_getCAShortName`: the CA's display name for a directory URL (compared without
/// case), the URL itself for other CAs, and Let's Encrypt when the URL is empty.
pub(crate) fn ca_display_name(url: &str) -> String {
    let url = if url.is_empty() { LETSENCRYPT } else { url };
    settings::ca_display_name(url).map_or_else(|| url.to_owned(), str::to_owned)
}

/// util-linux `column -t -s '|'`: blank lines are dropped, every line gets as many cells as
/// the longest one, each cell but the last is padded to its column's width, and cells are
/// joined by two spaces. Widths count characters (acme.sh's names are ASCII; `column` counts
/// terminal columns, which differs only for wide characters). Every line ends in `\n`.
pub(crate) fn columns(text: &str) -> String {
    let rows: Vec<Vec<&str>> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.split('|').collect())
        .collect();
    let ncols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0; ncols];
    for row in &rows {
        for (width, value) in widths.iter_mut().zip(row) {
            *width = (*width).max(value.chars().count());
        }
    }
    let mut out = String::with_capacity(text.len() + rows.len() * ncols * 2);
    for row in &rows {
        for (i, width) in widths.iter().enumerate() {
            let value = row.get(i).copied().unwrap_or_default();
            out.push_str(value);
            if i + 1 < ncols {
                let pad = width - value.chars().count() + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests;
