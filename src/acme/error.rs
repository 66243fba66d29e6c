//! Errors of the protocol layer. Each carries the URL or state a user needs to act on it.

use std::sync::Arc;
use std::time::Duration;

use super::http::HttpError;
use super::jws::SignError;
use super::text::sanitize;
use super::types::{BadToken, BadUrl, ChallengeType, Problem};

/// What a timed-out wait was waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitKind {
    /// An authorization being validated (`--validation-timeout`).
    Authorization,
    /// An order being issued after finalize (`--order-timeout`).
    Order,
}

/// A protocol failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request did not complete (connect, TLS, timeout, oversized body).
    #[error("request to `{url}` failed")]
    Transport {
        /// Target.
        url: String,
        /// Cause.
        #[source]
        source: HttpError,
    },
    /// An earlier request of this run found the CA unreachable; this one was not sent.
    #[error("the CA is unreachable (remembered from an earlier attempt in this run): {0}")]
    Unreachable(Unreachable),
    /// The CA answered with a problem document (or an error status).
    #[error("the CA refused the request to `{url}` (HTTP {status}): {problem}")]
    Api {
        /// Target.
        url: String,
        /// HTTP status.
        status: u16,
        /// The problem document (synthesised from the body when it was not one).
        problem: Box<Problem>,
        /// The CA's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },
    /// The CA's answer could not be understood.
    #[error("unexpected response from `{url}`: {why}")]
    BadResponse {
        /// Target.
        url: String,
        /// What was wrong.
        why: String,
    },
    /// The directory URL does not serve an ACME directory.
    #[error("`{url}` is not an ACME directory: {why}")]
    NotADirectory {
        /// The directory URL.
        url: String,
        /// What was wrong.
        why: String,
    },
    /// The CA kept rejecting nonces.
    #[error("the CA rejected {attempts} nonces in a row for `{url}`")]
    BadNonceExhausted {
        /// Target.
        url: String,
        /// How many were tried.
        attempts: u32,
    },
    /// No nonce could be obtained.
    #[error("the CA gave no usable Replay-Nonce from `{url}`")]
    NoNonce {
        /// The newNonce URL.
        url: String,
    },
    /// A URL from the CA was refused.
    #[error(transparent)]
    Url(#[from] BadUrl),
    /// A challenge token from the CA was refused.
    #[error(transparent)]
    Token(#[from] BadToken),
    /// The account key could not sign.
    #[error("could not sign the request")]
    Sign(#[from] SignError),
    /// An order's authorizations or identifiers do not match what was requested.
    #[error("the CA's order does not match the request: {0}")]
    OrderMismatch(String),
    /// An authorization failed validation.
    #[error("validation of `{identifier}` failed: {problem}")]
    ValidationFailed {
        /// The identifier.
        identifier: String,
        /// The challenge's (or authorization's) error.
        problem: Box<Problem>,
    },
    /// The CA offers no challenge of the needed type.
    #[error("the CA offers no {kind} challenge for `{identifier}` (offered: {offered})")]
    NoChallenge {
        /// The identifier.
        identifier: String,
        /// The type needed.
        kind: ChallengeType,
        /// What was offered (sanitized).
        offered: String,
    },
    /// An order became invalid.
    #[error("order `{url}` is invalid{}", .problem.as_ref().map(|p| format!(": {p}")).unwrap_or_default())]
    OrderInvalid {
        /// The order URL.
        url: String,
        /// The order's error.
        problem: Option<Box<Problem>>,
    },
    /// A wait passed its deadline.
    #[error(
        "{} is still \"{status}\" after {} s",
        match .kind { WaitKind::Order => "order", WaitKind::Authorization => "authorization" },
        .timeout.as_secs()
    )]
    Timeout {
        /// What was waited for.
        kind: WaitKind,
        /// Last status seen.
        status: String,
        /// The configured limit.
        timeout: Duration,
        /// The order or authorization URL.
        url: String,
        /// Whether a `Retry-After` past the deadline ended the wait early.
        retry_after_past_deadline: bool,
    },
}

impl Error {
    /// The problem document, when the CA sent one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Api { problem, .. } | Self::ValidationFailed { problem, .. } => Some(problem),
            Self::OrderInvalid { problem, .. } => problem.as_deref(),
            _ => None,
        }
    }

    /// A [`Error::BadResponse`] for `url`.
    pub fn bad_response(url: &impl ToString, why: impl Into<String>) -> Self {
        Self::BadResponse {
            url: sanitize(&url.to_string()),
            why: why.into(),
        }
    }
}

/// Why a CA is taken as unreachable for the rest of a run: the transport failure, with its
/// causes, of a request that could not be completed. Cheap to clone, so every later request
/// to that CA can fail at once with the same cause instead of waiting for its timeouts again.
#[derive(Clone, Debug)]
pub struct Unreachable(Arc<str>);

impl Unreachable {
    /// The unreachability `error` shows: a failure to complete the request (connect, TLS,
    /// timeout; not an oversized body or a refused redirect, which the CA would send again),
    /// or one remembered earlier.
    pub fn of(error: &Error) -> Option<Self> {
        match error {
            Error::Transport {
                source: HttpError::Transport { .. },
                ..
            } => {
                let mut text = error.to_string();
                let mut cause = std::error::Error::source(error);
                while let Some(e) = cause {
                    text.push_str(": ");
                    text.push_str(&e.to_string());
                    cause = e.source();
                }
                Some(Self(text.into()))
            }
            Error::Unreachable(known) => Some(known.clone()),
            _ => None,
        }
    }
}

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Result alias for the protocol layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;
