//! What `GET /v1/transfers/<id>` (and a bid's answer) says about a transfer, derived from the
//! database alone so it is the same whichever task last touched the transfer.

use crate::{
    config::Quotes,
    store::{self, Outcome},
};
use alloy::primitives::{Address, B256};
use nxtp_api::sequencer::{RouterBids, TransferState, TransferView};
use rusqlite::Connection;
use std::{collections::BTreeMap, time::Duration};

/// Everything known about `transfer_id` at `now_ms`; `None` when nothing is.
pub fn transfer_view(
    conn: &Connection,
    transfer_id: B256,
    quotes: &Quotes,
    window: Duration,
    now_ms: u64,
) -> rusqlite::Result<Option<TransferView>> {
    let transfer = store::transfer(conn, transfer_id)?;
    let bids = store::bids(conn, transfer_id)?;
    if transfer.is_none() && bids.is_empty() {
        return Ok(None);
    }
    let mut by_router: BTreeMap<Address, Vec<u32>> = BTreeMap::new();
    for bid in &bids {
        by_router
            .entry(bid.router)
            .or_default()
            .push(bid.path_length);
    }
    let mut view = TransferView {
        transfer_id,
        origin: transfer.as_ref().map(store::StoredTransfer::origin),
        destination: transfer.as_ref().map(store::StoredTransfer::destination),
        state: TransferState::AwaitingXcall,
        reason: "bids are kept until the transfer's XCalled is confirmed on its origin".to_owned(),
        bids: by_router
            .into_iter()
            .map(|(router, path_lengths)| RouterBids {
                router,
                path_lengths,
            })
            .collect(),
        selected: None,
        relayer_job: None,
    };
    let Some(transfer) = transfer else {
        return Ok(Some(view));
    };

    if let Some(decision) = store::decision(conn, transfer_id)? {
        let routers = decision.routers.len();
        (view.state, view.reason) = match decision.outcome {
            Outcome::Sent => (
                TransferState::Sent {
                    routers: decision.routers.clone(),
                    job_id: decision.job_id,
                },
                if decision.acknowledged {
                    format!("{routers} router(s) chosen; the relayer is executing the transfer")
                } else {
                    format!("{routers} router(s) chosen; handing the execute to the relayer")
                },
            ),
            Outcome::Executed { tx_hash } => (
                TransferState::Executed { tx_hash },
                format!("executed on the destination by {routers} router(s)"),
            ),
            Outcome::Failed { reason } => (
                TransferState::ExecuteFailed {
                    reason: reason.clone(),
                },
                format!("the execute failed ({reason}); the transfer falls back to the slow path"),
            ),
        };
        view.selected = Some(decision.routers);
        view.relayer_job = Some(decision.job_id);
        return Ok(Some(view));
    }

    let quote = quotes.relayer_fee(transfer.destination());
    let paid = store::fee_paid(conn, transfer.origin(), transfer_id)?;
    let verified = bids.iter().any(|bid| bid.verified);
    (view.state, view.reason) = if paid < quote {
        (
            TransferState::AwaitingFee { paid, quote },
            format!(
                "the relayer fee paid ({paid} wei) is below the quote ({quote} wei); bump the \
                 transfer to raise it"
            ),
        )
    } else if !verified {
        (
            TransferState::AwaitingLiquidity,
            "no valid bid from an approved router yet".to_owned(),
        )
    } else {
        match (transfer.auction_opened_ms, transfer.short_since_ms) {
            (_, Some(_)) => (
                TransferState::AwaitingLiquidity,
                "no combination of bids covers the amount with the routers' current balances"
                    .to_owned(),
            ),
            (opened, None) => {
                let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
                let closes_at = opened.unwrap_or(now_ms).saturating_add(window_ms);
                let reason = if closes_at > now_ms {
                    "collecting bids until the auction window closes"
                } else {
                    "the auction window closed; choosing the routers"
                };
                (TransferState::Auction { closes_at }, reason.to_owned())
            }
        }
    };
    Ok(Some(view))
}
