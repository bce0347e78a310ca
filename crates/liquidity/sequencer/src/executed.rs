//! What the destinations say about each transfer's execute: every confirmed `Executed` of a
//! served `Connext`, fast (routers fronted it) or slow. The chain is the final word on a
//! transfer: an execute a relayer reported failed (its duplicate reverted, or it lost track)
//! while another relayer's went through, or a transfer the slow path completed after the fast
//! execute failed, reads executed, not `execute_failed`.

use crate::store::{self, Decision};
use alloy::{primitives::B256, rpc::types::Log, sol_types::SolEvent};
use nxtp_agent::storage::Schema;
use nxtp_bindings::Connext;
use nxtp_primitives::Domain;
use rusqlite::{params, Connection, OptionalExtension};

/// The table of executes seen on chain; opened beside the sequencer's [`crate::store::SCHEMA`].
pub const SCHEMA: Schema = Schema {
    name: "nxtp_sequencer_executed",
    migrations: &["CREATE TABLE sequencer_executed (
            transfer_id BLOB PRIMARY KEY,
            destination INTEGER NOT NULL,
            block INTEGER NOT NULL,
            tx_hash BLOB NOT NULL,
            fast INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX sequencer_executed_block ON sequencer_executed (destination, block);"],
};

/// A confirmed `Executed` on a destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutedOnChain {
    /// The transfer.
    pub transfer_id: B256,
    /// The block holding the event.
    pub block: u64,
    /// The transaction that executed it.
    pub tx_hash: B256,
    /// Whether routers fronted it (the fast path) rather than the slow path.
    pub fast: bool,
}

impl ExecutedOnChain {
    /// The execute a `Connext::Executed` log records; `None` for another log or a pending one.
    pub fn from_log(log: &Log) -> Option<Self> {
        let event = Connext::Executed::decode_log(&log.inner).ok()?;
        Some(Self {
            transfer_id: event.transferId,
            block: log.block_number?,
            tx_hash: log.transaction_hash?,
            fast: !event.routers.is_empty(),
        })
    }
}

/// Records the executes seen on `destination`. After a deep reorg (`reorg_from`), what was
/// recorded from that block on is forgotten first: the chain is read again from there.
pub fn record(
    conn: &Connection,
    destination: Domain,
    executed: &[ExecutedOnChain],
    reorg_from: Option<u64>,
) -> rusqlite::Result<()> {
    if let Some(from) = reorg_from {
        conn.prepare_cached(
            "DELETE FROM sequencer_executed WHERE destination = ?1 AND block >= ?2",
        )?
        .execute(params![destination.get(), from])?;
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO sequencer_executed (transfer_id, destination, block, tx_hash, fast)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (transfer_id) DO UPDATE SET
             destination = excluded.destination, block = excluded.block,
             tx_hash = excluded.tx_hash, fast = excluded.fast",
    )?;
    for execute in executed {
        insert.execute(params![
            execute.transfer_id.as_slice(),
            destination.get(),
            execute.block,
            execute.tx_hash.as_slice(),
            execute.fast
        ])?;
    }
    Ok(())
}

/// The execute of `transfer_id` seen on its destination, if any.
pub fn find(conn: &Connection, transfer_id: B256) -> rusqlite::Result<Option<ExecutedOnChain>> {
    conn.prepare_cached(
        "SELECT block, tx_hash, fast FROM sequencer_executed WHERE transfer_id = ?1",
    )?
    .query_row([transfer_id.as_slice()], |row| {
        Ok(ExecutedOnChain {
            transfer_id,
            block: row.get(0)?,
            tx_hash: B256::from(row.get::<_, [u8; 32]>(1)?),
            fast: row.get(2)?,
        })
    })
    .optional()
}

/// The decisions whose execute is not final yet ([`store::in_flight`]), each with the execute its
/// destination showed, if any, read in one query: the dispatch asks at every round.
pub fn in_flight(conn: &Connection) -> rusqlite::Result<Vec<(Decision, Option<ExecutedOnChain>)>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT d.*, e.block, e.tx_hash, e.fast
         FROM ({}) AS d LEFT JOIN sequencer_executed AS e ON e.transfer_id = d.transfer_id
         ORDER BY d.decided_ms",
        store::IN_FLIGHT
    ))?;
    let rows = statement.query_map([], |row| {
        let decision = store::read_decision(row)?;
        let executed = match row.get::<_, Option<u64>>(store::DECISION_COLUMN_COUNT)? {
            None => None,
            Some(block) => Some(ExecutedOnChain {
                transfer_id: decision.transfer_id,
                block,
                tx_hash: B256::from(row.get::<_, [u8; 32]>(store::DECISION_COLUMN_COUNT + 1)?),
                fast: row.get(store::DECISION_COLUMN_COUNT + 2)?,
            }),
        };
        Ok((decision, executed))
    })?;
    rows.collect()
}

/// The executes recorded after row `after` (SQLite's rowid, 0 for all), with their rows, in
/// order: how a consensus node learns which executes ended without reading them all again.
pub fn recorded_since(
    conn: &Connection,
    after: i64,
) -> rusqlite::Result<Vec<(i64, ExecutedOnChain)>> {
    let mut statement = conn.prepare_cached(
        "SELECT rowid, transfer_id, block, tx_hash, fast FROM sequencer_executed
         WHERE rowid > ?1 ORDER BY rowid",
    )?;
    let rows = statement.query_map([after], |row| {
        let execute = ExecutedOnChain {
            transfer_id: B256::from(row.get::<_, [u8; 32]>(1)?),
            block: row.get(2)?,
            tx_hash: B256::from(row.get::<_, [u8; 32]>(3)?),
            fast: row.get(4)?,
        };
        Ok((row.get(0)?, execute))
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, U256};
    use nxtp_agent::Store;

    fn executed_log(routers: Vec<Address>, block: u64) -> Log {
        let event = Connext::Executed {
            transferId: B256::repeat_byte(1),
            to: Address::repeat_byte(2),
            local: Address::repeat_byte(3),
            routers,
            amount: U256::from(5),
            caller: Address::repeat_byte(4),
        };
        Log {
            inner: alloy::primitives::Log {
                address: Address::repeat_byte(9),
                data: event.encode_log_data(),
            },
            block_number: Some(block),
            transaction_hash: Some(B256::repeat_byte(block as u8)),
            ..Log::default()
        }
    }

    #[test]
    fn executes_are_kept_fast_or_slow_and_forgotten_past_a_reorg() {
        let fast = ExecutedOnChain::from_log(&executed_log(vec![Address::repeat_byte(7)], 10))
            .expect("an Executed");
        assert!(fast.fast);
        let slow = ExecutedOnChain::from_log(&executed_log(Vec::new(), 12)).expect("slow");
        assert!(!slow.fast);
        let mut pending = executed_log(Vec::new(), 1);
        pending.block_number = None;
        assert_eq!(ExecutedOnChain::from_log(&pending), None);

        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("s.sqlite"), &[SCHEMA]).expect("opens");
        store
            .with(|conn| {
                record(conn, Domain(2000), std::slice::from_ref(&fast), None)?;
                assert_eq!(find(conn, fast.transfer_id)?, Some(fast.clone()));
                // Re-delivered after a reorg from block 11: the execute at 10 stays.
                record(conn, Domain(2000), &[], Some(11))?;
                assert_eq!(find(conn, fast.transfer_id)?, Some(fast.clone()));
                // A later execute of the same transfer replaces it, and a reorg forgets it.
                record(conn, Domain(2000), std::slice::from_ref(&slow), None)?;
                assert_eq!(find(conn, slow.transfer_id)?, Some(slow.clone()));
                record(conn, Domain(2000), &[], Some(12))?;
                assert_eq!(find(conn, B256::repeat_byte(1))?, None);
                Ok(())
            })
            .expect("store");
    }
}
