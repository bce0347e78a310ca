//! Decides on the transfers due for one destination, a batch at a time: reads what the destination
//! and the sequencer say (what the batch shares once, each transfer's status concurrently),
//! applies [`decide`], and records, in one transaction, either the decision not to bid or a signed
//! bid (which the [`poster`](crate::poster) then sends).

use crate::{
    config::RouterConfig,
    decision::{decide, screen, Decision, DestinationState, Transfer},
    error::{contract_error, Failure, RouterError},
    metrics::RouterMetrics,
    store::{self, DueTransfer, Verdict},
};
use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::DynProvider,
    signers::local::PrivateKeySigner,
};
use futures::{future::join_all, stream, StreamExt};
use nxtp_agent::{clock::now_ms, CancellationToken, Health, Store};
use nxtp_api::sequencer::{QuoteWithFeeAssets, SequencerClient};
use nxtp_bindings::Connext;
use nxtp_chain::retry::backoff;
use nxtp_liquidity::{FeeAssetRate, FeeValuation};
use nxtp_primitives::{sign_digest, ConnextSigningDomain, Domain, TransferStatus};
use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
    time::Duration,
};
use tokio::sync::Notify;

/// Transfers evaluated per database read.
const BATCH: usize = 32;

/// Transfer statuses read at once.
const CONCURRENCY: usize = 16;

/// The task bidding on transfers to one destination.
pub(crate) struct BidderTask {
    pub(crate) destination: Domain,
    pub(crate) connext: Connext::ConnextInstance<DynProvider>,
    /// The destination Connext's EIP-712 domain (its chain id, checked against the node on
    /// connect, and address): what every bid is signed for.
    pub(crate) signing: ConnextSigningDomain,
    pub(crate) signer: PrivateKeySigner,
    pub(crate) store: Store,
    pub(crate) config: Arc<RouterConfig>,
    pub(crate) sequencer: SequencerClient,
    /// Woken by the origin tasks when transfers become due.
    pub(crate) wake: Arc<Notify>,
    /// The poster, woken when a bid is recorded.
    pub(crate) poster: Arc<Notify>,
    pub(crate) metrics: RouterMetrics,
    pub(crate) health: Health,
    pub(crate) poll_interval: Duration,
}

impl BidderTask {
    /// Evaluates due transfers until `shutdown`; transient failures are retried with backoff.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), RouterError> {
        let stream = format!("bids {}", self.destination);
        let mut failures = 0u32;
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let pause = match self.pass().await {
                Ok(more) => {
                    self.health.ok(&stream);
                    failures = 0;
                    if more {
                        continue;
                    }
                    self.poll_interval
                }
                Err(failure) => {
                    let reason = failure.into_retry()?;
                    failures = failures.saturating_add(1);
                    let pause = backoff(self.poll_interval, failures);
                    tracing::warn!(destination = %self.destination, error = %reason, retry_in = ?pause, "cannot evaluate transfers");
                    self.health.failing(&stream, reason);
                    pause
                }
            };
            // Woken early when transfers arrive; the timer covers a missed wake-up.
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.wake.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Evaluates one batch of due transfers and records every verdict in one transaction;
    /// returns whether more may be due. What the whole destination says (approval, fee, most
    /// routers), each asset's balance and each origin's quote are read once per batch; a
    /// transfer whose own reads fail stays due and does not hold up the others.
    async fn pass(&self) -> Result<bool, Failure> {
        let destination = self.destination;
        let due = self
            .store
            .call(move |conn| store::due_transfers(conn, destination, BATCH))
            .await?;
        let more = due.len() == BATCH;
        let mut verdicts = Vec::with_capacity(due.len());
        let mut to_read = Vec::new();
        for transfer in due {
            // The configuration may have changed since the transfer was recorded.
            match screen(&transfer.info, &self.config) {
                Some(reason) => verdicts.push((transfer, Decision::Skip(reason))),
                None => to_read.push(transfer),
            }
        }
        let mut failed = None;
        if !to_read.is_empty() {
            let ids: Vec<B256> = to_read.iter().map(|transfer| transfer.id).collect();
            let (reads, statuses) = tokio::join!(self.read_batch(&to_read), self.statuses(ids));
            let reads = match reads {
                Ok(reads) => reads,
                // The screened-out verdicts need no read: record them anyway.
                Err(failure) => {
                    self.record(verdicts).await?;
                    return Err(failure);
                }
            };
            let now = now_ms() / 1000;
            for (due, status) in to_read.into_iter().zip(statuses) {
                match reads.state(&due, status) {
                    Ok((state, quote)) => {
                        let origin = Domain(due.info.originDomain);
                        let transfer = Transfer {
                            info: due.info.clone(),
                            fee_paid: quote.valuation.native_wei(origin, due.id, &due.fee_paid),
                            xcalled_at: due.xcalled_at,
                        };
                        let decision =
                            decide(&transfer, &state, &self.config, quote.relayer_fee, now);
                        verdicts.push((due, decision));
                    }
                    Err(reason) => failed = failed.or(Some(reason)),
                }
            }
        }
        self.record(verdicts).await?;
        match failed {
            Some(reason) => Err(Failure::Retry(reason)),
            None => Ok(more),
        }
    }

    /// Signs the bids, records every verdict in one transaction, then reports what changed.
    async fn record(&self, decisions: Vec<(DueTransfer, Decision)>) -> Result<(), Failure> {
        if decisions.is_empty() {
            return Ok(());
        }
        let mut verdicts = Vec::with_capacity(decisions.len());
        for (due, decision) in &decisions {
            let verdict = match decision {
                Decision::Bid(path_lengths) => Verdict::Bid(self.sign(due.id, path_lengths)?),
                Decision::Skip(reason) => Verdict::Skip(reason.clone()),
            };
            verdicts.push((due.id, verdict));
        }
        let destination = self.destination;
        let now_ms = now_ms();
        let changed = self
            .store
            .call(move |conn| store::record_verdicts(conn, destination, &verdicts, now_ms))
            .await?;
        let mut bid = false;
        for ((due, decision), changed) in decisions.into_iter().zip(changed) {
            let id = due.id;
            match decision {
                Decision::Bid(path_lengths) if changed => {
                    tracing::info!(transfer_id = %id, %destination, ?path_lengths, "bid recorded");
                    self.metrics.bid_recorded(destination);
                    bid = true;
                }
                Decision::Bid(_) => {
                    tracing::warn!(transfer_id = %id, "a bid already exists; not bidding again");
                }
                Decision::Skip(reason) if changed => {
                    self.metrics.skipped(destination, reason.label());
                    if reason.is_final() {
                        tracing::info!(transfer_id = %id, %reason, "not bidding");
                    } else {
                        tracing::info!(transfer_id = %id, %reason, "waiting before bidding");
                    }
                }
                Decision::Skip(_) => {}
            }
        }
        if bid {
            self.poster.notify_one();
        }
        Ok(())
    }

    /// The router's signature of `id` for each of `path_lengths`.
    fn sign(&self, id: B256, path_lengths: &[usize]) -> Result<BTreeMap<u32, Bytes>, Failure> {
        let mut signatures = BTreeMap::new();
        for &n in path_lengths {
            let signature = sign_digest(&self.signer, self.signing.router_bid_digest(id, n))
                .map_err(RouterError::from)?;
            let n = u32::try_from(n)
                .map_err(|_| Failure::Retry(format!("path length {n} does not fit the API")))?;
            signatures.insert(n, Bytes::copy_from_slice(&signature));
        }
        Ok(signatures)
    }

    /// Each transfer's status on the destination, read [`CONCURRENCY`] at a time, in order.
    async fn statuses(&self, ids: Vec<B256>) -> Vec<Result<TransferStatus, String>> {
        stream::iter(ids)
            .map(|id| async move {
                let status = self
                    .connext
                    .transferStatus(id)
                    .call()
                    .await
                    .map_err(|err| self.read_failed("transferStatus", err))?;
                TransferStatus::try_from(status)
                    .map_err(|err| format!("transferStatus on {}: {err}", self.destination))
            })
            .buffered(CONCURRENCY)
            .collect()
            .await
    }

    /// What a batch of transfers shares: the destination's parameters and the router's
    /// approval (which must be read), each asset's balance and each origin's quote (which may
    /// fail alone).
    async fn read_batch(&self, transfers: &[DueTransfer]) -> Result<BatchReads, Failure> {
        let router = self.signer.address();
        let connext = &self.connext;
        let assets: BTreeSet<(u32, B256)> = transfers
            .iter()
            .map(|due| (due.info.canonicalDomain, due.info.canonicalId))
            .collect();
        let origins: BTreeSet<Domain> = transfers
            .iter()
            .map(|due| Domain(due.info.originDomain))
            .collect();
        let read = |what: &'static str| {
            move |err: alloy::contract::Error| Failure::Retry(self.read_failed(what, err))
        };
        let info = connext.routerInfo(router);
        let fee = connext.liquidityFeeBps();
        let max = connext.maxRoutersPerTransfer();
        let parameters = async {
            tokio::try_join!(
                async { info.call().await.map_err(read("routerInfo")) },
                async { fee.call().await.map_err(read("liquidityFeeBps")) },
                async { max.call().await.map_err(read("maxRoutersPerTransfer")) },
            )
        };
        let balances = join_all(
            assets
                .into_iter()
                .map(|key| async move { (key, self.balance(router, key).await) }),
        );
        let quotes = join_all(
            origins
                .into_iter()
                .map(|origin| async move { (origin, self.quote(origin).await) }),
        );
        let (parameters, balances, quotes) = tokio::join!(parameters, balances, quotes);
        let (info, liquidity_fee_bps, max_routers) = parameters?;
        Ok(BatchReads {
            router_approved: info.approved,
            liquidity_fee_bps,
            max_routers,
            balances: balances.into_iter().collect(),
            quotes: quotes.into_iter().collect(),
        })
    }

    /// The local asset of the canonical asset `key` and the router's balance in it (zero where
    /// the asset is not registered).
    async fn balance(&self, router: Address, key: (u32, B256)) -> Result<(Address, U256), String> {
        let (canonical_domain, canonical_id) = key;
        let local = self
            .connext
            .localAsset(canonical_domain, canonical_id)
            .call()
            .await
            .map_err(|err| self.read_failed("localAsset", err))?;
        if local == Address::ZERO {
            return Ok((local, U256::ZERO));
        }
        let balance = self
            .connext
            .routerBalance(router, local)
            .call()
            .await
            .map_err(|err| self.read_failed("routerBalance", err))?;
        Ok((local, balance))
    }

    async fn quote(&self, origin: Domain) -> Result<OriginQuote, String> {
        self.sequencer
            .quote_with_fee_assets(origin, self.destination)
            .await
            .map(|quote| OriginQuote::new(origin, &quote))
            .map_err(|err| format!("quote {origin} -> {}: {err}", self.destination))
    }

    fn read_failed(&self, what: &str, err: alloy::contract::Error) -> String {
        format!("{what} on {}: {}", self.destination, contract_error(err))
    }
}

/// What one batch read once for all its transfers.
struct BatchReads {
    router_approved: bool,
    liquidity_fee_bps: u16,
    max_routers: u8,
    /// Per canonical asset: its local asset and the router's balance in it.
    balances: BTreeMap<(u32, B256), Result<(Address, U256), String>>,
    /// Per origin: the sequencer's quote.
    quotes: BTreeMap<Domain, Result<OriginQuote, String>>,
}

impl BatchReads {
    /// What the destination says about `due` (whose own status read gave `status`), and the
    /// quote of its route; the first failed read otherwise.
    fn state(
        &self,
        due: &DueTransfer,
        status: Result<TransferStatus, String>,
    ) -> Result<(DestinationState, OriginQuote), String> {
        let key = (due.info.canonicalDomain, due.info.canonicalId);
        let origin = Domain(due.info.originDomain);
        let missing = || "a read of the batch is missing".to_owned();
        let (local_asset, balance) = self.balances.get(&key).ok_or_else(missing)?.clone()?;
        let quote = self.quotes.get(&origin).ok_or_else(missing)?.clone()?;
        let state = DestinationState {
            status: status?,
            local_asset,
            router_approved: self.router_approved,
            balance,
            liquidity_fee_bps: self.liquidity_fee_bps,
            max_routers: self.max_routers,
        };
        Ok((state, quote))
    }
}

/// The sequencer's quote of one route: the fee it asks, and what fees paid in assets on the
/// origin are worth by its rates (the sequencer's valuation is the one its fee gate applies, so
/// the router values fees the same way rather than keeping rates of its own).
#[derive(Clone, Debug)]
struct OriginQuote {
    relayer_fee: U256,
    valuation: FeeValuation,
}

impl OriginQuote {
    fn new(origin: Domain, quote: &QuoteWithFeeAssets) -> Self {
        let mut valuation = FeeValuation::native_only();
        for asset in &quote.fee_assets {
            match FeeAssetRate::new(asset.decimals, asset.native_wei_per_token) {
                Ok(rate) => valuation.accept(origin, asset.asset, rate),
                // Such a token cannot be valued: its fees count zero here, as they would if
                // the sequencer did not list it.
                Err(reason) => {
                    tracing::debug!(%origin, asset = %asset.asset, reason, "fee asset of the quote ignored");
                }
            }
        }
        Self {
            relayer_fee: quote.quote.relayer_fee,
            valuation,
        }
    }
}

#[cfg(test)]
mod quote_tests {
    use super::*;
    use alloy::primitives::{Address, B256};
    use nxtp_api::sequencer::{Quote, QuotedFeeAsset};
    use nxtp_liquidity::FeesPaid;

    #[test]
    fn fees_in_the_quoted_assets_are_valued_at_the_sequencer_s_rates() {
        let origin = Domain(2000);
        let token = Address::repeat_byte(0x77);
        let quote = QuoteWithFeeAssets {
            quote: Quote {
                origin,
                destination: Domain(1000),
                relayer_fee: U256::from(1_000),
            },
            fee_assets: vec![
                QuotedFeeAsset {
                    asset: token,
                    decimals: 6,
                    native_wei_per_token: U256::from(2_000),
                },
                QuotedFeeAsset {
                    asset: Address::repeat_byte(0x55),
                    decimals: 200,
                    native_wei_per_token: U256::from(1),
                },
            ],
        };
        let quote = OriginQuote::new(origin, &quote);
        assert_eq!(quote.relayer_fee, U256::from(1_000));
        let paid = FeesPaid::none()
            .with(token, U256::from(500_000))
            .with(Address::repeat_byte(0x55), U256::MAX);
        let id = B256::repeat_byte(1);
        assert_eq!(
            quote.valuation.native_wei(origin, id, &paid),
            U256::from(1_000)
        );
        assert_eq!(
            quote.valuation.native_wei(Domain(3000), id, &paid),
            U256::ZERO,
            "on its origin only"
        );
    }
}
