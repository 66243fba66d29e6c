//! Satisfy an order's authorizations with http-01: present every token, tell the CA, wait
//! for each authorization, and clean up what was presented on every path.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::acme::order::same_identifiers;
use crate::acme::poll::{PollPolicy, Waiting};
use crate::acme::types::AuthorizationStatus;
use crate::acme::{Account, ChallengeHandle, ChallengeType, Error, Order};
use crate::challenge::{Batch, Challenge, Presentation, Solver, Standalone, Webroot};
use crate::cli::commands::context::Context;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{IssueSettings, Mode};

/// One challenge to solve.
struct Pending {
    authz_url: String,
    mode: Mode,
    challenge: ChallengeHandle,
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
    let presentation = Presentation::new(solvers.batches(&work));
    // A signal ends the wait here; what was presented is removed below either way.
    let result = ctx
        .interrupt
        .guard(presentation.run(async {
            let mut answers = Vec::new();
            for item in &work {
                printer.info(format_args!("Verifying: {}", item.challenge.identifier()));
                answers.push(account.respond(&item.challenge).await?);
            }
            // Wait for all authorizations at once: the CA validates them in parallel.
            let policy = PollPolicy::with_timeout(settings.validation_timeout);
            let waits = work.iter().zip(answers).map(|(item, answer)| {
                let domain = item.challenge.identifier().value();
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
        }))
        .await;
    for e in presentation.cleanup().await {
        printer.error(format_args!("warning: cleanup failed: {e}"));
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
        let authz = account.authorization(url).await?;
        let name = authz.identifier().clone();
        let index = settings
            .identifiers
            .iter()
            .position(|id| same_identifiers(std::slice::from_ref(id), std::slice::from_ref(&name)))
            .ok_or_else(|| {
                Error::OrderMismatch(format!("unrequested authorization for `{name}`"))
            })?;
        match authz.status() {
            AuthorizationStatus::Valid => {
                printer.info(format_args!(
                    "{name} is already verified, skipping http-01."
                ));
                continue;
            }
            AuthorizationStatus::Pending => {}
            status => {
                let problem = authz.problem().cloned();
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
        work.push(Pending {
            authz_url: url.clone(),
            mode: settings.modes[index].clone(),
            challenge: authz.challenge(ChallengeType::Http01)?,
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

    /// The work's challenges grouped by solver, in order of first use.
    fn batches(&self, work: &[Pending]) -> Vec<Batch<'_>> {
        let mut batches: Vec<(&Mode, Batch<'_>)> = Vec::new();
        for item in work {
            let challenge = Challenge::from(&item.challenge);
            match batches.iter_mut().find(|(mode, _)| **mode == item.mode) {
                Some((_, batch)) => batch.challenges.push(challenge),
                None => batches.push((
                    &item.mode,
                    Batch {
                        solver: self.get(&item.mode),
                        challenges: vec![challenge],
                    },
                )),
            }
        }
        batches.into_iter().map(|(_, batch)| batch).collect()
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
