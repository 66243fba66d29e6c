//! Checkpoints: the steps of an order at which a caller that shares the lineage with other
//! machines (the fleet store, docs/fleet.md) must still hold it, and saves where the order
//! is, so another machine can resume it. A run without a [`Checkpoint`] (the file home)
//! passes through them at no cost.

use std::fmt;

use futures_util::future::LocalBoxFuture;

use crate::store::Lineage;

/// A step of the order at which the lineage must still be held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Before asking the CA for a new order.
    NewOrder,
    /// The new order is saved in the conf: from here on it can be resumed.
    OrderSaved,
    /// Before answering the challenges (they are presented: files, records, listeners).
    Respond,
    /// Before finalizing: the step that makes the CA issue a certificate.
    Finalize,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NewOrder => "a new order",
            Self::OrderSaved => "saving the order",
            Self::Respond => "answering the challenges",
            Self::Finalize => "finalizing the order",
        })
    }
}

/// What the engine calls at each [`Step`].
pub trait Checkpoint {
    /// `Ok` to go on; `Err(why)` when the lineage is no longer this run's (the engine then
    /// stops the lineage with [`super::Error::Checkpoint`], cleaning up as after any failure).
    fn reached<'a>(
        &'a self,
        lineage: &'a Lineage,
        step: Step,
    ) -> LocalBoxFuture<'a, Result<(), String>>;
}
