//! Where indexed events are kept: one trait, [`StatusStore`], over two backends, SQLite
//! ([`SqliteStore`], embedded, the default) and PostgreSQL ([`PostgresStore`]), sharing every
//! table ([`schema`]) and every query ([`queries`]): a backend only runs SQL ([`Exec`]).
//!
//! Consistency with the chains: the indexer's cursors (`nxtp_chain::Indexer`) live in the
//! kit's SQLite [`Store`] ([`StatusStore::cursors`]). With SQLite that is the same database, and
//! a batch's rows and its cursor are committed in one transaction. With PostgreSQL the rows are
//! committed first and the cursor after: a crash between the two re-delivers the batch, whose
//! rows are written again as the same rows (every write is idempotent), and a deep reorg found
//! again is undone again. So the database never holds fewer events than the cursor says, nor
//! an event of a block the chain dropped once its reorg has been read.

mod aggregates;
mod postgresql;
pub(crate) mod queries;
pub mod schema;
mod sqlite;
mod value;

pub use aggregates::{
    LiquidityChange, RouterMove, StageCount, StatsRows, TransferTimes, XCallAmount,
};
pub use postgresql::PostgresStore;
pub use queries::{Change, Recorded};
pub use sqlite::SqliteStore;
pub use value::{Exec, Value};

use crate::status::{Path, Stage};
use alloy::primitives::{Address, Bytes, B256, U256};
use nxtp_agent::{clock::now_ms, StorageError, Store};
use nxtp_chain::Batch;
use nxtp_primitives::Domain;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused an operation.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The kit's store (cursors, migrations) failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// PostgreSQL refused an operation or could not be reached.
    #[error("postgres: {0}")]
    Postgres(String),
    /// A stored value does not read back as what was written: a bug or a hand-edited database.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A blocking store task panicked.
    #[error("store task panicked: {0}")]
    Panicked(String),
}

/// Where and when a stored event happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// The domain whose chain holds it.
    pub domain: Domain,
    /// Its block.
    pub block: u64,
    /// Its transaction.
    pub tx_hash: B256,
    /// Its block's time (unix seconds).
    pub timestamp: u64,
}

/// A transfer's origin part, from its `XCalled`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XCallPart {
    /// Where and when.
    pub stamp: Stamp,
    /// The transfer's nonce on its origin.
    pub nonce: U256,
    /// Who called `xcall` (`originSender`).
    pub sender: Address,
    /// The recipient on the destination.
    pub to: Address,
    /// Who may update it on the destination.
    pub delegate: Address,
    /// Whether it is delivered in the local asset.
    pub receive_local: bool,
    /// The slippage tolerance (basis points) at xcall.
    pub slippage: U256,
    /// The calldata for the recipient's `xReceive`.
    pub call_data: Bytes,
    /// The amount bridged, in the local asset.
    pub bridged_amount: U256,
    /// The amount in, normalized to 18 decimals.
    pub normalized_in: U256,
    /// The asset's canonical domain.
    pub canonical_domain: u32,
    /// The asset's canonical id.
    pub canonical_id: B256,
    /// The asset the sender supplied.
    pub asset: Address,
    /// How much of it.
    pub amount: U256,
    /// The local asset on the origin.
    pub local: Address,
    /// The leaf of its message in the origin's `Home`.
    pub message_hash: B256,
}

/// A transfer's delivery on its destination, from `Executed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutedPart {
    /// Where and when.
    pub stamp: Stamp,
    /// Who received it.
    pub to: Address,
    /// The local asset delivered.
    pub local: Address,
    /// How much was delivered.
    pub amount: U256,
    /// The routers that fronted it (empty: the slow path).
    pub routers: Vec<Address>,
    /// Who sent the execute.
    pub caller: Address,
}

/// A transfer's message delivered on its destination, from `Reconciled`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReconciledPart {
    /// Where and when.
    pub stamp: Stamp,
    /// The local asset.
    pub local: Address,
    /// The amount reconciled.
    pub amount: U256,
    /// The routers credited (empty: the slow path).
    pub routers: Vec<Address>,
    /// Who delivered the message.
    pub caller: Address,
}

/// One row of `transfers`: a transfer as its three events have shown it so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRow {
    /// Its position in the table (newer rows have larger numbers): the list's cursor.
    pub seq: u64,
    /// The transfer.
    pub transfer_id: B256,
    /// Its origin, once an event names it.
    pub origin: Option<Domain>,
    /// Its destination, once an event names it.
    pub destination: Option<Domain>,
    /// Its stage, derived from the parts.
    pub stage: Stage,
    /// Its path, once the destination has shown it.
    pub path: Option<Path>,
    /// The origin's part.
    pub xcall: Option<XCallPart>,
    /// The destination's delivery.
    pub executed: Option<ExecutedPart>,
    /// The destination's reconcile.
    pub reconciled: Option<ReconciledPart>,
}

/// An event about a transfer beside its three main ones (fee bumps, slippage updates,
/// receive-local overrides, calldata results).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferEvent {
    /// Where and when.
    pub stamp: Stamp,
    /// The event's name.
    pub kind: String,
    /// Its fields (JSON, as [`crate::ingest::Event`] serializes).
    pub data: serde_json::Value,
}

/// A root as a messaging step saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootStep {
    /// Where and when.
    pub stamp: Stamp,
    /// The root.
    pub root: B256,
    /// On a Replica: when the root becomes acceptable (unix seconds).
    pub confirm_at: Option<u64>,
}

/// The messaging layer's progress with a transfer's message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessagingRecord {
    /// The `Home`'s `Dispatch`, with the leaf's index.
    pub dispatched: Option<(Stamp, u64)>,
    /// The first checkpoint holding the leaf.
    pub checkpointed: Option<RootStep>,
    /// The first signed update on the `Home` to a root holding the leaf.
    pub signed: Option<RootStep>,
    /// The first update on the destination's Replica to a root holding the leaf.
    pub relayed: Option<RootStep>,
    /// Its delivery by the destination's Replica.
    pub processed: Option<Stamp>,
    /// Its last failed delivery, with the revert data, if not delivered since.
    pub process_failed: Option<(Stamp, Bytes)>,
    /// The destination's Replica of the origin was halted or failed.
    pub replica_halted: bool,
    /// The origin's `Home` failed.
    pub home_failed: bool,
}

/// Everything stored about one transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferRecord {
    /// Its row.
    pub row: TransferRow,
    /// Its other events, in chain order per domain.
    pub events: Vec<TransferEvent>,
    /// Its message's progress (empty until the origin's `XCalled` is indexed).
    pub messaging: MessagingRecord,
}

/// How a transfer is looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransferKey {
    /// By its id.
    Id(B256),
    /// By the hash of the transaction that xcalled it.
    OriginTx(B256),
}

/// The list's filters; `None` matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransferFilter {
    /// The `xcall`'s sender.
    pub sender: Option<Address>,
    /// The recipient.
    pub to: Option<Address>,
    /// A router that fronted it.
    pub router: Option<Address>,
    /// Its stage.
    pub stage: Option<Stage>,
    /// Its origin.
    pub origin: Option<Domain>,
    /// Its destination.
    pub destination: Option<Domain>,
}

/// One page of the list: rows older than `before` (a row's `seq`), newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// Only rows with a smaller `seq` (none: from the newest).
    pub before: Option<u64>,
    /// At most this many rows.
    pub limit: usize,
}

/// A database the indexer writes and the API reads; see the module docs.
pub trait StatusStore: Send + Sync + 'static {
    /// The backend's name, `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// The kit's store holding the chain cursors, for `nxtp_chain::Indexer`.
    fn cursors(&self) -> &Store;

    /// Records `change` and moves `batch`'s cursor past it (see the module docs for the
    /// order); with no batch (tests, tools), records only. Idempotent: applying a batch twice
    /// stores it once.
    fn apply(&self, change: &Change, batch: Option<&Batch>) -> Result<(), StoreError>;

    /// One transfer, with its events and its message's progress.
    fn transfer(&self, key: TransferKey) -> Result<Option<TransferRecord>, StoreError>;

    /// A page of transfers matching `filter`, newest first.
    fn transfers(
        &self,
        filter: &TransferFilter,
        page: Page,
    ) -> Result<Vec<TransferRow>, StoreError>;

    /// Every liquidity change of `router` (every router: `None`): its added and removed
    /// liquidity, and its shares of the transfers it fronted and was credited for.
    fn router_moves(&self, router: Option<Address>) -> Result<Vec<RouterMove>, StoreError>;

    /// The rows of `GET /stats`, with the times of the `recent` newest xcalled transfers.
    fn stats(&self, recent: usize) -> Result<StatsRows, StoreError>;

    /// Checks the database answers.
    fn ping(&self) -> Result<(), StoreError>;

    /// The webhooks' subscriptions and outbox ([`crate::webhooks`]). [`StatusStore::apply`]
    /// enqueues the events a change causes in the same transaction.
    fn webhooks(&self) -> &dyn crate::webhooks::WebhookStore;
}

/// What a backend provides for the shared queries: a write transaction and a read.
pub trait SqlBackend: Send + Sync + 'static {
    /// The backend's name.
    const NAME: &'static str;

    /// The kit's store holding the chain cursors.
    fn cursor_store(&self) -> &Store;

    /// Runs `write` in one transaction, then commits `batch`'s cursor, if any (in the same
    /// transaction when the backend can).
    fn write(
        &self,
        batch: Option<&Batch>,
        write: &mut dyn FnMut(&mut dyn Exec) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Runs `read` on a consistent view.
    fn read(
        &self,
        read: &mut dyn FnMut(&mut dyn Exec) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
}

impl<B: SqlBackend> StatusStore for B {
    fn backend(&self) -> &'static str {
        B::NAME
    }

    fn cursors(&self) -> &Store {
        self.cursor_store()
    }

    fn apply(&self, change: &Change, batch: Option<&Batch>) -> Result<(), StoreError> {
        let mut enqueued = 0;
        self.write(batch, &mut |db| {
            queries::apply(db, change)?;
            // The webhook events the change causes, in its transaction: none lost at a crash.
            enqueued = crate::webhooks::outbox::enqueue_for_change(db, change, now_ms())?;
            Ok(())
        })?;
        if enqueued > 0 {
            crate::webhooks::wake();
        }
        Ok(())
    }

    fn webhooks(&self) -> &dyn crate::webhooks::WebhookStore {
        self
    }

    fn transfer(&self, key: TransferKey) -> Result<Option<TransferRecord>, StoreError> {
        let mut found = None;
        self.read(&mut |db| {
            found = queries::transfer(db, key)?;
            Ok(())
        })?;
        Ok(found)
    }

    fn transfers(
        &self,
        filter: &TransferFilter,
        page: Page,
    ) -> Result<Vec<TransferRow>, StoreError> {
        let mut rows = Vec::new();
        self.read(&mut |db| {
            rows = queries::transfers(db, filter, page)?;
            Ok(())
        })?;
        Ok(rows)
    }

    fn router_moves(&self, router: Option<Address>) -> Result<Vec<RouterMove>, StoreError> {
        let mut moves = Vec::new();
        self.read(&mut |db| {
            moves = aggregates::router_moves(db, router)?;
            Ok(())
        })?;
        Ok(moves)
    }

    fn stats(&self, recent: usize) -> Result<StatsRows, StoreError> {
        let mut rows = StatsRows::default();
        self.read(&mut |db| {
            rows = aggregates::stats(db, recent)?;
            Ok(())
        })?;
        Ok(rows)
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.read(&mut |db| db.query("SELECT 1", &[]).map(drop))
    }
}
