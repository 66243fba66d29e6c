//! Placeholder until the propagation check lands (replaced by the real module).

use std::net::SocketAddr;
use std::time::Duration;

use super::{Error, Record};

/// Where and how long to check.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--dns-resolver`.
    pub resolver: Option<SocketAddr>,
    /// `--dns-timeout`.
    pub timeout: Duration,
}

/// Wait until every authoritative server answers every record.
///
/// # Errors
///
/// Never yet.
pub async fn wait(
    records: &[Record],
    options: &Options,
    on_wait: &(dyn Fn(&str) + Sync),
) -> Result<(), Error> {
    let _ = (records, options, on_wait);
    Ok(())
}
