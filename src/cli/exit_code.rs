//! Process exit codes. They are API: scripts around acme.sh test `$? -eq 2` for "not due",
//! so acmers uses acme.sh's values (its `RENEW_SKIP` and `CODE_DNS_MANUAL`).
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | any error, including command-line errors (never clap's 2) |
//! | 2 | skipped: not due for renewal |
//! | 3 | manual dns-01: the TXT records to add were printed; add them, then run `--renew` |

/// Success.
pub(crate) const SUCCESS: u8 = 0;
/// Any error: arguments, network, CA, validation, files.
pub(crate) const ERROR: u8 = 1;
/// Skipped: the certificate is not due for renewal (`RENEW_SKIP` in acme.sh).
pub(crate) const RENEW_SKIP: u8 = 2;
/// Manual dns-01 printed the records to add and stopped (`CODE_DNS_MANUAL` in acme.sh).
pub(crate) const DNS_MANUAL: u8 = 3;
