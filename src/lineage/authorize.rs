//! Satisfy an order's authorizations with http-01: present every token, tell the CA, wait
//! for each authorization, and clean up what was presented on every path.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::session::Session;
use super::{Error, Listen, Progress, Request};
use crate::acme::order::same_identifiers;
use crate::acme::poll::{PollPolicy, Waiting};
use crate::acme::types::AuthorizationStatus;
use crate::acme::{Account, ChallengeHandle, ChallengeType, Error as AcmeError, Order};
use crate::challenge::{Batch, Challenge, Presentation, Solver, Standalone, Webroot};
use crate::store::record::Mode;

/// One challenge to solve.
struct Pending {
    authz_url: String,
    mode: Mode,
    challenge: ChallengeHandle,
}

/// Satisfy every pending authorization of `order` at `server`.
pub(super) async fn authorize(
    session: &Session,
    account: &Account,
    order: &Order,
    (request, server, validation): (&Request, &str, Duration),
    progress: &dyn Progress,
) -> Result<(), Error> {
    let work = session
        .interrupt
        .guard(async {
            collect(account, order, request, progress)
                .await
                .map_err(|e| Error::at(e, server, "order", order.url.as_str()))
        })
        .await?;
    if work.is_empty() {
        return Ok(());
    }
    let solvers = Solvers::start(session, &work, request.listen).await?;
    let presentation = Presentation::new(solvers.batches(&work));
    // A signal ends the wait here; what was presented is removed below either way.
    let result = session
        .interrupt
        .guard(presentation.run(async {
            let mut answers = Vec::new();
            for item in &work {
                let at = |e| Error::at(e, server, "authorization", &item.authz_url);
                progress.info(&format_args!("Verifying: {}", item.challenge.identifier()));
                answers.push(account.respond(&item.challenge).await.map_err(at)?);
            }
            // Wait for all authorizations at once: the CA validates them in parallel.
            let policy = PollPolicy::with_timeout(validation);
            let waits = work.iter().zip(answers).map(|(item, answer)| {
                let domain = item.challenge.identifier().value();
                let policy = &policy;
                async move {
                    account
                        .wait_authorization(&item.authz_url, domain, answer, policy, |w| {
                            show_wait(
                                progress,
                                w,
                                "Pending. The CA is processing your order, please wait.",
                            )
                        })
                        .await
                        .map_err(|e| Error::at(e, server, "authorization", &item.authz_url))?;
                    progress.info(&format_args!("{domain}: Success"));
                    Ok::<_, Error>(())
                }
            });
            futures_util::future::try_join_all(waits).await?;
            Ok::<_, Error>(())
        }))
        .await;
    for e in presentation.cleanup().await {
        progress.warn(&format_args!("warning: cleanup failed: {e}"));
    }
    result
}

/// Fetch the authorizations and pick each one's http-01 challenge.
async fn collect(
    account: &Account,
    order: &Order,
    request: &Request,
    progress: &dyn Progress,
) -> Result<Vec<Pending>, AcmeError> {
    let mut work = Vec::new();
    for url in &order.state.authorizations {
        let authz = account.authorization(url).await?;
        let name = authz.identifier().clone();
        let mode = request
            .names
            .iter()
            .find(|(id, _)| same_identifiers(std::slice::from_ref(id), std::slice::from_ref(&name)))
            .map(|(_, mode)| mode.clone())
            .ok_or_else(|| {
                AcmeError::OrderMismatch(format!("unrequested authorization for `{name}`"))
            })?;
        match authz.status() {
            AuthorizationStatus::Valid => {
                progress.info(&format_args!(
                    "{name} is already verified, skipping http-01."
                ));
                continue;
            }
            AuthorizationStatus::Pending => {}
            status => {
                let problem = authz.problem().cloned();
                return Err(AcmeError::ValidationFailed {
                    identifier: name.to_string(),
                    problem: Box::new(problem.unwrap_or_else(|| crate::acme::types::Problem {
                        detail: Some(format!("the authorization is {status}")),
                        ..Default::default()
                    })),
                });
            }
        }
        work.push(Pending {
            authz_url: url.clone(),
            mode,
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
    async fn start(session: &Session, work: &[Pending], listen: Listen) -> Result<Self, Error> {
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
                    solvers.standalone = Some(session.standalone(listen).await?);
                }
                Mode::Standalone => {}
                Mode::Other(entry) => return Err(Error::UnsupportedMode(entry.clone())),
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
                None => {
                    #[expect(
                        clippy::expect_used,
                        reason = "`start` made a solver for every mode of the work and \
                                  refused the others"
                    )]
                    let solver = self.get(&item.mode).expect("a solver for every mode");
                    batches.push((
                        &item.mode,
                        Batch {
                            solver,
                            challenges: vec![challenge],
                        },
                    ));
                }
            }
        }
        batches.into_iter().map(|(_, batch)| batch).collect()
    }

    fn get(&self, mode: &Mode) -> Option<&dyn Solver> {
        match mode {
            Mode::Standalone => self.standalone.as_deref().map(|s| s as &dyn Solver),
            Mode::Webroot(dir) => self.webroots.get(dir).map(|w| w as &dyn Solver),
            Mode::Other(_) => None,
        }
    }
}

/// Show a long wait (steps of a second or more) so a terminal never looks stuck.
pub(super) fn show_wait(progress: &dyn Progress, waiting: &Waiting<'_>, message: &str) {
    if waiting.next >= Duration::from_secs(1) {
        progress.info(&format_args!(
            "{message} (status '{}', {} s elapsed, next check in {} s)",
            waiting.status,
            waiting.elapsed.as_secs(),
            waiting.next.as_secs()
        ));
    }
}
