//! Where the built-in listeners (the standalone http-01 server, the tls-alpn-01 listener)
//! bind, as acme.sh's `_startserver` and `_starttlsserver` do: a given address as it is;
//! without one every address (IPv6 dual-stack, else IPv4), or one family only with
//! `--listen-v4` / `--listen-v6`.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::net::TcpListener;

use super::Error;
use crate::acme::http::IpFamily;

/// Where one listener binds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bind {
    /// `--local-address`: this address only (the family is then the address's).
    pub address: Option<IpAddr>,
    /// `--listen-v4` / `--listen-v6`: without an address, this family only.
    pub family: Option<IpFamily>,
    /// The port.
    pub port: u16,
}

impl Bind {
    /// Listen, naming `server` in the error: the address, else `[::]` as IPv6 only
    /// (`--listen-v6`), else `0.0.0.0` (`--listen-v4`), else `[::]` dual-stack falling back to
    /// `0.0.0.0` on a host without IPv6.
    ///
    /// # Errors
    ///
    /// [`Error::Bind`] when the port is taken or needs privileges.
    pub fn listen(self, server: &'static str) -> Result<TcpListener, Error> {
        let any6 = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), self.port);
        let any4 = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), self.port);
        let bind = |addr: SocketAddr, v6_only: bool| {
            listen(addr, v6_only).map_err(|source| Error::Bind {
                addr,
                server,
                source,
            })
        };
        match (self.address, self.family) {
            (Some(ip), _) => bind(SocketAddr::new(ip, self.port), false),
            (None, Some(IpFamily::V6)) => bind(any6, true),
            (None, Some(IpFamily::V4)) => bind(any4, false),
            (None, None) => bind(any6, false).or_else(|_| bind(any4, false)),
        }
    }
}

/// A listening socket on `addr` (`SO_REUSEADDR` as std and tokio set it; `IPV6_V6ONLY` as
/// asked for an IPv6 address). Must be called inside a Tokio runtime.
fn listen(addr: SocketAddr, v6_only: bool) -> io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        Some(socket2::Protocol::TCP),
    )?;
    if addr.is_ipv6() {
        socket.set_only_v6(v6_only)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}

#[cfg(test)]
#[path = "listener_tests.rs"]
mod tests;
