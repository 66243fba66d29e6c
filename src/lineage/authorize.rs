//! Satisfy an order's authorizations with http-01, dns-01 or tls-alpn-01: present every
//! challenge, tell the CA, wait for each authorization, and clean up what was presented on
//! every path.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::dns::{self as providers, Built};
use super::session::Session;
use super::{Error, Progress, Request, Step};
use crate::acme::order::same_identifiers;
use crate::acme::poll::{PollPolicy, Waiting};
use crate::acme::types::AuthorizationStatus;
use crate::acme::{Account, ChallengeHandle, ChallengeType, Error as AcmeError, Order};
use crate::challenge::dns::{Wait, txt_name};
use crate::challenge::{
    Batch, Bind, Challenge, Dns01, Presentation, Solver, Standalone, TlsAlpn, Webroot,
};
use crate::dns::Credentials;
use crate::dns::propagation::Options;
use crate::store::Lineage;
use crate::store::record::Mode;
use crate::webserver::{Apache, Nginx, Place, Stateless};

/// One challenge to solve.
struct Pending {
    authz_url: String,
    mode: Mode,
    /// The dns-01 TXT name (alias applied); empty for the other types.
    txt_name: String,
    /// Where the listener of a standalone or alpn name binds.
    bind: Option<Bind>,
    challenge: ChallengeHandle,
}

/// Satisfy every pending authorization of `order` at `server`. A new order (not `resumed`)
/// with manual dns-01 names stops after printing the records to add.
pub(super) async fn authorize(
    session: &Session,
    (account, dns): (&Account, HashMap<String, Built>),
    (order, resumed): (&Order, bool),
    (request, server, validation): (&Request, &str, Duration),
    (place, lineage): (&Place, &Lineage),
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
    if !resumed && work.iter().any(|w| w.mode == Mode::DnsManual) {
        return Err(manual_stop(&work, progress));
    }
    let say = |line: &str| progress.info(&line);
    let solvers = Solvers::start(session, &work, (request, dns, place), &say).await?;
    let presentation = Presentation::new(solvers.batches(&work));
    // A signal ends the wait here; what was presented is removed below either way.
    let result = session
        .interrupt
        .guard(presentation.run(async {
            session.checkpoint(lineage, Step::Respond).await?;
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
    result?;
    providers::save_credentials(session, &solvers.credentials)
}

/// Manual dns-01 on a new order: print each record to add as acme.sh does and stop with
/// acme.sh's `Le_Vlist` for the saved order (`--renew` resumes it).
fn manual_stop(work: &[Pending], progress: &dyn Progress) -> Error {
    for item in work.iter().filter(|w| w.mode == Mode::DnsManual) {
        let value = item.challenge.key_authorization().dns_value();
        progress.info(&"Add the following TXT record:");
        progress.info(&format_args!("Domain: '{}'", item.txt_name));
        progress.info(&format_args!("TXT value: '{value}'"));
        progress.info(&"Please make sure to prepend '_acme-challenge.' to your domain");
        progress.info(&format_args!(
            "so that the resulting subdomain is: {}",
            item.txt_name
        ));
    }
    let vlist = work
        .iter()
        .map(|w| {
            let c = &w.challenge;
            format!(
                "{}#{}#{}#{}#{}#{},",
                c.identifier(),
                c.key_authorization().as_str(),
                c.url(),
                c.kind().as_str(),
                w.mode.entry(),
                w.authz_url
            )
        })
        .collect();
    Error::DnsManual { vlist }
}

/// Fetch the authorizations and pick each one's challenge of its name's mode.
async fn collect(
    account: &Account,
    order: &Order,
    request: &Request,
    progress: &dyn Progress,
) -> Result<Vec<Pending>, AcmeError> {
    let mut work = Vec::new();
    let binds = request.binds();
    for url in &order.state.authorizations {
        let authz = account.authorization(url).await?;
        let name = authz.identifier().clone();
        let (index, mode) = request
            .names
            .iter()
            .enumerate()
            .find(|(_, (id, _))| {
                same_identifiers(std::slice::from_ref(id), std::slice::from_ref(&name))
            })
            .map(|(index, (_, mode))| (index, mode.clone()))
            .ok_or_else(|| {
                AcmeError::OrderMismatch(format!("unrequested authorization for `{name}`"))
            })?;
        let kind = match mode {
            Mode::Dns(_) | Mode::DnsManual => ChallengeType::Dns01,
            Mode::Alpn => ChallengeType::TlsAlpn01,
            _ => ChallengeType::Http01,
        };
        match authz.status() {
            AuthorizationStatus::Valid => {
                progress.info(&format_args!(
                    "{name} is already verified, skipping {}.",
                    kind.as_str()
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
        let txt_name = if mode.is_dns() {
            txt_name(&name, request.dns.aliases.get(index).map(String::as_str))
        } else {
            String::new()
        };
        work.push(Pending {
            authz_url: url.clone(),
            mode,
            txt_name,
            bind: binds[index],
            challenge: authz.challenge(kind)?,
        });
    }
    Ok(work)
}

/// The solvers one order needs: the run's standalone servers and tls-alpn-01 listeners (one
/// per address), one webroot solver per path, one dns-01 solver per provider (and one for
/// manual mode), and the web server ones.
struct Solvers<'a> {
    standalone: HashMap<Bind, Arc<Standalone>>,
    alpn: HashMap<Bind, Arc<TlsAlpn>>,
    webroots: HashMap<PathBuf, Webroot>,
    stateless: Stateless,
    /// The nginx or Apache solver: one per order, since both hold the web server lock.
    web: Option<(Mode, Box<dyn Solver>)>,
    dns: HashMap<Mode, Dns01<'a>>,
    /// The native providers' variables, saved once the authorizations are valid.
    credentials: Vec<Credentials>,
}

impl<'a> Solvers<'a> {
    async fn start(
        session: &Session,
        work: &[Pending],
        (request, mut dns, place): (&Request, HashMap<String, Built>, &Place),
        say: &'a (dyn Fn(&str) + Sync),
    ) -> Result<Self, Error> {
        let mut solvers = Self {
            standalone: HashMap::new(),
            alpn: HashMap::new(),
            webroots: HashMap::new(),
            stateless: Stateless,
            web: None,
            dns: HashMap::new(),
            credentials: Vec::new(),
        };
        for item in work {
            match &item.mode {
                Mode::Webroot(dir) => {
                    solvers
                        .webroots
                        .entry(dir.clone())
                        .or_insert_with(|| Webroot::new(dir.clone()));
                }
                // `Request::binds` gives every standalone and alpn name a bind.
                Mode::Standalone | Mode::Alpn => match item.bind {
                    Some(bind) if item.mode == Mode::Alpn => {
                        solvers.alpn.insert(bind, session.alpn(bind).await?);
                    }
                    Some(bind) => {
                        let server = session.standalone(bind).await?;
                        solvers.standalone.insert(bind, server);
                    }
                    None => {}
                },
                mode @ (Mode::Dns(_) | Mode::DnsManual) if !solvers.dns.contains_key(mode) => {
                    let provider = match mode {
                        Mode::Dns(entry) => {
                            #[expect(
                                clippy::expect_used,
                                reason = "`providers` built one for every dns entry of the \
                                          request, and the work's modes come from it"
                            )]
                            let Built { provider, save } =
                                dns.remove(entry).expect("a provider for every dns entry");
                            solvers.credentials.push(save);
                            Some(provider)
                        }
                        _ => None,
                    };
                    let names = work
                        .iter()
                        .filter(|w| w.mode == *mode)
                        .map(|w| (w.challenge.identifier().clone(), w.txt_name.clone()))
                        .collect();
                    let solver = Dns01::new(provider, names, wait(request), say);
                    solvers.dns.insert(mode.clone(), solver);
                }
                Mode::Dns(_) | Mode::DnsManual | Mode::Stateless => {}
                mode @ (Mode::Nginx(_) | Mode::Apache) => match &solvers.web {
                    Some((web, _)) if web == mode => {}
                    Some((web, _)) => {
                        return Err(Error::TwoWebServerModes(web.entry(), mode.entry()));
                    }
                    None => {
                        let solver: Box<dyn Solver> = match mode {
                            Mode::Nginx(start) => {
                                Box::new(Nginx::new(start.clone(), place.clone()))
                            }
                            _ => Box::new(Apache::new(place.clone())),
                        };
                        solvers.web = Some((mode.clone(), solver));
                    }
                },
                Mode::Other(entry) => return Err(Error::UnsupportedMode(entry.clone())),
            }
        }
        Ok(solvers)
    }

    /// The work's challenges grouped by solver, in order of first use.
    fn batches(&self, work: &[Pending]) -> Vec<Batch<'_>> {
        let mut batches: Vec<((&Mode, Option<Bind>), Batch<'_>)> = Vec::new();
        for item in work {
            let challenge = Challenge::from(&item.challenge);
            let key = (&item.mode, item.bind);
            match batches.iter_mut().find(|(k, _)| *k == key) {
                Some((_, batch)) => batch.challenges.push(challenge),
                None => {
                    #[expect(
                        clippy::expect_used,
                        reason = "`start` made a solver for every mode of the work and \
                                  refused the others"
                    )]
                    let solver = self.get(item).expect("a solver for every mode");
                    batches.push((
                        key,
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

    fn get(&self, item: &Pending) -> Option<&dyn Solver> {
        match &item.mode {
            Mode::Standalone => item
                .bind
                .and_then(|bind| self.standalone.get(&bind))
                .map(|s| &**s as &dyn Solver),
            Mode::Alpn => item
                .bind
                .and_then(|bind| self.alpn.get(&bind))
                .map(|s| &**s as &dyn Solver),
            Mode::Webroot(dir) => self.webroots.get(dir).map(|w| w as &dyn Solver),
            mode @ (Mode::Dns(_) | Mode::DnsManual) => self.dns.get(mode).map(|d| d as &dyn Solver),
            Mode::Stateless => Some(&self.stateless),
            Mode::Nginx(_) | Mode::Apache => self.web.as_ref().map(|(_, s)| s.as_ref()),
            Mode::Other(_) => None,
        }
    }
}

/// How dns-01 solvers wait: `--dnssleep`, else the authoritative check.
fn wait(request: &Request) -> Wait {
    match request.dns.sleep {
        Some(seconds) => Wait::Sleep(Duration::from_secs(seconds)),
        None => Wait::Check(Options::new(request.dns.resolver, request.dns.timeout)),
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
