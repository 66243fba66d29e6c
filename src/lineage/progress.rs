//! How the engine reports what it does: acme.sh's output lines, written by whoever drives it
//! (the command layer's printer implements this trait).

use std::fmt::Display;

/// Receives the engine's progress lines.
pub trait Progress: Send + Sync {
    /// An information line (acme.sh's `_info`).
    fn info(&self, line: &dyn Display);
    /// acme.sh's `_info "key" "value"` form: `key='value'`.
    fn info_kv(&self, key: &str, value: &str);
    /// A warning or an error line (acme.sh's `_err`), on stderr.
    fn warn(&self, line: &dyn Display);
    /// Text the engine vouches for (a PEM block, a hook's output), written as is.
    fn raw(&self, text: &str);
}

/// Print an error and each of its causes as warning lines (`error: …`, `  caused by: …`).
pub fn warn_error(progress: &dyn Progress, error: &dyn std::error::Error) {
    progress.warn(&format_args!("error: {error}"));
    let mut cause = error.source();
    while let Some(e) = cause {
        progress.warn(&format_args!("  caused by: {e}"));
        cause = e.source();
    }
}

pub use crate::acme::text::one_line;
