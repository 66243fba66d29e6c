//! SIGINT, SIGTERM and SIGHUP during a run that talks to a CA (docs/renewal.md, "Signals").
//!
//! The first signal does not kill the process: it is recorded, and every wait that watches
//! it ([`Interrupt::guard`]) ends with [`Interrupted`]. The run then cleans up as after any
//! failure: presented challenges are removed, the post hook runs (bounded by its time limit),
//! locks are released, and the process exits with 128 + the signal number (130 for SIGINT,
//! 143 for SIGTERM, 129 for SIGHUP). A second signal exits at once with its own code.

use std::future::Future;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// A signal that asks the run to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGHUP (the terminal went away).
    Hangup,
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (`kill`, systemd stopping the service).
    Terminate,
}

impl Signal {
    /// The signal number.
    pub fn number(self) -> u8 {
        match self {
            Self::Hangup => 1,
            Self::Interrupt => 2,
            Self::Terminate => 15,
        }
    }

    /// The exit code a process killed by this signal reports to a shell: 128 + its number.
    pub fn exit_code(self) -> u8 {
        128 + self.number()
    }
}

impl std::fmt::Display for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Hangup => "SIGHUP",
            Self::Interrupt => "SIGINT",
            Self::Terminate => "SIGTERM",
        })
    }
}

/// A wait ended because a signal asked the run to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("interrupted by {signal}")]
pub struct Interrupted {
    /// The signal.
    pub signal: Signal,
}

/// Whether a stopping signal arrived; cheap to clone, shared by every task of a run.
#[derive(Clone, Debug)]
pub struct Interrupt {
    received: watch::Receiver<Option<Signal>>,
}

impl Interrupt {
    /// Catch SIGINT, SIGTERM and SIGHUP from now on (inside a Tokio runtime): the first one
    /// is recorded, a second one runs `before_exit` and exits the process at once.
    ///
    /// # Errors
    ///
    /// When a signal handler cannot be installed.
    pub fn listen(before_exit: fn()) -> std::io::Result<Self> {
        let mut hangup = signal(SignalKind::hangup())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let (tx, received) = watch::channel(None);
        tokio::spawn(async move {
            let mut next = async || {
                tokio::select! {
                    _ = hangup.recv() => Signal::Hangup,
                    _ = interrupt.recv() => Signal::Interrupt,
                    _ = terminate.recv() => Signal::Terminate,
                }
            };
            let first = next().await;
            tracing::debug!(signal = %first, "stopping: cleaning up");
            let _ = tx.send(Some(first));
            let second = next().await;
            before_exit();
            std::process::exit(i32::from(second.exit_code()));
        });
        Ok(Self { received })
    }

    /// An interrupt that never fires (commands that install no handlers, tests).
    pub fn never() -> Self {
        let (_, received) = watch::channel(None);
        Self { received }
    }

    /// The signal received so far, if any.
    pub fn received(&self) -> Option<Signal> {
        *self.received.borrow()
    }

    /// Run `work` unless or until a signal arrives; then it is dropped and the result is
    /// [`Interrupted`].
    ///
    /// # Errors
    ///
    /// `work`'s own error, or [`Interrupted`] converted into it.
    pub async fn guard<T, E: From<Interrupted>>(
        &self,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        let mut received = self.received.clone();
        // `None` when the sender is gone ([`Interrupt::never`]): nothing will arrive.
        let signal = async move {
            match received.wait_for(Option::is_some).await {
                Ok(signal) => *signal,
                Err(_) => None,
            }
        };
        tokio::select! {
            biased;
            Some(signal) = signal => Err(Interrupted { signal }.into()),
            result = work => result,
        }
    }
}

#[cfg(test)]
#[path = "interrupt_tests.rs"]
mod tests;
