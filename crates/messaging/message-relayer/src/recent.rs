//! Updates of an origin not confirmed yet, for a route to relay before the index records them:
//! first the Home's `Update` events in the blocks past the index's cursor, then the updater's
//! `Home.update` transactions still in the origin's pending block.
//!
//! A Replica needs nothing but the updater's signature over a root the Home produced, and that
//! does not depend on the block that carried it: the updater signs only roots whose checkpoint
//! is final on the origin, one per old root, and sends the same update to the Home again if a
//! reorg drops it. So an update is taken where it first shows, with the checks the Home makes
//! before it emits `Update`: the signature is its updater's and the new root is checkpointed.
//! Whatever its source, an update is relayed only once its new root is checkpointed at the
//! origin's final block ([`OriginFeed::is_final`]): the relayer does not take the updater's
//! word for finality, so a misconfigured or compromised updater cannot make it carry a root
//! that a reorg could take back.

use crate::{config::Origin, error::StepError, index};
use alloy::{
    consensus::Transaction as _,
    eips::{BlockId, BlockNumberOrTag},
    primitives::{Bytes, B256},
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol_types::{SolCall, SolEvent},
    transports::TransportError,
};
use nxtp_agent::{Cursor, Store};
use nxtp_bindings::Home;
use nxtp_chain::{heads::Tip, indexer::DEFAULT_MAX_BLOCK_RANGE, ChainError, Finality, Heads};
use nxtp_primitives::{recover_digest, HomeSigningDomain};
use std::sync::Arc;
use tokio::sync::watch;

/// An update to relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Relayable {
    /// The root it moves from.
    pub(crate) old_root: B256,
    /// The root it moves to.
    pub(crate) new_root: B256,
    /// The updater's signature.
    pub(crate) signature: Bytes,
    /// Where it was found, for the logs: `confirmed`, `mined` or `pending`.
    pub(crate) found: &'static str,
}

/// What a route follows of its origin.
#[derive(Debug)]
pub(crate) struct OriginFeed {
    /// The origin, its Home and where its index starts.
    pub(crate) origin: Origin,
    /// The Home's EIP-712 domain (its chain's id, checked against the node on connect, and its
    /// address): what the updater's signatures are made for.
    pub(crate) signing: HomeSigningDomain,
    /// A provider for the origin's chain, for the updates not confirmed yet.
    pub(crate) provider: DynProvider,
    /// The origin's shared head.
    pub(crate) heads: Heads,
    /// Bumped when the origin's indexer records updates.
    pub(crate) recorded: watch::Receiver<u64>,
    /// When a block of the origin is final (its chain config's `finality`).
    pub(crate) finality: Finality,
    /// Whether the Home held messages beyond its committed root, and the origin's state block
    /// (see [`Tip::state_block`]) it was read at: read again only once that changes.
    pub(crate) awaiting: Option<(B256, bool)>,
}

impl OriginFeed {
    /// The origin's head.
    pub(crate) async fn head(&self) -> Result<u64, StepError> {
        self.heads
            .latest()
            .await
            .map_err(self.rpc("eth_blockNumber"))
    }

    /// Whether the Home had checkpointed `root` at the origin's newest final block: a root
    /// produced in a final block stays produced whatever reorg follows. `false` while the
    /// origin has no final block yet.
    pub(crate) async fn is_final(&self, root: B256) -> Result<bool, StepError> {
        let domain = self.origin.domain;
        let final_block = self
            .finality
            .final_block(&self.provider)
            .await
            .map_err(ChainError::finality(domain))?;
        let Some(final_block) = final_block else {
            return Ok(false);
        };
        let checkpoint = Home::new(self.origin.home, &self.provider)
            .checkpoints(root)
            .block(final_block.into())
            .call()
            .await
            .map_err(ChainError::call(domain, "Home.checkpoints"))?;
        Ok(checkpoint.produced)
    }

    /// The origin's head and recent blocks, as the shared follower saw them.
    pub(crate) async fn tip(&self) -> Result<Arc<Tip>, StepError> {
        self.heads
            .tip()
            .await
            .map_err(self.rpc("eth_getBlockByNumber"))
    }

    /// Whether an update of the origin is to come: its Home holds messages the committed root
    /// does not cover (at the head the follower saw). Only then is the pending block worth
    /// watching for the updater's `Home.update`; an idle origin is not read at all, as the
    /// answer is kept until a block that may change state comes.
    pub(crate) async fn awaiting_update(&mut self) -> Result<bool, StepError> {
        let tip = self.tip().await?;
        let head = tip.head();
        let state = tip.state_block(head.number).unwrap_or(head.hash);
        if let Some((at, awaiting)) = self.awaiting {
            if at == state {
                return Ok(awaiting);
            }
        }
        let home = Home::new(self.origin.home, &self.provider);
        let at = BlockId::hash(head.hash);
        let roots = async {
            let root = home.root().block(at).call().await?;
            let committed = home.committedRoot().block(at).call().await?;
            Ok::<_, alloy::contract::Error>((root, committed))
        };
        match roots.await {
            Ok((root, committed)) => {
                let awaiting = root != committed;
                self.awaiting = Some((state, awaiting));
                Ok(awaiting)
            }
            // Only a shortcut is lost: the pending block is watched until a read succeeds (the
            // head may have left the chain; other reads of the step report a failing node).
            Err(err) => {
                tracing::debug!(
                    origin = %self.origin.domain,
                    error = %nxtp_chain::contract_without_url(err),
                    "cannot read whether an update is to come; watching the pending block"
                );
                Ok(true)
            }
        }
    }

    /// How many transactions the origin's pending block holds: a change may be the updater's
    /// `Home.update`, worth a look before it is mined. Zero from an endpoint without a pending
    /// block, which then relies on mined updates alone.
    pub(crate) async fn pending_count(&self) -> u64 {
        self.provider
            .get_block_transaction_count_by_number(BlockNumberOrTag::Pending)
            .await
            .ok()
            .flatten()
            .unwrap_or(0)
    }

    /// The update from `root` not confirmed yet, if one shows on the origin.
    pub(crate) async fn update_from(
        &self,
        store: &Store,
        root: B256,
    ) -> Result<Option<Relayable>, StepError> {
        if let Some(update) = self.mined(store, root).await? {
            return Ok(Some(update));
        }
        self.pending(root).await
    }

    /// The Home's `Update` from `root` in a block past the index's cursor.
    async fn mined(&self, store: &Store, root: B256) -> Result<Option<Relayable>, StepError> {
        let origin = self.origin;
        let cursor = Cursor::new(origin.domain, index::STREAM);
        let from = store
            .call(move |conn| cursor.get(conn))
            .await?
            .unwrap_or(origin.start_block);
        let head = self.head().await?;
        // The index is far behind (catching up): wait for it rather than scan a wide range.
        if from > head || head - from >= DEFAULT_MAX_BLOCK_RANGE {
            return Ok(None);
        }
        let filter = Filter::new()
            .address(origin.home)
            .event_signature(Home::Update::SIGNATURE_HASH)
            .topic2(root)
            .from_block(from)
            .to_block(head);
        let logs = self
            .provider
            .get_logs(&filter)
            .await
            .map_err(self.rpc("eth_getLogs"))?;
        Ok(logs.iter().find_map(|log| {
            let update = index::decode(origin.domain, log)?;
            Some(Relayable {
                old_root: update.old_root,
                new_root: update.new_root,
                signature: update.signature,
                found: "mined",
            })
        }))
    }

    /// A `Home.update` from `root` in the origin's pending block whose signature is the Home's
    /// updater's over a root the Home checkpointed. An endpoint without a pending block simply
    /// has none.
    async fn pending(&self, root: B256) -> Result<Option<Relayable>, StepError> {
        let home = self.origin.home;
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Pending)
            .full()
            .await
            .map_err(self.rpc("eth_getBlockByNumber"))?;
        let Some(block) = block else {
            return Ok(None);
        };
        let candidate = block.transactions.txns().find_map(|tx| {
            if tx.to() != Some(home) {
                return None;
            }
            let call = Home::updateCall::abi_decode(tx.input()).ok()?;
            (call.oldRoot == root).then_some(call)
        });
        let Some(call) = candidate else {
            return Ok(None);
        };
        let contract = Home::new(home, &self.provider);
        let domain = self.origin.domain;
        let updater = contract
            .updater()
            .call()
            .await
            .map_err(ChainError::call(domain, "Home.updater"))?;
        let signer = recover_digest(
            self.signing.update_digest(call.oldRoot, call.newRoot),
            &call.signature,
        );
        if signer.ok() != Some(updater) {
            return Ok(None);
        }
        let checkpoint = contract
            .checkpoints(call.newRoot)
            .call()
            .await
            .map_err(ChainError::call(domain, "Home.checkpoints"))?;
        Ok(checkpoint.produced.then(|| Relayable {
            old_root: call.oldRoot,
            new_root: call.newRoot,
            signature: call.signature,
            found: "pending",
        }))
    }

    fn rpc(&self, method: &'static str) -> impl FnOnce(TransportError) -> StepError {
        let rpc = ChainError::rpc(self.origin.domain, method);
        move |source| rpc(source).into()
    }
}
