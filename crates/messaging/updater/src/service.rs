//! The updater's loop: one round per new Home head, each sending what is due without waiting
//! for it to be final (the next round sees the effect, or sends the same operation again).
//!
//! Once after start, every chain (the Home, each Replica of this origin) is read up to its
//! confirmed head; while the records and the chains show this key's signatures over one old
//! root to two different new roots (a double update already exists), nothing is signed or sent
//! and `/health` says so.
//!
//! Then one round, in order:
//!
//! 1. Catch up on the Home's final events (checkpoints, this updater's updates).
//! 2. Read the Home at the confirmed block (`head - confirmations`): has it failed? And at the
//!    head: its committed root (`old`).
//! 3. If an update over `old` is recorded, (re)send exactly that one. `old` may be committed
//!    only at the head: the Home accepts only this key's signatures, which are all recorded (or
//!    adopted) one per old root, so a reorg can only make the same updates go out again.
//! 4. Otherwise, if a checkpoint delivered at the confirmation depth, in a block that is final
//!    on the origin (at or below the block its `finality` names: the node's `finalized` block,
//!    or a declared depth), covers more messages than `old`, it is the candidate. A root signed
//!    before its checkpoint is final could be taken back by a reorg deeper than the
//!    confirmations, leaving every Replica holding a root (and its messages) the Home never
//!    produced. Before signing over `old`: read every chain (the Home, each
//!    Replica of this origin) up to its head for an update from `old` signed by this key, and
//!    require that the key has no pending transaction (its pending nonce equals its latest).
//!    A signature found is adopted instead of signing; none found, the candidate is signed,
//!    recorded (durably, one per old root) and only then sent.
//!
//! Before all that, every round (every poll interval, even when the head has not moved), the
//! [`crate::checkpointer`] checkpoints, with another key, messages that show in the Home's
//! pending block.
//!
//! RPC cost: the Home's state is read at a block by that block's hash and kept under its state
//! block (the newest block at or below it that may have changed state, see
//! `nxtp_chain::heads::Tip::state_block`), so a round over blocks without transactions reads
//! nothing again; the key's nonces and the final block are read only when a checkpoint above the
//! committed count has been delivered, the only case where a root may be signed.

use crate::{
    checkpointer::Checkpointer,
    error::TickError,
    metrics::UpdaterMetrics,
    store::{self, Recorded, SignedUpdate, Source},
    watch::{Signer, WatchedChain},
};
use alloy::{
    eips::BlockId,
    primitives::{Address, Bytes, B256},
    providers::{DynProvider, Provider},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use nxtp_agent::{CancellationToken, Classify, Health, Store};
use nxtp_bindings::Home;
use nxtp_chain::retry::backoff;
use nxtp_chain::{heads::Tip, ChainError, FinalState, Finality, Submitter};
use nxtp_primitives::{sign_digest, Domain, HomeSigningDomain};
use std::{collections::BTreeSet, time::Duration};

/// What a round did, and so how soon the next one runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing to do, or a transaction was confirmed whose effect the indexer has yet to
    /// deliver: look again after the poll interval.
    Idle,
    /// Waiting for the chain, for this reason: look again after the poll interval.
    Waiting(&'static str),
}

/// The Home as read at one block.
#[derive(Clone, Copy, Debug)]
struct HomeState {
    failed: bool,
    committed_root: B256,
    committed_count: u32,
}

/// The Home's state as read at a few recent state blocks (see the module docs), so a round over
/// blocks that changed nothing reads nothing.
#[derive(Debug, Default)]
pub(crate) struct HomeStates(Vec<(B256, HomeState)>);

impl HomeStates {
    /// How many states are kept: the confirmed block's and the head's, and a few before.
    const KEPT: usize = 4;

    fn get(&self, state_block: B256) -> Option<HomeState> {
        self.0
            .iter()
            .find(|(at, _)| *at == state_block)
            .map(|(_, state)| *state)
    }

    fn keep(&mut self, state_block: B256, state: HomeState) {
        if self.0.len() >= Self::KEPT {
            self.0.remove(0);
        }
        self.0.push((state_block, state));
    }
}

/// What to do over the committed root when nothing is recorded over it yet.
enum Choice {
    /// Submit this update (just signed, or adopted).
    Update(SignedUpdate),
    /// Nothing to sign.
    Idle,
    /// Not now, for this reason.
    Wait(&'static str),
}

/// The updater of one Home; see the module docs.
pub(crate) struct Service {
    pub(crate) origin: Domain,
    pub(crate) home_address: Address,
    /// The Home's EIP-712 domain: its chain id (checked against the node on connect) and address.
    pub(crate) home_signing: HomeSigningDomain,
    pub(crate) home_chain: WatchedChain,
    pub(crate) replicas: Vec<WatchedChain>,
    pub(crate) confirmations: u64,
    /// When a block of the origin is final: only checkpoints in final blocks are signed.
    pub(crate) finality: Finality,
    pub(crate) poll_interval: Duration,
    pub(crate) signer: PrivateKeySigner,
    pub(crate) store: Store,
    pub(crate) submitter: Submitter,
    pub(crate) metrics: UpdaterMetrics,
    pub(crate) health: Health,
    /// The Home chain's head when the last round found nothing to do: until the head moves,
    /// nothing on chain has changed, and a round need not read anything.
    pub(crate) idle_at: Option<u64>,
    /// The Home's state at recent state blocks.
    pub(crate) home_states: HomeStates,
    /// Whether every chain was read once since start and showed no signature of this key that
    /// conflicts with another.
    pub(crate) checked_at_start: bool,
    /// The submitter key of the newest update handed over, so each is counted and logged once.
    pub(crate) last_update_sent: Option<String>,
    /// Checkpoints the Home from its pending block, first thing in every round.
    pub(crate) checkpointer: Checkpointer,
}

impl Service {
    /// Runs rounds until `shutdown`, or a fatal error.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) -> Result<(), TickError> {
        let mut failures: u32 = 0;
        loop {
            // A round dropped at any await is like a crash there, which every step survives.
            let outcome = tokio::select! {
                biased;
                () = shutdown.cancelled() => return Ok(()),
                outcome = self.tick() => outcome,
            };
            // Stopping also stops the submitter, which fails a round waiting on it: not an error.
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let pause = match outcome {
                Ok(step) => {
                    failures = 0;
                    self.health.set_healthy();
                    match step {
                        Step::Idle => self.poll_interval,
                        Step::Waiting(reason) => {
                            tracing::debug!(domain = %self.origin, reason, "waiting");
                            self.poll_interval
                        }
                    }
                }
                Err(err) if err.is_fatal() => {
                    tracing::error!(domain = %self.origin, error = %err, "updater stopped");
                    self.health.set_unhealthy(err.to_string());
                    return Err(err);
                }
                Err(err) => {
                    failures = failures.saturating_add(1);
                    let pause = backoff(self.poll_interval, failures);
                    tracing::warn!(
                        domain = %self.origin,
                        error = %err,
                        retry_in = ?pause,
                        "updater round failed"
                    );
                    self.health.set_unhealthy(err.to_string());
                    pause
                }
            };
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// The signature checks' view of this updater.
    fn signer_info(&self) -> Signer {
        Signer {
            origin: self.origin,
            home: self.home_signing,
            address: self.signer.address(),
        }
    }

    /// One round; see the module docs.
    pub(crate) async fn tick(&mut self) -> Result<Step, TickError> {
        let tip = self.home_chain.tip().await?;
        let head = match &tip {
            Some(tip) => tip.number(),
            None => self.home_chain.head().await?,
        };
        let announced = self.home_chain.pending_announced();
        // Signing goes on without the checkpointer (anyone may checkpoint): only a broken
        // database or submitter stops the round.
        if let Err(err) = self
            .checkpointer
            .round(head, tip.as_deref(), announced)
            .await
        {
            if err.is_fatal() {
                return Err(err);
            }
            tracing::warn!(domain = %self.origin, error = %err, "checkpoint round failed");
        }
        if self.idle_at == Some(head) {
            return Ok(Step::Idle);
        }
        let step = self.step(head, tip.as_deref()).await?;
        self.idle_at = Some(head);
        Ok(step)
    }

    /// One round at Home head `head`, the head of `tip` if there is one.
    async fn step(&mut self, head: u64, tip: Option<&Tip>) -> Result<Step, TickError> {
        let signer = self.signer_info();
        if !self.checked_at_start {
            self.check_chains().await?;
            self.checked_at_start = true;
        }
        self.home_chain.sync(&self.store, signer).await?;
        let safe = head.saturating_sub(self.confirmations);
        let confirmed = self.read_home(safe, tip).await?;
        if confirmed.failed {
            return Err(TickError::HomeFailed(self.home_address));
        }
        self.metrics
            .committed_count
            .set(i64::from(confirmed.committed_count));
        // Read before anything is sent this round: whether every transaction of this key is
        // mined (see `key_settled`). Only signing asks, and only over a checkpoint delivered
        // above the committed count (the count at the head is at least the confirmed one), so
        // without one there is nothing to read.
        let (domain, confirmed_count) = (self.origin, confirmed.committed_count);
        let signable = self
            .store
            .call(move |conn| store::newest_checkpoint_above(conn, domain, confirmed_count, safe))
            .await?
            .is_some();
        let settled = signable && self.key_settled().await?;
        let state = self.read_home(head, tip).await?;

        // The update over the Home's newest committed root. An update still unconfirmed there is
        // one this key signed (the Home checks the signature) and recorded, so the next one can
        // be signed over it at once: a reorg only makes both go out again, in order.
        let old = state.committed_root;
        let domain = self.origin;
        let recorded = self
            .store
            .call(move |conn| store::signed_update(conn, domain, old))
            .await?;
        let step = match recorded {
            Some(update) => self.submit_update(&update, head).await?,
            None => match self.choose(state, safe, settled).await? {
                Choice::Update(update) => self.submit_update(&update, head).await?,
                Choice::Idle => Step::Idle,
                Choice::Wait(reason) => Step::Waiting(reason),
            },
        };
        Ok(step)
    }

    /// Whether every transaction this key sent is mined (its pending nonce equals its latest).
    /// Only then may a root be signed over a committed root with no record: a pending
    /// transaction could carry a signature over it.
    async fn key_settled(&self) -> Result<bool, TickError> {
        let address = self.signer.address();
        let provider = &self.home_chain.provider;
        let pending = provider
            .get_transaction_count(address)
            .pending()
            .await
            .map_err(ChainError::rpc(self.origin, "eth_getTransactionCount"))?;
        let latest = provider
            .get_transaction_count(address)
            .latest()
            .await
            .map_err(ChainError::rpc(self.origin, "eth_getTransactionCount"))?;
        Ok(pending == latest)
    }

    /// Reads every chain (the Home, each Replica of this origin) up to its confirmed head, and
    /// fails while the records and the chains hold two different new roots signed by this key
    /// over one old root: a double update already exists, and an operator must look before
    /// anything more is signed.
    async fn check_chains(&mut self) -> Result<(), TickError> {
        let signer = self.signer_info();
        for chain in std::iter::once(&mut self.home_chain).chain(self.replicas.iter_mut()) {
            chain.sync(&self.store, signer).await?;
        }
        let domain = self.origin;
        let conflicts = self
            .store
            .call(move |conn| store::conflicts(conn, domain))
            .await?;
        match conflicts.into_iter().next() {
            Some((old, roots)) => Err(TickError::DoubleSigned { old, roots }),
            None => Ok(()),
        }
    }

    /// Nothing is recorded over the committed root: sign the newest final checkpoint (or adopt
    /// a signature already out there). `settled`: see [`Self::key_settled`].
    async fn choose(
        &mut self,
        state: HomeState,
        safe: u64,
        settled: bool,
    ) -> Result<Choice, TickError> {
        let (domain, old) = (self.origin, state.committed_root);
        let old_count = state.committed_count;
        // Only a checkpoint both delivered (at the confirmation depth) and final is signed:
        // with none delivered, none is final either, and the final block need not be read.
        let delivered = self
            .store
            .call(move |conn| store::newest_checkpoint_above(conn, domain, old_count, safe))
            .await?;
        if delivered.is_none() {
            return Ok(Choice::Idle);
        }
        let final_block = self
            .finality
            .final_block(&self.home_chain.provider)
            .await
            .map_err(ChainError::finality(domain))?;
        let Some(final_block) = final_block else {
            return Ok(Choice::Wait("no block of the origin is final yet"));
        };
        self.metrics
            .final_block
            .set(i64::try_from(final_block).unwrap_or(i64::MAX));
        let limit = final_block.min(safe);
        let candidate = self
            .store
            .call(move |conn| store::newest_checkpoint_above(conn, domain, old_count, limit))
            .await?;
        let Some((new_root, new_count)) = candidate else {
            return Ok(Choice::Idle);
        };

        // Has a signature over `old` left this updater before (an earlier run whose database is
        // gone)? Read every chain up to its head.
        let signer = self.signer_info();
        for chain in std::iter::once(&mut self.home_chain).chain(self.replicas.iter_mut()) {
            chain.sync(&self.store, signer).await?;
            chain.scan_tail(&self.store, signer, old).await?;
        }
        let seen = self
            .store
            .call(move |conn| store::seen_over(conn, domain, old))
            .await?;
        let roots: BTreeSet<B256> = seen.iter().map(|update| update.new_root).collect();
        if roots.len() > 1 {
            return Err(TickError::DoubleSigned {
                old,
                roots: roots.into_iter().collect(),
            });
        }
        if let Some(found) = seen.first() {
            return self
                .adopt(found.new_root, found.signature.clone(), old)
                .await;
        }

        // A transaction of this key still pending could carry a signature over `old`.
        if !settled {
            return Ok(Choice::Wait("the updater key has pending transactions"));
        }

        // The indexer delivered the checkpoint in a final block; the Home agrees there.
        let checkpoint = self
            .home()
            .checkpoints(new_root)
            .block(BlockId::number(limit))
            .call()
            .await
            .map_err(ChainError::call(domain, "Home.checkpoints"))?;
        if !checkpoint.produced || checkpoint.count != new_count {
            return Ok(Choice::Wait(
                "the newest checkpoint is not at the final block",
            ));
        }

        let signature = sign_digest(&self.signer, self.home_signing.update_digest(old, new_root))?;
        let update = SignedUpdate {
            old_root: old,
            new_root,
            new_count,
            signature: Bytes::from(signature.to_vec()),
            source: Source::Signed,
        };
        match self.record(update.clone()).await? {
            Recorded::New => {
                self.metrics.roots_signed.inc();
                self.metrics.last_signed_count.set(i64::from(new_count));
                tracing::info!(
                    %domain,
                    %old,
                    new = %new_root,
                    count = new_count,
                    "signed a new root"
                );
                Ok(Choice::Update(update))
            }
            // Recorded meanwhile (by another handle on this database): that one stands, and
            // the signature just made is dropped unseen.
            Recorded::Existing(existing) => Ok(Choice::Update(existing)),
        }
    }

    /// Reuses a signature over `old` found on a chain instead of signing a new root.
    async fn adopt(
        &mut self,
        new_root: B256,
        signature: Bytes,
        old: B256,
    ) -> Result<Choice, TickError> {
        let domain = self.origin;
        let checkpoint = self
            .home()
            .checkpoints(new_root)
            .call()
            .await
            .map_err(ChainError::call(domain, "Home.checkpoints"))?;
        if !checkpoint.produced {
            return Err(TickError::NotCheckpointed { old, new: new_root });
        }
        let update = SignedUpdate {
            old_root: old,
            new_root,
            new_count: checkpoint.count,
            signature,
            source: Source::Adopted,
        };
        let recorded = self.record(update.clone()).await?;
        if recorded == Recorded::New {
            self.metrics.updates_adopted.inc();
            self.metrics
                .last_signed_count
                .set(i64::from(checkpoint.count));
            tracing::warn!(
                %domain,
                %old,
                new = %new_root,
                count = checkpoint.count,
                "found this key's signature over the committed root on chain; reusing it"
            );
        }
        Ok(Choice::Update(match recorded {
            Recorded::New => update,
            Recorded::Existing(existing) => existing,
        }))
    }

    /// Sends `update` to the Home (once per update, whatever the restarts), without waiting
    /// for it: the next round finds it committed, or sends it again under the same key, which
    /// names the same transaction.
    async fn submit_update(&mut self, update: &SignedUpdate, head: u64) -> Result<Step, TickError> {
        let domain = self.origin;
        // Never submit a root the Home has not produced: that is an improper update.
        let checkpoint = self
            .home()
            .checkpoints(update.new_root)
            .block(BlockId::number(head))
            .call()
            .await
            .map_err(ChainError::call(domain, "Home.checkpoints"))?;
        if !checkpoint.produced {
            return Err(TickError::NotCheckpointed {
                old: update.old_root,
                new: update.new_root,
            });
        }
        let call = Home::updateCall {
            oldRoot: update.old_root,
            newRoot: update.new_root,
            signature: update.signature.clone(),
        };
        let key = format!("update:{domain}:{}:{}", update.old_root, update.new_root);
        let what = format!("update {} -> {}", update.old_root, update.new_root);
        let sent = self.send(&key, &what, call.abi_encode()).await?;
        if self.last_update_sent.as_ref() != Some(&sent) {
            self.last_update_sent = Some(sent);
            self.metrics.updates_sent.inc();
            tracing::info!(
                %domain,
                old = %update.old_root,
                new = %update.new_root,
                count = update.new_count,
                "update sent to the Home"
            );
        }
        Ok(Step::Waiting("the update is not committed on the Home yet"))
    }

    /// Hands `input` for the Home to the submitter under `key` (a fresh key per failed
    /// attempt), because its effect is not on the chain at the head. Sending the same key again
    /// names the same operation; one found failed is counted, so the next round tries under a
    /// fresh key. One found confirmed was undone by a reorg deeper than the confirmations (its
    /// effect is missing): it goes out again at once under a fresh key. Returns the key the
    /// operation in flight went under.
    async fn send(&self, key: &str, what: &str, input: Vec<u8>) -> Result<String, TickError> {
        let request = TransactionRequest::default()
            .to(self.home_address)
            .input(input.into());
        let mut undone = false;
        loop {
            let base = key.to_owned();
            let attempt = self
                .store
                .call(move |conn| store::attempt(conn, &base))
                .await?;
            let attempt_key = if attempt == 0 {
                key.to_owned()
            } else {
                format!("{key}#{attempt}")
            };
            let id = self.submitter.submit(&attempt_key, request.clone()).await?;
            let outcome = self.submitter.status(id).await?.state.final_state();
            let reason = match outcome {
                None => return Ok(attempt_key),
                Some(FinalState::Failed(reason)) => Some(reason),
                // Once only: a second confirmed-yet-missing operation means the chain moved
                // while this round read it; the next round looks again.
                Some(FinalState::Confirmed(_)) if undone => return Ok(attempt_key),
                Some(FinalState::Confirmed(inclusion)) => {
                    tracing::warn!(
                        domain = %self.origin,
                        what,
                        tx = %inclusion.tx_hash,
                        block = inclusion.block_number,
                        "a confirmed transaction's effect is gone from the chain (a deep reorg); sending it again"
                    );
                    undone = true;
                    None
                }
            };
            let base = key.to_owned();
            self.store
                .call(move |conn| store::attempt_failed(conn, &base, attempt))
                .await?;
            if let Some(reason) = reason {
                return Err(TickError::Operation {
                    what: what.to_owned(),
                    reason,
                });
            }
        }
    }

    async fn record(&self, update: SignedUpdate) -> Result<Recorded, TickError> {
        let domain = self.origin;
        Ok(self
            .store
            .call(move |conn| store::record_signed(conn, domain, &update))
            .await?)
    }

    fn home(&self) -> Home::HomeInstance<&DynProvider> {
        Home::new(self.home_address, &self.home_chain.provider)
    }

    /// The Home's state at `block`: kept from an earlier read at the same state block when
    /// `tip` names it, otherwise read (by the block's hash when `tip` holds it, so what is kept
    /// is exactly that block's state).
    async fn read_home(&mut self, block: u64, tip: Option<&Tip>) -> Result<HomeState, TickError> {
        let known = tip.and_then(|tip| Some((tip.state_block(block)?, tip.hash_of(block)?)));
        if let Some(state) = known.and_then(|(state_block, _)| self.home_states.get(state_block)) {
            return Ok(state);
        }
        if let Some((state_block, hash)) = known {
            // A block gone from the node (a reorg since the tip was seen) is read by number
            // below, as without a tip, and not kept.
            if let Ok(state) = self.read_home_at(BlockId::hash(hash)).await {
                self.home_states.keep(state_block, state);
                return Ok(state);
            }
        }
        self.read_home_at(BlockId::number(block)).await
    }

    async fn read_home_at(&self, at: BlockId) -> Result<HomeState, TickError> {
        let domain = self.origin;
        let home = self.home();
        let failed = home
            .failed()
            .block(at)
            .call()
            .await
            .map_err(ChainError::call(domain, "Home.failed"))?;
        let committed_root = home
            .committedRoot()
            .block(at)
            .call()
            .await
            .map_err(ChainError::call(domain, "Home.committedRoot"))?;
        let committed = home
            .checkpoints(committed_root)
            .block(at)
            .call()
            .await
            .map_err(ChainError::call(domain, "Home.checkpoints"))?;
        Ok(HomeState {
            failed,
            committed_root,
            committed_count: committed.count,
        })
    }
}
