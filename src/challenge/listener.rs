//! Where the built-in listeners (the standalone http-01 server, the tls-alpn-01 listener)
//! bind, as acme.sh's `_startserver` and `_starttlsserver` do: a given address as it is;
//! without one every address (IPv6 dual-stack, else IPv4), or one family only with
//! `--listen-v4` / `--listen-v6`; and the serving task both run on it (`Serving`).

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing::Instrument as _;

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

/// A built-in listener's serving task and the signal that stops it. Dropping it aborts the
/// task, which drops the listener future, its socket and its connection set (aborting every
/// connection task); a no-op after [`shutdown`](Self::shutdown).
#[derive(Debug)]
pub(super) struct Serving {
    /// What serves, for logs (`http-01 standalone`, `tls-alpn-01`).
    what: &'static str,
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Serving {
    /// Spawn `serve(listener, stopped)`, which must return once `stopped` fires. Must be
    /// called inside a Tokio runtime.
    pub(super) fn spawn<F>(
        what: &'static str,
        listener: TcpListener,
        serve: impl FnOnce(TcpListener, oneshot::Receiver<()>) -> F,
    ) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        // getsockname on a bound socket only fails on kernel resource exhaustion; the address
        // is informational (logs, tests), so an unspecified one is an acceptable fallback.
        let local_addr = listener.local_addr().unwrap_or_else(|err| {
            tracing::warn!(%err, "cannot read the {what} listener's address");
            SocketAddr::from(([0, 0, 0, 0], 0))
        });
        let (stop, stopped) = oneshot::channel();
        let span = tracing::debug_span!("listener", what, addr = %local_addr);
        let task = tokio::spawn(serve(listener, stopped).instrument(span));
        Self {
            what,
            local_addr,
            stop: Some(stop),
            task,
        }
    }

    /// The address the listener listens on.
    pub(super) fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stop accepting, close every connection and wait for the task. When this returns
    /// nothing listens on [`local_addr`](Self::local_addr) any more.
    pub(super) async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            // An error means the task already ended; awaiting it below is still right.
            let _ = stop.send(());
        }
        if let Err(err) = (&mut self.task).await {
            tracing::warn!(%err, "{} task failed", self.what);
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
#[path = "listener_tests.rs"]
mod tests;
