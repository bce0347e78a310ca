//! The application side of consensus: the loop over the engine's messages. It builds and
//! streams this node's proposals, rebuilds and checks the others', commits decided batches
//! (ledger, store, this node's selection signatures), and serves value sync.

mod propose;
#[cfg(test)]
mod tests;

use crate::context::{
    Height, NetworkId, NodeAddress, ProposalPart, SequencerContext as Ctx, ValidatorSet,
};
use crate::ledger::Ledger;
use crate::parts;
use crate::pool::{BidPool, Pacing};
use crate::signing::selection_signer;
use crate::signing::NodeKey;
use crate::store::{CertifiedSelection, Decided, NodeStore, SignedSelection, StoreError};
use crate::validity::{self, RouterApproval, TransferSource};
use crate::value::{Batch, BatchId, SIGNATURE_BYTES};
use crate::wire::Wire;
use bytes::Bytes;
use malachitebft_app_channel::app::consensus::VoteExtensionError;
use malachitebft_app_channel::app::engine::host::{Next, SyncedValueOutcome};
use malachitebft_app_channel::app::streaming::StreamContent;
use malachitebft_app_channel::app::types::core::{
    ExtendedCommitCertificate, HeightParams, LinearTimeouts, Round, Validity, Value as _,
    VoteExtensionPolicy,
};
use malachitebft_app_channel::app::types::sync::RawDecidedValue;
use malachitebft_app_channel::app::types::ProposedValue;
use malachitebft_app_channel::{AppMsg, Channels};
use propose::{propose, stream, stream_id, Proposer};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{debug, error, info, warn};

/// Why the loop stopped.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The store failed: the node cannot go on without losing decisions.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

/// Alters a batch a node proposes or signs: what a Byzantine sequencer does, for tests of the
/// honest nodes' checks. Never set in production.
pub type Tamper = Arc<dyn Fn(&mut Batch) + Send + Sync>;

/// What a node checks proposals with and builds them from.
#[derive(Clone)]
pub struct Rules {
    /// The node's view of transfers.
    pub transfers: Arc<dyn TransferSource>,
    /// Which routers are approved.
    pub approval: Arc<dyn RouterApproval>,
    /// Makes this node propose batches altered this way (a Byzantine test build).
    pub byzantine: Option<Tamper>,
    /// Makes this node's precommits carry its signatures of the selections of the batch altered
    /// this way instead of the batch it votes for: a Byzantine test build signing a router set
    /// the network did not decide.
    pub byzantine_signatures: Option<Tamper>,
    /// Makes this node, each time it proposes, also stream a second signed batch for the same
    /// height and round, its proposal altered this way (when that changes it): a Byzantine test
    /// build that equivocates.
    pub byzantine_equivocation: Option<Tamper>,
}

impl Rules {
    /// The rules of an honest node.
    pub fn new(transfers: Arc<dyn TransferSource>, approval: Arc<dyn RouterApproval>) -> Self {
        Self {
            transfers,
            approval,
            byzantine: None,
            byzantine_signatures: None,
            byzantine_equivocation: None,
        }
    }
}

/// The loop's state.
pub struct State {
    key: NodeKey,
    validator_set: ValidatorSet,
    /// What this node's part signatures are bound to: its sequencer set.
    network_id: NetworkId,
    timeouts: LinearTimeouts,
    rules: Rules,
    store: NodeStore,
    pool: BidPool,
    ledger: Ledger,
    /// When this node, proposing, closes auctions.
    pacing: Pacing,
    height: Height,
    round: Round,
    /// Parts of proposals for heights this node has not reached yet: checked once it does.
    early_parts: BTreeMap<Height, Vec<ProposalPart>>,
    decided: watch::Sender<Height>,
}

impl State {
    /// The state of a node whose ledger was rebuilt from its store.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        key: NodeKey,
        validator_set: ValidatorSet,
        timeouts: LinearTimeouts,
        rules: Rules,
        store: NodeStore,
        pool: BidPool,
        ledger: Ledger,
        pacing: Pacing,
        decided: watch::Sender<Height>,
    ) -> Self {
        Self {
            network_id: validator_set.network_id(),
            key,
            validator_set,
            timeouts,
            rules,
            store,
            pool,
            ledger,
            pacing,
            height: Height(0),
            round: Round::Nil,
            early_parts: BTreeMap::new(),
            decided,
        }
    }

    fn params(&self) -> HeightParams<Ctx> {
        // Every precommit carries its sequencer's signatures of the batch's selections, so the
        // decision itself gathers the quorum of signatures `execute` checks.
        HeightParams {
            vote_extension_policy: VoteExtensionPolicy::Required,
            ..HeightParams::new(self.validator_set.clone(), self.timeouts, None)
        }
    }

    /// This node's vote extension for `batch`: its `RouterSelection` signature of each
    /// auction, in order, 65 bytes each.
    fn extension(&self, batch: &Batch) -> Bytes {
        let altered;
        let batch = match &self.rules.byzantine_signatures {
            Some(tamper) => {
                let mut other = batch.clone();
                tamper(&mut other);
                altered = other;
                &altered
            }
            None => batch,
        };
        let mut signatures = Vec::with_capacity(batch.auctions.len() * SIGNATURE_BYTES);
        for auction in &batch.auctions {
            match self.key.sign_selection(auction) {
                Ok(signature) => signatures.extend_from_slice(&signature),
                // A short extension is refused by the others: this node's signatures are
                // then missing from the certificate, and the quorum still forms without them.
                Err(err) => {
                    error!(transfer_id = %auction.terms.transfer_id, %err, "Cannot sign a selection")
                }
            }
        }
        Bytes::from(signatures)
    }

    fn me(&self) -> NodeAddress {
        self.key.address()
    }

    /// Checks an authenticated part: whether its proposer equivocated, then its batch against
    /// the ledger; keeps the proposal it carries with its signature (valid or not, so the engine
    /// can prevote nil on it and a restart finds it again).
    async fn check_part(&self, part: ProposalPart) -> Result<ProposedValue<Ctx>, StoreError> {
        // Both proposals still go to the engine: it pairs a value with the proposer's signed
        // proposal message by id, so whichever one the proposer's engine signed can be decided.
        let equivocated = parts::record_equivocation(&self.store, &part)
            .await?
            .is_some();
        // A view that lags is given half the propose timeout to catch up: the engine prevotes
        // nil on its own once the timeout passes. Not for a proven equivocator's other batch:
        // waiting again would hold the loop (and this node's votes) twice for its one round.
        let patience = if equivocated {
            Duration::ZERO
        } else {
            self.timeouts.propose / 2
        };
        let validity = match validity::check_patiently(
            &part.value,
            &self.ledger,
            self.rules.transfers.as_ref(),
            self.rules.approval.as_ref(),
            patience,
        )
        .await
        {
            Ok(()) => Validity::Valid,
            Err(reason) => {
                warn!(
                    height = %part.height,
                    round = %part.round,
                    proposer = %part.proposer,
                    %reason,
                    "Refusing a proposal that breaks the rules (evidence: the proposer signed it)"
                );
                Validity::Invalid
            }
        };
        let proposed = ProposedValue {
            height: part.height,
            round: part.round,
            valid_round: part.pol_round,
            proposer: part.proposer,
            value: part.value,
            validity,
        };
        self.store
            .keep_proposal(&proposed, Some(part.signature))
            .await?;
        Ok(proposed)
    }

    /// The part to stream again for the engine's `RestreamProposal`: this node's re-proposal
    /// of a batch it holds, signed for `round` on the polka of `valid_round`; or another
    /// proposer's part as that proposer signed it (no other signature makes it count).
    async fn restreamed_part(
        &self,
        height: Height,
        round: Round,
        valid_round: Round,
        proposer: NodeAddress,
        value_id: BatchId,
    ) -> Result<Option<ProposalPart>, StoreError> {
        if proposer != self.me() {
            let kept = self.store.signed_parts(height, round, proposer).await?;
            return Ok(kept.into_iter().find(|part| part.value.id() == value_id));
        }
        // The batch may have been another node's proposal in the round this one locked on.
        let Some(batch) = self.store.proposal_of(height, value_id).await? else {
            return Ok(None);
        };
        match self
            .key
            .sign_part(self.network_id, height, round, valid_round, batch)
        {
            Ok(part) => {
                let proposed = ProposedValue {
                    height,
                    round,
                    valid_round,
                    proposer,
                    value: part.value.clone(),
                    validity: Validity::Valid,
                };
                self.store
                    .keep_proposal(&proposed, Some(part.signature))
                    .await?;
                Ok(Some(part))
            }
            Err(err) => {
                error!(%height, %round, %err, "Cannot sign the re-proposal");
                Ok(None)
            }
        }
    }

    /// Commits a decided batch: ledger, this node's selection signatures, the sequencers'
    /// signatures gathered in the precommits, store, pool.
    async fn commit(&mut self, decided: Decided) -> Result<(), StoreError> {
        let certified: Vec<CertifiedSelection> = decided
            .batch
            .auctions
            .iter()
            .enumerate()
            .map(|(index, auction)| CertifiedSelection {
                transfer_id: auction.terms.transfer_id,
                height: decided.height,
                routers: auction.routers.clone(),
                signatures: decided
                    .certificate
                    .commit_signatures
                    .iter()
                    .filter_map(|commit| {
                        let extension = &commit.extension.as_ref()?.message;
                        let start = index * SIGNATURE_BYTES;
                        let signature = extension.get(start..start + SIGNATURE_BYTES)?;
                        // Kept only if it really is that sequencer's signature of this
                        // selection: a certificate from sync is not trusted further.
                        (selection_signer(auction, signature) == Some(commit.address.0)).then(
                            || {
                                (
                                    commit.address.0,
                                    alloy::primitives::Bytes::copy_from_slice(signature),
                                )
                            },
                        )
                    })
                    .collect(),
            })
            .collect();
        let mut selections = Vec::new();
        for auction in &decided.batch.auctions {
            match self.key.sign_selection(auction) {
                Ok(signature) => selections.push(SignedSelection {
                    transfer_id: auction.terms.transfer_id,
                    height: decided.height,
                    routers: auction.routers.clone(),
                    signature,
                }),
                Err(err) => {
                    error!(transfer_id = %auction.terms.transfer_id, %err, "Cannot sign a decided selection")
                }
            }
        }
        self.store.commit(&decided, &selections, &certified).await?;
        self.ledger.apply(&decided.batch);
        self.pool.forget(
            decided
                .batch
                .auctions
                .iter()
                .map(|auction| auction.terms.transfer_id),
        );
        // An idle network decides an empty batch every `idle_wait`: those are not news.
        if decided.batch.is_empty() {
            debug!(height = %decided.height, "Decided an empty batch");
        } else {
            info!(
                height = %decided.height,
                auctions = decided.batch.auctions.len(),
                releases = decided.batch.releases.len(),
                "Decided"
            );
        }
        self.decided.send_replace(decided.height);
        Ok(())
    }
}

/// Whether `extension` holds `signer`'s `RouterSelection` signature of each auction of `batch`.
fn extension_signed_by(batch: &Batch, extension: &[u8], signer: NodeAddress) -> bool {
    extension.len() == batch.auctions.len() * SIGNATURE_BYTES
        && batch
            .auctions
            .iter()
            .zip(extension.chunks_exact(SIGNATURE_BYTES))
            .all(|(auction, signature)| selection_signer(auction, signature) == Some(signer.0))
}

fn send<T>(reply: tokio::sync::oneshot::Sender<T>, value: T, what: &str) {
    if reply.send(value).is_err() {
        warn!("Consensus dropped its request before the reply to {what}");
    }
}

/// Runs the loop until the engine stops.
pub async fn run(mut state: State, mut channels: Channels<Ctx>) -> Result<(), AppError> {
    while let Some(msg) = channels.consensus.recv().await {
        match msg {
            AppMsg::ConsensusReady { reply } => {
                let start = state
                    .store
                    .max_height()
                    .await?
                    .map_or(Height(1), |height| Height(height.0 + 1));
                info!(%start, "Consensus ready");
                send(reply, (start, state.params()), "ConsensusReady");
            }

            AppMsg::StartedRound {
                height,
                round,
                proposer,
                role,
                reply_value,
            } => {
                debug!(%height, %round, %proposer, ?role, "Started round");
                state.height = height;
                state.round = round;
                // Parts that arrived before this node reached the height are checked now.
                let early: Vec<ProposalPart> =
                    state.early_parts.remove(&height).unwrap_or_default();
                state.early_parts.retain(|h, _| *h > height);
                for part in early {
                    state.check_part(part).await?;
                }
                let seen = state.store.proposals(height, round, None).await?;
                send(reply_value, seen, "StartedRound");
            }

            AppMsg::GetValue {
                height,
                round,
                timeout,
                reply,
            } => {
                let proposer = Proposer {
                    key: state.key.clone(),
                    network_id: state.network_id,
                    ledger: state.ledger.clone(),
                    rules: state.rules.clone(),
                    store: state.store.clone(),
                    pool: state.pool.clone(),
                    pacing: state.pacing,
                    network: channels.network.clone(),
                };
                let task = propose(proposer, height, round, timeout, reply);
                tokio::spawn(async move {
                    if let Err(err) = task.await {
                        error!(%height, %round, %err, "Cannot propose");
                    }
                });
            }

            AppMsg::ExtendVote {
                height,
                value_id,
                reply,
                ..
            } => {
                let extension = match state.store.proposal_of(height, value_id).await? {
                    Some(batch) => Some(state.extension(&batch)),
                    None => {
                        warn!(%height, %value_id, "Precommitting a batch this node does not hold");
                        None
                    }
                };
                send(reply, extension, "ExtendVote");
            }

            AppMsg::VerifyVoteExtensions {
                height,
                value_id,
                extensions,
                reply,
                ..
            } => {
                let batch = state.store.proposal_of(height, value_id).await?;
                let verdicts = extensions
                    .into_iter()
                    .map(|(address, extension)| {
                        let verdict = match &batch {
                            Some(batch) if !extension_signed_by(batch, &extension, address) => {
                                warn!(%height, sequencer = %address, "A precommit carries selection signatures that are not its sequencer's");
                                Err(VoteExtensionError::InvalidVoteExtension)
                            }
                            // Without the batch (a certificate synced ahead of its value) the
                            // signatures are checked when the batch is committed instead.
                            _ => Ok(()),
                        };
                        (address, verdict)
                    })
                    .collect();
                send(reply, verdicts, "VerifyVoteExtensions");
            }

            AppMsg::RestreamProposal {
                height,
                round,
                valid_round,
                address,
                value_id,
            } => {
                match state
                    .restreamed_part(height, round, valid_round, address, value_id)
                    .await?
                {
                    Some(part) => stream(&channels.network, stream_id(height, round), part).await,
                    None => warn!(%height, %round, %value_id, "No proposal kept to restream"),
                }
            }

            AppMsg::GetHistoryMinHeight { reply } => {
                let min = state.store.min_height().await?.unwrap_or(Height(1));
                send(reply, min, "GetHistoryMinHeight");
            }

            AppMsg::ReceivedProposalPart {
                from, part, reply, ..
            } => {
                let StreamContent::Data(part) = part.content else {
                    // The whole proposal travels in its one data part.
                    send(reply, None, "ReceivedProposalPart");
                    continue;
                };
                // Before any other check: until then the part is anyone's word, and it is never
                // kept nor given to the engine.
                if let Err(reason) =
                    parts::authenticate(state.network_id, &state.validator_set, &part)
                {
                    warn!(%from, height = %part.height, round = %part.round, proposer = %part.proposer, %reason, "Refusing a proposal part its proposer did not sign");
                    send(reply, None, "ReceivedProposalPart");
                    continue;
                }
                if part.height > state.height {
                    state.early_parts.entry(part.height).or_default().push(part);
                    send(reply, None, "ReceivedProposalPart");
                    continue;
                }
                if part.height < state.height {
                    send(reply, None, "ReceivedProposalPart");
                    continue;
                }
                let proposed = state.check_part(part).await?;
                send(reply, Some(proposed), "ReceivedProposalPart");
            }

            AppMsg::Decided {
                certificate,
                extensions,
                reply,
            } => {
                let height = certificate.height;
                match state
                    .store
                    .proposal_of(height, certificate.value_id)
                    .await?
                {
                    Some(batch) => {
                        let certificate =
                            ExtendedCommitCertificate::from_commit_certificate_and_extensions(
                                certificate,
                                extensions,
                            );
                        state
                            .commit(Decided {
                                height,
                                batch,
                                certificate,
                            })
                            .await?;
                    }
                    None => {
                        error!(%height, value_id = %certificate.value_id, "Decided a batch this node never saw: the height restarts")
                    }
                }
                send(reply, (), "Decided");
            }

            AppMsg::Finalized {
                certificate,
                evidence,
                reply,
                ..
            } => {
                parts::report_engine_evidence(&evidence);
                let committed = state.store.max_height().await? == Some(certificate.height);
                let next = if committed {
                    Next::Start(Height(certificate.height.0 + 1), state.params())
                } else {
                    Next::Restart(certificate.height, state.params())
                };
                send(reply, next, "Finalized");
            }

            AppMsg::GetDecidedValues { range, reply } => {
                let values = state
                    .store
                    .decided(*range.start(), *range.end())
                    .await?
                    .into_iter()
                    .map(|decided| RawDecidedValue {
                        value_bytes: Bytes::from(decided.batch.to_wire()),
                        certificate: decided.certificate,
                    })
                    .collect();
                send(reply, values, "GetDecidedValues");
            }

            AppMsg::ProcessSyncedValue {
                height,
                round,
                proposer,
                value_bytes,
                reply,
            } => {
                let outcome = match Batch::from_wire(&value_bytes) {
                    Ok(value) => {
                        // The engine checked the commit certificate: a quorum decided it, so it
                        // is applied even where this node's own view lags.
                        let proposed = ProposedValue {
                            height,
                            round,
                            valid_round: Round::Nil,
                            proposer,
                            value,
                            validity: Validity::Valid,
                        };
                        state.store.keep_proposal(&proposed, None).await?;
                        SyncedValueOutcome::Verdict(proposed)
                    }
                    Err(err) => {
                        warn!(%height, %err, "A peer synced a batch that does not decode");
                        SyncedValueOutcome::PeerFault
                    }
                };
                send(reply, outcome, "ProcessSyncedValue");
            }
        }
    }
    Ok(())
}
