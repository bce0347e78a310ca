//! The processor's state machines: one per message delivery and one per transaction it sends.
//!
//! A message to a served destination:
//!
//! ```text
//!            batch op prepared                 Processed event
//! Pending ───────────────────────▶ InFlight ─────────────────────▶ Processed
//!    ▲                               │  ▲
//!    │ op failed, not proven         │  │ retry op prepared (process(message))
//!    └───────────────────────────────┤  │
//!                                    ▼  │
//!                   ProcessFailed ─▶ Failed (backoff, then retried)
//! ```
//!
//! A transaction (an *op*):
//!
//! ```text
//! Prepared ──submit (idempotent key)──▶ Submitted ──mined, deep enough──▶ Confirmed ──▶ Settled
//!                                           │                                            ▲
//!                                           └──failed (typed reason): recover from chain─┘
//! ```
//!
//! An op is written to the database, with its exact calldata, *before* it is handed to the
//! submitter, and its key is derived from its row id: after a crash at any point the same call
//! is handed over again under the same key, which the submitter recognises, so no message is
//! ever put in two live transactions.

use alloy::primitives::{Address, Bytes, B256};
use nxtp_chain::OperationId;
use nxtp_primitives::Domain;
use std::fmt;

/// The id of one of the processor's operations, unique in its database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpId(pub i64);

impl OpId {
    /// The submitter key of this op: unique per processor database and destination.
    pub fn submitter_key(self, destination: Domain) -> String {
        format!("processor/{destination}/op-{}", self.0)
    }
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "processor-op#{}", self.0)
    }
}

/// What an op does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// `proveAndProcessBatch` of messages never delivered, under `root`.
    Batch {
        /// The acceptable root the multiproof leads to.
        root: B256,
        /// How many leaves the origin's tree held at that root.
        leaf_count: u32,
    },
    /// `process(message)` of a message proven earlier whose `handle` reverted.
    Retry,
}

impl OpKind {
    /// A short label for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Batch { .. } => "batch",
            Self::Retry => "retry",
        }
    }
}

/// Where an op stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpState {
    /// Recorded with its calldata; not yet known to the submitter.
    Prepared,
    /// Handed to the submitter as `operation`.
    Submitted {
        /// The submitter's operation.
        operation: OperationId,
    },
    /// Mined successfully in `block`, deep enough; its messages' outcome events are awaited.
    Confirmed {
        /// The submitter's operation.
        operation: OperationId,
        /// The block holding the transaction.
        block: u64,
    },
    /// Done: every message it carried has left it.
    Settled,
}

/// One op as stored.
#[derive(Clone, Debug)]
pub struct OpRecord {
    /// Its id.
    pub id: OpId,
    /// The origin whose messages it carries.
    pub origin: Domain,
    /// What it does.
    pub kind: OpKind,
    /// The Replica it calls.
    pub replica: Address,
    /// Its calldata.
    pub input: Bytes,
    /// Where it stands.
    pub state: OpState,
}

/// Where a message's delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeliveryStatus {
    /// Not delivered and not carried by any op.
    Pending,
    /// Carried by an op that has not settled.
    InFlight,
    /// Proven on the Replica, but its recipient's `handle` reverted: retried after a backoff.
    Failed,
    /// Delivered. Final.
    Processed,
}

impl DeliveryStatus {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InFlight => "in_flight",
            Self::Failed => "failed",
            Self::Processed => "processed",
        }
    }

    /// The status stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "pending" => Some(Self::Pending),
            "in_flight" => Some(Self::InFlight),
            "failed" => Some(Self::Failed),
            "processed" => Some(Self::Processed),
            _ => None,
        }
    }
}

/// Why the messages of one origin to one destination are not being submitted right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// No root covering them is acceptable yet; the next one is at `next_confirm_at` (unix
    /// seconds), if the Replica accepted one.
    NoAcceptableRoot {
        /// When the next accepted root becomes acceptable.
        next_confirm_at: Option<u64>,
    },
    /// The acceptable root has `leaf_count` leaves, but only `indexed` of the origin's leaves
    /// are indexed yet.
    OriginBehind {
        /// Leaves under the root.
        leaf_count: u32,
        /// Leaves indexed.
        indexed: u32,
    },
    /// The origin's leaves do not lead to the root the Home says it produced: the processor's
    /// view of the origin is wrong (a reorg deeper than its confirmations), so it proves nothing.
    RootMismatch {
        /// The root.
        root: B256,
        /// Its leaf count.
        leaf_count: u32,
    },
}

impl fmt::Display for Waiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoAcceptableRoot {
                next_confirm_at: Some(at),
            } => write!(f, "no acceptable root yet; the next is acceptable at {at}"),
            Self::NoAcceptableRoot {
                next_confirm_at: None,
            } => f.write_str("no acceptable root covers them"),
            Self::OriginBehind {
                leaf_count,
                indexed,
            } => write!(
                f,
                "the acceptable root holds {leaf_count} leaves, {indexed} are indexed"
            ),
            Self::RootMismatch { root, leaf_count } => write!(
                f,
                "the indexed leaves do not lead to root {root} at {leaf_count} leaves"
            ),
        }
    }
}
