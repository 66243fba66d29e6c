//! The propagation check: wait until every authoritative server of each `_acme-challenge`
//! name answers every value, before the CA is told to look (docs/dns.md).
//!
//! For each distinct TXT name, every round:
//!
//! 1. find the name's zone by an SOA walk (`zone_of`);
//! 2. find the zone's servers: its NS names and their addresses, on port 53;
//! 3. ask each server directly for the TXT records, non-recursive (RD=0) so no cache
//!    answers, and require the AA flag and every expected value;
//! 4. a CNAME at the name (acme-dns, `--challenge-alias`) is followed, at most
//!    [`MAX_CNAMES`] times, and the check starts again at its target.
//!
//! Steps 1 and 2 ask the system's resolvers (`nameserver` lines of `/etc/resolv.conf`,
//! recursive queries). With [`Options::resolver`] (`--dns-resolver`), every query goes to
//! that one address, non-recursive, and it stands in for every authoritative server: no NS
//! lookup, no `/etc/resolv.conf`, nothing else is asked.
//!
//! The first round starts at once; later ones follow after 250 ms, doubling to at most
//! 4 s, until every server answers every value or [`Options::timeout`] passes.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::time::Instant;

use super::wire::{self, Answer, Rcode, Type};
use super::{Error, Record};
use crate::acme::text::sanitize;

/// How many CNAMEs are followed from one `_acme-challenge` name.
pub const MAX_CNAMES: usize = 8;

/// The pause after the first round; it doubles up to [`LAST_STEP`].
const FIRST_STEP: Duration = Duration::from_millis(250);

/// The longest pause between rounds.
const LAST_STEP: Duration = Duration::from_secs(4);

/// How often `on_wait` hears about a wait that goes on.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// How long a round that starts before the deadline may run past it (one query try).
const GRACE: Duration = wire::PER_TRY;

/// How many gaps an error or a progress line names.
const SHOWN_GAPS: usize = 8;

/// How many missing values a gap names.
const SHOWN_VALUES: usize = 3;

/// How the check finds and asks the servers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// `--dns-resolver IP[:PORT]`: the one server asked for everything, standing in for
    /// every authoritative server.
    pub resolver: Option<SocketAddr>,
    /// How long to wait for every server to answer every value (`--dns-timeout`).
    pub timeout: Duration,
    /// Where the system's resolvers are listed (`/etc/resolv.conf`).
    pub resolv_conf: PathBuf,
    /// The port of the resolvers in `resolv_conf` and of the servers named by NS records:
    /// 53, except in tests.
    pub port: u16,
}

impl Options {
    /// Options for `--dns-resolver` (if any) and `--dns-timeout`, with the system's
    /// `/etc/resolv.conf` and port 53.
    pub fn new(resolver: Option<SocketAddr>, timeout: Duration) -> Self {
        Self {
            resolver,
            timeout,
            resolv_conf: PathBuf::from("/etc/resolv.conf"),
            port: 53,
        }
    }
}

/// Wait until every authoritative server answers every value of `records` with the AA
/// flag. `on_wait` gets a line for the terminal about every 10 s while it waits.
///
/// # Errors
///
/// [`Error::Dns`] when [`Options::timeout`] passes first, naming which server lacks which
/// value for which name (or why a server could not be asked), and suggesting
/// `--dns-timeout`, `--dns-resolver` and `--dnssleep`; or at once when no resolver is set
/// and `/etc/resolv.conf` lists none.
pub async fn wait(
    records: &[Record],
    options: &Options,
    on_wait: &(dyn Fn(&str) + Sync),
) -> Result<(), Error> {
    let mut wanted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for record in records {
        wanted
            .entry(record.fqdn.as_str())
            .or_default()
            .insert(record.value.as_str());
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let lookup = Lookup::new(options)?;
    let start = Instant::now();
    let deadline = start + options.timeout;
    let mut last_report = start;
    let mut step = FIRST_STEP;
    // The first round always runs to its end, so a failure can say what is missing.
    let mut gaps = lookup.round(&wanted).await;
    loop {
        if gaps.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(timed_out(options.timeout, &gaps));
        }
        if now - last_report >= REPORT_EVERY {
            on_wait(&format!(
                "Waiting for the TXT records to reach every authoritative server ({} s of {} s): {}",
                (now - start).as_secs(),
                options.timeout.as_secs(),
                sanitize(&list(&gaps))
            ));
            last_report = now;
        }
        tokio::time::sleep(step.min(deadline - now)).await;
        step = (step * 2).min(LAST_STEP);
        match tokio::time::timeout_at(deadline.max(Instant::now()) + GRACE, lookup.round(&wanted))
            .await
        {
            Ok(round) => gaps = round,
            Err(_) => return Err(timed_out(options.timeout, &gaps)),
        }
    }
}

fn timed_out(timeout: Duration, gaps: &[Gap]) -> Error {
    Error::Dns(format!(
        "the dns-01 TXT records did not reach every authoritative server within {timeout:?}: {}; \
         wait longer with --dns-timeout SECONDS, ask the server that has them with \
         --dns-resolver IP[:PORT], or wait a fixed time instead with --dnssleep SECONDS",
        sanitize(&list(gaps))
    ))
}

fn list(gaps: &[Gap]) -> String {
    let mut shown: Vec<String> = gaps.iter().take(SHOWN_GAPS).map(Gap::to_string).collect();
    if gaps.len() > SHOWN_GAPS {
        shown.push(format!("and {} more", gaps.len() - SHOWN_GAPS));
    }
    shown.join("; ")
}

/// What one round found missing at one server.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Gap {
    /// The TXT name asked (after CNAMEs).
    name: String,
    /// The server: `ns1.example.com (192.0.2.1:53)`, or the address alone.
    server: String,
    /// What is wrong.
    problem: String,
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at {}: {}", self.name, self.server, self.problem)
    }
}

/// One authoritative server: its NS name and addresses (asked in order until one answers).
struct Server {
    name: Option<String>,
    addrs: Vec<SocketAddr>,
}

/// Who is asked for the walk and the NS addresses.
struct Lookup {
    /// `--dns-resolver`.
    resolver: Option<SocketAddr>,
    /// The resolvers the walk asks (the one `--dns-resolver`, or the system's).
    servers: Vec<SocketAddr>,
    /// The port of servers named by NS records.
    port: u16,
}

impl Lookup {
    fn new(options: &Options) -> Result<Self, Error> {
        let servers = match options.resolver {
            Some(resolver) => vec![resolver],
            None => {
                let text = std::fs::read_to_string(&options.resolv_conf).unwrap_or_default();
                let servers = resolv_conf(&text, options.port);
                if servers.is_empty() {
                    return Err(Error::Dns(format!(
                        "{} lists no nameserver to find the authoritative servers of the \
                         dns-01 names: name a DNS server with --dns-resolver IP[:PORT]",
                        options.resolv_conf.display()
                    )));
                }
                servers
            }
        };
        Ok(Self {
            resolver: options.resolver,
            servers,
            port: options.port,
        })
    }

    /// Whether walk and NS queries ask for recursion: from the system's resolvers, yes;
    /// from `--dns-resolver`, which stands in for the authoritative servers, no.
    fn recursive(&self) -> bool {
        self.resolver.is_none()
    }

    /// Check every name once.
    async fn round(&self, wanted: &BTreeMap<&str, BTreeSet<&str>>) -> Vec<Gap> {
        let mut gaps = Vec::new();
        for (name, values) in wanted {
            gaps.extend(self.check(name, values).await);
        }
        gaps
    }

    /// Check one name (following CNAMEs) at each of its authoritative servers.
    async fn check(&self, name: &str, values: &BTreeSet<&str>) -> Vec<Gap> {
        let mut name = name.to_owned();
        for _ in 0..=MAX_CNAMES {
            let gap = |server: &str, problem: String| Gap {
                name: name.clone(),
                server: server.to_owned(),
                problem,
            };
            let walker = self
                .servers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let servers = match zone_of(&self.servers, &name, self.recursive()).await {
                Ok(zone) => self.authoritative(&zone).await,
                Err(e) => Err(e),
            };
            let servers = match servers {
                Ok(servers) => servers,
                Err(problem) => return vec![gap(&walker, problem)],
            };
            let answers = join_all(servers.iter().map(|s| ask(s, &name))).await;
            if let Some(target) = answers
                .iter()
                .find_map(|(_, a)| a.as_ref().ok().and_then(|a| a.cname.clone()))
            {
                name = target;
                continue;
            }
            return answers
                .into_iter()
                .filter_map(|(server, answer)| {
                    let problem = match answer {
                        Ok(answer) => judge(&answer, values)?,
                        Err(e) => e,
                    };
                    Some(gap(&server, problem))
                })
                .collect();
        }
        vec![Gap {
            name,
            server: "-".to_owned(),
            problem: format!("more than {MAX_CNAMES} CNAMEs in a row"),
        }]
    }

    /// The servers of `zone`: `--dns-resolver` alone, or its NS names and their addresses.
    async fn authoritative(&self, zone: &str) -> Result<Vec<Server>, String> {
        if let Some(resolver) = self.resolver {
            return Ok(vec![Server {
                name: None,
                addrs: vec![resolver],
            }]);
        }
        let ns = ask_any(&self.servers, zone, Type::Ns, true).await?;
        if ns.ns.is_empty() {
            return Err(format!("zone `{zone}` has no NS records ({})", ns.rcode));
        }
        let mut servers = Vec::new();
        for name in ns.ns {
            let mut addrs = Vec::new();
            for rtype in [Type::A, Type::Aaaa] {
                if let Ok(answer) = ask_any(&self.servers, &name, rtype, true).await {
                    addrs.extend(
                        answer
                            .addrs
                            .iter()
                            .map(|ip| SocketAddr::new(*ip, self.port)),
                    );
                }
            }
            servers.push(Server {
                name: Some(name),
                addrs,
            });
        }
        Ok(servers)
    }
}

/// Ask one server for the TXT records of `name`, trying its addresses in order until one
/// answers; gives the server's label and the answer or the problem.
async fn ask(server: &Server, name: &str) -> (String, Result<Answer, String>) {
    let label = |addr: Option<&SocketAddr>| match (&server.name, addr) {
        (Some(name), Some(addr)) => format!("{name} ({addr})"),
        (Some(name), None) => name.clone(),
        (None, Some(addr)) => addr.to_string(),
        (None, None) => String::new(),
    };
    let mut problem = "has no address".to_owned();
    for addr in &server.addrs {
        match wire::query(*addr, name, Type::Txt, false).await {
            Ok(answer) => return (label(Some(addr)), Ok(answer)),
            Err(e) => problem = e.to_string(),
        }
    }
    (label(server.addrs.last()), Err(problem))
}

/// What is wrong with an authoritative answer, if anything.
pub(crate) fn judge(answer: &Answer, values: &BTreeSet<&str>) -> Option<String> {
    if answer.rcode != Rcode::NO_ERROR && answer.rcode != Rcode::NX_DOMAIN {
        return Some(format!("answered {}", answer.rcode));
    }
    if !answer.aa {
        return Some(
            "answered without the AA flag: it is not authoritative for the name".to_owned(),
        );
    }
    let missing: Vec<&str> = values
        .iter()
        .copied()
        .filter(|v| !answer.txt.iter().any(|t| t == v))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let mut shown: Vec<String> = missing
        .iter()
        .take(SHOWN_VALUES)
        .map(|v| format!("\"{v}\""))
        .collect();
    if missing.len() > SHOWN_VALUES {
        shown.push(format!("and {} more", missing.len() - SHOWN_VALUES));
    }
    Some(format!("lacks {}", shown.join(", ")))
}

/// The zone `name` belongs to, by an SOA walk against `servers` (tried in order until one
/// answers): the name itself when it has an SOA record, else the owner of the SOA in a
/// negative answer's authority section, else the same for its parent, up to the root. An
/// answer with a CNAME says nothing about the name's own zone, so the walk moves up.
///
/// # Errors
///
/// A line for the user when no server answers, one answers with an error (SERVFAIL,
/// REFUSED, …), or no SOA is found.
pub(crate) async fn zone_of(
    servers: &[SocketAddr],
    name: &str,
    recursion_desired: bool,
) -> Result<String, String> {
    let mut candidate = name;
    loop {
        let answer = ask_any(servers, candidate, Type::Soa, recursion_desired).await?;
        if answer.rcode != Rcode::NO_ERROR && answer.rcode != Rcode::NX_DOMAIN {
            return Err(format!(
                "the SOA query for `{candidate}` got {} while looking for the zone of `{name}`",
                answer.rcode
            ));
        }
        if let Some(zone) = answer.soa {
            return Ok(zone);
        }
        if answer.cname.is_none()
            && let Some(zone) = answer.authority_soa.filter(|z| within(candidate, z))
        {
            return Ok(zone);
        }
        if candidate.is_empty() {
            return Err(format!("no SOA record found for `{name}` or a parent"));
        }
        candidate = candidate.split_once('.').map_or("", |(_, parent)| parent);
    }
}

/// Whether `name` is `zone` or below it.
pub(crate) fn within(name: &str, zone: &str) -> bool {
    zone.is_empty()
        || name == zone
        || name
            .strip_suffix(zone)
            .is_some_and(|head| head.ends_with('.'))
}

/// Ask `servers` in order until one answers.
async fn ask_any(
    servers: &[SocketAddr],
    name: &str,
    rtype: Type,
    recursion_desired: bool,
) -> Result<Answer, String> {
    let mut problem = "no server to ask".to_owned();
    for server in servers {
        match wire::query(*server, name, rtype, recursion_desired).await {
            Ok(answer) => return Ok(answer),
            Err(e) => problem = e.to_string(),
        }
    }
    Err(problem)
}

/// The `nameserver` addresses of resolv.conf text, on `port`.
fn resolv_conf(text: &str, port: u16) -> Vec<SocketAddr> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()? == "nameserver").then_some(())?;
            // A link-local IPv6 address may carry its interface (`fe80::1%eth0`).
            let addr = words.next()?.split('%').next()?;
            Some(SocketAddr::new(addr.parse::<IpAddr>().ok()?, port))
        })
        .collect()
}

#[cfg(test)]
#[path = "propagation_tests.rs"]
mod tests;
