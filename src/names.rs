//! Domain names and IP addresses from the command line, checked before they reach the CA or
//! become a folder name (RFC 8555 §7.1.4, RFC 5891).
//!
//! `-d` values are split on commas, trimmed, lower-cased, IDNs converted to A-labels
//! (UTS 46, strict), a trailing dot removed, duplicates dropped (the first keeps its place,
//! so the first name stays the main domain). IPv4 (all-numeric dotted) and IPv6 (contains
//! `:`) become `ip` identifiers as in acme.sh.

use std::net::IpAddr;

use crate::acme::text::sanitize;
use crate::acme::types::Identifier;

/// Most names one certificate may carry.
pub const MAX_NAMES: usize = 100;

/// Why a name was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameError {
    /// No `-d` at all.
    #[error("no domain given")]
    Empty,
    /// Too many names.
    #[error("{0} names given; a certificate can carry at most {MAX_NAMES}")]
    TooMany(usize),
    /// Not a valid DNS name or IP address.
    #[error("`{name}` is not a valid domain name: {why}")]
    Invalid {
        /// The name as typed (at most 100 characters, control characters shown as `?`).
        name: String,
        /// What is wrong.
        why: &'static str,
    },
}

/// Parse every `-d` value into identifiers, the main domain first.
pub fn parse_domains(values: &[String]) -> Result<Vec<Identifier>, NameError> {
    let mut out: Vec<Identifier> = Vec::new();
    for raw in values.iter().flat_map(|v| v.split(',')) {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let id = parse_one(raw)?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    match out.len() {
        0 => Err(NameError::Empty),
        n if n > MAX_NAMES => Err(NameError::TooMany(n)),
        _ => Ok(out),
    }
}

/// Parse one name or address.
pub fn parse_one(raw: &str) -> Result<Identifier, NameError> {
    let invalid = |why| NameError::Invalid {
        name: sanitize(&raw.chars().take(100).collect::<String>()),
        why,
    };
    if raw.contains(':') {
        let ip: IpAddr = raw.parse().map_err(|_| invalid("not an IPv6 address"))?;
        return Ok(Identifier::Ip(ip.to_string()));
    }
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let ip: IpAddr = raw.parse().map_err(|_| invalid("not an IPv4 address"))?;
        return Ok(Identifier::Ip(ip.to_string()));
    }
    let name = raw.strip_suffix('.').unwrap_or(raw);
    let (wildcard, rest) = match name.strip_prefix("*.") {
        Some(rest) => (true, rest),
        None => (false, name),
    };
    if rest.contains('*') {
        return Err(invalid("`*` is only allowed as the whole leftmost label"));
    }
    if rest
        .bytes()
        .any(|b| b == b'_' || b.is_ascii_whitespace() || b == b'/' || b == 0)
    {
        return Err(invalid("contains a character not allowed in host names"));
    }
    let ascii =
        idna::domain_to_ascii_strict(rest).map_err(|_| invalid("not a valid (IDN) host name"))?;
    check_ldh(&ascii).map_err(invalid)?;
    let full = if wildcard {
        format!("*.{ascii}")
    } else {
        ascii
    };
    if full.len() > 253 {
        return Err(invalid("longer than 253 characters"));
    }
    Ok(Identifier::Dns(full))
}

fn check_ldh(name: &str) -> Result<(), &'static str> {
    for label in name.split('.') {
        if label.is_empty() {
            return Err("has an empty label");
        }
        if label.len() > 63 {
            return Err("has a label longer than 63 characters");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err("has a label that starts or ends with `-`");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err("contains a character not allowed in host names");
        }
    }
    Ok(())
}

/// The main name as acme.sh saves it and names the lineage folder after: the first `-d`
/// value as typed (trimmed, without a trailing dot) when it is an internationalized name,
/// which acme.sh keeps in Unicode; else the normalized identifier `first` (acmers lower-cases
/// ASCII names).
pub fn main_name(values: &[String], first: &Identifier) -> String {
    let typed = values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(|v| v.strip_suffix('.').unwrap_or(v));
    match typed {
        Some(t) if !t.is_ascii() => t.to_owned(),
        _ => first.value().to_owned(),
    }
}

/// Whether an identifier is a wildcard name.
pub fn is_wildcard(id: &Identifier) -> bool {
    matches!(id, Identifier::Dns(d) if d.starts_with("*."))
}

#[cfg(test)]
#[path = "names_tests.rs"]
mod tests;
