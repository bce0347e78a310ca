//! Runs every open auction: verifies bids that came before their transfer, waits for the fee
//! and the window, then chooses the routers on their current balances, signs, and records the
//! decision (final) for the dispatcher to send.

use crate::{
    destination::{Destination, ReadError},
    error::SequencerError,
    execute::execute_calldata,
    selection::{fronted_amount, select, valid_path_length},
    shared::{now_ms, Shared},
    store::{self, Decision, Outcome, StoredBid, StoredTransfer},
};
use alloy::{
    primitives::{Address, Bytes, U256},
    signers::local::PrivateKeySigner,
};
use nxtp_agent::{CancellationToken, Liveness};
use nxtp_api::sequencer::ErrorCode;
use rand::{rngs::StdRng, SeedableRng};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::Notify;

/// The longest the auction sleeps without being woken: bounds how late a window's close is
/// noticed.
const TICK: Duration = Duration::from_millis(100);

/// How often a transfer no combination of bids covers is checked again against the balances.
const SHORT_RETRY: Duration = Duration::from_secs(2);

/// Why one transfer could not be handled this round.
enum StepError {
    /// A chain read failed: retried next round.
    Read(ReadError),
    /// Anything else stops the sequencer.
    Fatal(SequencerError),
}

impl From<ReadError> for StepError {
    fn from(err: ReadError) -> Self {
        Self::Read(err)
    }
}

impl<E: Into<SequencerError>> From<E> for StepError {
    fn from(err: E) -> Self {
        Self::Fatal(err.into())
    }
}

/// The auction task.
pub(crate) struct AuctionTask {
    pub(crate) shared: Arc<Shared>,
    pub(crate) signer: PrivateKeySigner,
    pub(crate) liveness: Liveness,
    /// Woken when a decision is recorded.
    pub(crate) dispatch_wake: Arc<Notify>,
    pub(crate) rng: StdRng,
    /// Transfers found short of liquidity, and when to look again.
    pub(crate) short: HashMap<alloy::primitives::B256, Instant>,
}

impl AuctionTask {
    /// An auction task over `shared`, signing with `signer`.
    pub(crate) fn new(
        shared: Arc<Shared>,
        signer: PrivateKeySigner,
        liveness: Liveness,
        dispatch_wake: Arc<Notify>,
    ) -> Self {
        Self {
            shared,
            signer,
            liveness,
            dispatch_wake,
            rng: StdRng::from_entropy(),
            short: HashMap::new(),
        }
    }

    /// Runs rounds until `shutdown`.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) -> Result<(), SequencerError> {
        let wake = Arc::clone(&self.shared.auction_wake);
        loop {
            let pause = self.round().await?;
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Looks at every undecided transfer once; returns how long to sleep.
    async fn round(&mut self) -> Result<Duration, SequencerError> {
        let transfers = self
            .shared
            .store
            .call(|conn| store::undecided(conn))
            .await?;
        let mut pause = TICK;
        let mut failing = BTreeMap::new();
        for transfer in transfers {
            match self.consider(&transfer).await {
                Ok(Some(until)) => pause = pause.min(until),
                Ok(None) => {}
                Err(StepError::Read(err)) => {
                    tracing::warn!(transfer_id = %transfer.transfer_id, error = %err, "auction cannot read its destination");
                    failing.insert(transfer.destination(), err);
                }
                Err(StepError::Fatal(err)) => return Err(err),
            }
        }
        for &domain in self.shared.destinations.keys() {
            let stream = format!("auction {domain}");
            match failing.get(&domain) {
                Some(err) => self.liveness.failing(&stream, err),
                None => self.liveness.ok(&stream),
            }
        }
        Ok(pause)
    }

    /// Moves one transfer's auction on; returns how soon it needs another look, if it does.
    async fn consider(&mut self, transfer: &StoredTransfer) -> Result<Option<Duration>, StepError> {
        let shared = Arc::clone(&self.shared);
        let Some(destination) = shared.destinations.get(&transfer.destination()) else {
            return Ok(None);
        };
        let id = transfer.transfer_id;
        let mut bids = shared.store.call(move |conn| store::bids(conn, id)).await?;
        if bids.iter().any(|bid| !bid.verified) {
            self.verify_early_bids(destination, transfer, &bids).await?;
            bids = shared.store.call(move |conn| store::bids(conn, id)).await?;
        }
        bids.retain(|bid| bid.verified);
        if bids.is_empty() {
            return Ok(None);
        }
        let now = now_ms();
        let opened = match transfer.auction_opened_ms {
            Some(opened) => opened,
            None => {
                shared
                    .store
                    .call(move |conn| store::open_auction(conn, id, now))
                    .await?;
                now
            }
        };
        let origin = transfer.origin();
        let paid = shared
            .store
            .call(move |conn| store::fee_paid(conn, origin, id))
            .await?;
        if paid < shared.quotes.relayer_fee(transfer.destination()) {
            return Ok(None);
        }
        let window_ms = u64::try_from(shared.window.as_millis()).unwrap_or(u64::MAX);
        let closes_at = opened.saturating_add(window_ms);
        if now < closes_at {
            return Ok(Some(Duration::from_millis(closes_at - now)));
        }
        if self.short.get(&id).is_some_and(|&at| Instant::now() < at) {
            return Ok(None);
        }
        self.decide(destination, transfer, &bids, opened).await?;
        Ok(None)
    }

    /// Checks the bids that came before the transfer was known against its destination: the
    /// router's approval and the destination's own maximum path length. Failing ones are dropped.
    async fn verify_early_bids(
        &self,
        destination: &Destination,
        transfer: &StoredTransfer,
        bids: &[StoredBid],
    ) -> Result<(), StepError> {
        let max_routers = destination.max_routers().await?;
        let routers: BTreeSet<Address> = bids
            .iter()
            .filter(|bid| !bid.verified)
            .map(|bid| bid.router)
            .collect();
        for router in routers {
            let approved = destination.router_approved(router).await?;
            let mut dropped = Vec::new();
            for bid in bids
                .iter()
                .filter(|bid| bid.router == router && !bid.verified)
            {
                if !approved {
                    dropped.push((bid.path_length, ErrorCode::RouterNotApproved));
                } else if !valid_path_length(bid.path_length, max_routers) {
                    dropped.push((bid.path_length, ErrorCode::InvalidPathLength));
                }
            }
            for (path_length, code) in &dropped {
                tracing::warn!(transfer_id = %transfer.transfer_id, %router, path_length, %code, "early bid dropped");
                self.shared.metrics.bid_rejected(*code);
            }
            let id = transfer.transfer_id;
            self.shared
                .store
                .call(move |conn| {
                    let tx = conn.transaction()?;
                    for (path_length, _) in &dropped {
                        store::drop_bid(&tx, id, router, *path_length)?;
                    }
                    store::mark_verified(&tx, id, router)?;
                    tx.commit()
                })
                .await?;
        }
        Ok(())
    }

    /// Chooses the routers on their current balances, signs, and records the decision; or
    /// records that no combination covers the transfer yet.
    async fn decide(
        &mut self,
        destination: &Destination,
        transfer: &StoredTransfer,
        bids: &[StoredBid],
        opened: u64,
    ) -> Result<(), StepError> {
        let id = transfer.transfer_id;
        let params = &transfer.params;
        let fee_bps = destination.liquidity_fee_bps().await?;
        let max_routers = destination.max_routers().await?;
        let asset = destination
            .local_asset(params.canonicalDomain, params.canonicalId)
            .await?;
        let mut offers: BTreeMap<Address, BTreeSet<u32>> = BTreeMap::new();
        for bid in bids {
            offers
                .entry(bid.router)
                .or_default()
                .insert(bid.path_length);
        }
        let mut balances: BTreeMap<Address, U256> = BTreeMap::new();
        let routers: Vec<Address> = offers.keys().copied().collect();
        for router in routers {
            // Approval can be withdrawn after a bid; such a router cannot front the transfer.
            if destination.router_approved(router).await? {
                balances.insert(router, destination.router_balance(router, asset).await?);
            } else {
                offers.remove(&router);
            }
        }
        let fronted = fronted_amount(params.bridgedAmt, fee_bps);
        let now = now_ms();
        let Some(chosen) = select(fronted, &offers, &balances, max_routers, &mut self.rng) else {
            if self
                .short
                .insert(id, Instant::now() + SHORT_RETRY)
                .is_none()
            {
                tracing::info!(transfer_id = %id, %fronted, "no combination of bids covers the transfer yet");
            }
            self.shared
                .store
                .call(move |conn| store::mark_short(conn, id, now))
                .await?;
            return Ok(());
        };
        self.short.remove(&id);
        let path_length = u32::try_from(chosen.len()).unwrap_or(u32::MAX);
        let signatures: Vec<Bytes> = chosen
            .iter()
            .filter_map(|router| {
                bids.iter()
                    .find(|bid| bid.router == *router && bid.path_length == path_length)
                    .map(|bid| bid.signature.clone())
            })
            .collect();
        let calldata = execute_calldata(&self.signer, id, params, &chosen, signatures)
            .map_err(SequencerError::Sign)?;
        let decision = Decision {
            transfer_id: id,
            destination: destination.domain,
            job_id: nxtp_api::relayer::job_id(destination.domain, destination.connext, &calldata),
            routers: chosen,
            calldata,
            acknowledged: false,
            outcome: Outcome::Sent,
            opened_ms: opened,
            decided_ms: now,
        };
        let record = decision.clone();
        let recorded = self
            .shared
            .store
            .call(move |conn| store::record_decision(conn, &record))
            .await?;
        if recorded {
            tracing::info!(transfer_id = %id, routers = ?decision.routers, job_id = %decision.job_id, "routers chosen");
            self.shared.metrics.decided(
                destination.domain,
                decision.routers.len(),
                Duration::from_millis(now.saturating_sub(opened)),
            );
            self.dispatch_wake.notify_one();
        }
        Ok(())
    }
}
