//! Decides on the transfers due for one destination: reads what the destination and the sequencer
//! say, applies [`decide`], and records either the decision not to bid or a signed bid (which the
//! [`poster`](crate::poster) then sends).

use crate::{
    config::RouterConfig,
    decision::{decide, screen, Decision, DestinationState, SkipReason, Transfer},
    error::{contract_error, Failure},
    metrics::RouterMetrics,
    origin::backoff,
    store::{self, DueTransfer},
};
use alloy::{
    primitives::{Address, Bytes, U256},
    providers::DynProvider,
    signers::local::PrivateKeySigner,
};
use nxtp_agent::{CancellationToken, Liveness, Store};
use nxtp_api::sequencer::SequencerClient;
use nxtp_bindings::Connext;
use nxtp_primitives::{router_bid_hash, sign_personal, Domain, TransferStatus};
use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};
use tokio::sync::Notify;

/// Transfers evaluated per database read.
const BATCH: usize = 32;

/// The task bidding on transfers to one destination.
pub(crate) struct BidderTask {
    pub(crate) destination: Domain,
    pub(crate) connext: Connext::ConnextInstance<DynProvider>,
    pub(crate) signer: PrivateKeySigner,
    pub(crate) store: Store,
    pub(crate) config: Arc<RouterConfig>,
    pub(crate) sequencer: SequencerClient,
    /// Woken by the origin tasks when transfers become due.
    pub(crate) wake: Arc<Notify>,
    /// The poster, woken when a bid is recorded.
    pub(crate) poster: Arc<Notify>,
    pub(crate) metrics: RouterMetrics,
    pub(crate) liveness: Liveness,
    pub(crate) poll_interval: Duration,
}

impl BidderTask {
    /// Evaluates due transfers until `shutdown`; transient failures are retried with backoff.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), crate::RouterError> {
        let stream = format!("bids {}", self.destination);
        let mut failures = 0u32;
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let pause = match self.pass().await {
                Ok(more) => {
                    self.liveness.ok(&stream);
                    failures = 0;
                    if more {
                        continue;
                    }
                    self.poll_interval
                }
                Err(Failure::Transient(reason)) => {
                    failures = failures.saturating_add(1);
                    let pause = backoff(self.poll_interval, failures);
                    tracing::warn!(destination = %self.destination, error = %reason, retry_in = ?pause, "cannot evaluate transfers");
                    self.liveness.failing(&stream, reason);
                    pause
                }
                Err(Failure::Fatal(err)) => return Err(err),
            };
            // Woken early when transfers arrive; the timer covers a missed wake-up.
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Evaluates one batch of due transfers; returns whether more may be due. A transfer whose
    /// reads fail stays due and does not hold up the others.
    async fn pass(&self) -> Result<bool, Failure> {
        let destination = self.destination;
        let due = self
            .store
            .call(move |conn| store::due_transfers(conn, destination, BATCH))
            .await?;
        let mut failed = None;
        for transfer in &due {
            match self.evaluate(transfer).await {
                Ok(()) => {}
                Err(Failure::Transient(reason)) => failed = failed.or(Some(reason)),
                Err(fatal) => return Err(fatal),
            }
        }
        match failed {
            Some(reason) => Err(Failure::Transient(reason)),
            None => Ok(due.len() == BATCH),
        }
    }

    async fn evaluate(&self, due: &DueTransfer) -> Result<(), Failure> {
        let decision = match screen(&due.info, &self.config) {
            // The configuration may have changed since the transfer was recorded.
            Some(reason) => Decision::Skip(reason),
            None => {
                let (state, quote) =
                    tokio::try_join!(self.destination_state(due), self.quote(due))?;
                let transfer = Transfer {
                    info: due.info.clone(),
                    fee_paid: due.fee_paid,
                    xcalled_at: due.xcalled_at,
                };
                decide(&transfer, &state, &self.config, quote, unix_now().as_secs())
            }
        };
        match decision {
            Decision::Bid(path_lengths) => self.bid(due, &path_lengths).await,
            Decision::Skip(reason) => self.skip(due, reason).await,
        }
    }

    async fn bid(&self, due: &DueTransfer, path_lengths: &[usize]) -> Result<(), Failure> {
        let mut signatures = BTreeMap::new();
        for &n in path_lengths {
            let signature = sign_personal(&self.signer, router_bid_hash(due.id, n))?;
            let n = u32::try_from(n)
                .map_err(|_| Failure::Transient(format!("path length {n} does not fit the API")))?;
            signatures.insert(n, Bytes::copy_from_slice(&signature));
        }
        let (id, destination) = (due.id, self.destination);
        let now_ms = unix_now().as_millis().try_into().unwrap_or(u64::MAX);
        let recorded = self
            .store
            .call(move |conn| store::record_bid(conn, id, destination, &signatures, now_ms))
            .await?;
        if recorded {
            tracing::info!(transfer_id = %id, %destination, ?path_lengths, "bid recorded");
            self.metrics.bid_recorded(destination);
            self.poster.notify_one();
        } else {
            tracing::warn!(transfer_id = %id, "a bid already exists; not bidding again");
        }
        Ok(())
    }

    async fn skip(&self, due: &DueTransfer, reason: SkipReason) -> Result<(), Failure> {
        let id = due.id;
        let label = reason.label();
        let text = reason.to_string();
        let is_final = reason.is_final();
        let changed = self
            .store
            .call(move |conn| store::record_skip(conn, id, &reason))
            .await?;
        if changed {
            self.metrics.skipped(self.destination, label);
            if is_final {
                tracing::info!(transfer_id = %id, reason = %text, "not bidding");
            } else {
                tracing::info!(transfer_id = %id, reason = %text, "waiting before bidding");
            }
        }
        Ok(())
    }

    async fn quote(&self, due: &DueTransfer) -> Result<U256, Failure> {
        let origin = Domain(due.info.originDomain);
        self.sequencer
            .quote(origin, self.destination)
            .await
            .map(|quote| quote.relayer_fee)
            .map_err(|err| {
                Failure::Transient(format!("quote {origin} -> {}: {err}", self.destination))
            })
    }

    /// What the destination says now about the transfer and the router.
    async fn destination_state(&self, due: &DueTransfer) -> Result<DestinationState, Failure> {
        let router = self.signer.address();
        let connext = &self.connext;
        let read = |what: &'static str| {
            move |err: alloy::contract::Error| {
                Failure::Transient(format!(
                    "{what} on {}: {}",
                    self.destination,
                    contract_error(err)
                ))
            }
        };
        let status = connext.transferStatus(due.id);
        let local = connext.localAsset(due.info.canonicalDomain, due.info.canonicalId);
        let info = connext.routerInfo(router);
        let fee = connext.liquidityFeeBps();
        let max = connext.maxRoutersPerTransfer();
        let (status, local_asset, info, liquidity_fee_bps, max_routers) = tokio::try_join!(
            async { status.call().await.map_err(read("transferStatus")) },
            async { local.call().await.map_err(read("localAsset")) },
            async { info.call().await.map_err(read("routerInfo")) },
            async { fee.call().await.map_err(read("liquidityFeeBps")) },
            async { max.call().await.map_err(read("maxRoutersPerTransfer")) },
        )?;
        let status = TransferStatus::try_from(status).map_err(|err| {
            Failure::Transient(format!("transferStatus on {}: {err}", self.destination))
        })?;
        let balance = if local_asset == Address::ZERO {
            U256::ZERO
        } else {
            connext
                .routerBalance(router, local_asset)
                .call()
                .await
                .map_err(read("routerBalance"))?
        };
        Ok(DestinationState {
            status,
            local_asset,
            router_approved: info.approved,
            balance,
            liquidity_fee_bps,
            max_routers,
        })
    }
}

/// Time since the Unix epoch; a clock before 1970 counts as the epoch.
pub(crate) fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}
