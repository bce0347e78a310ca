//! Sends recorded bids to the sequencer until each is acknowledged or refused.
//!
//! A bid is posted only after it is recorded, so a crash at any instant either finds it recorded
//! (and posts it again: the sequencer treats a repeated identical bid as a no-op) or never signed.
//! An unreachable sequencer, a `5xx` or `unavailable` is retried with backoff; any other `4xx` is
//! final and recorded with its reason.

use crate::{
    bidder::unix_now,
    error::Failure,
    metrics::RouterMetrics,
    origin::backoff,
    store::{self, StoredBid},
};
use alloy::primitives::Address;
use nxtp_agent::{CancellationToken, Liveness, Store};
use nxtp_api::sequencer::{BidRequest, ErrorCode, SequencerClient, SequencerClientError};
use std::{sync::Arc, time::Duration};
use tokio::sync::Notify;

/// Bids read from the database per pass.
const BATCH: usize = 32;

/// The liveness stream of the poster.
const STREAM: &str = "sequencer";

/// The task posting bids.
pub(crate) struct PosterTask {
    pub(crate) router: Address,
    pub(crate) store: Store,
    pub(crate) sequencer: SequencerClient,
    /// Woken when a bid is recorded.
    pub(crate) wake: Arc<Notify>,
    pub(crate) metrics: RouterMetrics,
    pub(crate) liveness: Liveness,
    /// The first pause after a failed post, and the pause between checks when idle.
    pub(crate) retry_base: Duration,
}

impl PosterTask {
    /// Posts bids until `shutdown`.
    pub(crate) async fn run(self, shutdown: CancellationToken) -> Result<(), crate::RouterError> {
        let mut failures = 0u32;
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let pause = match self.pass().await {
                Ok(true) => continue,
                Ok(false) => {
                    self.liveness.ok(STREAM);
                    failures = 0;
                    self.retry_base
                }
                Err(Failure::Transient(reason)) => {
                    failures = failures.saturating_add(1);
                    let pause = backoff(self.retry_base, failures);
                    tracing::warn!(error = %reason, retry_in = ?pause, "cannot post bids");
                    self.liveness.failing(STREAM, reason);
                    pause
                }
                Err(Failure::Fatal(err)) => return Err(err),
            };
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = self.wake.notified(), if failures == 0 => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Posts one batch of recorded bids, stopping at the first transient failure; returns
    /// whether more may be waiting.
    async fn pass(&self) -> Result<bool, Failure> {
        let bids = self
            .store
            .call(|conn| store::bids_to_post(conn, BATCH))
            .await?;
        for bid in &bids {
            self.post(bid).await?;
        }
        Ok(bids.len() == BATCH)
    }

    async fn post(&self, bid: &StoredBid) -> Result<(), Failure> {
        let request = BidRequest {
            router: self.router,
            transfer_id: bid.transfer_id,
            signatures: bid.signatures.clone(),
        };
        let outcome = match self.sequencer.post_bid(&request).await {
            Ok(_) => Ok(()),
            Err(err) => match refusal(&err) {
                Some(code) => Err((code, err.to_string())),
                None => return Err(Failure::Transient(err.to_string())),
            },
        };
        let id = bid.transfer_id;
        let reason = outcome.as_ref().err().map(|(_, reason)| reason.clone());
        let now_ms = unix_now().as_millis().try_into().unwrap_or(u64::MAX);
        let changed = self
            .store
            .call(move |conn| {
                store::record_post_outcome(conn, id, reason.as_deref().map_or(Ok(()), Err), now_ms)
            })
            .await?;
        if !changed {
            return Ok(());
        }
        match outcome {
            Ok(()) => {
                tracing::info!(transfer_id = %id, path_lengths = ?bid.signatures.keys(), "bid posted");
                self.metrics.bid_posted(bid.destination);
            }
            Err((code, reason)) => {
                tracing::warn!(transfer_id = %id, %reason, "the sequencer refused the bid");
                self.metrics.bid_rejected(bid.destination, code.as_str());
            }
        }
        Ok(())
    }
}

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
