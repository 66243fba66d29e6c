//! Process exit codes. They are API: scripts around acme.sh test `$? -eq 2` for "not due",
//! so acmers uses acme.sh's values (its `RENEW_SKIP` and `CODE_DNS_MANUAL`).
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | any error, including command-line errors (never clap's 2) |
//! | 2 | skipped: not due for renewal |
//!
//! acme.sh also exits 3 (`CODE_DNS_MANUAL`) after printing the TXT records of manual dns-01
//! mode; acmers will use the same value when it gains that mode.

/// Success.
pub(crate) const SUCCESS: u8 = 0;
/// Any error: arguments, network, CA, validation, files.
pub(crate) const ERROR: u8 = 1;
/// Skipped: the certificate is not due for renewal (`RENEW_SKIP` in acme.sh).
pub(crate) const RENEW_SKIP: u8 = 2;
