//! Follows the `Update` events of one domain's Home and Replicas, judges each signed update,
//! and records fraud for the responder.
//!
//! A Replica's root is judged once when it is seen (did the origin's Home produce it?), and
//! then **again at every new head of its origin while it is open**: held by a Replica on this
//! domain, not ripe yet or ripe for less than [`RIPE_TAIL`]. A reorg of the origin deeper than
//! the finality its updater and relayer assume can take a root's checkpoint back after the root
//! reached a Replica; the messages under it may be gone from the origin (a transfer whose
//! `xcall` no longer exists), yet the root ripens like any other. A root the Home no longer
//! holds, at two origin heads at least [`MISSING_BLOCKS`] apart (so a checkpoint that a shallow
//! reorg drops and the checkpointer sends again is not mistaken for one), is recorded as an
//! unbacked-root threat, and the responder halts every Replica of the origin.
//!
//! The cost is one `eth_getBlockByNumber` per origin per poll, and one `Home.checkpoints` per
//! open root per new origin head. After a restart the newest [`RELOAD_LIMIT`] backed updates of
//! each origin are looked up again on this domain's Replicas.

use crate::{
    error::{contract_error, transport_error, WatcherError},
    fraud::{Evidence, Fraud, SignedUpdate},
    metrics::WatcherMetrics,
    store::{self, Sighting},
};
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    rpc::types::Log,
    sol_types::SolEvent,
};
use nxtp_agent::{clock::now_ms, CancellationToken, Classify, Health, StepFailure, Store};
use nxtp_bindings::{Home, Replica};
use nxtp_chain::retry::backoff;
use nxtp_chain::{Batch, Heads, Indexer};
use nxtp_primitives::{recover_digest, Domain, HomeSigningDomain};
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::Notify;

/// The longest a verdict waits for a lagging origin endpoint to show a block as recent as the
/// update being judged; beyond it the origin's latest state is taken as current.
const ORIGIN_LAG_GRACE: Duration = Duration::from_secs(15);

/// How long after a root ripens it is still judged again: a halted Replica delivers nothing
/// more, so a late halt still saves what is not processed yet.
pub(crate) const RIPE_TAIL: u64 = 3600;

/// How many blocks apart the two origin heads must be at which a root is missing before it is
/// a threat.
pub(crate) const MISSING_BLOCKS: u64 = 2;

/// How many backed updates of each origin are looked up again after a restart.
pub(crate) const RELOAD_LIMIT: u32 = 64;

/// A root a Replica on this domain holds, judged again at each new origin head.
#[derive(Clone, Debug)]
pub(crate) struct OpenRoot {
    update: SignedUpdate,
    /// When it ripens on the Replica (`Replica.confirmAt`).
    confirm_at: u64,
    /// The origin's head when it was last found produced (a lagging endpoint below it is not
    /// believed).
    judged_head: u64,
    /// The first origin head at which the Home no longer held it.
    missing_since: Option<u64>,
}

/// Where an origin's Home is, to ask whether it produced a root.
#[derive(Clone, Debug)]
pub(crate) struct HomeReader {
    pub(crate) home: Address,
    pub(crate) provider: DynProvider,
    /// The origin chain's shared head.
    pub(crate) heads: Heads,
    /// The Home's EIP-712 domain (its chain's id, checked against the node on connect, and its
    /// address): what its updater's signatures are made for, and what the Home's fraud proofs
    /// recover them under.
    pub(crate) signing: HomeSigningDomain,
}

/// A signed update seen in one event.
struct Observed {
    update: SignedUpdate,
    /// `None` on a Home (it only accepts roots it produced), else the Replica.
    replica: Option<Address>,
    block: u64,
    /// The block's timestamp, when the endpoint included it in the log.
    block_timestamp: Option<u64>,
}

/// Why a batch must be read again later.
enum BatchRetry {
    /// Asking a Home failed; the batch is read again after a backoff.
    Rpc { origin: Domain, message: String },
    /// The origin's endpoint lags behind the update to judge; the batch is read again at the
    /// next poll, without a backoff or a health report.
    Lagging { origin: Domain, message: String },
}

/// Why a batch could not be handled now: read again later, or the end of the watcher.
type BatchError = StepFailure<WatcherError, BatchRetry>;

/// The task watching one domain.
pub(crate) struct WatchTask {
    pub(crate) domain: Domain,
    pub(crate) indexer: Indexer,
    /// The watched domain's chain.
    pub(crate) provider: DynProvider,
    pub(crate) store: Store,
    pub(crate) home: Address,
    /// The Replicas on this domain: address → origin.
    pub(crate) replicas: HashMap<Address, Domain>,
    /// Every origin's Home.
    pub(crate) homes: Arc<BTreeMap<Domain, HomeReader>>,
    pub(crate) metrics: WatcherMetrics,
    pub(crate) health: Health,
    /// Wakes the responder when fraud is recorded.
    pub(crate) responder: Arc<Notify>,
    pub(crate) poll_interval: Duration,
    /// When each Replica update still waiting for a verdict was first seen.
    pub(crate) first_seen: HashMap<(Domain, B256, B256), Instant>,
    /// The roots the Replicas on this domain hold that are judged again: (Replica, root).
    pub(crate) open: BTreeMap<(Address, B256), OpenRoot>,
    /// Each origin's state block at the last look at its open roots (its head, while one of
    /// them is missing): see `nxtp_chain::heads::Tip::state_block`.
    pub(crate) origin_heads: HashMap<Domain, B256>,
    /// Whether the open roots were reloaded from the database since start.
    pub(crate) reloaded: bool,
    /// Replica roots found produced whose window could not be read yet: (Replica, update).
    pub(crate) untracked: Vec<(Address, SignedUpdate)>,
    /// The watched chain's shared head.
    pub(crate) heads: Heads,
}

impl WatchTask {
    /// Watches until `shutdown`; transient RPC failures are retried with backoff.
    pub(crate) async fn run(mut self, shutdown: CancellationToken) -> Result<(), WatcherError> {
        let stream = format!("updates on {}", self.domain);
        let mut failures = 0u32;
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let failure = match self.indexer.poll().await {
                Ok(Some(batch)) => match self.handle(batch).await {
                    Ok(()) => {
                        self.health.ok(&stream);
                        failures = 0;
                        continue;
                    }
                    Err(BatchError::Retry(BatchRetry::Rpc { origin, message })) => {
                        format!("cannot ask the Home of {origin}: {message}")
                    }
                    Err(BatchError::Retry(BatchRetry::Lagging { origin, message })) => {
                        tracing::debug!(domain = %self.domain, %origin, %message, "waiting for the origin before judging an update");
                        tokio::select! {
                            () = shutdown.cancelled() => return Ok(()),
                            () = tokio::time::sleep(self.poll_interval) => {}
                        }
                        continue;
                    }
                    Err(BatchError::Fatal(err)) => return Err(err),
                },
                Ok(None) => {
                    match self.rejudge().await {
                        Ok(()) => {}
                        Err(BatchError::Fatal(err)) => return Err(err),
                        Err(BatchError::Retry(
                            BatchRetry::Rpc { origin, message }
                            | BatchRetry::Lagging { origin, message },
                        )) => {
                            tracing::warn!(domain = %self.domain, %origin, %message, "cannot judge open roots again now");
                        }
                    }
                    self.health.ok(&stream);
                    failures = 0;
                    tokio::select! {
                        () = shutdown.cancelled() => return Ok(()),
                        () = tokio::time::sleep(self.poll_interval) => {}
                    }
                    continue;
                }
                Err(err) if err.is_retryable() => err.to_string(),
                Err(err) => return Err(err.into()),
            };
            failures = failures.saturating_add(1);
            let pause = backoff(self.poll_interval, failures);
            tracing::warn!(domain = %self.domain, error = %failure, retry_in = ?pause, "watching failed");
            self.health.failing(&stream, &failure);
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    async fn handle(&mut self, batch: Batch) -> Result<(), BatchError> {
        let observed: Vec<Observed> = batch
            .logs
            .iter()
            .filter_map(|log| self.observe(log))
            .collect();

        // Judge each Replica's new root at its origin's Home (once per update, ever).
        let mut judged = Vec::with_capacity(observed.len());
        for seen in observed {
            let produced = match seen.replica {
                None => Some(true),
                Some(_) => Some(self.produced(&seen).await?),
            };
            judged.push((seen, produced));
        }

        // The Replica roots found produced: judged again while open (see the module docs).
        let tracked: Vec<(Address, SignedUpdate)> = judged
            .iter()
            .filter(|(_, produced)| *produced == Some(true))
            .filter_map(|(seen, _)| Some((seen.replica?, seen.update.clone())))
            .collect();
        let domain = self.domain;
        let now = now_ms();
        let (frauds, seen) = self
            .store
            .call(move |conn| {
                let tx = conn.transaction()?;
                let mut frauds = Vec::new();
                let mut seen = Vec::new();
                for (observed, produced) in &judged {
                    let sighting = Sighting {
                        domain,
                        contract: observed.replica.unwrap_or_default(),
                        block: observed.block,
                    };
                    let conflict =
                        store::record_update(&tx, &observed.update, *produced, sighting)?;
                    seen.push(observed.replica.is_some());
                    let evidence = match (produced, conflict) {
                        (_, Some(first)) => Some(Evidence::Double {
                            first,
                            second: observed.update.clone(),
                        }),
                        (Some(false), None) => Some(Evidence::Improper(observed.update.clone())),
                        _ => None,
                    };
                    if let Some(evidence) = evidence {
                        let fraud = Fraud {
                            evidence,
                            detected_on: domain,
                        };
                        if store::record_fraud(&tx, &fraud, now)? {
                            frauds.push(fraud);
                        }
                    }
                }
                batch.commit(&tx)?;
                tx.commit()?;
                Ok((frauds, seen))
            })
            .await?;

        for on_replica in seen {
            let source = if on_replica { "replica" } else { "home" };
            self.metrics.update_seen(self.domain, source);
        }
        // The batch is recorded: a root that cannot be looked up now is looked up at the next
        // judging round instead of failing the batch.
        for (replica, update) in tracked {
            if let Err(BatchError::Retry(BatchRetry::Rpc { origin, message })) =
                self.track(replica, update.clone()).await
            {
                tracing::warn!(domain = %self.domain, %origin, %message, "cannot look up a Replica root's window now; later");
                self.untracked.push((replica, update));
            }
        }
        for fraud in &frauds {
            let origin = fraud.evidence.origin();
            self.metrics.fraud_detected(origin, fraud.evidence.kind());
            match &fraud.evidence {
                Evidence::Improper(update) => tracing::error!(
                    %origin,
                    seen_on = %self.domain,
                    signer = %update.signer,
                    old_root = %update.old_root,
                    new_root = %update.new_root,
                    "FRAUD: improper update (a root the Home never produced); responding"
                ),
                Evidence::Unbacked(update) => tracing::error!(
                    %origin,
                    seen_on = %self.domain,
                    new_root = %update.new_root,
                    "THREAT: a Replica holds a root the Home no longer holds; halting"
                ),
                Evidence::Double { first, second } => tracing::error!(
                    %origin,
                    seen_on = %self.domain,
                    signer = %first.signer,
                    old_root = %first.old_root,
                    first = %first.new_root,
                    second = %second.new_root,
                    "FRAUD: double update (two roots over one old root); responding"
                ),
            }
        }
        if !frauds.is_empty() {
            self.responder.notify_one();
        }
        Ok(())
    }

    /// Starts judging `update`'s root again at each new origin head, while `replica` holds it
    /// (it has a `confirmAt`).
    async fn track(&mut self, replica: Address, update: SignedUpdate) -> Result<(), BatchError> {
        let origin = update.origin;
        let rpc = |message: String| BatchError::Retry(BatchRetry::Rpc { origin, message });
        let confirm_at = Replica::new(replica, &self.provider)
            .confirmAt(update.new_root)
            .call()
            .await
            .map_err(|err| rpc(contract_error(err)))?;
        let confirm_at = u64::try_from(confirm_at).unwrap_or(u64::MAX);
        if confirm_at == 0 {
            return Ok(());
        }
        let Some(reader) = self.homes.get(&origin) else {
            return Ok(());
        };
        let judged_head = reader
            .heads
            .latest()
            .await
            .map_err(|err| rpc(transport_error(err)))?;
        self.open
            .entry((replica, update.new_root))
            .or_insert(OpenRoot {
                update,
                confirm_at,
                judged_head,
                missing_since: None,
            });
        Ok(())
    }

    /// Judges every open root again at its origin's newest head, if that head is new; records
    /// the roots the Home no longer holds as threats (see the module docs).
    async fn rejudge(&mut self) -> Result<(), BatchError> {
        for (replica, update) in std::mem::take(&mut self.untracked) {
            if let Err(err) = self.track(replica, update.clone()).await {
                self.untracked.push((replica, update));
                return Err(err);
            }
        }
        if !self.reloaded {
            let origins: Vec<Domain> = self.replicas.values().copied().collect();
            for origin in origins {
                let updates = self
                    .store
                    .call(move |conn| store::recent_backed_updates(conn, origin, RELOAD_LIMIT))
                    .await?;
                let replicas: Vec<Address> = self
                    .replicas
                    .iter()
                    .filter(|(_, of)| **of == origin)
                    .map(|(replica, _)| *replica)
                    .collect();
                for update in updates {
                    for replica in &replicas {
                        self.track(*replica, update.clone()).await?;
                    }
                }
            }
            self.reloaded = true;
        }
        if self.open.is_empty() {
            return Ok(());
        }
        let now = self.latest_timestamp().await.map_err(|message| {
            BatchError::Retry(BatchRetry::Rpc {
                origin: self.domain,
                message,
            })
        })?;
        self.open
            .retain(|_, open| open.confirm_at.saturating_add(RIPE_TAIL) > now);
        let origins: BTreeSet<Domain> = self.open.values().map(|open| open.update.origin).collect();
        let mut threats = Vec::new();
        for origin in origins {
            let Some(reader) = self.homes.get(&origin).cloned() else {
                continue;
            };
            let rpc = |message: String| BatchError::Retry(BatchRetry::Rpc { origin, message });
            let tip = reader
                .heads
                .tip()
                .await
                .map_err(|err| rpc(transport_error(err)))?;
            let number = tip.number();
            // The Home's answer changes only with its state: while every open root of this
            // origin is found produced, a head whose state block was looked at is skipped; while
            // one is missing, every new head counts toward `MISSING_BLOCKS`.
            let missing = self
                .open
                .values()
                .any(|open| open.update.origin == origin && open.missing_since.is_some());
            let looked_at = match tip.state_block(number) {
                Some(state_block) if !missing => state_block,
                _ => tip.head().hash,
            };
            if self.origin_heads.get(&origin) == Some(&looked_at) {
                continue;
            }
            let home = Home::new(reader.home, &reader.provider);
            for ((replica, root), open) in self
                .open
                .iter_mut()
                .filter(|(_, open)| open.update.origin == origin)
            {
                // A lagging endpoint, behind the head at which the root was found produced.
                if number < open.judged_head {
                    continue;
                }
                let produced = home
                    .checkpoints(*root)
                    .block(number.into())
                    .call()
                    .await
                    .map_err(|err| rpc(contract_error(err)))?
                    .produced;
                if produced {
                    open.judged_head = number;
                    open.missing_since = None;
                    continue;
                }
                let since = *open.missing_since.get_or_insert(number);
                tracing::warn!(domain = %self.domain, %origin, replica = %replica, %root, head = number, "a Replica's root is missing from the origin's Home");
                if number >= since.saturating_add(MISSING_BLOCKS) {
                    threats.push(open.update.clone());
                }
            }
            self.origin_heads.insert(origin, looked_at);
        }
        if threats.is_empty() {
            return Ok(());
        }
        let domain = self.domain;
        let now = now_ms();
        let recorded = threats.clone();
        let new = self
            .store
            .call(move |conn| {
                let mut new = Vec::new();
                for update in &recorded {
                    if store::record_threat(conn, update, domain, now)?.is_some() {
                        new.push(update.clone());
                    }
                }
                Ok(new)
            })
            .await?;
        for update in &threats {
            self.open.retain(|(_, root), open| {
                !(open.update.origin == update.origin && *root == update.new_root)
            });
        }
        for update in &new {
            self.metrics.fraud_detected(update.origin, "unbacked");
            tracing::error!(
                origin = %update.origin,
                seen_on = %self.domain,
                old_root = %update.old_root,
                new_root = %update.new_root,
                "THREAT: a Replica holds a root the origin's Home no longer holds (a reorg deeper than its finality); halting every Replica of the origin"
            );
        }
        if !new.is_empty() {
            self.responder.notify_one();
        }
        Ok(())
    }

    /// The signed update an `Update` log carries, if it is one of the watched contracts' and
    /// its signature is well formed.
    fn observe(&self, log: &Log) -> Option<Observed> {
        if log.topic0() != Some(&Home::Update::SIGNATURE_HASH) {
            return None;
        }
        // Home and Replica declare the same `Update` event; the address tells them apart.
        let (origin, replica) = if log.address() == self.home {
            (self.domain, None)
        } else {
            let origin = *self.replicas.get(&log.address())?;
            (origin, Some(log.address()))
        };
        let event = match log.log_decode::<Replica::Update>() {
            Ok(decoded) => decoded.inner.data,
            Err(err) => {
                tracing::warn!(domain = %self.domain, contract = %log.address(), error = %err, "unreadable Update event");
                return None;
            }
        };
        if event.homeDomain != origin.get() {
            tracing::warn!(domain = %self.domain, contract = %log.address(), claimed = event.homeDomain, %origin, "Update names another origin than configured");
            return None;
        }
        // Every origin of a watched Replica is a watched domain (the config insists).
        let Some(reader) = self.homes.get(&origin) else {
            tracing::warn!(domain = %self.domain, %origin, "Update of an origin without a configured Home");
            return None;
        };
        let digest = reader.signing.update_digest(event.oldRoot, event.newRoot);
        let signer = match recover_digest(digest, &event.signature) {
            Ok(signer) => signer,
            Err(err) => {
                tracing::warn!(domain = %self.domain, contract = %log.address(), error = %err, "Update carries an unusable signature");
                return None;
            }
        };
        Some(Observed {
            update: SignedUpdate {
                origin,
                old_root: event.oldRoot,
                new_root: event.newRoot,
                signature: event.signature,
                signer,
            },
            replica,
            block: log.block_number.unwrap_or_default(),
            block_timestamp: log.block_timestamp,
        })
    }

    /// Whether the origin's Home produced the update's new root: from the database when this
    /// update was judged before, else from the Home.
    async fn produced(&mut self, seen: &Observed) -> Result<bool, BatchError> {
        let update = &seen.update;
        let (origin, old_root, new_root) = (update.origin, update.old_root, update.new_root);
        if let Some(known) = self
            .store
            .call(move |conn| store::verdict(conn, origin, old_root, new_root))
            .await?
        {
            self.first_seen.remove(&(origin, old_root, new_root));
            return Ok(known);
        }
        let homes = Arc::clone(&self.homes);
        let Some(reader) = homes.get(&origin) else {
            return Err(BatchError::Fatal(WatcherError::Config(format!(
                "origin {origin} has no Home configured"
            ))));
        };
        let rpc = |message: String| BatchError::Retry(BatchRetry::Rpc { origin, message });
        let updated_at = match seen.block_timestamp {
            Some(timestamp) => timestamp,
            None => {
                block_timestamp(&self.provider, BlockNumberOrTag::Number(seen.block))
                    .await
                    .map_err(rpc)?
                    .1
            }
        };
        // An honest root was checkpointed on the origin before it was signed, so before the
        // update's block. An origin endpoint whose head is older than that (a lagging node) may
        // not show the checkpoint yet: wait for it rather than cry fraud, which halts Replicas.
        // A chain that only mines on demand may simply have no newer block, so the wait is
        // bounded; then the latest state is all there is to judge by.
        let (head, head_time) = block_timestamp(&reader.provider, BlockNumberOrTag::Latest)
            .await
            .map_err(rpc)?;
        let first_seen = *self
            .first_seen
            .entry((origin, old_root, new_root))
            .or_insert_with(Instant::now);
        if head_time < updated_at && first_seen.elapsed() < ORIGIN_LAG_GRACE {
            return Err(BatchError::Retry(BatchRetry::Lagging {
                origin,
                message: format!(
                    "the origin's head (time {head_time}) is older than the update (time \
                     {updated_at})"
                ),
            }));
        }
        let produced = Home::new(reader.home, &reader.provider)
            .checkpoints(new_root)
            .block(head.into())
            .call()
            .await
            .map_err(|err| rpc(contract_error(err)))?
            .produced;
        self.first_seen.remove(&(origin, old_root, new_root));
        Ok(produced)
    }
}

impl WatchTask {
    /// The timestamp of the watched chain's newest block, as the shared follower saw it.
    async fn latest_timestamp(&mut self) -> Result<u64, String> {
        let head = self.heads.latest_block().await.map_err(transport_error)?;
        Ok(head.timestamp)
    }
}

/// The number and timestamp of a block.
async fn block_timestamp(
    provider: &DynProvider,
    block: BlockNumberOrTag,
) -> Result<(u64, u64), String> {
    let found = provider
        .get_block_by_number(block)
        .await
        .map_err(transport_error)?
        .ok_or_else(|| format!("block {block} is not on the chain"))?;
    Ok((found.header.number, found.header.timestamp))
}
