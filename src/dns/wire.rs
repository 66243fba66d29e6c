//! DNS messages on the wire: one query, or one RFC 2136 update of one TXT value, to one
//! server. The only module that speaks hickory (messages and TSIG from `hickory-proto`), so a
//! change of that 0.x API stays here; the transport is this module's own, small and bounded:
//!
//! - UDP first, from a fresh socket on an ephemeral port, connected to the server (so only
//!   its datagrams arrive) and matched by message ID and question; TCP (RFC 7766 framing)
//!   when the UDP answer is truncated, or always when asked (nsupdate's `-v`);
//! - each try ends after [`PER_TRY`]; a server that stays silent gets [`TRIES`] tries; a
//!   refused connection or an ICMP port-unreachable ends the exchange at once;
//! - queries carry EDNS with a 1232-byte UDP size (the DNS flag day 2020 value) and set RD
//!   only when asked: the propagation check asks authoritative servers with RD=0;
//! - updates are signed with TSIG (RFC 8945) when a key is given; a successful answer to a
//!   signed update must carry a valid signature. TSIG errors (BADSIG, BADKEY, BADTIME)
//!   replace the NOTAUTH they come with in [`Rcode`].

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hickory_proto::op::{Edns, Message, MessageType, Query, update_message};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::rdata::tsig::TsigAlgorithm;
use hickory_proto::rr::{Name, RData, Record as Rr, RecordSet, RecordType, TSigner};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpStream, UdpSocket};

use super::Record;
use super::tsig::{Algorithm, Key};

/// How long one try (one UDP datagram, or one TCP exchange) may take.
pub(crate) const PER_TRY: Duration = Duration::from_secs(2);

/// How many tries a silent server gets.
pub(crate) const TRIES: u32 = 3;

/// The UDP payload size announced with EDNS.
const UDP_SIZE: u16 = 1232;

/// How far this machine's clock may be from the server's for a TSIG signature (RFC 8945
/// §10 recommends 300 s).
const FUDGE: u16 = 300;

/// The record types the propagation check and the zone walk ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    /// TXT.
    Txt,
    /// SOA.
    Soa,
    /// NS.
    Ns,
    /// A.
    A,
    /// AAAA.
    Aaaa,
}

impl From<Type> for RecordType {
    fn from(rtype: Type) -> Self {
        match rtype {
            Type::Txt => Self::TXT,
            Type::Soa => Self::SOA,
            Type::Ns => Self::NS,
            Type::A => Self::A,
            Type::Aaaa => Self::AAAA,
        }
    }
}

/// A response code (RFC 1035, RFC 2136), or the TSIG error (RFC 8945) an answer carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Rcode(pub(crate) u16);

impl Rcode {
    /// NOERROR.
    pub(crate) const NO_ERROR: Self = Self(0);
    /// NXDOMAIN: the name does not exist.
    pub(crate) const NX_DOMAIN: Self = Self(3);
    /// REFUSED.
    pub(crate) const REFUSED: Self = Self(5);
    /// NOTAUTH: not authoritative for the zone (or a TSIG failure without a TSIG error).
    pub(crate) const NOT_AUTH: Self = Self(9);
    /// NOTZONE: the name is not in the update's zone.
    pub(crate) const NOT_ZONE: Self = Self(10);
    /// BADSIG: the TSIG signature does not verify.
    pub(crate) const BAD_SIG: Self = Self(16);
    /// BADKEY: the server does not know the key (name and algorithm).
    pub(crate) const BAD_KEY: Self = Self(17);
    /// BADTIME: the signature's time is outside the fudge window.
    pub(crate) const BAD_TIME: Self = Self(18);

    fn of(message: &Message) -> Self {
        match message.signature().and_then(|sig| sig.data.error) {
            Some(error) => Self(error.into()),
            None => Self(message.metadata.response_code.into()),
        }
    }
}

impl std::fmt::Display for Rcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.0 {
            0 => "NOERROR",
            1 => "FORMERR",
            2 => "SERVFAIL",
            3 => "NXDOMAIN",
            4 => "NOTIMP",
            5 => "REFUSED",
            6 => "YXDOMAIN",
            7 => "YXRRSET",
            8 => "NXRRSET",
            9 => "NOTAUTH",
            10 => "NOTZONE",
            16 => "BADSIG",
            17 => "BADKEY",
            18 => "BADTIME",
            code => return write!(f, "RCODE {code}"),
        };
        f.write_str(name)
    }
}

/// What a server answered to one query. Names are lower case without the trailing dot (the
/// root is `""`); only records owned by the asked name count, so a CNAME is seen as a
/// CNAME, never as the records of its target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The AA flag: the server answered from a zone it is authoritative for.
    pub(crate) aa: bool,
    /// The response code.
    pub(crate) rcode: Rcode,
    /// TXT values, each record's character-strings joined.
    pub(crate) txt: Vec<String>,
    /// The CNAME target, when the name is an alias.
    pub(crate) cname: Option<String>,
    /// The owner of an SOA record at the name: the name is a zone apex.
    pub(crate) soa: Option<String>,
    /// NS names.
    pub(crate) ns: Vec<String>,
    /// A and AAAA addresses.
    pub(crate) addrs: Vec<IpAddr>,
    /// The owner of the SOA in the authority section (a negative answer names its zone).
    pub(crate) authority_soa: Option<String>,
}

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The name cannot be encoded.
    #[error("`{0}` is not a valid DNS name")]
    Name(String),
    /// An update of a name outside its zone.
    #[error("`{fqdn}` is not in zone `{zone}`")]
    NotInZone {
        /// The record's name.
        fqdn: String,
        /// The zone.
        zone: String,
    },
    /// Every try timed out.
    #[error("no answer from {server} ({TRIES} tries of {} s)", PER_TRY.as_secs())]
    Timeout {
        /// The server.
        server: SocketAddr,
    },
    /// The socket failed (connection refused, network unreachable, …).
    #[error("cannot reach {server}: {error}")]
    Io {
        /// The server.
        server: SocketAddr,
        /// What the system said.
        error: io::Error,
    },
    /// The answer could not be used.
    #[error("{server} sent an unusable answer: {reason}")]
    Malformed {
        /// The server.
        server: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The server answered an update with an error.
    #[error("{server} answered {rcode}")]
    Rcode {
        /// The server.
        server: SocketAddr,
        /// Its response code (or TSIG error).
        rcode: Rcode,
    },
    /// A successful answer to a signed update whose signature does not verify.
    #[error("{server} answered with a TSIG signature that does not verify: {reason}")]
    Unverified {
        /// The server.
        server: SocketAddr,
        /// Why.
        reason: String,
    },
    /// The update could not be signed.
    #[error("cannot sign with TSIG key `{key}`: {reason}")]
    Sign {
        /// The key's name.
        key: String,
        /// Why.
        reason: String,
    },
}

/// Ask `server` for the `rtype` records of `name`, with the RD flag as given.
///
/// # Errors
///
/// [`Error`] when no usable answer arrives; an answer with an error code is an [`Answer`].
pub(crate) async fn query(
    server: SocketAddr,
    name: &str,
    rtype: Type,
    recursion_desired: bool,
) -> Result<Answer, Error> {
    let qname = parse_name(name)?;
    let message = question(&qname, rtype, recursion_desired);
    let (reply, _) = exchange(server, &message, false).await?;
    Ok(answer(&qname, &reply))
}

/// The query [`query`] sends.
pub(crate) fn question(qname: &Name, rtype: Type, recursion_desired: bool) -> Message {
    let mut message = Message::query();
    message.metadata.recursion_desired = recursion_desired;
    message.add_query(Query::query(qname.clone(), rtype.into()));
    let mut edns = Edns::new();
    edns.set_max_payload(UDP_SIZE);
    message.set_edns(edns);
    message
}

/// One change of one TXT value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// Add the value beside the others at the name (RFC 2136 §2.5.1).
    Add {
        /// Its TTL.
        ttl: u32,
    },
    /// Delete that value only (RFC 2136 §2.5.4).
    Delete,
}

/// Where an update goes and how.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target<'a> {
    /// The server (the zone's primary).
    pub(crate) addr: SocketAddr,
    /// The TSIG key that signs the update, if any.
    pub(crate) key: Option<&'a Key>,
    /// TCP only (nsupdate's `-v`).
    pub(crate) tcp: bool,
}

/// Send one RFC 2136 update of `record` in `zone` to `target`.
///
/// # Errors
///
/// [`Error::Rcode`] when the server answers anything but NOERROR (BADSIG, BADKEY, BADTIME
/// and REFUSED included), [`Error::Unverified`] when it answers a signed update with a bad
/// signature, and the transport errors of [`query`].
pub(crate) async fn update(
    target: &Target<'_>,
    zone: &str,
    record: &Record,
    change: Change,
) -> Result<(), Error> {
    let zone_name = parse_name(zone)?;
    let name = parse_name(&record.fqdn)?;
    if !zone_name.zone_of(&name) {
        return Err(Error::NotInZone {
            fqdn: record.fqdn.clone(),
            zone: zone.to_owned(),
        });
    }
    // A character-string holds at most 255 bytes (RFC 1035 §3.3).
    let txt = TXT::from_bytes(record.value.as_bytes().chunks(255).collect());
    let ttl = match change {
        Change::Add { ttl } => ttl,
        Change::Delete => 0,
    };
    let rrset = RecordSet::from(Rr::from_rdata(name, ttl, RData::TXT(txt)));
    let mut message = match change {
        Change::Add { .. } => update_message::append(rrset, zone_name, false, true),
        Change::Delete => update_message::delete_by_rdata(rrset, zone_name, true),
    };
    let mut verifier = None;
    if let Some(key) = target.key {
        let sign_error = |reason: String| Error::Sign {
            key: key.name().to_owned(),
            reason,
        };
        let name = parse_name(key.name())?;
        let signer = TSigner::new(
            key.secret().to_vec(),
            algorithm(key.algorithm()),
            name,
            FUDGE,
        )
        .map_err(|e| sign_error(e.to_string()))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| sign_error(e.to_string()))?
            .as_secs();
        verifier = message
            .finalize(&signer, now)
            .map_err(|e| sign_error(e.to_string()))?;
    }
    let (reply, bytes) = exchange(target.addr, &message, target.tcp).await?;
    let rcode = Rcode::of(&reply);
    if rcode != Rcode::NO_ERROR {
        return Err(Error::Rcode {
            server: target.addr,
            rcode,
        });
    }
    if let Some(verifier) = &mut verifier {
        verifier.verify(&bytes).map_err(|e| Error::Unverified {
            server: target.addr,
            reason: e.to_string(),
        })?;
    }
    Ok(())
}

fn algorithm(algorithm: Algorithm) -> TsigAlgorithm {
    match algorithm {
        Algorithm::HmacSha256 => TsigAlgorithm::HmacSha256,
        Algorithm::HmacSha384 => TsigAlgorithm::HmacSha384,
        Algorithm::HmacSha512 => TsigAlgorithm::HmacSha512,
    }
}

/// `name` (without or with the trailing dot; `""` is the root) as a fully qualified name.
pub(crate) fn parse_name(name: &str) -> Result<Name, Error> {
    let mut parsed = if name.is_empty() || name == "." {
        Name::root()
    } else {
        Name::from_ascii(name).map_err(|_| Error::Name(name.to_owned()))?
    };
    parsed.set_fqdn(true);
    Ok(parsed)
}

/// A name as this module hands it out: lower case, no trailing dot.
fn text(name: &Name) -> String {
    name.to_lowercase()
        .to_ascii()
        .trim_end_matches('.')
        .to_owned()
}

/// The records of `reply` that answer for `qname`.
pub(crate) fn answer(qname: &Name, reply: &Message) -> Answer {
    let mut answer = Answer {
        aa: reply.metadata.authoritative,
        rcode: Rcode::of(reply),
        authority_soa: reply
            .authorities
            .iter()
            .find(|r| matches!(r.data, RData::SOA(_)))
            .map(|r| text(&r.name)),
        ..Answer::default()
    };
    for record in reply.answers.iter().filter(|r| r.name == *qname) {
        match &record.data {
            RData::TXT(txt) => {
                let bytes: Vec<u8> = txt.txt_data.iter().flatten().copied().collect();
                answer
                    .txt
                    .push(String::from_utf8_lossy(&bytes).into_owned());
            }
            RData::CNAME(target) => answer.cname = Some(text(&target.0)),
            RData::SOA(_) => answer.soa = Some(text(&record.name)),
            RData::NS(ns) => answer.ns.push(text(&ns.0)),
            RData::A(a) => answer.addrs.push(a.0.into()),
            RData::AAAA(aaaa) => answer.addrs.push(aaaa.0.into()),
            _ => {}
        }
    }
    answer
}

/// Send `request` and return the matching answer, parsed and raw (a TSIG signature is
/// verified over the raw bytes).
async fn exchange(
    server: SocketAddr,
    request: &Message,
    mut tcp: bool,
) -> Result<(Message, Vec<u8>), Error> {
    let bytes = request.to_vec().map_err(|e| Error::Malformed {
        server,
        reason: format!("cannot encode the request: {e}"),
    })?;
    let io = |error| Error::Io { server, error };
    for _ in 0..TRIES {
        let sent = if tcp {
            tokio::time::timeout(PER_TRY, over_tcp(server, &bytes)).await
        } else {
            tokio::time::timeout(PER_TRY, over_udp(server, &bytes)).await
        };
        let Ok(raw) = sent else { continue };
        let raw = raw.map_err(io)?;
        let reply = reply(server, request, &raw)?;
        if reply.metadata.truncation && !tcp {
            tcp = true;
            continue;
        }
        return Ok((reply, raw));
    }
    Err(Error::Timeout { server })
}

/// `raw` parsed as the answer to `request` from `server`: a response, for the same question.
///
/// # Errors
///
/// [`Error::Malformed`] otherwise.
pub(crate) fn reply(server: SocketAddr, request: &Message, raw: &[u8]) -> Result<Message, Error> {
    let malformed = |reason: String| Error::Malformed { server, reason };
    let reply = Message::from_vec(raw).map_err(|e| malformed(e.to_string()))?;
    if reply.metadata.message_type != MessageType::Response {
        return Err(malformed("not a response".to_owned()));
    }
    // Error answers may leave the question out; others must echo it (RFC 1035 §7.3).
    if !reply.queries.is_empty() && reply.queries != request.queries {
        return Err(malformed("the answer is for another question".to_owned()));
    }
    Ok(reply)
}

/// One datagram out, the first datagram back with the same message ID.
async fn over_udp(server: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
    let local = match server {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(server).await?;
    socket.send(request).await?;
    let mut buffer = vec![0; usize::from(u16::MAX)];
    loop {
        let len = socket.recv(&mut buffer).await?;
        if len >= 12 && buffer[..2] == request[..2] {
            buffer.truncate(len);
            return Ok(buffer);
        }
    }
}

/// One length-prefixed message each way over a new TCP connection (RFC 1035 §4.2.2).
async fn over_tcp(server: SocketAddr, request: &[u8]) -> io::Result<Vec<u8>> {
    let len = u16::try_from(request.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "request over 64 KiB"))?;
    let mut stream = TcpStream::connect(server).await?;
    stream
        .write_all(&[&len.to_be_bytes()[..], request].concat())
        .await?;
    let mut len = [0; 2];
    stream.read_exact(&mut len).await?;
    let mut reply = vec![0; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut reply).await?;
    if reply.len() < 12 || reply[..2] != request[..2] {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the answer has another message ID",
        ));
    }
    Ok(reply)
}
