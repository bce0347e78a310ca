//! Runs every open auction, up to [`CONCURRENCY`] at once: verifies bids that came before their
//! transfer, waits for the fee and the window, then chooses the routers on their current balances
//! less what this sequencer already committed to them ([`reservations`](crate::reservations)),
//! signs, and records the decision (final) for the dispatcher to send. A transfer no combination
//! of bids covers is looked at again every [`SHORT_RETRY`] until one does, its destination shows
//! the slow path handled it, or [`SHORT_GIVE_UP`] passes; then its auction is closed.

use crate::{
    bids,
    destination::{Destination, ReadError},
    error::SequencerError,
    execute::execute_calldata,
    reservations::{available, Ledger, Pool},
    selection::{select, valid_path_length},
    shared::Shared,
    store::{self, Decision, OpenAuction, Outcome, StoredBid, StoredTransfer},
};
use alloy::{
    primitives::{Address, Bytes, B256, U256},
    signers::local::PrivateKeySigner,
};
use futures::{future::try_join_all, stream, StreamExt};
use nxtp_agent::{clock::now_ms, CancellationToken, Health, StepFailure, Store};
use nxtp_api::sequencer::ErrorCode;
use nxtp_primitives::{fees, Domain, TransferStatus};
use rand::{rngs::StdRng, SeedableRng};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};
use tokio::sync::Notify;

/// The longest the auction sleeps without being woken: bounds how late a window's close is
/// noticed.
const TICK: Duration = Duration::from_millis(100);

/// Auctions moved on at once: each waits mostly on chain reads.
const CONCURRENCY: usize = 16;

/// How often a transfer no combination of bids covers is checked again against the balances.
const SHORT_RETRY: Duration = Duration::from_secs(2);

/// How long a transfer no combination of bids covers is checked again at most. Past it, routers
/// with new liquidity would rarely beat the slow path, and re-reading forever costs every round.
pub const SHORT_GIVE_UP: Duration = Duration::from_secs(30 * 60);

/// Why one transfer could not be handled this round: a chain read failed (retried next round),
/// or anything else, which stops the sequencer.
pub(crate) type StepError = StepFailure<SequencerError, ReadError>;

impl From<ReadError> for StepError {
    fn from(err: ReadError) -> Self {
        Self::Retry(err)
    }
}

impl From<SequencerError> for StepError {
    fn from(err: SequencerError) -> Self {
        Self::Fatal(err)
    }
}

/// The auction task.
pub(crate) struct AuctionTask {
    shared: Arc<Shared>,
    signer: PrivateKeySigner,
    health: Health,
    /// Woken when a decision is recorded.
    dispatch_wake: Arc<Notify>,
    /// What the decisions in flight committed.
    ledger: Ledger,
    rng: Mutex<StdRng>,
    /// Transfers found short of liquidity, and when to look again.
    short: Mutex<HashMap<B256, Instant>>,
}

impl AuctionTask {
    /// An auction task over `shared`, signing with `signer`, committing liquidity in `ledger`.
    pub(crate) fn new(
        shared: Arc<Shared>,
        signer: PrivateKeySigner,
        health: Health,
        dispatch_wake: Arc<Notify>,
        ledger: Ledger,
    ) -> Self {
        Self {
            shared,
            signer,
            health,
            dispatch_wake,
            ledger,
            rng: Mutex::new(StdRng::from_entropy()),
            short: Mutex::new(HashMap::new()),
        }
    }

    /// Runs rounds until `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), SequencerError> {
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

    /// Looks at every undecided transfer once, [`CONCURRENCY`] at a time; returns how long to
    /// sleep.
    async fn round(&self) -> Result<Duration, SequencerError> {
        let auctions = self
            .shared
            .store
            .call(|conn| store::open_auctions(conn))
            .await?;
        let outcomes: Vec<(B256, Domain, Result<Option<Duration>, StepError>)> =
            stream::iter(auctions)
                .map(|auction| async move {
                    let id = auction.transfer.transfer_id;
                    let destination = auction.transfer.destination();
                    (id, destination, self.consider(auction).await)
                })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
        let mut pause = TICK;
        let mut failing = BTreeMap::new();
        for (transfer_id, destination, outcome) in outcomes {
            match outcome {
                Ok(Some(until)) => pause = pause.min(until),
                Ok(None) => {}
                Err(failure) => {
                    let err = failure.into_retry()?;
                    tracing::warn!(%transfer_id, error = %err, "auction cannot read its destination");
                    failing.insert(destination, err);
                }
            }
        }
        for &domain in self.shared.destinations.keys() {
            let stream = format!("auction {domain}");
            match failing.get(&domain) {
                Some(err) => self.health.failing(&stream, err),
                None => self.health.ok(&stream),
            }
        }
        Ok(pause)
    }

    /// Moves one transfer's auction on; returns how soon it needs another look, if it does.
    async fn consider(&self, auction: OpenAuction) -> Result<Option<Duration>, StepError> {
        let OpenAuction {
            transfer,
            mut bids,
            fee_paid,
        } = auction;
        let shared = &self.shared;
        let Some(destination) = shared.destinations.get(&transfer.destination()) else {
            return Ok(None);
        };
        let id = transfer.transfer_id;
        if bids.iter().any(|bid| !bid.verified) {
            self.verify_early_bids(destination, &transfer, &bids)
                .await?;
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
        let paid = shared.pricing.paid_value(transfer.origin(), id, &fee_paid);
        if paid < shared.pricing.relayer_fee(transfer.destination()) {
            return Ok(None);
        }
        let window_ms = u64::try_from(shared.window.as_millis()).unwrap_or(u64::MAX);
        let closes_at = opened.saturating_add(window_ms);
        if now < closes_at {
            return Ok(Some(Duration::from_millis(closes_at - now)));
        }
        let retry_at = self.lock_short().get(&id).copied();
        if retry_at.is_some_and(|at| Instant::now() < at) {
            return Ok(None);
        }
        if let Some(short_since) = transfer.short_since_ms {
            if self.close_if_slow(destination, id, short_since).await? {
                return Ok(None);
            }
        }
        self.decide(destination, &transfer, &bids, opened).await?;
        Ok(None)
    }

    fn lock_short(&self) -> std::sync::MutexGuard<'_, HashMap<B256, Instant>> {
        self.short.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Closes the auction of a transfer no bids covered since `short_since` (unix ms) once the
    /// destination shows it handled (the slow path took it) or [`SHORT_GIVE_UP`] passed;
    /// returns whether it closed.
    async fn close_if_slow(
        &self,
        destination: &Destination,
        id: B256,
        short_since: u64,
    ) -> Result<bool, StepError> {
        let now = now_ms();
        let reason = match gave_up(now, short_since) {
            Some(reason) => reason,
            None => match handled(destination.transfer_status(id).await?) {
                Some(reason) => reason,
                None => return Ok(false),
            },
        };
        let text = reason.clone();
        let closed = self
            .shared
            .store
            .call(move |conn| store::close(conn, id, &text, now))
            .await?;
        self.lock_short().remove(&id);
        if closed {
            tracing::info!(transfer_id = %id, %reason, "auction closed without routers");
        }
        Ok(true)
    }
    async fn verify_early_bids(
        &self,
        destination: &Destination,
        transfer: &StoredTransfer,
        bids: &[StoredBid],
    ) -> Result<(), StepError> {
        verify_early_bids(&self.shared, destination, transfer, bids).await
    }

    /// Chooses the routers on their current balances less what is committed to them, signs,
    /// and records the decision; or records that no combination covers the transfer yet.
    async fn decide(
        &self,
        destination: &Destination,
        transfer: &StoredTransfer,
        bids: &[StoredBid],
        opened: u64,
    ) -> Result<(), StepError> {
        let id = transfer.transfer_id;
        let params = &transfer.params;
        let (fee_bps, max_routers, asset) = tokio::try_join!(
            destination.liquidity_fee_bps(),
            destination.max_routers(),
            destination.local_asset(params.canonicalDomain, params.canonicalId),
        )?;
        let mut offers: BTreeMap<Address, BTreeSet<u32>> = BTreeMap::new();
        for bid in bids {
            offers
                .entry(bid.router)
                .or_default()
                .insert(bid.path_length);
        }
        // Taken before the balances are read: see `reservations`.
        let snapshot = self.ledger.snapshot();
        let reads = try_join_all(offers.keys().map(|&router| async move {
            let (approved, balance) = tokio::try_join!(
                destination.router_approved(router),
                destination.router_balance(router, asset),
            )?;
            Ok::<_, ReadError>((router, approved, balance))
        }))
        .await?;
        let mut balances: BTreeMap<Address, U256> = BTreeMap::new();
        for (router, approved, balance) in reads {
            // Approval can be withdrawn after a bid; such a router cannot front the transfer.
            if approved {
                balances.insert(router, balance);
            } else {
                offers.remove(&router);
            }
        }
        // Where `execute` would overflow no routers can front it: it waits for the slow path.
        let fronted = fees::fronted_amount(params.bridgedAmt, fee_bps);
        let pool = Pool {
            destination: destination.domain,
            canonical_domain: params.canonicalDomain,
            canonical_id: params.canonicalId,
        };
        let chosen = {
            let mut ledger = self.ledger.lock();
            let free = available(&balances, &ledger.committed(&pool, snapshot.since));
            let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
            fronted.and_then(|fronted| {
                let routers = select(fronted, &offers, &free, max_routers, &mut *rng)?;
                let need = fees::share_needed(fronted, routers.len());
                ledger.reserve(id, pool, routers.clone(), need);
                Some(routers)
            })
        };
        drop(snapshot);
        let now = now_ms();
        let Some(chosen) = chosen else {
            let retry_at = Instant::now() + SHORT_RETRY;
            if self.lock_short().insert(id, retry_at).is_none() {
                tracing::info!(transfer_id = %id, ?fronted, "no combination of bids covers the transfer yet");
            }
            self.shared
                .store
                .call(move |conn| store::mark_short(conn, id, now))
                .await?;
            return Ok(());
        };
        self.lock_short().remove(&id);
        let recorded = self
            .sign_and_record(destination, transfer, bids, chosen, opened, now)
            .await;
        if !matches!(recorded, Ok(true)) {
            // Nothing was recorded, so nothing was committed.
            self.ledger.lock().release(id);
        }
        recorded.map(drop)
    }

    /// Signs the selection of `chosen` and records it as the decision; returns whether it was
    /// recorded (it is not when the transfer already has one).
    async fn sign_and_record(
        &self,
        destination: &Destination,
        transfer: &StoredTransfer,
        bids: &[StoredBid],
        chosen: Vec<Address>,
        opened: u64,
        now: u64,
    ) -> Result<bool, StepError> {
        let id = transfer.transfer_id;
        let path_length = u32::try_from(chosen.len()).unwrap_or(u32::MAX);
        let signatures: Vec<Bytes> = chosen
            .iter()
            .filter_map(|router| {
                bids.iter()
                    .find(|bid| bid.router == *router && bid.path_length == path_length)
                    .map(|bid| bid.signature.clone())
            })
            .collect();
        let calldata = execute_calldata(
            &self.signer,
            &destination.signing,
            id,
            &transfer.params,
            &chosen,
            signatures,
        )
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
        Ok(recorded)
    }
}

/// Checks the bids that came before the transfer was known against its destination: the
/// router's approval, the destination's own maximum path length and each signature, which must
/// recover to the router from the destination `Connext`'s EIP-712 `RouterBid` digest (only its
/// form could be checked before). Failing ones are dropped. The single sequencer's auction and a
/// consensus node's bid feed both run it.
pub(crate) async fn verify_early_bids(
    shared: &Shared,
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
            } else if bid.signed_for == Some(destination.domain) {
                // Recovered to the router under this very destination's `Connext` on admission.
            } else if let Err(err) = bids::verify(
                &destination.signing,
                transfer.transfer_id,
                router,
                bid.path_length,
                &bid.signature,
            ) {
                tracing::debug!(transfer_id = %transfer.transfer_id, %router, reason = %err.message, "early bid's signature refused");
                dropped.push((bid.path_length, ErrorCode::InvalidSignature));
            }
        }
        for (path_length, code) in &dropped {
            tracing::warn!(transfer_id = %transfer.transfer_id, %router, path_length, %code, "early bid dropped");
            shared.metrics.bid_rejected(*code);
        }
        let id = transfer.transfer_id;
        shared
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

/// Why to stop looking at a transfer no bids covered since `short_since` (unix ms), at `now`.
fn gave_up(now: u64, short_since: u64) -> Option<String> {
    let give_up_ms = u64::try_from(SHORT_GIVE_UP.as_millis()).unwrap_or(u64::MAX);
    (now.saturating_sub(short_since) >= give_up_ms).then(|| {
        format!(
            "no combination of bids covered it for {} minutes",
            SHORT_GIVE_UP.as_secs() / 60
        )
    })
}

/// Why routers can no longer front a transfer whose destination status is `status`: the slow
/// path reconciled (or completed) it, or it was executed already.
fn handled(status: TransferStatus) -> Option<String> {
    (status != TransferStatus::None)
        .then(|| format!("the destination already handled it (status {status:?})"))
}

/// A ledger holding what the decisions `store` still has in flight committed (see [`restore`]).
pub(crate) async fn restored_ledger(store: &Store) -> Result<Ledger, SequencerError> {
    let ledger = Ledger::default();
    let in_flight = store.call(|conn| store::in_flight(conn)).await?;
    restore(&ledger, &in_flight);
    Ok(ledger)
}

/// Commits again, after a restart, what the decisions still in flight committed. Their fee was
/// not recorded, so each router's share is counted on the bridged amount: an upper bound.
pub(crate) fn restore(ledger: &Ledger, in_flight: &[Decision]) {
    let mut ledger = ledger.lock();
    for decision in in_flight {
        let Some(params) = nxtp_bindings::executed_params(&decision.calldata) else {
            continue;
        };
        let pool = Pool {
            destination: decision.destination,
            canonical_domain: params.canonicalDomain,
            canonical_id: params.canonicalId,
        };
        ledger.reserve(
            decision.transfer_id,
            pool,
            decision.routers.clone(),
            fees::share_needed(params.bridgedAmt, decision.routers.len()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_transfer_is_closed_once_handled_or_too_old() {
        let limit = u64::try_from(SHORT_GIVE_UP.as_millis()).expect("fits");
        assert_eq!(gave_up(1_000 + limit - 1, 1_000), None);
        let reason = gave_up(1_000 + limit, 1_000).expect("too old");
        assert!(reason.contains("30 minutes"), "{reason}");
        assert_eq!(gave_up(0, 1_000), None, "a clock that went back is no age");

        assert_eq!(handled(TransferStatus::None), None);
        for status in [
            TransferStatus::Reconciled,
            TransferStatus::Completed,
            TransferStatus::Executed,
        ] {
            let reason = handled(status).expect("handled");
            assert!(reason.contains(&format!("{status:?}")), "{reason}");
        }
    }

    #[test]
    fn restored_commitments_count_the_bridged_amount_per_router() {
        let signer = PrivateKeySigner::random();
        let params = crate::testing::transfer(1_000);
        let id = nxtp_primitives::transfer_id(&params);
        let routers = vec![Address::repeat_byte(7), Address::repeat_byte(8)];
        let connext = nxtp_primitives::ConnextSigningDomain::new(31338, Address::repeat_byte(0xcc));
        let calldata =
            execute_calldata(&signer, &connext, id, &params, &routers, Vec::new()).expect("signs");
        let decision = Decision {
            transfer_id: id,
            destination: Domain(2000),
            routers,
            calldata,
            job_id: B256::ZERO,
            acknowledged: true,
            outcome: Outcome::Sent,
            opened_ms: 0,
            decided_ms: 0,
        };
        let ledger = Ledger::default();
        restore(&ledger, &[decision]);
        let pool = Pool {
            destination: Domain(2000),
            canonical_domain: 1000,
            canonical_id: B256::repeat_byte(3),
        };
        let mut reservations = ledger.lock();
        let since = reservations.begin();
        let committed = reservations.committed(&pool, since);
        // 1_000 over two routers: 500 each, plus one for the rounding dust.
        assert_eq!(
            committed.get(&Address::repeat_byte(7)),
            Some(&U256::from(501))
        );
        assert_eq!(
            committed.get(&Address::repeat_byte(8)),
            Some(&U256::from(501))
        );
    }
}
