//! The updater's durable state, in the agent's SQLite store beside the indexer's and the
//! submitter's tables ([`nxtp_chain::SCHEMAS`]).
//!
//! - `updater_signed`: every update this updater signed or adopted, at most one per old root
//!   (the primary key). A row is committed before its signature leaves the process, so a
//!   restart can only ever re-send the same signature.
//! - `updater_checkpoints`: the Home's `Checkpointed` roots, as delivered by the indexer at the
//!   confirmation depth: only these may be signed.
//! - `updater_seen`: updates carrying this updater's signature that were seen on any chain
//!   (the Home or a Replica), final or not, kept for good: a signature once published can
//!   prove a double update even if its block is later reorged out.
//! - `updater_attempts`: how many times an operation was retried with a fresh submitter key
//!   after it failed.
//!
//! Every table is keyed by the origin domain, so a database mistakenly shared by two
//! updaters cannot mix their roots (every Home starts from the same empty root).

use alloy::primitives::{Bytes, B256};
use nxtp_agent::{clock::now_ms, storage::Schema};
use nxtp_primitives::Domain;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// The updater's tables; open the store with it and [`nxtp_chain::SCHEMAS`].
pub const SCHEMA: Schema = Schema {
    name: "nxtp_updater",
    migrations: &["CREATE TABLE updater_signed (
            domain INTEGER NOT NULL,
            old_root BLOB NOT NULL,
            new_root BLOB NOT NULL,
            new_count INTEGER NOT NULL,
            signature BLOB NOT NULL,
            source TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            PRIMARY KEY (domain, old_root)
        ) STRICT;
        CREATE TABLE updater_checkpoints (
            domain INTEGER NOT NULL,
            root BLOB NOT NULL,
            count INTEGER NOT NULL,
            block INTEGER NOT NULL,
            PRIMARY KEY (domain, root)
        ) STRICT;
        CREATE INDEX updater_checkpoints_by_count ON updater_checkpoints (domain, count);
        CREATE TABLE updater_seen (
            domain INTEGER NOT NULL,
            chain INTEGER NOT NULL,
            old_root BLOB NOT NULL,
            new_root BLOB NOT NULL,
            signature BLOB NOT NULL,
            block INTEGER NOT NULL,
            PRIMARY KEY (domain, chain, old_root, new_root)
        ) STRICT;
        CREATE TABLE updater_attempts (
            key TEXT PRIMARY KEY,
            attempt INTEGER NOT NULL
        ) STRICT;"],
};

/// Where an update's signature came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// This database signed it.
    Signed,
    /// Found on a chain (made by an earlier run whose database is gone) and reused.
    Adopted,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Self::Signed => "signed",
            Self::Adopted => "adopted",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "signed" => Some(Self::Signed),
            "adopted" => Some(Self::Adopted),
            _ => None,
        }
    }
}

/// An update the updater stands behind: the one new root it will ever sign over `old_root`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedUpdate {
    /// The root the update moves from.
    pub old_root: B256,
    /// The root it moves to.
    pub new_root: B256,
    /// How many messages `new_root` covers.
    pub new_count: u32,
    /// The updater's EIP-712 signature of `Update(domain, old_root, new_root)` for the Home.
    pub signature: Bytes,
    /// Where the signature came from.
    pub source: Source,
}

/// An update carrying this updater's signature, seen on some chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenUpdate {
    /// The chain it was seen on (the Home's domain or a Replica's).
    pub chain: Domain,
    /// The root it moves from.
    pub old_root: B256,
    /// The root it moves to.
    pub new_root: B256,
    /// The signature.
    pub signature: Bytes,
    /// The block it was seen in.
    pub block: u64,
}

/// What recording a signed update found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The update is now the one for its old root.
    New,
    /// An update over the same old root was already recorded; it stands, and the new one must
    /// be discarded unseen.
    Existing(SignedUpdate),
}

/// The update recorded over `old_root`, if any.
pub fn signed_update(
    conn: &Connection,
    domain: Domain,
    old_root: B256,
) -> rusqlite::Result<Option<SignedUpdate>> {
    conn.prepare_cached(
        "SELECT old_root, new_root, new_count, signature, source FROM updater_signed
         WHERE domain = ?1 AND old_root = ?2",
    )?
    .query_row(params![domain.get(), old_root.as_slice()], signed_from_row)
    .optional()
}

/// Every update recorded for `domain`, by the count of its new root.
pub fn signed_updates(conn: &Connection, domain: Domain) -> rusqlite::Result<Vec<SignedUpdate>> {
    let mut statement = conn.prepare_cached(
        "SELECT old_root, new_root, new_count, signature, source FROM updater_signed
         WHERE domain = ?1 ORDER BY new_count",
    )?;
    let rows = statement.query_map(params![domain.get()], signed_from_row)?;
    rows.collect()
}

/// Records `update` as the one over its old root, unless one is already recorded (which then
/// stands). Durable once the call returns (the store syncs every commit).
pub fn record_signed(
    conn: &mut Connection,
    domain: Domain,
    update: &SignedUpdate,
) -> rusqlite::Result<Recorded> {
    let tx = conn.transaction()?;
    let inserted = tx
        .prepare_cached(
            "INSERT INTO updater_signed
         (domain, old_root, new_root, new_count, signature, source, created_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (domain, old_root) DO NOTHING",
        )?
        .execute(params![
            domain.get(),
            update.old_root.as_slice(),
            update.new_root.as_slice(),
            update.new_count,
            update.signature.as_ref(),
            update.source.as_str(),
            now_ms(),
        ])?;
    let recorded = if inserted == 1 {
        Recorded::New
    } else {
        match signed_update(&tx, domain, update.old_root)? {
            Some(existing) => Recorded::Existing(existing),
            // The conflict was on the primary key, so the row exists.
            None => return Err(rusqlite::Error::QueryReturnedNoRows),
        }
    };
    tx.commit()?;
    Ok(recorded)
}

/// Records a final `Checkpointed` event.
pub fn record_checkpoint(
    conn: &Connection,
    domain: Domain,
    root: B256,
    count: u32,
    block: u64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO updater_checkpoints (domain, root, count, block) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (domain, root) DO UPDATE SET count = excluded.count, block = excluded.block",
    )?
    .execute(params![domain.get(), root.as_slice(), count, block])?;
    Ok(())
}

/// Forgets the checkpoints recorded from `block` on: a deep reorg replaced those blocks, and
/// the indexer delivers them again.
pub fn forget_checkpoints_from(
    conn: &Connection,
    domain: Domain,
    block: u64,
) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM updater_checkpoints WHERE domain = ?1 AND block >= ?2")?
        .execute(params![domain.get(), block])?;
    Ok(())
}

/// The checkpoint covering the most messages among those in blocks up to `final_block` (the
/// origin's newest final block), if it covers more than `count`.
pub fn newest_checkpoint_above(
    conn: &Connection,
    domain: Domain,
    count: u32,
    final_block: u64,
) -> rusqlite::Result<Option<(B256, u32)>> {
    conn.prepare_cached(
        "SELECT root, count FROM updater_checkpoints WHERE domain = ?1 AND count > ?2
         AND block <= ?3 ORDER BY count DESC LIMIT 1",
    )?
    .query_row(
        params![
            domain.get(),
            count,
            i64::try_from(final_block).unwrap_or(i64::MAX)
        ],
        |row| Ok((b256(row, 0)?, row.get(1)?)),
    )
    .optional()
}

/// Records an update signed by this updater, seen on `seen.chain` (idempotent).
pub fn record_seen(conn: &Connection, domain: Domain, seen: &SeenUpdate) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO updater_seen (domain, chain, old_root, new_root, signature, block)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (domain, chain, old_root, new_root) DO NOTHING",
    )?
    .execute(params![
        domain.get(),
        seen.chain.get(),
        seen.old_root.as_slice(),
        seen.new_root.as_slice(),
        seen.signature.as_ref(),
        seen.block,
    ])?;
    Ok(())
}

/// Every update over `old_root` carrying this updater's signature seen on any chain.
pub fn seen_over(
    conn: &Connection,
    domain: Domain,
    old_root: B256,
) -> rusqlite::Result<Vec<SeenUpdate>> {
    let mut statement = conn.prepare_cached(
        "SELECT chain, old_root, new_root, signature, block FROM updater_seen
         WHERE domain = ?1 AND old_root = ?2 ORDER BY chain, block",
    )?;
    let rows = statement.query_map(params![domain.get(), old_root.as_slice()], |row| {
        Ok(SeenUpdate {
            chain: Domain(row.get(0)?),
            old_root: b256(row, 1)?,
            new_root: b256(row, 2)?,
            signature: Bytes::from(row.get::<_, Vec<u8>>(3)?),
            block: row.get(4)?,
        })
    })?;
    rows.collect()
}

/// Old roots over which this updater's key signed more than one new root, as far as the
/// database knows (its records and every update seen on a chain): a double update exists.
pub fn conflicts(conn: &Connection, domain: Domain) -> rusqlite::Result<Vec<(B256, Vec<B256>)>> {
    let mut statement = conn.prepare_cached(
        "SELECT old_root, new_root FROM (
             SELECT old_root, new_root FROM updater_signed WHERE domain = ?1
             UNION
             SELECT old_root, new_root FROM updater_seen WHERE domain = ?1
         )
         WHERE old_root IN (
             SELECT old_root FROM (
                 SELECT old_root, new_root FROM updater_signed WHERE domain = ?1
                 UNION
                 SELECT old_root, new_root FROM updater_seen WHERE domain = ?1
             )
             GROUP BY old_root HAVING COUNT(DISTINCT new_root) > 1
         )
         ORDER BY old_root, new_root",
    )?;
    let rows = statement.query_map(params![domain.get()], |row| {
        Ok((b256(row, 0)?, b256(row, 1)?))
    })?;
    let mut found: Vec<(B256, Vec<B256>)> = Vec::new();
    for row in rows {
        let (old, new) = row?;
        match found.last_mut() {
            Some((last, roots)) if *last == old => roots.push(new),
            _ => found.push((old, vec![new])),
        }
    }
    Ok(found)
}

/// How many earlier attempts of the operation `key` failed.
pub fn attempt(conn: &Connection, key: &str) -> rusqlite::Result<u32> {
    Ok(conn
        .prepare_cached("SELECT attempt FROM updater_attempts WHERE key = ?1")?
        .query_row(params![key], |row| row.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Counts one more failed attempt of the operation `key`, if `failed` is still its current
/// attempt (so two callers cannot skip one).
pub fn attempt_failed(conn: &Connection, key: &str, failed: u32) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO updater_attempts (key, attempt) VALUES (?1, ?2 + 1)
         ON CONFLICT (key) DO UPDATE SET attempt = excluded.attempt
         WHERE updater_attempts.attempt = ?2",
    )?
    .execute(params![key, failed])?;
    Ok(())
}

fn signed_from_row(row: &Row<'_>) -> rusqlite::Result<SignedUpdate> {
    let source: String = row.get(4)?;
    Ok(SignedUpdate {
        old_root: b256(row, 0)?,
        new_root: b256(row, 1)?,
        new_count: row.get(2)?,
        signature: Bytes::from(row.get::<_, Vec<u8>>(3)?),
        source: Source::parse(&source).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                4,
                rusqlite::types::Type::Text,
                format!("unknown source {source:?}").into(),
            )
        })?,
    })
}

fn b256(row: &Row<'_>, column: usize) -> rusqlite::Result<B256> {
    let bytes: [u8; 32] = row.get(column)?;
    Ok(B256::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::Store;

    const DOMAIN: Domain = Domain(1000);

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("u.sqlite"), &[SCHEMA]).expect("opens");
        (dir, store)
    }

    fn update(old: u8, new: u8) -> SignedUpdate {
        SignedUpdate {
            old_root: B256::repeat_byte(old),
            new_root: B256::repeat_byte(new),
            new_count: u32::from(new),
            signature: Bytes::from(vec![new; 65]),
            source: Source::Signed,
        }
    }

    #[test]
    fn one_update_per_old_root_and_the_first_stands() {
        let (_dir, store) = store();
        let first = update(1, 2);
        let rival = update(1, 3);
        let recorded = store
            .with(|conn| {
                let a = record_signed(conn, DOMAIN, &first)?;
                let b = record_signed(conn, DOMAIN, &rival)?;
                let again = record_signed(conn, DOMAIN, &first)?;
                // Another origin's Home starts from the same roots: its rows are separate.
                let other = record_signed(conn, Domain(2000), &rival)?;
                Ok((a, b, again, other))
            })
            .expect("records");
        assert_eq!(recorded.0, Recorded::New);
        assert_eq!(recorded.1, Recorded::Existing(first.clone()));
        assert_eq!(recorded.2, Recorded::Existing(first.clone()));
        assert_eq!(recorded.3, Recorded::New);
        let all = store
            .with(|conn| signed_updates(conn, DOMAIN))
            .expect("reads");
        assert_eq!(all, [first]);
    }

    #[test]
    fn newest_checkpoint_and_reorg_forgetting() {
        let (_dir, store) = store();
        let found = store
            .with(|conn| {
                record_checkpoint(conn, DOMAIN, B256::repeat_byte(1), 0, 10)?;
                record_checkpoint(conn, DOMAIN, B256::repeat_byte(2), 3, 11)?;
                record_checkpoint(conn, DOMAIN, B256::repeat_byte(3), 5, 12)?;
                let newest = newest_checkpoint_above(conn, DOMAIN, 0, u64::MAX)?;
                let none = newest_checkpoint_above(conn, DOMAIN, 5, u64::MAX)?;
                // Only checkpoints in final blocks are candidates.
                let final_11 = newest_checkpoint_above(conn, DOMAIN, 0, 11)?;
                let final_9 = newest_checkpoint_above(conn, DOMAIN, 0, 9)?;
                forget_checkpoints_from(conn, DOMAIN, 12)?;
                let after = newest_checkpoint_above(conn, DOMAIN, 0, u64::MAX)?;
                Ok((newest, none, after, final_11, final_9))
            })
            .expect("works");
        assert_eq!(found.0, Some((B256::repeat_byte(3), 5)));
        assert_eq!(found.1, None);
        assert_eq!(found.2, Some((B256::repeat_byte(2), 3)));
        assert_eq!(found.3, Some((B256::repeat_byte(2), 3)));
        assert_eq!(found.4, None);
    }

    #[test]
    fn attempts_count_up_once_per_failure() {
        let (_dir, store) = store();
        let counts = store
            .with(|conn| {
                let first = attempt(conn, "k")?;
                attempt_failed(conn, "k", 0)?;
                // A stale report of the same failure does not skip an attempt.
                attempt_failed(conn, "k", 0)?;
                let second = attempt(conn, "k")?;
                attempt_failed(conn, "k", 1)?;
                Ok((first, second, attempt(conn, "k")?))
            })
            .expect("works");
        assert_eq!(counts, (0, 1, 2));
    }

    #[test]
    fn conflicts_between_records_and_chains_are_found() {
        let (_dir, store) = store();
        let seen = |new: u8| SeenUpdate {
            chain: Domain(2000),
            old_root: B256::repeat_byte(1),
            new_root: B256::repeat_byte(new),
            signature: Bytes::from(vec![new; 65]),
            block: 7,
        };
        let found = store
            .with(|conn| {
                record_signed(conn, DOMAIN, &update(1, 2))?;
                record_seen(conn, DOMAIN, &seen(2))?;
                let none = conflicts(conn, DOMAIN)?;
                record_seen(conn, DOMAIN, &seen(3))?;
                Ok((none, conflicts(conn, DOMAIN)?))
            })
            .expect("works");
        assert!(found.0.is_empty());
        assert_eq!(
            found.1,
            [(
                B256::repeat_byte(1),
                vec![B256::repeat_byte(2), B256::repeat_byte(3)]
            )]
        );
    }

    #[test]
    fn seen_updates_are_kept_per_chain() {
        let (_dir, store) = store();
        let seen = |chain: u32, new: u8| SeenUpdate {
            chain: Domain(chain),
            old_root: B256::repeat_byte(1),
            new_root: B256::repeat_byte(new),
            signature: Bytes::from(vec![new; 65]),
            block: 7,
        };
        let found = store
            .with(|conn| {
                record_seen(conn, DOMAIN, &seen(1000, 2))?;
                record_seen(conn, DOMAIN, &seen(1000, 2))?;
                record_seen(conn, DOMAIN, &seen(2000, 2))?;
                seen_over(conn, DOMAIN, B256::repeat_byte(1))
            })
            .expect("works");
        assert_eq!(found, [seen(1000, 2), seen(2000, 2)]);
    }
}
