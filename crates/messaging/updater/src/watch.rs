//! What the chains say: the Home's final checkpoints, and every update carrying this updater's
//! signature, on the Home and on each Replica of its origin.
//!
//! Each chain has an [`Indexer`] that reads its events at the chain's confirmation depth and
//! records them in the same transaction as its cursor. Before the updater signs over an old
//! root it also reads the unconfirmed tail of each chain (from the indexer's cursor to the
//! head) for updates from that root: a signature that is only in a recent block is still a
//! signature, and a double update can be proven with it even if its block is reorged out.

use crate::{
    error::TickError,
    store::{self, SeenUpdate},
};
use alloy::{
    primitives::{Address, Bytes, B256},
    providers::{DynProvider, Provider},
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};
use nxtp_agent::{Cursor, Store};
use nxtp_bindings::Home;
use nxtp_chain::{
    heads::Tip, indexer::DEFAULT_MAX_BLOCK_RANGE, Batch, ChainError, ChainMetrics, Heads, Indexer,
};
use nxtp_primitives::{recover_digest, Domain, HomeSigningDomain};
use std::sync::Arc;

/// The Home's and the Replicas' `Update` events share one signature (and topic 0).
const UPDATE_TOPIC: B256 = Home::Update::SIGNATURE_HASH;
const CHECKPOINTED_TOPIC: B256 = Home::Checkpointed::SIGNATURE_HASH;

/// One chain the updater reads, with its contract and indexer.
#[derive(Debug)]
pub(crate) struct WatchedChain {
    /// The chain's domain.
    pub(crate) domain: Domain,
    /// A read-only provider for it.
    pub(crate) provider: DynProvider,
    /// The Home or the Replica.
    contract: Address,
    indexer: Indexer,
    /// Whether this is the Home (whose checkpoints are recorded too).
    is_home: bool,
    /// The chain's shared head, if the updater follows it once for every reader.
    heads: Option<Heads>,
}

/// Everything the signature checks need to know about the updater.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Signer {
    /// The origin domain.
    pub(crate) origin: Domain,
    /// The origin Home's EIP-712 domain (chain id and address): what updates are signed for.
    pub(crate) home: HomeSigningDomain,
    /// The updater's address.
    pub(crate) address: Address,
}

impl Signer {
    /// The update in `log` if it is an `Update` event signed by this updater.
    fn ours(&self, chain: Domain, log: &Log) -> Option<SeenUpdate> {
        let event = log.log_decode::<Home::Update>().ok()?;
        let Home::Update {
            oldRoot,
            newRoot,
            signature,
            ..
        } = event.inner.data;
        let digest = self.home.update_digest(oldRoot, newRoot);
        let signer = recover_digest(digest, &signature).ok()?;
        (signer == self.address).then(|| SeenUpdate {
            chain,
            old_root: oldRoot,
            new_root: newRoot,
            signature: Bytes::from(signature.to_vec()),
            block: log.block_number.unwrap_or_default(),
        })
    }
}

impl WatchedChain {
    /// The Home on the origin: its checkpoints and updates.
    pub(crate) fn home(
        store: Store,
        domain: Domain,
        provider: DynProvider,
        home: Address,
        confirmations: u64,
        start_block: u64,
        metrics: ChainMetrics,
    ) -> Self {
        let filter = Filter::new()
            .address(home)
            .event_signature(vec![UPDATE_TOPIC, CHECKPOINTED_TOPIC]);
        let cursor = Cursor::new(domain, "home");
        let indexer = Indexer::new(store, cursor, provider.clone(), filter, confirmations)
            .start_block(start_block)
            .metrics(metrics);
        Self {
            domain,
            provider,
            contract: home,
            indexer,
            is_home: true,
            heads: None,
        }
    }

    /// A Replica of the origin on domain `domain`: its updates.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn replica(
        store: Store,
        origin: Domain,
        domain: Domain,
        provider: DynProvider,
        replica: Address,
        confirmations: u64,
        start_block: u64,
        metrics: ChainMetrics,
    ) -> Self {
        let filter = Filter::new().address(replica).event_signature(UPDATE_TOPIC);
        let cursor = Cursor::new(domain, format!("replica-of-{origin}"));
        let indexer = Indexer::new(store, cursor, provider.clone(), filter, confirmations)
            .start_block(start_block)
            .metrics(metrics);
        Self {
            domain,
            provider,
            contract: replica,
            indexer,
            is_home: false,
            heads: None,
        }
    }

    /// Takes the chain's head from `heads`, for the indexer and every other read of it.
    pub(crate) fn with_heads(mut self, heads: Heads) -> Self {
        self.indexer = self.indexer.heads(heads.clone());
        self.heads = Some(heads);
        self
    }

    /// The chain's head: from the shared follower, if there is one.
    pub(crate) async fn head(&self) -> Result<u64, ChainError> {
        match &self.heads {
            Some(heads) => heads.latest().await,
            None => self.provider.get_block_number().await,
        }
        .map_err(ChainError::rpc(self.domain, "eth_blockNumber"))
    }

    /// The chain's head and recent blocks as the shared follower saw them, if there is one.
    pub(crate) async fn tip(&self) -> Result<Option<Arc<Tip>>, ChainError> {
        match &self.heads {
            Some(heads) => heads
                .tip()
                .await
                .map(Some)
                .map_err(ChainError::rpc(self.domain, "eth_getBlockByNumber")),
            None => Ok(None),
        }
    }

    /// See [`Heads::pending_announced`]; `None` without a shared follower.
    pub(crate) fn pending_announced(&self) -> Option<u64> {
        self.heads.as_ref().and_then(Heads::pending_announced)
    }

    /// Reads every confirmed block not read yet, recording checkpoints and this updater's
    /// updates.
    pub(crate) async fn sync(&mut self, store: &Store, signer: Signer) -> Result<(), TickError> {
        while let Some(batch) = self.indexer.poll().await? {
            let (chain, is_home) = (self.domain, self.is_home);
            store
                .call(move |conn| {
                    let tx = conn.transaction()?;
                    record_batch(&tx, &batch, chain, is_home, signer)?;
                    batch.commit(&tx)?;
                    tx.commit()
                })
                .await?;
        }
        Ok(())
    }

    /// Reads the blocks past the indexer's cursor, up to the head, for updates from
    /// `old_root` signed by this updater, and records them.
    pub(crate) async fn scan_tail(
        &self,
        store: &Store,
        signer: Signer,
        old_root: B256,
    ) -> Result<(), TickError> {
        let cursor = self.indexer.cursor().clone();
        let position = store.call(move |conn| cursor.get(conn)).await?;
        let head = self.head().await?;
        let mut from = position.unwrap_or_default();
        let filter = Filter::new()
            .address(self.contract)
            .event_signature(UPDATE_TOPIC)
            .topic2(old_root);
        while from <= head {
            let to = head.min(from.saturating_add(DEFAULT_MAX_BLOCK_RANGE - 1));
            let logs = self
                .provider
                .get_logs(&filter.clone().from_block(from).to_block(to))
                .await
                .map_err(ChainError::rpc(self.domain, "eth_getLogs"))?;
            let seen: Vec<SeenUpdate> = logs
                .iter()
                .filter_map(|log| signer.ours(self.domain, log))
                .collect();
            if !seen.is_empty() {
                store
                    .call(move |conn| {
                        let tx = conn.transaction()?;
                        for update in &seen {
                            store::record_seen(&tx, signer.origin, update)?;
                        }
                        tx.commit()
                    })
                    .await?;
            }
            from = to + 1;
        }
        Ok(())
    }
}

/// Records what one batch holds, inside the transaction that commits its cursor.
fn record_batch(
    conn: &rusqlite::Connection,
    batch: &Batch,
    chain: Domain,
    is_home: bool,
    signer: Signer,
) -> rusqlite::Result<()> {
    if let Some(reorg) = &batch.reorg {
        if is_home {
            store::forget_checkpoints_from(conn, signer.origin, reorg.resume_from)?;
        }
    }
    for log in &batch.logs {
        match log.topic0() {
            Some(&CHECKPOINTED_TOPIC) if is_home => {
                let Ok(event) = log.log_decode::<Home::Checkpointed>() else {
                    tracing::warn!(?log, "undecodable Checkpointed event ignored");
                    continue;
                };
                let Ok(count) = u32::try_from(event.inner.data.count) else {
                    tracing::warn!(?log, "Checkpointed count beyond u32 ignored");
                    continue;
                };
                store::record_checkpoint(
                    conn,
                    signer.origin,
                    event.inner.data.root,
                    count,
                    log.block_number.unwrap_or_default(),
                )?;
            }
            Some(&UPDATE_TOPIC) => {
                if let Some(update) = signer.ours(chain, log) {
                    store::record_seen(conn, signer.origin, &update)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}
