//! TEMPORARY placeholder, replaced by the scan module under review.

use std::path::Path;

use super::{Error, Lineage};

/// One lineage folder found in the cert home.
pub struct Found {
    /// Main domain.
    pub main_domain: String,
    /// `_ecc` folder.
    pub ecc: bool,
    /// The lineage.
    pub lineage: Lineage,
}

/// Lineage folders of `cert_home`, sorted.
pub fn lineages(cert_home: &Path) -> Result<Vec<Found>, Error> {
    let rd = std::fs::read_dir(cert_home).map_err(|source| Error::Read {
        path: cert_home.to_owned(),
        source,
    })?;
    let mut names: Vec<String> = rd
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && (n.contains('.') || n.contains(':')))
        .collect();
    names.sort();
    Ok(names
        .into_iter()
        .map(|name| {
            let (domain, ecc) = match name.strip_suffix("_ecc") {
                Some(d) => (d.to_owned(), true),
                None => (name.clone(), false),
            };
            Found {
                main_domain: domain.clone(),
                ecc,
                lineage: Lineage {
                    dir: cert_home.join(&name),
                    domain,
                    ecc,
                },
            }
        })
        .collect())
}
