//! `dns_nsupdate`: RFC 2136 dynamic updates, signed with TSIG (RFC 8945), sent by acmers
//! itself instead of running BIND's `nsupdate` as acme.sh's `dnsapi/dns_nsupdate.sh` does.
//!
//! Variables as acme.sh's `dns_nsupdate_add` reads them: `NSUPDATE_SERVER` (default
//! `localhost`; several separated by commas, each updated in turn), `NSUPDATE_SERVER_PORT`
//! (default 53), `NSUPDATE_KEY` (the key file `nsupdate -k` reads; unsigned updates without
//! it), `NSUPDATE_ZONE` (when unset, the zone is found by an SOA walk against the server, as
//! `nsupdate` does) and `NSUPDATE_OPT`, of which `-y [alg:]name:secret` and `-v` (TCP) are
//! understood and `-d`/`-D` ignored.
//!
//! Unlike acme.sh, which deletes the whole TXT RRset on removal, [`Nsupdate`] adds each value
//! beside the others and deletes only its own value (apex and wildcard share one name). The
//! TTL is acme.sh's 60 s. See docs/dns.md.

use std::io::Read as _;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use crate::acme::text::sanitize;
use crate::dns::propagation::zone_of;
use crate::dns::registry::{Spec, Var};
use crate::dns::tsig::Key;
use crate::dns::wire::{self, Change, Rcode, Target};
use crate::dns::{BoxFuture, Context, Credentials, Error, Provider, Record};

/// The hook name.
const NAME: &str = "dns_nsupdate";

/// The TTL of added values, as acme.sh's `dns_nsupdate_add`.
pub const TTL: u32 = 60;

/// The largest key file read.
const MAX_KEY_FILE: u64 = 64 * 1024;

/// The native `dns_nsupdate`.
pub static SPEC: Spec = Spec {
    name: NAME,
    title: "RFC 2136 dynamic update (nsupdate)",
    vars: &[
        Var {
            name: "NSUPDATE_SERVER",
            required: false,
            help: "the DNS server that takes the updates, by name or address (several separated \
                   by commas); default localhost",
        },
        Var {
            name: "NSUPDATE_SERVER_PORT",
            required: false,
            help: "its port; default 53",
        },
        Var {
            name: "NSUPDATE_KEY",
            required: false,
            help: "the TSIG key file, as `tsig-keygen -a hmac-sha256 NAME` writes it; updates \
                   are unsigned without it",
        },
        Var {
            name: "NSUPDATE_ZONE",
            required: false,
            help: "the zone to update; found by an SOA query to the server when unset",
        },
        Var {
            name: "NSUPDATE_OPT",
            required: false,
            help: "nsupdate options: `-y [alg:]name:secret` and `-v` (TCP) are understood",
        },
    ],
    not_saved: &[],
    build,
};

fn build(context: &Context<'_>) -> Result<Box<dyn Provider>, Error> {
    Ok(Box::new(Nsupdate::new(context.credentials)?))
}

/// RFC 2136 updates to the servers of `NSUPDATE_SERVER`.
#[derive(Debug)]
pub struct Nsupdate {
    servers: Vec<String>,
    port: u16,
    key: Option<Key>,
    zone: Option<String>,
    tcp: bool,
}

impl Nsupdate {
    /// Read the variables and the key file.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for a port that is not a number, an unreadable or malformed key
    /// file, a key acmers cannot sign with (hmac-md5, hmac-sha1: the error says how to make
    /// a new one) or an `NSUPDATE_OPT` option acmers does not understand. No error shows the
    /// secret.
    pub fn new(credentials: &Credentials) -> Result<Self, Error> {
        let servers: Vec<String> = credentials
            .get("NSUPDATE_SERVER")
            .unwrap_or("localhost")
            .split([',', ' ', '\t'])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if servers.is_empty() {
            return Err(Error::Invalid {
                var: "NSUPDATE_SERVER",
                reason: "it names no server".to_owned(),
            });
        }
        let port = match credentials.get("NSUPDATE_SERVER_PORT") {
            None => 53,
            Some(port) => port.parse().map_err(|_| Error::Invalid {
                var: "NSUPDATE_SERVER_PORT",
                reason: format!("`{}` is not a port number", sanitize(port)),
            })?,
        };
        let (spec, tcp) = options(credentials.get("NSUPDATE_OPT").unwrap_or_default())?;
        let key = match (credentials.get("NSUPDATE_KEY"), spec) {
            (Some(_), Some(_)) => {
                return Err(Error::Invalid {
                    var: "NSUPDATE_OPT",
                    reason: "`-y` and NSUPDATE_KEY both name a key: keep one".to_owned(),
                });
            }
            (Some(path), None) => Some(read_key(path)?),
            (None, Some(spec)) => Some(Key::from_spec(spec).map_err(|e| Error::Invalid {
                var: "NSUPDATE_OPT",
                reason: format!("its `-y` key: {e}"),
            })?),
            (None, None) => None,
        };
        let zone = credentials
            .get("NSUPDATE_ZONE")
            .map(|zone| zone.trim_end_matches('.').to_ascii_lowercase());
        Ok(Self {
            servers,
            port,
            key,
            zone,
            tcp,
        })
    }

    /// Apply `change` to `record` on every server, in order.
    async fn change(&self, record: &Record, change: Change) -> Result<(), Error> {
        for server in &self.servers {
            let addrs = self.resolve(server).await?;
            let zone = match &self.zone {
                Some(zone) => zone.clone(),
                None => zone_of(&addrs, &record.fqdn, false).await.map_err(|e| {
                    dns(format!(
                        "cannot find the zone of `{}` at {server}: {e}; set NSUPDATE_ZONE",
                        record.fqdn
                    ))
                })?,
            };
            self.send(&addrs, &zone, record, change).await?;
        }
        Ok(())
    }

    /// The addresses of `server` (a name or an address), on the port.
    async fn resolve(&self, server: &str) -> Result<Vec<SocketAddr>, Error> {
        if let Ok(ip) = server.parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, self.port)]);
        }
        let addrs = tokio::net::lookup_host((server, self.port))
            .await
            .map_err(|e| dns(format!("cannot resolve NSUPDATE_SERVER `{server}`: {e}")))?;
        Ok(addrs.collect())
    }

    /// Send the update to the first of `addrs` that answers.
    async fn send(
        &self,
        addrs: &[SocketAddr],
        zone: &str,
        record: &Record,
        change: Change,
    ) -> Result<(), Error> {
        let mut last = None;
        for addr in addrs {
            let target = Target {
                addr: *addr,
                key: self.key.as_ref(),
                tcp: self.tcp,
            };
            match wire::update(&target, zone, record, change).await {
                Ok(()) => return Ok(()),
                Err(wire::Error::Rcode { server, rcode }) => {
                    return Err(self.rejected(server, zone, record, rcode));
                }
                Err(e @ (wire::Error::Timeout { .. } | wire::Error::Io { .. })) => last = Some(e),
                Err(e) => return Err(dns(e.to_string())),
            }
        }
        Err(dns(last.map_or_else(
            || "no address to send the update to".to_owned(),
            |e| e.to_string(),
        )))
    }

    /// What a refused update means and what to do.
    fn rejected(&self, server: SocketAddr, zone: &str, record: &Record, rcode: Rcode) -> Error {
        let fqdn = &record.fqdn;
        let key = self
            .key
            .as_ref()
            .map(|k| format!("key `{}` ({})", k.name(), k.algorithm().name()));
        let message = match (rcode, &key) {
            (Rcode::BAD_SIG, Some(key)) => format!(
                "{server}: TSIG signature rejected (wrong secret?): the server knows {key} but \
                 the signature does not verify (BADSIG); compare the secret in the key file with \
                 the server's"
            ),
            (Rcode::BAD_KEY, Some(key)) => format!(
                "{server}: unknown key or algorithm: the server has no {key} (BADKEY); check the \
                 key's name and algorithm against the server's configuration"
            ),
            (Rcode::BAD_TIME, _) => format!(
                "{server}: the TSIG signature's time was refused (BADTIME): this machine's clock \
                 and the server's differ by more than 5 minutes"
            ),
            (Rcode::REFUSED, Some(key)) => format!(
                "{server}: update refused: is the key allowed to update this zone \
                 (update-policy)? REFUSED for `{fqdn}` in zone `{zone}` with {key}"
            ),
            (Rcode::REFUSED, None) => format!(
                "{server}: update refused: is the key allowed to update this zone \
                 (update-policy)? REFUSED for `{fqdn}` in zone `{zone}`, unsigned: no \
                 NSUPDATE_KEY is set"
            ),
            (Rcode::NOT_AUTH, _) => format!(
                "{server} is not authoritative for zone `{zone}`{} (NOTAUTH): point \
                 NSUPDATE_SERVER at the zone's primary server, or set NSUPDATE_ZONE to the zone \
                 that holds `{fqdn}`",
                if key.is_some() {
                    ", or it rejected the TSIG signature (wrong secret?)"
                } else {
                    ""
                }
            ),
            (Rcode::NOT_ZONE, _) => {
                format!("`{fqdn}` is not in zone `{zone}` (NOTZONE): correct NSUPDATE_ZONE")
            }
            (rcode, _) => {
                format!("{server} answered {rcode} to the update of `{fqdn}` in zone `{zone}`")
            }
        };
        Error::Api {
            provider: NAME,
            message: sanitize(&message),
        }
    }
}

impl Provider for Nsupdate {
    fn add<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.change(record, Change::Add { ttl: TTL }))
    }

    fn remove<'a>(&'a self, record: &'a Record) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.change(record, Change::Delete))
    }
}

/// A DNS failure of this provider, sanitized.
fn dns(message: String) -> Error {
    Error::Dns(format!("{NAME}: {}", sanitize(&message)))
}

/// The `-y` key string and whether `-v` (TCP) is set, from `NSUPDATE_OPT`.
fn options(opt: &str) -> Result<(Option<&str>, bool), Error> {
    let invalid = |reason: String| Error::Invalid {
        var: "NSUPDATE_OPT",
        reason,
    };
    let (mut spec, mut tcp) = (None, false);
    let mut words = opt.split_whitespace();
    while let Some(word) = words.next() {
        match word {
            "-y" => {
                spec = Some(
                    words
                        .next()
                        .ok_or_else(|| invalid("`-y` needs `[alg:]name:secret`".to_owned()))?,
                );
            }
            "-v" => tcp = true,
            "-d" | "-D" => {}
            option if option.starts_with('-') => {
                return Err(invalid(format!(
                    "acmers sends the updates itself and understands only `-y [alg:]name:secret` \
                     and `-v` there, not `{}`",
                    sanitize(option)
                )));
            }
            _ => return Err(invalid("a word that is not an option".to_owned())),
        }
    }
    Ok((spec, tcp))
}

/// The key in the file at `path` (`NSUPDATE_KEY`).
fn read_key(path: &str) -> Result<Key, Error> {
    let invalid = |reason: String| Error::Invalid {
        var: "NSUPDATE_KEY",
        reason: format!("`{}`: {reason}", sanitize(path)),
    };
    let file = std::fs::File::open(path).map_err(|e| invalid(e.to_string()))?;
    let meta = file.metadata().map_err(|e| invalid(e.to_string()))?;
    if !meta.is_file() || meta.len() > MAX_KEY_FILE {
        return Err(invalid(
            "not a key file (a regular file up to 64 KiB)".to_owned(),
        ));
    }
    let mut text = String::new();
    file.take(MAX_KEY_FILE)
        .read_to_string(&mut text)
        .map_err(|e| invalid(e.to_string()))?;
    let name = Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Key::from_file(&name, &text).map_err(|e| invalid(e.to_string()))
}

#[cfg(test)]
#[path = "nsupdate_tests.rs"]
mod tests;
