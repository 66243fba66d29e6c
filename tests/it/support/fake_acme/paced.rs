//! The fake CA's response body, sent at once or at a hostile pace ([`Pace`]).

use std::convert::Infallible;
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Bytes, Frame, SizeHint};

/// How a [`Paced`] body is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pace {
    /// All at once.
    All,
    /// Its length announced, its first byte sent, then nothing (the connection stays open).
    Stall,
    /// Its length announced, then one byte per second.
    Trickle,
    /// Chunked, 64 KiB at a time, without end.
    Endless,
}

/// A response body that comes at its [`Pace`].
pub(crate) struct Paced {
    data: Bytes,
    pace: Pace,
    started: bool,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Paced {
    pub(crate) fn new(data: Bytes, pace: Pace) -> Self {
        Self {
            data,
            pace,
            started: false,
            sleep: None,
        }
    }

    /// The same data at another pace.
    pub(crate) fn at(self, pace: Pace) -> Self {
        Self::new(self.data, pace)
    }
}

impl Body for Paced {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        let first = !std::mem::replace(&mut this.started, true);
        let frame = match this.pace {
            Pace::Endless => Bytes::from(vec![b' '; 64 * 1024]),
            _ if this.data.is_empty() => return Poll::Ready(None),
            Pace::All => std::mem::take(&mut this.data),
            // Never woken again: the body stays unfinished.
            Pace::Stall if !first => return Poll::Pending,
            Pace::Stall => this.data.split_to(1),
            Pace::Trickle => {
                if let Some(sleep) = this.sleep.as_mut()
                    && sleep.as_mut().poll(cx).is_pending()
                {
                    return Poll::Pending;
                }
                this.sleep = Some(Box::pin(tokio::time::sleep(Duration::from_secs(1))));
                this.data.split_to(1)
            }
        };
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.pace != Pace::Endless && self.data.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        match self.pace {
            Pace::Endless => SizeHint::default(),
            _ if self.started => SizeHint::default(),
            _ => SizeHint::with_exact(self.data.len() as u64),
        }
    }
}
