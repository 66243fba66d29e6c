//! The zones that may hold a name, as acme.sh's `_get_root` tries them against a provider's
//! API: the name itself, then each parent, longest first, down to two labels.

/// One candidate: the zone and the name relative to it (`@` for the zone's apex).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// The zone (`example.com`).
    pub zone: &'a str,
    /// The host part below it (`_acme-challenge.www`), or `@`.
    pub host: &'a str,
}

/// The candidates for `fqdn` (lower case, no trailing dot), longest zone first:
/// `_acme-challenge.www.example.com` gives itself (`@`), `www.example.com`
/// (`_acme-challenge`) and `example.com` (`_acme-challenge.www`).
pub fn candidates(fqdn: &str) -> impl Iterator<Item = Candidate<'_>> {
    let starts = std::iter::once(0).chain(fqdn.match_indices('.').map(|(dot, _)| dot + 1));
    starts
        .map(move |start| Candidate {
            zone: &fqdn[start..],
            host: if start == 0 { "@" } else { &fqdn[..start - 1] },
        })
        .filter(|c| c.zone.contains('.'))
}

#[cfg(test)]
#[path = "suffixes_tests.rs"]
mod tests;
