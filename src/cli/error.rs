//! How a failed command is shown: what happened, the chain of causes, and what to do next
//! (docs/architecture.md, "Errors").

use std::fmt::Write as _;
use std::io;

use crate::acme::http::HttpError;
use crate::acme::{self, WaitKind};
use crate::challenge;
use crate::cli::exit_code;
use crate::cli::printer::Printer;
use crate::interrupt::Interrupted;
use crate::lineage;
use crate::store;

/// A failed command: the error, extra facts, and a hint.
#[derive(Debug)]
pub(crate) struct Failure {
    /// What went wrong, with its causes.
    pub error: anyhow::Error,
    /// Facts to show under the error (CA, URLs).
    pub details: Vec<String>,
    /// What to do next; when `None`, a hint derived from the error is used.
    pub hint: Option<String>,
    /// Exit code.
    pub code: u8,
}

impl<E: Into<anyhow::Error>> From<E> for Failure {
    /// Exit code 1, or 128 + the signal number when a signal stopped the run. An engine
    /// error is unwrapped to its cause, with where at the CA it happened as facts.
    fn from(error: E) -> Self {
        let error = error.into();
        match error.downcast::<lineage::Error>() {
            Ok(engine) => Self::from_engine(engine),
            Err(error) => Self::plain(error),
        }
    }
}

impl Failure {
    fn from_engine(error: lineage::Error) -> Self {
        match error {
            lineage::Error::Acme(e) => {
                let lineage::CaError { error, at } = *e;
                let mut failure = Self::plain(error.into()).detail(format!("CA: {}", at.ca));
                if let Some((kind, url)) = at.resource {
                    failure = failure.detail(format!("{kind}: {url}"));
                }
                failure
            }
            lineage::Error::Store(e) => Self::plain(e.into()),
            lineage::Error::Challenge(e) => Self::plain(e.into()),
            lineage::Error::Install(e) => Self::plain(e.into()),
            lineage::Error::Interrupted(e) => Self::plain(e.into()),
            e @ lineage::Error::DnsManual { .. } => {
                Self::plain(e.into()).with_code(exit_code::DNS_MANUAL)
            }
            other => Self::plain(other.into()),
        }
    }

    fn plain(error: anyhow::Error) -> Self {
        let code = error
            .chain()
            .find_map(|cause| cause.downcast_ref::<Interrupted>())
            .map_or(exit_code::ERROR, |i| i.signal.exit_code());
        Self {
            error,
            details: Vec::new(),
            hint: None,
            code,
        }
    }

    /// Add a fact line.
    pub(crate) fn detail(mut self, line: impl Into<String>) -> Self {
        self.details.push(line.into());
        self
    }

    /// Set the exit code.
    pub(crate) fn with_code(mut self, code: u8) -> Self {
        self.code = code;
        self
    }

    /// Set the hint.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Print the failure on stderr: the lines of [`lines`](Self::lines).
    pub(crate) fn render(&self, printer: &Printer) {
        for line in self.lines() {
            printer.error(line);
        }
    }

    /// `error: <error>`, one `  caused by: <cause>` line per cause, one `  <fact>` line per
    /// detail, and `hint: <hint>` when there is one.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut lines = vec![format!("error: {}", self.error)];
        lines.extend(
            self.error
                .chain()
                .skip(1)
                .map(|cause| format!("  caused by: {cause}")),
        );
        lines.extend(self.details.iter().map(|line| format!("  {line}")));
        if let Some(hint) = self.hint.clone().or_else(|| hint_for(&self.error)) {
            lines.push(format!("hint: {hint}"));
        }
        lines
    }
}

/// A hint derived from the error's type, when one is known.
pub(crate) fn hint_for(error: &anyhow::Error) -> Option<String> {
    for cause in error.chain() {
        if let Some(e) = cause.downcast_ref::<acme::Error>() {
            return acme_hint(e);
        }
        if let Some(e) = cause.downcast_ref::<challenge::Error>() {
            return challenge_hint(e).map(str::to_owned);
        }
        if let Some(hint) = cause
            .downcast_ref::<lineage::Error>()
            .and_then(|e| account_hint(e).or_else(|| key_file_hint(e)))
        {
            return Some(hint.into());
        }
        if let Some(store::Error::Untrusted { .. }) = cause.downcast_ref::<store::Error>() {
            return Some(
                "as root, acmers uses only files and folders that root owns and no other user \
                 can write (docs/security.md): fix the owner and mode (chown root, chmod go-w) \
                 or move it"
                    .into(),
            );
        }
    }
    None
}

/// The local key and format commands (docs/keys.md), in acme.sh's words where it has some.
fn key_file_hint(e: &lineage::Error) -> Option<&'static str> {
    match e {
        lineage::Error::DomainKeyExists { .. } => Some("If so, add '--force' and try again."),
        lineage::Error::NotFound {
            what: "key file", ..
        } => Some("Please create it first (`--create-domain-key -d <domain>`)."),
        lineage::Error::NotFound { .. } => Some("issue a certificate first with `--issue`"),
        _ => None,
    }
}

/// The account commands and registration (docs/accounts.md).
fn account_hint(e: &lineage::Error) -> Option<&'static str> {
    match e {
        lineage::Error::NoAccount { .. } => {
            Some("register one first with `--register-account` (and the same `--server`)")
        }
        lineage::Error::ZeroSslEmail => {
            Some("give an email address first: `--register-account -m my@example.com`")
        }
        lineage::Error::EabRequired { .. } => Some(
            "pass the CA's binding with `--eab-kid KID --eab-hmac-key KEY` (saved in ca.conf for \
             later runs), e.g. `--register-account --eab-kid KID --eab-hmac-key KEY`",
        ),
        _ => None,
    }
}

/// The hint of an answer from the CA that acmers refuses (a malformed, oversized or
/// redirected answer, an unusable URL or token, an order for other names).
const REFUSED_ANSWER: &str = "the CA (or a proxy on the way) sent an answer acmers refuses; \
     re-run later, and tell the CA if it persists (`--debug` shows the exchange)";

fn acme_hint(e: &acme::Error) -> Option<String> {
    match e {
        acme::Error::Timeout {
            kind: WaitKind::Order,
            ..
        } => Some(
            "re-run the same command later: acmers resumes this order instead of creating a \
             new one; or issue from another CA with `--server letsencrypt`"
                .into(),
        ),
        acme::Error::Timeout {
            kind: WaitKind::Authorization,
            ..
        } => Some(
            "the CA has not finished validating; re-run later, or raise `--validation-timeout`"
                .into(),
        ),
        acme::Error::ValidationFailed { identifier, .. } => Some(format!(
            "the CA could not fetch http://{identifier}/.well-known/acme-challenge/<token>: make \
             sure port 80 of `{identifier}` reaches this host (the `--standalone` server, or \
             `--httpport` behind a proxy) or that `--webroot` is the folder the web server \
             serves for it"
        )),
        acme::Error::Api {
            problem,
            retry_after,
            ..
        } if problem.is("rateLimited") => {
            let mut hint = String::from("the CA rate-limits this request");
            if let Some(after) = retry_after {
                let at = jiff::Timestamp::now()
                    .checked_add(jiff::SignedDuration::try_from(*after).unwrap_or_default())
                    .unwrap_or_else(|_| jiff::Timestamp::now());
                let _ = write!(hint, "; retry after {}", at.strftime("%Y-%m-%dT%H:%M:%SZ"));
            }
            Some(hint)
        }
        // An oversized body or a refused redirect is an answer, not a failure to reach the CA.
        acme::Error::Transport {
            source: HttpError::TooLarge | HttpError::Redirect(_),
            ..
        } => Some(REFUSED_ANSWER.into()),
        acme::Error::Transport { .. }
        | acme::Error::Unreachable(_)
        | acme::Error::NotADirectory { .. } => Some(
            "check that this host can reach the CA over HTTPS (proxy, firewall, DNS, \
             `--ca-bundle` for a private CA); add `--debug` for details"
                .into(),
        ),
        acme::Error::BadNonceExhausted { .. } => Some("the CA is misbehaving; re-run later".into()),
        // An answer from the CA acmers cannot use (tests/it/faults_transport.rs).
        acme::Error::BadResponse { .. }
        | acme::Error::NoNonce { .. }
        | acme::Error::Url(_)
        | acme::Error::Token(_)
        | acme::Error::OrderMismatch(_) => Some(REFUSED_ANSWER.into()),
        acme::Error::Api { status, .. } if *status >= 500 => Some(
            "the CA is failing or overloaded (acmers already retried within its bounds); re-run \
             later, and check the CA's status page if it persists"
                .into(),
        ),
        acme::Error::OrderInvalid { .. } => Some(
            "the CA refused to issue this order for the reason shown; fix what it names, then \
             re-run"
                .into(),
        ),
        _ => None,
    }
}

fn challenge_hint(e: &challenge::Error) -> Option<&'static str> {
    match e {
        challenge::Error::Bind { source, .. } => match source.kind() {
            io::ErrorKind::AddrInUse => Some(
                "another program (usually a web server) uses this port; stop it during \
                 issuance, or use `--webroot` with the directory it serves",
            ),
            io::ErrorKind::PermissionDenied => Some(
                "ports below 1024 need root or CAP_NET_BIND_SERVICE; run as root, or use \
                 `--httpport` (`--tlsport`) with a port your proxy forwards port 80 (443) to",
            ),
            _ => None,
        },
        challenge::Error::Webroot { source, .. } if source.kind() == io::ErrorKind::NotFound => {
            Some("`--webroot` must name an existing directory served at http://<domain>/")
        }
        challenge::Error::Symlink { .. } => Some(
            "replace the symbolic link with a real directory inside the webroot; acmers \
             never writes through symbolic links",
        ),
        _ => None,
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
