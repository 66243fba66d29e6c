//! The four files an issuance produces, in acme.sh's order (`_installcert`: cert, CA, key,
//! full chain), and one value per file: where each is in the lineage ([`Files::issued`]),
//! where each is installed (`deploy::Targets`, `Le_Real*Path`).

use std::fmt;
use std::path::PathBuf;

use super::Lineage;

/// Which issued file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The leaf certificate (`<d>.cer`).
    Cert,
    /// The intermediates (`ca.cer`).
    Ca,
    /// The private key (`<d>.key`).
    Key,
    /// Leaf and intermediates (`fullchain.cer`).
    Fullchain,
}

impl Kind {
    /// Every kind, in acme.sh's order.
    pub const ALL: [Self; 4] = [Self::Cert, Self::Ca, Self::Key, Self::Fullchain];

    /// acme.sh's word in `Installing <word> to: <path>`: `cert`, `CA`, `key`, `full chain`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Cert => "cert",
            Self::Ca => "CA",
            Self::Key => "key",
            Self::Fullchain => "full chain",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One `T` for each issued file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Files<T> {
    /// For the leaf certificate: `<d>.cer`, `--cert-file` (`Le_RealCertPath`).
    pub cert: T,
    /// For the intermediates: `ca.cer`, `--ca-file` (`Le_RealCACertPath`).
    pub ca: T,
    /// For the private key: `<d>.key`, `--key-file` (`Le_RealKeyPath`).
    pub key: T,
    /// For leaf and intermediates: `fullchain.cer`, `--fullchain-file`
    /// (`Le_RealFullChainPath`).
    pub fullchain: T,
}

impl<T> Files<T> {
    /// The value for `kind`.
    pub fn get(&self, kind: Kind) -> &T {
        match kind {
            Kind::Cert => &self.cert,
            Kind::Ca => &self.ca,
            Kind::Key => &self.key,
            Kind::Fullchain => &self.fullchain,
        }
    }

    /// Every kind with its value, in acme.sh's order.
    pub fn iter(&self) -> impl Iterator<Item = (Kind, &T)> {
        Kind::ALL.into_iter().map(|kind| (kind, self.get(kind)))
    }

    /// `f` applied to every value, in acme.sh's order.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> Files<U> {
        Files {
            cert: f(self.cert),
            ca: f(self.ca),
            key: f(self.key),
            fullchain: f(self.fullchain),
        }
    }
}

impl Files<PathBuf> {
    /// The issued files of `lineage`: `<d>.cer`, `ca.cer`, `<d>.key`, `fullchain.cer`.
    pub fn issued(lineage: &Lineage) -> Self {
        Self {
            cert: lineage.cer(),
            ca: lineage.ca_cer(),
            key: lineage.key(),
            fullchain: lineage.fullchain(),
        }
    }
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
