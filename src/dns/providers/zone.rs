//! Finding the zone that holds a name, as acme.sh's `_get_root` does: ask the provider's API
//! for each suffix of the name, longest first, and take the first zone it has.

use crate::dns::Error;

/// The names a zone holding `fqdn` can have, longest first: `fqdn` itself (a delegated
/// `_acme-challenge` zone), then each parent down to the last label.
pub(crate) fn candidates(fqdn: &str) -> impl Iterator<Item = &str> {
    let fqdn = fqdn.trim_end_matches('.');
    std::iter::once(fqdn).chain(
        fqdn.match_indices('.')
            .map(move |(dot, _)| &fqdn[dot + 1..])
            .filter(|name| !name.is_empty()),
    )
}

/// The names a zone holding `fqdn` can have when `fqdn` itself cannot be one (a registrar's
/// domains), longest first: its parents, as acme.sh's `_get_root` of `dns_gd` and
/// `dns_hetznercloud` asks.
pub(crate) fn parents(fqdn: &str) -> impl Iterator<Item = &str> {
    candidates(fqdn).skip(1)
}

/// One candidate zone for a name, and the name relative to it (`@` for the zone's apex).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Candidate<'a> {
    /// The zone (`example.com`).
    pub zone: &'a str,
    /// The host part below it (`_acme-challenge.www`), or `@`.
    pub host: &'a str,
}

/// The [`candidates`] of at least two labels, each with the name relative to it: for APIs
/// that are asked with a zone and a host part.
pub(crate) fn splits(fqdn: &str) -> impl Iterator<Item = Candidate<'_>> {
    candidates(fqdn)
        .filter(|zone| zone.contains('.'))
        .map(move |zone| Candidate {
            zone,
            host: relative(fqdn, zone),
        })
}

/// Whether a zone name as an API spells it (any case, maybe a trailing dot) is `name`.
pub(crate) fn same(api_name: &str, name: &str) -> bool {
    api_name.trim_end_matches('.').eq_ignore_ascii_case(name)
}

/// `fqdn` relative to `zone`, which holds it: `_acme-challenge.www` in `example.com`, and
/// `@` for the apex.
pub(crate) fn relative<'a>(fqdn: &'a str, zone: &str) -> &'a str {
    let fqdn = fqdn.trim_end_matches('.');
    let zone = zone.trim_end_matches('.');
    if fqdn.eq_ignore_ascii_case(zone) {
        return "@";
    }
    let cut = fqdn.len().saturating_sub(zone.len() + 1);
    match fqdn.get(cut..).and_then(|tail| tail.strip_prefix('.')) {
        Some(tail) if tail.eq_ignore_ascii_case(zone) => &fqdn[..cut],
        _ => fqdn,
    }
}

/// Whether `zone` holds `fqdn` (is it or one of its parents).
pub(crate) fn holds(zone: &str, fqdn: &str) -> bool {
    candidates(fqdn).any(|name| same(zone, name))
}

/// No zone of `owner` (`the account`, `the server`) holds `fqdn`.
pub(crate) fn not_found(provider: &'static str, fqdn: &str, owner: &str) -> Error {
    Error::Api {
        provider,
        message: format!(
            "no zone of {owner} holds `{fqdn}` or one of its parents; add the zone there, or \
             point the name elsewhere with --challenge-alias"
        ),
    }
}

#[cfg(test)]
#[path = "zone_tests.rs"]
mod tests;
