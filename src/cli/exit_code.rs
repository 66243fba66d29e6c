//! Process exit codes. They are API: scripts around acme.sh test `$? -eq 2` for "not due",
//! so acmers uses acme.sh's values (its `RENEW_SKIP` and `CODE_DNS_MANUAL`).
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | any error, including command-line errors (never clap's 2) |
//! | 2 | skipped: not due for renewal |
//! | 3 | manual DNS mode printed its TXT records and stopped |

/// Success.
pub const SUCCESS: u8 = 0;
/// Any error: arguments, network, CA, validation, files.
pub const ERROR: u8 = 1;
/// Skipped: the certificate is not due for renewal (`RENEW_SKIP` in acme.sh).
pub const RENEW_SKIP: u8 = 2;
/// Manual DNS mode stopped after printing TXT records (`CODE_DNS_MANUAL` in acme.sh).
pub const DNS_MANUAL: u8 = 3;
