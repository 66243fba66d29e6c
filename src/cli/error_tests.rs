use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;

use super::*;
use crate::deploy::hook;

#[test]
fn lines_are_error_causes_details_and_hint() {
    let error = anyhow::Error::from(io::Error::other("disk on fire"))
        .context("failed to write `a.conf`")
        .context("cannot save a.example.test");
    let failure = Failure::from(error)
        .detail("CA: https://ca.test/dir")
        .hint("free some space");
    assert_eq!(
        failure.lines(),
        [
            "error: cannot save a.example.test",
            "  caused by: failed to write `a.conf`",
            "  caused by: disk on fire",
            "  CA: https://ca.test/dir",
            "hint: free some space",
        ]
    );
}

/// A failing hook as the command layer should report it: which hook failed for which
/// certificate, then how the command ended, each said once.
#[tokio::test]
async fn a_failed_hook_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let error = hook::run("exit 3", &[], dir.path(), Duration::from_secs(60))
        .await
        .unwrap_err();
    let engine = |what, source| lineage::Error::Hook {
        what,
        domain: "a.example.test".into(),
        source,
    };
    assert_eq!(
        Failure::from(engine("pre hook", error)).lines(),
        [
            "error: Error when running pre hook.",
            "  caused by: `exit 3` exited with code 3",
        ]
    );
    let failed = hook::HookError::Failed {
        command: "exit 3".into(),
        code: Some(3),
        signal: None,
        stderr_tail: String::new(),
    };
    assert_eq!(
        Failure::from(engine("reload cmd", failed)).lines(),
        [
            "error: Reload error for: a.example.test",
            "  caused by: `exit 3` exited with code 3",
        ]
    );
}

#[test]
fn challenge_errors_have_hints_through_the_context_chain() {
    let addr: SocketAddr = "127.0.0.1:80".parse().unwrap();
    let bind = |kind: io::ErrorKind| challenge::Error::Bind {
        addr,
        server: "http-01 standalone server",
        source: kind.into(),
    };
    let webroot = |kind: io::ErrorKind| challenge::Error::Webroot {
        op: "open",
        path: PathBuf::from("/srv/www"),
        source: kind.into(),
    };
    let cases = [
        (bind(io::ErrorKind::AddrInUse), Some("another program")),
        (
            bind(io::ErrorKind::PermissionDenied),
            Some("ports below 1024"),
        ),
        (bind(io::ErrorKind::Other), None),
        (
            webroot(io::ErrorKind::NotFound),
            Some("`--webroot` must name"),
        ),
        (webroot(io::ErrorKind::PermissionDenied), None),
        (
            challenge::Error::Symlink {
                path: PathBuf::from("/srv/www/.well-known"),
            },
            Some("replace the symbolic link"),
        ),
        (challenge::Error::Cancelled, None),
    ];
    for (error, want) in cases {
        let shown = error.to_string();
        let error = Err::<(), _>(error)
            .context("cannot present the http-01 challenge")
            .unwrap_err();
        let hint = hint_for(&error);
        match want {
            Some(start) => assert!(
                hint.as_deref().is_some_and(|h| h.starts_with(start)),
                "{shown}: {hint:?}"
            ),
            None => assert_eq!(hint, None, "{shown}"),
        }
    }
}

/// The answers acmers refuses, a failing CA and an order the CA refused each say what to do
/// (tests/it/faults_transport.rs); a 4xx the CA explains needs no generic hint.
#[test]
fn refused_answers_and_failing_cas_have_hints() {
    let url = "https://ca.test/acme/order/1".to_owned();
    let api = |status| acme::Error::Api {
        url: url.clone(),
        status,
        problem: Box::default(),
        retry_after: None,
    };
    let cases = [
        (
            acme::Error::bad_response(&url, "no Location header"),
            Some("the CA (or a proxy on the way) sent an answer acmers refuses"),
        ),
        (
            acme::Error::OrderMismatch("0 authorizations".into()),
            Some("the CA (or a proxy on the way) sent an answer acmers refuses"),
        ),
        (
            acme::Error::Transport {
                url: url.clone(),
                source: HttpError::TooLarge,
            },
            Some("the CA (or a proxy on the way) sent an answer acmers refuses"),
        ),
        (api(502), Some("the CA is failing or overloaded")),
        (
            acme::Error::OrderInvalid {
                url: url.clone(),
                problem: None,
            },
            Some("the CA refused to issue this order"),
        ),
        (api(403), None),
    ];
    for (error, want) in cases {
        let shown = error.to_string();
        let hint = hint_for(&anyhow::Error::from(error).context("cannot renew"));
        match want {
            Some(start) => assert!(
                hint.as_deref().is_some_and(|h| h.starts_with(start)),
                "{shown}: {hint:?}"
            ),
            None => assert_eq!(hint, None, "{shown}"),
        }
    }
}
