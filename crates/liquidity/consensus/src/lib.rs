//! The consensus sequencer: N sequencer nodes decide the routers of each transfer together, on
//! Tendermint consensus (Malachite), so no single node can route a transfer or stop routing.
//!
//! Each height decides a [`Batch`] of auction results. The routers of an auction are a pure
//! function of the bids it includes ([`selection::select`]), so every node checks a proposal
//! ([`validity::check`]) against the replicated [`Ledger`] before voting for it. The design as
//! built is in `docs/consensus.md`.

pub mod app;
pub mod codec;
pub mod context;
pub mod ledger;
#[cfg(any(test, feature = "loopback"))]
pub mod loopback;
pub mod node;
pub mod parts;
pub mod pool;
pub mod selection;
pub mod signing;
pub mod store;
pub mod validity;
pub mod value;
pub mod wire;

pub use app::{Rules, Tamper};
pub use context::{Height, NodeAddress, SequencerContext, Validator, ValidatorSet};
pub use ledger::{Ledger, Reservation, DEFAULT_RESERVATION_EXPIRY};
pub use node::{start, Genesis, NodeConfig, NodeError, NodeHandle};
pub use pool::{BidPool, Pacing};
pub use signing::NodeKey;
pub use store::{CertifiedSelection, Decided, Equivocation, NodeStore, SignedSelection};
pub use validity::{Invalid, RouterApproval, TransferSource};
pub use value::{
    Auction, Batch, BatchId, ExecuteEnd, Observation, Pool, Release, ReleaseCause, SignedBid,
    TransferTerms,
};
