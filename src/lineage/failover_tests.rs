use std::time::Duration;

use super::fails_over;
use crate::acme::http::HttpError;
use crate::acme::types::Problem;
use crate::acme::{self, WaitKind};
use crate::lineage::Error;

const CA: &str = "https://ca.test/dir";

fn at_ca(error: acme::Error) -> Error {
    Error::at_ca(error, CA)
}

fn api(status: u16, kind: &str) -> Error {
    at_ca(acme::Error::Api {
        url: CA.into(),
        status,
        problem: Box::new(Problem {
            kind: Some(format!("urn:ietf:params:acme:error:{kind}")),
            ..Problem::default()
        }),
        retry_after: None,
    })
}

fn timeout(kind: WaitKind) -> Error {
    at_ca(acme::Error::Timeout {
        kind,
        status: "processing".into(),
        timeout: Duration::from_secs(3),
        url: CA.into(),
        retry_after_past_deadline: false,
    })
}

#[test]
fn what_the_ca_would_not_fix_soon_fails_over() {
    let unreachable = at_ca(acme::Error::Transport {
        url: CA.into(),
        source: HttpError::Transport {
            timeout: false,
            source: "connection refused".into(),
        },
    });
    for error in [
        timeout(WaitKind::Order),
        timeout(WaitKind::Authorization),
        api(429, "rateLimited"),
        api(503, "serverInternal"),
        api(500, "serverInternal"),
        unreachable,
        at_ca(acme::Error::Transport {
            url: CA.into(),
            source: HttpError::TooLarge,
        }),
        at_ca(acme::Error::BadNonceExhausted {
            url: CA.into(),
            attempts: 10,
        }),
        at_ca(acme::Error::NotADirectory {
            url: CA.into(),
            why: "HTML".into(),
        }),
    ] {
        assert!(fails_over(&error), "{error:?}");
    }
}

#[test]
fn our_own_failures_do_not_fail_over() {
    let validation = at_ca(acme::Error::ValidationFailed {
        identifier: "a.test".into(),
        problem: Box::new(Problem::default()),
    });
    for error in [
        validation,
        api(400, "badCSR"),
        api(403, "unauthorized"),
        api(400, "rejectedIdentifier"),
        at_ca(acme::Error::OrderInvalid {
            url: CA.into(),
            problem: None,
        }),
        Error::DnsManualRefused,
        Error::ZeroSslEmail,
    ] {
        assert!(!fails_over(&error), "{error:?}");
    }
}
