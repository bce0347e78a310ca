//! The relayer's durable state, beside the indexer's and the submitter's tables
//! ([`nxtp_chain::SCHEMAS`]).
//!
//! - `relayer_updates`: every `Update` of every origin's Home, read at the confirmation depth
//!   and recorded in the same transaction as the indexer's cursor, in chain order. A Home
//!   accepts one update per old root, so `(origin, old_root)` names it.
//! - `relayer_attempts`: how many times a relay was retried under a fresh submitter key after
//!   its transaction failed.

use alloy::primitives::{Bytes, B256};
use nxtp_agent::storage::Schema;
use nxtp_primitives::Domain;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// The relayer's tables; open the store with it and [`nxtp_chain::SCHEMAS`].
pub const SCHEMA: Schema = Schema {
    name: "nxtp_message_relayer",
    migrations: &["CREATE TABLE relayer_updates (
            origin INTEGER NOT NULL,
            old_root BLOB NOT NULL,
            new_root BLOB NOT NULL,
            signature BLOB NOT NULL,
            block INTEGER NOT NULL,
            log_index INTEGER NOT NULL,
            PRIMARY KEY (origin, old_root)
        ) STRICT;
        CREATE INDEX relayer_updates_in_order ON relayer_updates (origin, block, log_index);
        CREATE TABLE relayer_attempts (
            key TEXT PRIMARY KEY,
            attempt INTEGER NOT NULL
        ) STRICT;"],
};

/// One update a Home accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HomeUpdate {
    /// The Home's domain.
    pub origin: Domain,
    /// The root it moved from.
    pub old_root: B256,
    /// The root it moved to.
    pub new_root: B256,
    /// The updater's signature.
    pub signature: Bytes,
    /// The block it was accepted in.
    pub block: u64,
    /// Its log's index in that block.
    pub log_index: u64,
}

/// Records `update` (idempotent). A different update recorded over the same old root (only a
/// reorg can do that) is replaced, with a warning.
pub fn record_update(conn: &Connection, update: &HomeUpdate) -> rusqlite::Result<()> {
    if let Some(existing) = update_from(conn, update.origin, update.old_root)? {
        if existing.new_root != update.new_root {
            tracing::warn!(
                origin = %update.origin,
                old = %update.old_root,
                was = %existing.new_root,
                now = %update.new_root,
                "the Home's update from this root changed; replacing it"
            );
        }
    }
    conn.prepare_cached(
        "INSERT INTO relayer_updates (origin, old_root, new_root, signature, block, log_index)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (origin, old_root) DO UPDATE SET new_root = excluded.new_root,
             signature = excluded.signature, block = excluded.block,
             log_index = excluded.log_index",
    )?
    .execute(params![
        update.origin.get(),
        update.old_root.as_slice(),
        update.new_root.as_slice(),
        update.signature.as_ref(),
        update.block,
        update.log_index,
    ])?;
    Ok(())
}

/// Forgets `origin`'s updates from `block` on: a deep reorg replaced those blocks, and the
/// indexer delivers them again.
pub fn forget_updates_from(conn: &Connection, origin: Domain, block: u64) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM relayer_updates WHERE origin = ?1 AND block >= ?2")?
        .execute(params![origin.get(), block])?;
    Ok(())
}

/// The update `origin`'s Home accepted over `old_root`, if any.
pub fn update_from(
    conn: &Connection,
    origin: Domain,
    old_root: B256,
) -> rusqlite::Result<Option<HomeUpdate>> {
    conn.prepare_cached(
        "SELECT origin, old_root, new_root, signature, block, log_index FROM relayer_updates
         WHERE origin = ?1 AND old_root = ?2",
    )?
    .query_row(params![origin.get(), old_root.as_slice()], update_from_row)
    .optional()
}

/// How many of `origin`'s recorded updates come at or after the one over `old_root` (zero if
/// none is over it): what a Replica at `old_root` still lacks.
pub fn pending_from(conn: &Connection, origin: Domain, old_root: B256) -> rusqlite::Result<u64> {
    conn.prepare_cached(
        "SELECT COUNT(*) FROM relayer_updates AS later, relayer_updates AS start
         WHERE start.origin = ?1 AND start.old_root = ?2 AND later.origin = ?1
           AND (later.block, later.log_index) >= (start.block, start.log_index)",
    )?
    .query_row(params![origin.get(), old_root.as_slice()], |row| row.get(0))
}

/// Every update recorded for `origin`, in chain order.
pub fn updates(conn: &Connection, origin: Domain) -> rusqlite::Result<Vec<HomeUpdate>> {
    let mut statement = conn.prepare_cached(
        "SELECT origin, old_root, new_root, signature, block, log_index FROM relayer_updates
         WHERE origin = ?1 ORDER BY block, log_index",
    )?;
    let rows = statement.query_map(params![origin.get()], update_from_row)?;
    rows.collect()
}

/// How many earlier attempts of the operation `key` failed.
pub fn attempt(conn: &Connection, key: &str) -> rusqlite::Result<u32> {
    Ok(conn
        .prepare_cached("SELECT attempt FROM relayer_attempts WHERE key = ?1")?
        .query_row(params![key], |row| row.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Counts one more failed attempt of the operation `key`, if `failed` is still its current
/// attempt.
pub fn attempt_failed(conn: &Connection, key: &str, failed: u32) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO relayer_attempts (key, attempt) VALUES (?1, ?2 + 1)
         ON CONFLICT (key) DO UPDATE SET attempt = excluded.attempt
         WHERE relayer_attempts.attempt = ?2",
    )?
    .execute(params![key, failed])?;
    Ok(())
}

fn update_from_row(row: &Row<'_>) -> rusqlite::Result<HomeUpdate> {
    let old: [u8; 32] = row.get(1)?;
    let new: [u8; 32] = row.get(2)?;
    Ok(HomeUpdate {
        origin: Domain(row.get(0)?),
        old_root: B256::from(old),
        new_root: B256::from(new),
        signature: Bytes::from(row.get::<_, Vec<u8>>(3)?),
        block: row.get(4)?,
        log_index: row.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::Store;

    fn update(old: u8, new: u8, block: u64) -> HomeUpdate {
        HomeUpdate {
            origin: Domain(1000),
            old_root: B256::repeat_byte(old),
            new_root: B256::repeat_byte(new),
            signature: Bytes::from(vec![new; 65]),
            block,
            log_index: 0,
        }
    }

    #[test]
    fn updates_chain_by_old_root_and_reorgs_forget_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("r.sqlite"), &[SCHEMA]).expect("opens");
        let origin = Domain(1000);
        let result = store
            .with(|conn| {
                record_update(conn, &update(1, 2, 10))?;
                record_update(conn, &update(2, 3, 11))?;
                record_update(conn, &update(2, 3, 11))?;
                record_update(conn, &update(3, 4, 12))?;
                let next = update_from(conn, origin, B256::repeat_byte(2))?;
                let pending = (
                    pending_from(conn, origin, B256::repeat_byte(1))?,
                    pending_from(conn, origin, B256::repeat_byte(3))?,
                    pending_from(conn, origin, B256::repeat_byte(4))?,
                );
                forget_updates_from(conn, origin, 12)?;
                Ok((next, pending, updates(conn, origin)?))
            })
            .expect("works");
        assert_eq!(result.0, Some(update(2, 3, 11)));
        assert_eq!(result.1, (3, 1, 0));
        assert_eq!(result.2, [update(1, 2, 10), update(2, 3, 11)]);
    }
}
