//! The processor's tables and every query it makes.
//!
//! - `processor_leaves`: every leaf of every origin's tree (all destinations: the tree interleaves
//!   them), from which the in-memory [`MerkleTree`](nxtp_primitives::MerkleTree) is rebuilt at
//!   start;
//! - `processor_checkpoints`: the roots each origin's Home produced, with their leaf counts;
//! - `processor_roots`: the roots each destination's Replica accepted, and when each becomes
//!   acceptable;
//! - `processor_messages`: the messages to served destinations and where each delivery stands;
//! - `processor_ops`: the transactions the processor decided to send (see
//!   [`crate::operation`]), each recorded *before* it is handed to the submitter.

use crate::operation::{DeliveryStatus, OpId, OpKind, OpRecord, OpState};
use alloy::primitives::{Address, Bytes, B256};
use nxtp_agent::storage::Schema;
use nxtp_chain::OperationId;
use nxtp_primitives::Domain;
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use std::collections::BTreeSet;

/// The processor's tables; opened beside [`nxtp_chain::SCHEMAS`].
pub const SCHEMA: Schema = Schema {
    name: "nxtp_processor",
    migrations: &["CREATE TABLE processor_leaves (
            origin INTEGER NOT NULL,
            leaf_index INTEGER NOT NULL,
            leaf BLOB NOT NULL,
            destination INTEGER NOT NULL,
            block INTEGER NOT NULL,
            PRIMARY KEY (origin, leaf_index)
        ) STRICT;
        CREATE TABLE processor_checkpoints (
            origin INTEGER NOT NULL,
            root BLOB NOT NULL,
            leaf_count INTEGER NOT NULL,
            block INTEGER NOT NULL,
            PRIMARY KEY (origin, root)
        ) STRICT;
        CREATE TABLE processor_roots (
            destination INTEGER NOT NULL,
            origin INTEGER NOT NULL,
            root BLOB NOT NULL,
            confirm_at INTEGER NOT NULL,
            PRIMARY KEY (destination, origin, root)
        ) STRICT;
        CREATE TABLE processor_ops (
            id INTEGER PRIMARY KEY,
            destination INTEGER NOT NULL,
            origin INTEGER NOT NULL,
            kind TEXT NOT NULL,
            root BLOB,
            leaf_count INTEGER,
            replica BLOB NOT NULL,
            input BLOB NOT NULL,
            state TEXT NOT NULL,
            submitter_op INTEGER,
            block INTEGER,
            failure TEXT,
            created_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX processor_ops_open ON processor_ops (destination, state);
        CREATE TABLE processor_messages (
            origin INTEGER NOT NULL,
            leaf_index INTEGER NOT NULL,
            destination INTEGER NOT NULL,
            leaf BLOB NOT NULL,
            message BLOB NOT NULL,
            status TEXT NOT NULL,
            op INTEGER REFERENCES processor_ops (id),
            failures INTEGER NOT NULL DEFAULT 0,
            retry_at_ms INTEGER,
            event_block INTEGER,
            event_log INTEGER,
            PRIMARY KEY (origin, leaf_index)
        ) STRICT;
        CREATE INDEX processor_messages_due
            ON processor_messages (destination, origin, status, leaf_index);
        CREATE INDEX processor_messages_op ON processor_messages (op);"],
};

/// One `Dispatch` of an origin's Home.
#[derive(Clone, Debug)]
pub(crate) struct NewLeaf {
    pub(crate) index: u32,
    pub(crate) leaf: B256,
    pub(crate) destination: Domain,
    pub(crate) message: Bytes,
    pub(crate) block: u64,
}

/// One `Checkpointed` of an origin's Home.
#[derive(Clone, Debug)]
pub(crate) struct NewCheckpoint {
    pub(crate) root: B256,
    pub(crate) count: u32,
    pub(crate) block: u64,
}

/// Where an event sits in its chain, to apply each outcome event once even if re-delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct EventPosition {
    pub(crate) block: u64,
    pub(crate) log_index: u64,
}

/// A message ready to go into an operation.
#[derive(Clone, Debug)]
pub(crate) struct Due {
    pub(crate) index: u32,
    pub(crate) message: Bytes,
}

/// An operation about to be recorded.
#[derive(Clone, Debug)]
pub(crate) struct NewOp {
    pub(crate) destination: Domain,
    pub(crate) origin: Domain,
    pub(crate) kind: OpKind,
    pub(crate) replica: Address,
    pub(crate) input: Bytes,
    pub(crate) indices: Vec<u32>,
    pub(crate) now_ms: u64,
}

/// The leaves of `origin`'s tree, in order. Fails on a gap, which a correct indexer never
/// leaves.
pub(crate) fn leaves(conn: &Connection, origin: Domain) -> rusqlite::Result<Vec<(u32, B256)>> {
    let mut statement = conn.prepare_cached(
        "SELECT leaf_index, leaf FROM processor_leaves WHERE origin = ?1 ORDER BY leaf_index",
    )?;
    let rows = statement.query_map([origin.get()], |row| {
        Ok((row.get(0)?, B256::from(row.get::<_, [u8; 32]>(1)?)))
    })?;
    rows.collect()
}

/// Forgets what `origin` recorded from block `from` on: a deep reorg replaced those blocks.
/// Deliveries that were never started are dropped with their leaves; the others are kept, since
/// the destination may already have acted on them.
pub(crate) fn forget_from(tx: &Transaction<'_>, origin: Domain, from: u64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "DELETE FROM processor_messages WHERE origin = ?1 AND status = 'pending' AND leaf_index IN
            (SELECT leaf_index FROM processor_leaves WHERE origin = ?1 AND block >= ?2)",
    )?
    .execute(params![origin.get(), from])?;
    tx.prepare_cached("DELETE FROM processor_leaves WHERE origin = ?1 AND block >= ?2")?
        .execute(params![origin.get(), from])?;
    tx.prepare_cached("DELETE FROM processor_checkpoints WHERE origin = ?1 AND block >= ?2")?
        .execute(params![origin.get(), from])?;
    Ok(())
}

/// Records an origin's new leaves (and the messages among them for `served` destinations) and
/// checkpoints.
pub(crate) fn record_home_events(
    tx: &Transaction<'_>,
    origin: Domain,
    leaves: &[NewLeaf],
    checkpoints: &[NewCheckpoint],
    served: &BTreeSet<Domain>,
) -> rusqlite::Result<()> {
    let mut insert_leaf = tx.prepare_cached(
        "INSERT INTO processor_leaves (origin, leaf_index, leaf, destination, block)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut insert_message = tx.prepare_cached(
        "INSERT INTO processor_messages (origin, leaf_index, destination, leaf, message, status)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending')
         ON CONFLICT (origin, leaf_index) DO NOTHING",
    )?;
    for leaf in leaves {
        insert_leaf.execute(params![
            origin.get(),
            leaf.index,
            leaf.leaf.as_slice(),
            leaf.destination.get(),
            leaf.block
        ])?;
        if served.contains(&leaf.destination) {
            insert_message.execute(params![
                origin.get(),
                leaf.index,
                leaf.destination.get(),
                leaf.leaf.as_slice(),
                leaf.message.as_ref()
            ])?;
        }
    }
    let mut insert_checkpoint = tx.prepare_cached(
        "INSERT INTO processor_checkpoints (origin, root, leaf_count, block)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (origin, root) DO UPDATE SET leaf_count = excluded.leaf_count,
             block = excluded.block",
    )?;
    for checkpoint in checkpoints {
        insert_checkpoint.execute(params![
            origin.get(),
            checkpoint.root.as_slice(),
            checkpoint.count,
            checkpoint.block
        ])?;
    }
    Ok(())
}

/// Records that `root` is accepted on `destination`'s Replica of `origin` and becomes acceptable
/// at `confirm_at` (unix seconds).
pub(crate) fn record_root(
    conn: &Connection,
    destination: Domain,
    origin: Domain,
    root: B256,
    confirm_at: u64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO processor_roots (destination, origin, root, confirm_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (destination, origin, root) DO UPDATE SET confirm_at = excluded.confirm_at",
    )?
    .execute(params![
        destination.get(),
        origin.get(),
        root.as_slice(),
        confirm_at
    ])?;
    Ok(())
}

/// Applies a `Processed` event; returns whether a known, undelivered message became delivered.
pub(crate) fn record_processed(
    conn: &Connection,
    origin: Domain,
    index: u32,
    leaf: B256,
    at: EventPosition,
) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE processor_messages
         SET status = 'processed', op = NULL, retry_at_ms = NULL,
             event_block = ?4, event_log = ?5
         WHERE origin = ?1 AND leaf_index = ?2 AND leaf = ?3 AND status != 'processed'",
        )?
        .execute(params![
            origin.get(),
            index,
            leaf.as_slice(),
            at.block,
            at.log_index
        ])?;
    Ok(changed > 0)
}

/// Applies a `ProcessFailed` event: the message stays proven on the Replica and is retried
/// with `process` after `delay_ms(failures)`. Returns the failure count, or `None` when the
/// event was already applied or names no known undelivered message.
pub(crate) fn record_failed(
    conn: &Connection,
    origin: Domain,
    index: u32,
    leaf: B256,
    at: EventPosition,
    now_ms: u64,
    delay_ms: impl Fn(u32) -> u64,
) -> rusqlite::Result<Option<u32>> {
    let found: Option<(u32, Option<u64>, Option<u64>)> = conn
        .prepare_cached(
            "SELECT failures, event_block, event_log FROM processor_messages
             WHERE origin = ?1 AND leaf_index = ?2 AND leaf = ?3 AND status != 'processed'",
        )?
        .query_row(params![origin.get(), index, leaf.as_slice()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .optional()?;
    let Some((failures, block, log_index)) = found else {
        return Ok(None);
    };
    if let (Some(block), Some(log_index)) = (block, log_index) {
        if (EventPosition { block, log_index }) >= at {
            return Ok(None);
        }
    }
    let failures = failures.saturating_add(1);
    conn.prepare_cached(
        "UPDATE processor_messages
         SET status = 'failed', op = NULL, failures = ?3, retry_at_ms = ?4,
             event_block = ?5, event_log = ?6
         WHERE origin = ?1 AND leaf_index = ?2",
    )?
    .execute(params![
        origin.get(),
        index,
        failures,
        now_ms.saturating_add(delay_ms(failures)),
        at.block,
        at.log_index
    ])?;
    Ok(Some(failures))
}

/// The root with the most leaves that `destination`'s Replica of `origin` accepted, whose
/// window is over at `now` (the destination's latest block timestamp), and that the origin's
/// Home is known to have produced.
pub(crate) fn best_acceptable_root(
    conn: &Connection,
    destination: Domain,
    origin: Domain,
    now: u64,
) -> rusqlite::Result<Option<(B256, u32)>> {
    conn.prepare_cached(
        "SELECT r.root, c.leaf_count FROM processor_roots r
         JOIN processor_checkpoints c ON c.origin = r.origin AND c.root = r.root
         WHERE r.destination = ?1 AND r.origin = ?2 AND r.confirm_at <= ?3
         ORDER BY c.leaf_count DESC LIMIT 1",
    )?
    .query_row(params![destination.get(), origin.get(), now], |row| {
        Ok((B256::from(row.get::<_, [u8; 32]>(0)?), row.get(1)?))
    })
    .optional()
}

/// When the next accepted root of `origin` on `destination` becomes acceptable, if one is
/// still inside its window at `now`.
pub(crate) fn next_confirm_at(
    conn: &Connection,
    destination: Domain,
    origin: Domain,
    now: u64,
) -> rusqlite::Result<Option<u64>> {
    conn.prepare_cached(
        "SELECT MIN(confirm_at) FROM processor_roots
         WHERE destination = ?1 AND origin = ?2 AND confirm_at > ?3",
    )?
    .query_row(params![destination.get(), origin.get(), now], |row| {
        row.get(0)
    })
}

/// Undelivered messages from `origin` to `destination` that no operation carries, whose leaf
/// index is below `below`, and whose backoff (if any) is over: in leaf order, at most `limit`.
pub(crate) fn due_pending(
    conn: &Connection,
    destination: Domain,
    origin: Domain,
    below: u32,
    now_ms: u64,
    limit: usize,
) -> rusqlite::Result<Vec<Due>> {
    let mut statement = conn.prepare_cached(
        "SELECT leaf_index, message FROM processor_messages
         WHERE destination = ?1 AND origin = ?2 AND status = 'pending' AND leaf_index < ?3
           AND (retry_at_ms IS NULL OR retry_at_ms <= ?4)
         ORDER BY leaf_index LIMIT ?5",
    )?;
    let rows = statement.query_map(
        params![destination.get(), origin.get(), below, now_ms, limit],
        due_from_row,
    )?;
    rows.collect()
}

/// Messages whose delivery failed (proven on the Replica, `handle` reverted) and whose backoff
/// is over, in leaf order, at most `limit`.
pub(crate) fn due_retries(
    conn: &Connection,
    destination: Domain,
    origin: Domain,
    now_ms: u64,
    limit: usize,
) -> rusqlite::Result<Vec<Due>> {
    let mut statement = conn.prepare_cached(
        "SELECT leaf_index, message FROM processor_messages
         WHERE destination = ?1 AND origin = ?2 AND status = 'failed'
           AND (retry_at_ms IS NULL OR retry_at_ms <= ?3)
         ORDER BY leaf_index LIMIT ?4",
    )?;
    let rows = statement.query_map(
        params![destination.get(), origin.get(), now_ms, limit],
        due_from_row,
    )?;
    rows.collect()
}

fn due_from_row(row: &Row<'_>) -> rusqlite::Result<Due> {
    Ok(Due {
        index: row.get(0)?,
        message: Bytes::from(row.get::<_, Vec<u8>>(1)?),
    })
}

/// Records an operation as prepared and marks its messages in flight, in one transaction.
/// Returns `None`, recording nothing, if one of the messages is no longer due (another step
/// took it meanwhile).
pub(crate) fn prepare_op(conn: &mut Connection, op: &NewOp) -> rusqlite::Result<Option<OpId>> {
    let tx = conn.transaction()?;
    let (kind, root, leaf_count, from_status) = match op.kind {
        OpKind::Batch { root, leaf_count } => {
            ("batch", Some(root.to_vec()), Some(leaf_count), "pending")
        }
        OpKind::Retry => ("retry", None, None, "failed"),
    };
    tx.prepare_cached(
        "INSERT INTO processor_ops
         (destination, origin, kind, root, leaf_count, replica, input, state, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'prepared', ?8)",
    )?
    .execute(params![
        op.destination.get(),
        op.origin.get(),
        kind,
        root,
        leaf_count,
        op.replica.as_slice(),
        op.input.as_ref(),
        op.now_ms
    ])?;
    let id = OpId(tx.last_insert_rowid());
    let mut mark = tx.prepare_cached(
        "UPDATE processor_messages SET status = 'in_flight', op = ?3
         WHERE origin = ?1 AND leaf_index = ?2 AND status = ?4",
    )?;
    for &index in &op.indices {
        if mark.execute(params![op.origin.get(), index, id.0, from_status])? != 1 {
            return Ok(None);
        }
    }
    drop(mark);
    tx.commit()?;
    Ok(Some(id))
}

/// The operations of `destination` that are not settled yet, oldest first.
pub(crate) fn open_ops(conn: &Connection, destination: Domain) -> rusqlite::Result<Vec<OpRecord>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, origin, kind, root, leaf_count, replica, input, state, submitter_op, block
         FROM processor_ops WHERE destination = ?1 AND state != 'settled' ORDER BY id",
    )?;
    let rows = statement.query_map([destination.get()], |row| {
        let root: Option<[u8; 32]> = row.get(3)?;
        let leaf_count: Option<u32> = row.get(4)?;
        let kind = match (row.get::<_, String>(2)?.as_str(), root, leaf_count) {
            ("batch", Some(root), Some(leaf_count)) => OpKind::Batch {
                root: B256::from(root),
                leaf_count,
            },
            ("retry", None, None) => OpKind::Retry,
            _ => return Err(invalid(2)),
        };
        let operation: Option<i64> = row.get(8)?;
        let block: Option<u64> = row.get(9)?;
        let state = match (row.get::<_, String>(7)?.as_str(), operation, block) {
            ("prepared", None, None) => OpState::Prepared,
            ("submitted", Some(operation), None) => OpState::Submitted {
                operation: OperationId(operation),
            },
            ("confirmed", Some(operation), Some(block)) => OpState::Confirmed {
                operation: OperationId(operation),
                block,
            },
            _ => return Err(invalid(7)),
        };
        Ok(OpRecord {
            id: OpId(row.get(0)?),
            origin: Domain(row.get(1)?),
            kind,
            replica: Address::from(row.get::<_, [u8; 20]>(5)?),
            input: Bytes::from(row.get::<_, Vec<u8>>(6)?),
            state,
        })
    })?;
    rows.collect()
}

fn invalid(column: usize) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        "inconsistent processor_ops row".into(),
    )
}

/// Moves operation `id` to `state`; a settled operation records why it ended.
pub(crate) fn set_op_state(
    conn: &Connection,
    id: OpId,
    state: &OpState,
    failure: Option<&str>,
) -> rusqlite::Result<()> {
    let (name, operation, block) = match *state {
        OpState::Prepared => ("prepared", None, None),
        OpState::Submitted { operation } => ("submitted", Some(operation.0), None),
        OpState::Confirmed { operation, block } => ("confirmed", Some(operation.0), Some(block)),
        OpState::Settled => ("settled", None, None),
    };
    conn.prepare_cached(
        "UPDATE processor_ops SET state = ?2, submitter_op = COALESCE(?3, submitter_op),
             block = COALESCE(?4, block), failure = COALESCE(?5, failure)
         WHERE id = ?1",
    )?
    .execute(params![id.0, name, operation, block, failure])?;
    Ok(())
}

/// The messages operation `id` still carries: `(leaf index, leaf)`.
pub(crate) fn in_flight(conn: &Connection, id: OpId) -> rusqlite::Result<Vec<(u32, B256)>> {
    let mut statement = conn.prepare_cached(
        "SELECT leaf_index, leaf FROM processor_messages
         WHERE op = ?1 AND status = 'in_flight' ORDER BY leaf_index",
    )?;
    let rows = statement.query_map([id.0], |row| {
        Ok((row.get(0)?, B256::from(row.get::<_, [u8; 32]>(1)?)))
    })?;
    rows.collect()
}

/// Recovers a message that operation `op` carried (the operation failed or left the chain): puts
/// it where the Replica says it is: delivered, proven
/// and waiting for a retry, or back to pending (both after `delay_ms(failures)`). Changes
/// nothing if an event moved the message meanwhile.
pub(crate) fn recover_message(
    conn: &Connection,
    op: OpId,
    origin: Domain,
    index: u32,
    status: DeliveryStatus,
    now_ms: u64,
    delay_ms: impl Fn(u32) -> u64,
) -> rusqlite::Result<()> {
    if status == DeliveryStatus::Processed {
        conn.prepare_cached(
            "UPDATE processor_messages SET status = 'processed', op = NULL, retry_at_ms = NULL
             WHERE origin = ?1 AND leaf_index = ?2 AND op = ?3 AND status = 'in_flight'",
        )?
        .execute(params![origin.get(), index, op.0])?;
        return Ok(());
    }
    let failures: Option<u32> = conn
        .prepare_cached(
            "SELECT failures FROM processor_messages
             WHERE origin = ?1 AND leaf_index = ?2 AND op = ?3 AND status = 'in_flight'",
        )?
        .query_row(params![origin.get(), index, op.0], |row| row.get(0))
        .optional()?;
    let Some(failures) = failures else {
        return Ok(());
    };
    let failures = failures.saturating_add(1);
    conn.prepare_cached(
        "UPDATE processor_messages SET status = ?3, op = NULL, failures = ?4, retry_at_ms = ?5
         WHERE origin = ?1 AND leaf_index = ?2",
    )?
    .execute(params![
        origin.get(),
        index,
        status.as_str(),
        failures,
        now_ms.saturating_add(delay_ms(failures))
    ])?;
    Ok(())
}

/// How many messages to `destination` are in each undelivered status.
pub(crate) fn backlog(
    conn: &Connection,
    destination: Domain,
) -> rusqlite::Result<Vec<(DeliveryStatus, i64)>> {
    let mut statement = conn.prepare_cached(
        "SELECT status, COUNT(*) FROM processor_messages
         WHERE destination = ?1 AND status != 'processed' GROUP BY status",
    )?;
    let rows = statement.query_map([destination.get()], |row| {
        let status: String = row.get(0)?;
        let status = DeliveryStatus::parse(&status).ok_or_else(|| invalid(0))?;
        Ok((status, row.get(1)?))
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::Store;

    const ORIGIN: Domain = Domain(1000);
    const DESTINATION: Domain = Domain(2000);

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("p.sqlite"), &[SCHEMA]).expect("opens");
        (dir, store)
    }

    /// Three messages to the destination and one elsewhere, leaves 0..4.
    fn seed(store: &Store) {
        let leaves: Vec<NewLeaf> = (0u8..4)
            .map(|i| NewLeaf {
                index: u32::from(i),
                leaf: B256::repeat_byte(i + 1),
                destination: if i == 2 { Domain(3000) } else { DESTINATION },
                message: Bytes::from(vec![i; 4]),
                block: 10,
            })
            .collect();
        let checkpoint = NewCheckpoint {
            root: B256::repeat_byte(0xaa),
            count: 4,
            block: 10,
        };
        store
            .with(|conn| {
                let tx = conn.transaction()?;
                let served = BTreeSet::from([DESTINATION]);
                record_home_events(&tx, ORIGIN, &leaves, &[checkpoint], &served)?;
                tx.commit()
            })
            .expect("records");
    }

    fn batch(indices: Vec<u32>) -> NewOp {
        NewOp {
            destination: DESTINATION,
            origin: ORIGIN,
            kind: OpKind::Batch {
                root: B256::repeat_byte(0xaa),
                leaf_count: 4,
            },
            replica: Address::repeat_byte(9),
            input: Bytes::from_static(b"call"),
            indices,
            now_ms: 0,
        }
    }

    fn status(store: &Store, index: u32) -> String {
        store
            .with(|conn| {
                conn.query_row(
                    "SELECT status FROM processor_messages WHERE origin = 1000 AND leaf_index = ?1",
                    [index],
                    |row| row.get(0),
                )
            })
            .expect("reads")
    }

    #[test]
    fn only_served_messages_under_an_acceptable_root_are_due() {
        let (_dir, store) = store();
        seed(&store);
        store
            .with(|conn| record_root(conn, DESTINATION, ORIGIN, B256::repeat_byte(0xaa), 100))
            .expect("records root");
        let (early, late) = store
            .with(|conn| {
                Ok((
                    best_acceptable_root(conn, DESTINATION, ORIGIN, 99)?,
                    best_acceptable_root(conn, DESTINATION, ORIGIN, 100)?,
                ))
            })
            .expect("reads");
        assert_eq!(early, None, "inside the window");
        assert_eq!(late, Some((B256::repeat_byte(0xaa), 4)));
        let due = store
            .with(|conn| due_pending(conn, DESTINATION, ORIGIN, 4, 0, 10))
            .expect("reads");
        let indices: Vec<u32> = due.iter().map(|due| due.index).collect();
        assert_eq!(indices, [0, 1, 3], "leaf 2 goes to another destination");
    }

    #[test]
    fn a_message_is_never_in_two_live_ops() {
        let (_dir, store) = store();
        seed(&store);
        let first = store
            .with(|conn| prepare_op(conn, &batch(vec![0, 1])))
            .expect("prepares");
        assert!(first.is_some());
        let overlapping = store
            .with(|conn| prepare_op(conn, &batch(vec![1, 3])))
            .expect("refuses cleanly");
        assert_eq!(overlapping, None);
        // The refused op left nothing behind: leaf 3 is still pending, no second op exists.
        assert_eq!(status(&store, 3), "pending");
        let ops = store
            .with(|conn| open_ops(conn, DESTINATION))
            .expect("reads");
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].state, OpState::Prepared);
    }

    #[test]
    fn outcome_events_apply_once_and_delivery_is_final() {
        let (_dir, store) = store();
        seed(&store);
        let at = EventPosition {
            block: 20,
            log_index: 1,
        };
        let delay = |failures: u32| u64::from(failures) * 1_000;
        let leaf = B256::repeat_byte(1);
        let failed = store
            .with(|conn| record_failed(conn, ORIGIN, 0, leaf, at, 0, delay))
            .expect("applies");
        assert_eq!(failed, Some(1));
        let again = store
            .with(|conn| record_failed(conn, ORIGIN, 0, leaf, at, 0, delay))
            .expect("ignores");
        assert_eq!(again, None, "the same event is applied once");
        let retries = store
            .with(|conn| due_retries(conn, DESTINATION, ORIGIN, 999, 10))
            .expect("reads");
        assert!(retries.is_empty(), "backing off");
        let retries = store
            .with(|conn| due_retries(conn, DESTINATION, ORIGIN, 1_000, 10))
            .expect("reads");
        assert_eq!(retries.len(), 1);

        let later = EventPosition {
            block: 21,
            log_index: 0,
        };
        assert!(store
            .with(|conn| record_processed(conn, ORIGIN, 0, leaf, later))
            .expect("applies"));
        assert!(!store
            .with(|conn| record_processed(conn, ORIGIN, 0, leaf, later))
            .expect("ignores"));
        let latest = EventPosition {
            block: 22,
            log_index: 0,
        };
        assert_eq!(
            store
                .with(|conn| record_failed(conn, ORIGIN, 0, leaf, latest, 0, delay))
                .expect("ignores"),
            None,
            "a delivered message stays delivered"
        );
        assert_eq!(status(&store, 0), "processed");
        // An event naming a different leaf at that index is not ours.
        assert!(!store
            .with(|conn| record_processed(conn, ORIGIN, 1, B256::ZERO, latest))
            .expect("ignores"));
    }
}
