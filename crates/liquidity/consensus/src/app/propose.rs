//! This node as proposer: building (or finding again) its batch, signing its part and streaming
//! it; and, in a Byzantine test build told to, streaming a second, different signed batch for
//! the same height and round.

use super::Rules;
use crate::context::{Height, NetworkId, ProposalPart, SequencerContext as Ctx};
use crate::ledger::Ledger;
use crate::pool::{BidPool, Pacing};
use crate::signing::NodeKey;
use crate::store::{NodeStore, StoreError};
use crate::validity;
use bytes::Bytes;
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::core::{Round, Validity};
use malachitebft_app_channel::app::types::{LocallyProposedValue, ProposedValue};
use malachitebft_app_channel::NetworkMsg;
use std::time::Duration;
use tokio::sync::mpsc;
use tracing::{debug, error, warn};

/// The id of the stream of one proposal.
pub(super) fn stream_id(height: Height, round: Round) -> StreamId {
    let mut bytes = height.0.to_be_bytes().to_vec();
    bytes.extend_from_slice(&round.as_i64().to_be_bytes());
    StreamId::new(Bytes::from(bytes))
}

/// The id of the stream of an equivocating node's second proposal for one height and round:
/// not the first's, or receivers would take its parts for repeats of the first stream's.
fn second_stream_id(height: Height, round: Round) -> StreamId {
    let mut bytes = stream_id(height, round).to_bytes().to_vec();
    bytes.push(1);
    StreamId::new(Bytes::from(bytes))
}

/// Publishes a signed proposal part and the end of its stream.
pub(super) async fn stream(
    network: &mpsc::Sender<NetworkMsg<Ctx>>,
    id: StreamId,
    part: ProposalPart,
) {
    let messages = [
        StreamMessage::new(id.clone(), 0, StreamContent::Data(part)),
        StreamMessage::new(id, 1, StreamContent::Fin),
    ];
    for message in messages {
        if network
            .send(NetworkMsg::PublishProposalPart(message))
            .await
            .is_err()
        {
            warn!("The network stopped: proposal not streamed");
            return;
        }
    }
}

/// What [`propose`] needs of the node.
pub(super) struct Proposer {
    /// Signs its parts.
    pub key: NodeKey,
    /// What its part signatures are bound to.
    pub network_id: NetworkId,
    /// The ledger the batch is built on.
    pub ledger: Ledger,
    /// Its view of the chains, and what a Byzantine test build alters.
    pub rules: Rules,
    /// Where its proposals are kept.
    pub store: NodeStore,
    /// The bids it holds.
    pub pool: BidPool,
    /// When it closes auctions.
    pub pacing: Pacing,
    /// Where its parts are published.
    pub network: mpsc::Sender<NetworkMsg<Ctx>>,
}

/// Builds (or finds again) this node's proposal for `height` and `round`, replies with it and
/// streams it signed. Runs beside the loop, so waiting for bids holds nothing else up.
pub(super) async fn propose(
    node: Proposer,
    height: Height,
    round: Round,
    timeout: Duration,
    reply: tokio::sync::oneshot::Sender<LocallyProposedValue<Ctx>>,
) -> Result<(), StoreError> {
    let me = node.key.address();
    // Proposing twice at one height and round would be equivocation: a restarted node offers
    // again what it offered before.
    let before = node.store.proposals(height, round, Some(me)).await?;
    let batch = if let Some(kept) = before.into_iter().next() {
        kept.value
    } else {
        let mut batch = build(&node, timeout).await;
        if let Some(tamper) = &node.rules.byzantine {
            tamper(&mut batch);
        }
        batch
    };
    let part = match node
        .key
        .sign_part(node.network_id, height, round, Round::Nil, batch.clone())
    {
        Ok(part) => Some(part),
        Err(err) => {
            error!(%height, %round, %err, "Cannot sign the proposal: the others will not hold it");
            None
        }
    };
    // Kept before it is offered, with its signature, so a restart offers the same.
    node.store
        .keep_proposal(
            &ProposedValue {
                height,
                round,
                valid_round: Round::Nil,
                proposer: me,
                value: batch.clone(),
                validity: Validity::Valid,
            },
            part.as_ref().map(|part| part.signature),
        )
        .await?;
    debug!(%height, %round, auctions = batch.auctions.len(), "Proposing");
    if reply
        .send(LocallyProposedValue::new(height, round, batch.clone()))
        .is_err()
    {
        warn!(%height, %round, "Consensus no longer waits for our proposal");
    }
    if let Some(part) = part {
        stream(&node.network, stream_id(height, round), part).await;
    }
    if let Some(alter) = &node.rules.byzantine_equivocation {
        let mut second = batch.clone();
        alter(&mut second);
        if second == batch {
            debug!(%height, %round, "No second batch to equivocate with");
        } else if let Ok(part) =
            node.key
                .sign_part(node.network_id, height, round, Round::Nil, second)
        {
            stream(&node.network, second_stream_id(height, round), part).await;
        }
    }
    Ok(())
}

/// The batch to propose: the auctions whose window passed, waiting up to the idle wait for one
/// when there is nothing to decide.
async fn build(node: &Proposer, timeout: Duration) -> crate::value::Batch {
    let window = node.pacing.auction_window;
    let build = || {
        validity::build(
            node.pool.ripe(window),
            &node.ledger,
            node.rules.transfers.as_ref(),
            node.rules.approval.as_ref(),
        )
    };
    let deadline = tokio::time::Instant::now() + node.pacing.idle_wait.min(timeout / 2);
    loop {
        let added = node.pool.added();
        let batch = build();
        let now = tokio::time::Instant::now();
        if !batch.is_empty() || now >= deadline {
            return batch;
        }
        let wake = node
            .pool
            .next_ripe_in(window)
            .map_or(deadline, |left| deadline.min(now + left));
        tokio::select! {
            () = added => {}
            () = tokio::time::sleep_until(wake) => {}
        }
    }
}
