//! What the API and the auction share: the database, the quotes and fee valuation, the destinations' `Connext`s.

use crate::{
    config::EarlyBids, destination::Destination, metrics::SequencerMetrics, pricing::Pricing,
};
use nxtp_agent::Store;
use nxtp_primitives::Domain;
use std::{collections::BTreeMap, sync::Arc, time::Duration};
use tokio::sync::Notify;

/// State shared by the sequencer's tasks.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) store: Store,
    /// The quotes, and what fees paid in assets are worth.
    pub(crate) pricing: Pricing,
    pub(crate) window: Duration,
    /// The bounds of bids on transfers not seen yet.
    pub(crate) early_bids: EarlyBids,
    /// Every served domain, as a destination.
    pub(crate) destinations: BTreeMap<Domain, Destination>,
    pub(crate) metrics: SequencerMetrics,
    /// Wakes the auction when a transfer, a fee or a bid arrives.
    pub(crate) auction_wake: Arc<Notify>,
    /// Where a consensus node forwards the bids routers post to it; `None` when it does not.
    pub(crate) forward: Option<crate::consensus::BidForwarder>,
}
