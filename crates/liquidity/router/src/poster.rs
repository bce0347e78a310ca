//! Sends recorded bids to the sequencer until each is acknowledged or refused.
//!
//! A bid is posted only after it is recorded, so a crash at any instant either finds it recorded
//! (and posts it again: the sequencer treats a repeated identical bid as a no-op) or never signed.
//! An unreachable sequencer, a `5xx` or `unavailable` is retried with backoff; any other `4xx` is
//! final and recorded with its reason. Bids are posted concurrently (bounded) and the answers of a
//! batch recorded in one transaction.

use crate::{
    error::{Failure, RouterError},
    metrics::RouterMetrics,
    store::{self, StoredBid},
};
use alloy::primitives::{Address, B256};
use futures::{stream, StreamExt};
use nxtp_agent::{clock::now_ms, CancellationToken, Health, Store};
use nxtp_api::sequencer::{BidRequest, ErrorCode, SequencerClient, SequencerClientError};
use nxtp_chain::retry::backoff;
use std::{sync::Arc, time::Duration};
use tokio::sync::Notify;

/// Bids read from the database per pass.
const BATCH: usize = 32;

/// Bids posted at once: each mostly waits on the sequencer, which answers them concurrently.
const CONCURRENCY: usize = 16;

/// The health stream of the poster.
const STREAM: &str = "sequencer";

/// The task posting bids.
pub(crate) struct PosterTask {
    pub(crate) router: Address,
    pub(crate) store: Store,
    pub(crate) sequencer: SequencerClient,
    /// Woken when a bid is recorded.
    pub(crate) wake: Arc<Notify>,
    pub(crate) metrics: RouterMetrics,
    pub(crate) health: Health,
    /// The first pause after a failed post, and the pause between checks when idle.
    pub(crate) retry_base: Duration,
}

impl PosterTask {
    /// Posts bids until `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), RouterError> {
        let mut failures = 0u32;
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let pause = match self.pass().await {
                Ok(true) => continue,
                Ok(false) => {
                    self.health.ok(STREAM);
                    failures = 0;
                    self.retry_base
                }
                Err(failure) => {
                    let reason = failure.into_retry()?;
                    failures = failures.saturating_add(1);
                    let pause = backoff(self.retry_base, failures);
                    tracing::warn!(error = %reason, retry_in = ?pause, "cannot post bids");
                    self.health.failing(STREAM, reason);
                    pause
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.wake.notified(), if failures == 0 => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Posts one batch of recorded bids, [`CONCURRENCY`] at a time, and records the answers in
    /// one transaction; returns whether more may be waiting. A transient failure leaves its bid
    /// to post again and is reported once the others are recorded.
    async fn pass(&self) -> Result<bool, Failure> {
        let bids = self
            .store
            .call(|conn| store::bids_to_post(conn, BATCH))
            .await?;
        let more = bids.len() == BATCH;
        let answers: Vec<(StoredBid, Result<(), SequencerClientError>)> = stream::iter(bids)
            .map(|bid| async move {
                let request = BidRequest {
                    router: self.router,
                    transfer_id: bid.transfer_id,
                    destination: Some(bid.destination),
                    signatures: bid.signatures.clone(),
                };
                let answer = self.sequencer.post_bid(&request).await.map(drop);
                (bid, answer)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut transient = None;
        let mut outcomes = Vec::new();
        for (bid, answer) in answers {
            match answer {
                Ok(()) => outcomes.push((bid, Ok(()))),
                Err(err) => match refusal(&err) {
                    Some(code) => outcomes.push((bid, Err((code, err.to_string())))),
                    None => transient = transient.or(Some(err.to_string())),
                },
            }
        }
        self.record(outcomes).await?;
        match transient {
            Some(reason) => Err(Failure::Retry(reason)),
            None => Ok(more),
        }
    }

    /// Records the sequencer's final answers in one transaction, then reports the ones that
    /// changed a bid.
    async fn record(&self, outcomes: Vec<(StoredBid, Answer)>) -> Result<(), Failure> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let now_ms = now_ms();
        let writes: Vec<(B256, Option<String>)> = outcomes
            .iter()
            .map(|(bid, answer)| {
                let reason = answer.as_ref().err().map(|(_, reason)| reason.clone());
                (bid.transfer_id, reason)
            })
            .collect();
        let changed = self
            .store
            .call(move |conn| {
                let tx = conn.transaction()?;
                let mut changed = Vec::with_capacity(writes.len());
                for (id, reason) in &writes {
                    let outcome = reason.as_deref().map_or(Ok(()), Err);
                    changed.push(store::record_post_outcome(&tx, *id, outcome, now_ms)?);
                }
                tx.commit()?;
                Ok(changed)
            })
            .await?;
        for ((bid, answer), changed) in outcomes.into_iter().zip(changed) {
            if !changed {
                continue;
            }
            let id = bid.transfer_id;
            match answer {
                Ok(()) => {
                    tracing::info!(transfer_id = %id, path_lengths = ?bid.signatures.keys(), "bid posted");
                    self.metrics.bid_posted(bid.destination);
                }
                Err((code, reason)) => {
                    tracing::warn!(transfer_id = %id, %reason, "the sequencer refused the bid");
                    self.metrics.bid_rejected(bid.destination, code.as_str());
                }
            }
        }
        Ok(())
    }
}

/// The sequencer's final answer to a bid: acknowledged, or refused with its code and reason.
type Answer = Result<(), (ErrorCode, String)>;

/// The sequencer's code when `error` refuses the bid for good: a `4xx` answer other than
/// `unavailable` or `429` (both say "later"). Anything else (unreachable, `5xx`, a page that is
/// not the API) is retried.
fn refusal(error: &SequencerClientError) -> Option<ErrorCode> {
    match error {
        SequencerClientError::Rejected { status, code, .. }
            if (400..500).contains(status) && *status != 429 && *code != ErrorCode::Unavailable =>
        {
            Some(*code)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(status: u16, code: ErrorCode) -> SequencerClientError {
        SequencerClientError::Rejected {
            status,
            code,
            message: "because".to_owned(),
        }
    }

    #[test]
    fn only_a_4xx_refusal_is_final() {
        assert_eq!(
            refusal(&rejected(409, ErrorCode::AuctionClosed)),
            Some(ErrorCode::AuctionClosed)
        );
        assert_eq!(
            refusal(&rejected(400, ErrorCode::InvalidSignature)),
            Some(ErrorCode::InvalidSignature)
        );
        assert_eq!(
            refusal(&rejected(403, ErrorCode::Other)),
            Some(ErrorCode::Other),
            "a code from a newer sequencer"
        );
        assert_eq!(refusal(&rejected(429, ErrorCode::Other)), None);
        assert_eq!(refusal(&rejected(503, ErrorCode::Unavailable)), None);
        assert_eq!(refusal(&rejected(400, ErrorCode::Unavailable)), None);
        assert_eq!(refusal(&rejected(500, ErrorCode::Other)), None);
        let page = SequencerClientError::UnexpectedResponse {
            status: 404,
            body: "<html>".to_owned(),
        };
        assert_eq!(refusal(&page), None, "not the sequencer speaking");
    }
}
