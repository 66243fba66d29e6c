//! `--info [-d D [--ecc]] [--output-insecure]`: the settings of the home or of one lineage
//! (acme.sh's `info`).
//!
//! Without `-d`: `LE_WORKING_DIR=…`, `LE_CONFIG_HOME=…`, then `account.conf` line by line as
//! stored. With `-d`: `DOMAIN_CONF=<path>`, then `Key=value` for every key of the domain conf,
//! unquoted and with acme.sh's base64 wrapper decoded.
//!
//! Unlike acme.sh, saved secrets are masked unless `--output-insecure` is given (see
//! [`is_secret`]): the value is replaced by acme.sh's own `[hidden](…)` text.

use std::path::Path;

use crate::acme::text::escape_controls_keeping;
use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::Globals;
use crate::cli::settings::InfoSettings;
use crate::store::record::is_secret;
use crate::store::{Conf, file, scan};

/// acme.sh's `HIDDEN_VALUE`.
pub(crate) const HIDDEN: &str = "[hidden](please add '--output-insecure' to see this value)";

/// Run `--info`.
pub(crate) fn run(
    settings: &InfoSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    match &settings.domain {
        None => global(settings.insecure, globals, printer),
        Some(domain) => domain_info(domain, settings, globals, printer),
    }
}

fn global(insecure: bool, globals: &Globals, printer: &Printer) -> Result<Outcome, Failure> {
    let home = &globals.home;
    let mut out = format!(
        "LE_WORKING_DIR={}\nLE_CONFIG_HOME={}\n",
        home.working_dir.display(),
        home.config_home.display()
    );
    let path = home.account_conf();
    let Some(loaded) = file::read(&path, file::MAX_FILE)? else {
        printer.raw(out.trim_end_matches('\n'));
        printer.error(format_args!(
            "warning: `{}` does not exist yet",
            path.display()
        ));
        return Ok(Outcome::Done);
    };
    out.push_str(&mask_conf_text(
        &String::from_utf8_lossy(&loaded.bytes),
        insecure,
    ));
    printer.raw(out.strip_suffix('\n').unwrap_or(&out));
    Ok(Outcome::Done)
}

fn domain_info(
    domain: &str,
    settings: &InfoSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let lineage = scan::resolve(&globals.home.cert_home, domain, settings.ecc)?;
    if lineage.ecc && !settings.ecc {
        printer.info(format_args!(
            "The domain '{domain}' seems to already have an ECC cert, let's use it."
        ));
    }
    let path = lineage.conf();
    let mut out = format!("DOMAIN_CONF={}\n", path.display());
    let Some(conf) = Conf::load(&path)? else {
        printer.raw(out.trim_end_matches('\n'));
        printer.error(format_args!(
            "{}",
            missing_conf(&path, &lineage.conf_removed())
        ));
        return Ok(Outcome::Done);
    };
    out.push_str(&domain_conf_text(&conf, settings.insecure));
    printer.raw(out.strip_suffix('\n').unwrap_or(&out));
    Ok(Outcome::Done)
}

/// Why a lineage has no conf to show.
fn missing_conf(conf: &Path, removed: &Path) -> String {
    if removed.is_file() {
        format!(
            "warning: `{}` does not exist: the certificate was removed with `--remove` (its settings are in `{}`)",
            conf.display(),
            removed.display()
        )
    } else {
        format!("warning: `{}` does not exist", conf.display())
    }
}

/// `Key=value` lines of a domain conf: values unquoted and decoded, secrets masked; tabs and
/// newlines (multi-line hooks) stay, other control characters become `?`.
pub(crate) fn domain_conf_text(conf: &Conf, insecure: bool) -> String {
    let mut out = String::new();
    for key in conf.keys() {
        let value = conf.get(&key).unwrap_or_default();
        let shown = if !insecure && !value.is_empty() && is_secret(&key) {
            HIDDEN
        } else {
            &escape_controls_keeping(&value, &['\n', '\t'])
        };
        out.push_str(&key);
        out.push('=');
        out.push_str(shown);
        out.push('\n');
    }
    out
}

/// Conf text as stored, with the value of every secret assignment (also a commented
/// `#KEY=…`) replaced by [`HIDDEN`]; an empty value is left as it is.
pub(crate) fn mask_conf_text(text: &str, insecure: bool) -> String {
    if insecure {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        match secret_assignment(body) {
            Some(prefix) => {
                out.push_str(prefix);
                out.push_str(HIDDEN);
            }
            None => out.push_str(body),
        }
        out.push_str(end);
    }
    out
}

/// For a line assigning a non-empty value to a secret key, the text up to and including `=`.
fn secret_assignment(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix('#').unwrap_or(rest);
    let rest = match rest.strip_prefix("export") {
        Some(r) if r.starts_with([' ', '\t']) => r.trim_start_matches([' ', '\t']),
        _ => rest,
    };
    let eq = rest.find('=')?;
    let key = &rest[..eq];
    let valid = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid || !is_secret(key) {
        return None;
    }
    // An empty value (`KEY=''`) hides nothing; a value that does not parse is masked too.
    let value = Conf::parse(&format!("{key}={}", &rest[eq + 1..])).get(key);
    if value.is_some_and(|v| v.is_empty()) {
        return None;
    }
    let prefix_len = line.len() - rest.len() + eq + 1;
    Some(&line[..prefix_len])
}

#[cfg(test)]
#[path = "info_tests.rs"]
mod tests;
