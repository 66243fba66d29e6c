//! Satisfy an order's authorizations with http-01: present every token, tell the CA, wait
//! for each authorization, and clean up what was presented on every path.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::acme::order::same_identifiers;
use crate::acme::poll::{PollPolicy, Waiting};
use crate::acme::types::{AuthorizationStatus, Identifier, KeyAuthorization, Token};
use crate::acme::{Account, Error, Order};
use crate::challenge::{Http01, Solver, Standalone, Webroot};
use crate::cli::commands::context::Context;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{IssueSettings, Mode};

/// One challenge to solve.
struct Pending {
    authz_url: String,
    challenge_url: String,
    mode: Mode,
    challenge: Http01,
}

/// Satisfy every pending authorization of `order`.
pub async fn authorize(
    ctx: &Context,
    account: &Account,
    order: &Order,
    settings: &IssueSettings,
    printer: &Printer,
) -> Result<(), Failure> {
    let work = ctx
        .interrupt
        .guard(collect(account, order, settings, printer))
        .await?;
    if work.is_empty() {
        return Ok(());
    }
    let solvers = Solvers::start(ctx, &work, settings).await?;
    let mut presented = Vec::new();
    // A signal ends the wait here; what was presented is removed below either way.
    let result = ctx
        .interrupt
        .guard(async {
            for item in &work {
                solvers.get(&item.mode).present(&item.challenge).await?;
                presented.push(item);
            }
            let mut answers = Vec::new();
            for item in &work {
                printer.info(format_args!("Verifying: {}", item.challenge.domain));
                answers.push(account.respond(&item.challenge_url).await?);
            }
            // Wait for all authorizations at once: the CA validates them in parallel.
            let policy = PollPolicy::with_timeout(settings.validation_timeout);
            let waits = work.iter().zip(answers).map(|(item, answer)| {
                let domain = &item.challenge.domain;
                let policy = &policy;
                async move {
                    account
                        .wait_authorization(&item.authz_url, domain, answer, policy, |w| {
                            progress(
                                printer,
                                w,
                                "Pending. The CA is processing your order, please wait.",
                            )
                        })
                        .await
                        .map_err(|e| {
                            Failure::from(e)
                                .detail(format!("CA: {}", settings.server))
                                .detail(format!("authorization: {}", item.authz_url))
                        })?;
                    printer.info(format_args!("{domain}: Success"));
                    Ok::<_, Failure>(())
                }
            });
            futures_util::future::try_join_all(waits).await?;
            Ok::<_, Failure>(())
        })
        .await;
    for item in presented {
        if let Err(e) = solvers.get(&item.mode).cleanup(&item.challenge).await {
            printer.error(format_args!(
                "warning: cleanup for `{}` failed: {e}",
                item.challenge.domain
            ));
        }
    }
    result
}

/// Fetch the authorizations and pick each one's http-01 challenge.
async fn collect(
    account: &Account,
    order: &Order,
    settings: &IssueSettings,
    printer: &Printer,
) -> anyhow::Result<Vec<Pending>> {
    let mut work = Vec::new();
    for url in &order.state.authorizations {
        let (authz, _) = account.authorization(url).await?;
        let name = match (&authz.identifier, authz.wildcard) {
            (Identifier::Dns(d), true) => Identifier::Dns(format!("*.{d}")),
            (id, _) => id.clone(),
        };
        let index = settings
            .identifiers
            .iter()
            .position(|id| same_identifiers(std::slice::from_ref(id), std::slice::from_ref(&name)))
            .ok_or_else(|| {
                Error::OrderMismatch(format!("unrequested authorization for `{name}`"))
            })?;
        match authz.status {
            AuthorizationStatus::Valid => {
                printer.info(format_args!(
                    "{name} is already verified, skipping http-01."
                ));
                continue;
            }
            AuthorizationStatus::Pending => {}
            status => {
                let problem = authz.challenges.iter().find_map(|c| c.error.clone());
                return Err(Error::ValidationFailed {
                    identifier: name.to_string(),
                    problem: Box::new(problem.unwrap_or_else(|| crate::acme::types::Problem {
                        detail: Some(format!("the authorization is {status}")),
                        ..Default::default()
                    })),
                }
                .into());
            }
        }
        let challenge = authz
            .challenges
            .iter()
            .find(|c| c.kind == "http-01")
            .ok_or_else(|| Error::NoChallenge {
                identifier: name.to_string(),
                kind: "http-01".into(),
                offered: authz
                    .challenges
                    .iter()
                    .map(|c| c.kind.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let token =
            Token::parse(challenge.token.as_deref().unwrap_or_default()).map_err(Error::from)?;
        account.client().check_url(&challenge.url)?;
        let key_authorization = KeyAuthorization::new(&token, account.thumbprint());
        work.push(Pending {
            authz_url: url.clone(),
            challenge_url: challenge.url.clone(),
            mode: settings.modes[index].clone(),
            challenge: Http01 {
                domain: name.to_string(),
                token,
                key_authorization,
            },
        });
    }
    Ok(work)
}

/// The solvers one order needs: the run's standalone server, one webroot solver per path.
struct Solvers {
    standalone: Option<Arc<Standalone>>,
    webroots: HashMap<PathBuf, Webroot>,
}

impl Solvers {
    async fn start(
        ctx: &Context,
        work: &[Pending],
        settings: &IssueSettings,
    ) -> anyhow::Result<Self> {
        let mut solvers = Self {
            standalone: None,
            webroots: HashMap::new(),
        };
        for item in work {
            match &item.mode {
                Mode::Webroot(dir) => {
                    solvers
                        .webroots
                        .entry(dir.clone())
                        .or_insert_with(|| Webroot::new(dir.clone()));
                }
                Mode::Standalone if solvers.standalone.is_none() => {
                    solvers.standalone = Some(ctx.standalone(settings).await?);
                }
                Mode::Standalone => {}
            }
        }
        Ok(solvers)
    }

    fn get(&self, mode: &Mode) -> &dyn Solver {
        #[expect(
            clippy::expect_used,
            reason = "`start` made a solver for every mode in the work list"
        )]
        match mode {
            Mode::Standalone => self
                .standalone
                .as_deref()
                .expect("standalone server started"),
            Mode::Webroot(dir) => self.webroots.get(dir).expect("webroot solver made"),
        }
    }
}

/// Show a long wait (steps of a second or more) so a terminal never looks stuck.
pub fn progress(printer: &Printer, waiting: &Waiting<'_>, message: &str) {
    if waiting.next >= Duration::from_secs(1) {
        printer.info(format_args!(
            "{message} (status '{}', {} s elapsed, next check in {} s)",
            waiting.status,
            waiting.elapsed.as_secs(),
            waiting.next.as_secs()
        ));
    }
}
