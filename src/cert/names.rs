//! Comparing a certificate's subjectAltNames with the identifiers that were ordered.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

use super::CertError;
use crate::acme::text::sanitize;
use crate::acme::types::Identifier;

/// A name compared the way a CA issues it: DNS case-insensitively, IPs as addresses.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Name {
    Dns(String),
    Ip(IpAddr),
    /// Any other SAN type (never requested, so always unexpected).
    Other(String),
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dns(d) => f.write_str(&sanitize(d)),
            Self::Ip(ip) => write!(f, "{ip}"),
            Self::Other(o) => f.write_str(&sanitize(o)),
        }
    }
}

pub(super) fn san_names(cert: &X509Certificate<'_>) -> Result<Vec<Name>, CertError> {
    let Some(ext) = cert.subject_alternative_name().map_err(CertError::BadSan)? else {
        return Ok(Vec::new());
    };
    Ok(ext
        .value
        .general_names
        .iter()
        .map(|name| match name {
            GeneralName::DNSName(d) => Name::Dns(d.to_ascii_lowercase()),
            GeneralName::IPAddress(bytes) => match ip_from_bytes(bytes) {
                Some(ip) => Name::Ip(ip),
                None => Name::Other(format!("IP address of {} bytes", bytes.len())),
            },
            other => Name::Other(other.to_string()),
        })
        .collect())
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(IpAddr::from(v4));
    }
    <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from)
}

pub(super) fn check_names(
    leaf: &X509Certificate<'_>,
    requested: &[Identifier],
) -> Result<(), CertError> {
    let wanted = requested
        .iter()
        .map(|id| match id {
            Identifier::Dns(d) => Ok(Name::Dns(d.to_ascii_lowercase())),
            Identifier::Ip(v) => {
                v.parse()
                    .map(Name::Ip)
                    .map_err(|source| CertError::InvalidRequestedIp {
                        value: sanitize(v),
                        source,
                    })
            }
        })
        .collect::<Result<BTreeSet<_>, _>>()?;
    let got: BTreeSet<Name> = san_names(leaf)?.into_iter().collect();
    if wanted == got {
        return Ok(());
    }
    Err(CertError::SanMismatch {
        missing: wanted.difference(&got).map(Name::to_string).collect(),
        extra: got.difference(&wanted).map(Name::to_string).collect(),
    })
}
