//! The indexer's status API (`nxtp indexer`, docs/indexer.md), read by [`IndexerClient`]: a
//! transfer as the indexer sees it, with why it waits and the remedy. Clients read it first when
//! the manifest names an indexer (`services.indexer_url`) and fall back to the chains when it is
//! down ([`IndexerError::is_down`]).

use alloy::primitives::B256;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Upper bound on one request: past it the indexer counts as down and the chains are read.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Where and when a step happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedStep {
    /// The domain whose chain holds it.
    pub domain: u32,
    /// The transaction.
    pub tx_hash: B256,
    /// Its block.
    pub block: u64,
    /// Its block's time (unix seconds).
    pub timestamp: u64,
}

/// The recipient's `xReceive` outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedCall {
    /// Whether it succeeded.
    pub success: bool,
    /// Its return or revert data (hex).
    pub return_data: String,
    /// On failure, the revert decoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revert: Option<String>,
    /// On failure, where the funds are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub funds: Option<String>,
}

/// The call that applies a remedy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedAction {
    /// The `nxtp` command.
    pub cli: String,
    /// The SDK call.
    pub sdk: String,
    /// The amount it needs (wei, decimal), for a fee bump.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
}

/// Why a transfer waits, and the remedy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedWaiting {
    /// The typed reason (`RelayerFeeBelowQuote`, `AwaitingRouters`, ...).
    pub reason: String,
    /// What to do, in words.
    pub remedy: String,
    /// The call that applies it, when one does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<IndexedAction>,
    /// The sequencer's own words, when the reason came from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A transfer as `GET /transfers/{id}` shows it (the fields a client prints; the API has more).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedTransfer {
    /// The transfer.
    pub transfer_id: B256,
    /// `XCalled`, `Executed`, `Reconciled`, `CompletedFast` or `CompletedSlow`.
    pub stage: String,
    /// `fast` or `slow`, once shown.
    pub path: Option<String>,
    /// Its origin.
    pub origin: Option<u32>,
    /// Its destination.
    pub destination: Option<u32>,
    /// The amount sent (base units of `asset`).
    pub amount: Option<String>,
    /// The asset sent.
    pub asset: Option<String>,
    /// What the recipient received, after fees (base units of the destination's local asset).
    pub delivered_amount: Option<String>,
    /// The xcall.
    pub xcalled: Option<IndexedStep>,
    /// The delivery on the destination.
    pub executed: Option<IndexedStep>,
    /// The reconcile on the destination.
    pub reconciled: Option<IndexedStep>,
    /// The recipient's `xReceive` outcome.
    pub calldata: Option<IndexedCall>,
    /// When it should complete (unix seconds), when that can be told.
    pub eta: Option<u64>,
    /// Why it waits, while it does.
    pub waiting: Option<IndexedWaiting>,
}

impl IndexedTransfer {
    /// Whether the transfer can go no further.
    pub fn is_final(&self) -> bool {
        matches!(self.stage.as_str(), "CompletedFast" | "CompletedSlow")
    }
}

/// Why the status API could not answer.
#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    /// It could not be reached, or did not answer in time.
    #[error("status API unreachable: {0}")]
    Transport(#[source] reqwest::Error),
    /// It refused the request, or answered what the API does not define.
    #[error("status API answered {status}: {body}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
}

impl IndexerError {
    /// Whether the indexer is down (unreachable, or failing on its side): read the chains.
    pub fn is_down(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Refused { status, .. } => *status >= 500,
        }
    }
}

/// A client of one indexer's status API.
#[derive(Clone, Debug)]
pub struct IndexerClient {
    http: reqwest::Client,
    base: Url,
}

impl IndexerClient {
    /// A client of the status API at `base` (e.g. `http://127.0.0.1:8092`), 5 s per request.
    pub fn new(base: Url) -> Result<Self, IndexerError> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(IndexerError::Transport)?;
        Ok(Self { http, base })
    }

    /// The status API's address.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The transfer `id` (or the transfer xcalled by transaction `id`); `None` when the indexer
    /// has not indexed it (yet).
    pub async fn transfer(&self, id: B256) -> Result<Option<IndexedTransfer>, IndexerError> {
        let url = format!(
            "{}/transfers/{id}",
            self.base.as_str().trim_end_matches('/')
        );
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|err| IndexerError::Transport(err.without_url()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|err| IndexerError::Transport(err.without_url()))?;
        let refused = || IndexerError::Refused {
            status: status.as_u16(),
            body: String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned(),
        };
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(refused());
        }
        serde_json::from_slice(&body)
            .map(Some)
            .map_err(|_| refused())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_status_apis_transfer() {
        let id = B256::repeat_byte(0xab);
        let body = serde_json::json!({
            "transfer_id": id, "stage": "XCalled", "path": null, "origin": 1000,
            "destination": 2000, "amount": "5", "asset": "0x1111111111111111111111111111111111111111",
            "delivered_amount": null, "xcalled": {"domain": 1000, "tx_hash": id, "block": 3,
            "timestamp": 9}, "executed": null, "reconciled": null, "calldata": null, "eta": null,
            "waiting": {"reason": "RelayerFeeBelowQuote", "remedy": "bump",
                "action": {"cli": "nxtp bump", "sdk": "bumpTransfer", "amount": "4"}},
            "routers": [], "messaging": {}
        });
        let read: IndexedTransfer = serde_json::from_value(body).expect("reads");
        assert!(!read.is_final());
        assert_eq!(
            read.waiting
                .expect("waits")
                .action
                .expect("a call")
                .amount
                .as_deref(),
            Some("4")
        );
        let down = IndexerError::Refused {
            status: 503,
            body: String::new(),
        };
        assert!(down.is_down());
    }
}
