//! The indexer's durable state: its cursor (in the runtime's `cursors` table) and the hashes of
//! recently delivered blocks, kept to notice when the chain replaces one of them.

use alloy::primitives::B256;
use nxtp_agent::storage::{Cursor, Schema};
use rusqlite::{params, Connection, OptionalExtension};

/// The indexer's tables; pass it to [`Store::open`](nxtp_agent::Store::open).
pub const SCHEMA: Schema = Schema {
    name: "nxtp_chain_indexer",
    migrations: &["CREATE TABLE indexer_blocks (
        chain INTEGER NOT NULL,
        stream TEXT NOT NULL,
        number INTEGER NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (chain, stream, number)
    ) STRICT;"],
};

/// How many recorded block hashes each stream keeps. A reorg that replaces all of them cannot
/// be located and stops the indexer ([`super::IndexerError::ReorgBeyondHistory`]).
pub const HASH_HISTORY: u64 = 128;

/// Recorded `(number, hash)` pairs of `cursor`'s stream, newest first.
pub(crate) fn recorded_hashes(
    conn: &Connection,
    cursor: &Cursor,
) -> rusqlite::Result<Vec<(u64, B256)>> {
    let mut statement = conn.prepare_cached(
        "SELECT number, hash FROM indexer_blocks WHERE chain = ?1 AND stream = ?2
         ORDER BY number DESC",
    )?;
    let rows = statement.query_map(params![cursor.chain.get(), cursor.stream], |row| {
        let hash: [u8; 32] = row.get(1)?;
        Ok((row.get(0)?, B256::from(hash)))
    })?;
    rows.collect()
}

/// The newest recorded `(number, hash)` pair, if any: the last block delivered to, and
/// committed by, the agent (every log up to it is handled).
pub fn newest_hash(conn: &Connection, cursor: &Cursor) -> rusqlite::Result<Option<(u64, B256)>> {
    conn.prepare_cached(
        "SELECT number, hash FROM indexer_blocks WHERE chain = ?1 AND stream = ?2
         ORDER BY number DESC LIMIT 1",
    )?
    .query_row(params![cursor.chain.get(), cursor.stream], |row| {
        let hash: [u8; 32] = row.get(1)?;
        Ok((row.get(0)?, B256::from(hash)))
    })
    .optional()
}

/// Records that blocks from `first` on were (re)delivered with `hashes`: forgets whatever was
/// recorded from `first` on (an abandoned branch, after a reorg), records `hashes`, and keeps
/// only the newest [`HASH_HISTORY`].
pub(crate) fn record_hashes(
    conn: &Connection,
    cursor: &Cursor,
    first: u64,
    hashes: &[(u64, B256)],
) -> rusqlite::Result<()> {
    let chain = cursor.chain.get();
    conn.prepare_cached(
        "DELETE FROM indexer_blocks WHERE chain = ?1 AND stream = ?2 AND number >= ?3",
    )?
    .execute(params![chain, cursor.stream, first])?;
    let mut insert = conn.prepare_cached(
        "INSERT OR REPLACE INTO indexer_blocks (chain, stream, number, hash)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (number, hash) in hashes {
        insert.execute(params![chain, cursor.stream, number, hash.as_slice()])?;
    }
    conn.prepare_cached(
        "DELETE FROM indexer_blocks WHERE chain = ?1 AND stream = ?2 AND number NOT IN (
            SELECT number FROM indexer_blocks WHERE chain = ?1 AND stream = ?2
            ORDER BY number DESC LIMIT ?3
        )",
    )?
    .execute(params![chain, cursor.stream, HASH_HISTORY])?;
    Ok(())
}
