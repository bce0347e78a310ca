//! The watcher's tables and every query it makes.
//!
//! - `watcher_updates`: every signed update seen on any Home or Replica, with the verdict on
//!   whether the origin's Home produced its new root;
//! - `watcher_frauds`: the fraud caught for each origin (the first; one suffices);
//! - `watcher_actions`: each attempt at each response target, with its submitter operation;
//! - `watcher_threats`: unbacked roots (a Replica holds a root its origin's Home no longer
//!   holds, after a reorg deeper than the origin's finality), one per origin and root, each
//!   answered with notices to every Replica of the origin.

use crate::fraud::{Evidence, Fraud, SignedUpdate, Target};
use alloy::primitives::{Address, Bytes, B256};
use nxtp_agent::storage::Schema;
use nxtp_chain::OperationId;
use nxtp_primitives::Domain;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// The watcher's tables; opened beside [`nxtp_chain::SCHEMAS`].
pub const SCHEMA: Schema = Schema {
    name: "nxtp_watcher",
    migrations: &[
        "CREATE TABLE watcher_updates (
            origin INTEGER NOT NULL,
            old_root BLOB NOT NULL,
            new_root BLOB NOT NULL,
            signature BLOB NOT NULL,
            signer BLOB NOT NULL,
            seen_on INTEGER NOT NULL,
            seen_at BLOB NOT NULL,
            block INTEGER NOT NULL,
            produced INTEGER,
            PRIMARY KEY (origin, old_root, new_root)
        ) STRICT;
        CREATE TABLE watcher_frauds (
            origin INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            signer BLOB NOT NULL,
            old_root BLOB NOT NULL,
            new_root BLOB NOT NULL,
            signature BLOB NOT NULL,
            other_root BLOB,
            other_signature BLOB,
            detected_on INTEGER NOT NULL,
            detected_ms INTEGER NOT NULL,
            resolved_ms INTEGER
        ) STRICT;
        CREATE TABLE watcher_actions (
            origin INTEGER NOT NULL,
            target TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            domain INTEGER NOT NULL,
            submitter_op INTEGER NOT NULL,
            state TEXT NOT NULL,
            detail TEXT,
            updated_ms INTEGER NOT NULL,
            PRIMARY KEY (origin, target, attempt)
        ) STRICT;",
        "CREATE TABLE watcher_threats (
            id INTEGER PRIMARY KEY,
            origin INTEGER NOT NULL,
            signer BLOB NOT NULL,
            old_root BLOB NOT NULL,
            new_root BLOB NOT NULL,
            signature BLOB NOT NULL,
            detected_on INTEGER NOT NULL,
            detected_ms INTEGER NOT NULL,
            resolved_ms INTEGER,
            UNIQUE (origin, new_root)
        ) STRICT;",
    ],
};

/// Where an update was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sighting {
    pub(crate) domain: Domain,
    pub(crate) contract: Address,
    pub(crate) block: u64,
}

/// The latest attempt at one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attempt {
    pub(crate) number: u32,
    pub(crate) operation: OperationId,
    pub(crate) state: AttemptState,
    pub(crate) updated_ms: u64,
}

/// Where an attempt stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AttemptState {
    Submitted,
    Confirmed,
    Failed,
}

impl AttemptState {
    fn as_str(&self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Confirmed => "confirmed",
            Self::Failed => "failed",
        }
    }
}

/// The verdict already recorded on whether `origin`'s Home produced `new_root`, if any.
pub(crate) fn verdict(
    conn: &Connection,
    origin: Domain,
    old_root: B256,
    new_root: B256,
) -> rusqlite::Result<Option<bool>> {
    Ok(conn
        .prepare_cached(
            "SELECT produced FROM watcher_updates
             WHERE origin = ?1 AND old_root = ?2 AND new_root = ?3",
        )?
        .query_row(
            params![origin.get(), old_root.as_slice(), new_root.as_slice()],
            |row| row.get::<_, Option<bool>>(0),
        )
        .optional()?
        .flatten())
}

/// Records a signed update (and `produced`, the verdict on its new root, when known) and
/// returns an earlier update by the same signer over the same old root to another new root,
/// if one was seen: together they are a double update.
pub(crate) fn record_update(
    conn: &Connection,
    update: &SignedUpdate,
    produced: Option<bool>,
    seen: Sighting,
) -> rusqlite::Result<Option<SignedUpdate>> {
    let conflicting = conn
        .prepare_cached(
            "SELECT new_root, signature FROM watcher_updates
             WHERE origin = ?1 AND old_root = ?2 AND new_root != ?3 AND signer = ?4
             ORDER BY rowid LIMIT 1",
        )?
        .query_row(
            params![
                update.origin.get(),
                update.old_root.as_slice(),
                update.new_root.as_slice(),
                update.signer.as_slice()
            ],
            |row| {
                Ok(SignedUpdate {
                    origin: update.origin,
                    old_root: update.old_root,
                    new_root: B256::from(row.get::<_, [u8; 32]>(0)?),
                    signature: Bytes::from(row.get::<_, Vec<u8>>(1)?),
                    signer: update.signer,
                })
            },
        )
        .optional()?;
    conn.prepare_cached(
        "INSERT INTO watcher_updates
         (origin, old_root, new_root, signature, signer, seen_on, seen_at, block, produced)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (origin, old_root, new_root)
         DO UPDATE SET produced = COALESCE(watcher_updates.produced, excluded.produced)",
    )?
    .execute(params![
        update.origin.get(),
        update.old_root.as_slice(),
        update.new_root.as_slice(),
        update.signature.as_ref(),
        update.signer.as_slice(),
        seen.domain.get(),
        seen.contract.as_slice(),
        seen.block,
        produced
    ])?;
    Ok(conflicting)
}

/// Records `fraud` unless a fraud of its origin is already recorded; returns whether it was.
pub(crate) fn record_fraud(
    conn: &Connection,
    fraud: &Fraud,
    now_ms: u64,
) -> rusqlite::Result<bool> {
    let (update, other) = match &fraud.evidence {
        Evidence::Improper(update) | Evidence::Unbacked(update) => (update, None),
        Evidence::Double { first, second } => (first, Some(second)),
    };
    let inserted = conn
        .prepare_cached(
            "INSERT INTO watcher_frauds
         (origin, kind, signer, old_root, new_root, signature, other_root, other_signature,
          detected_on, detected_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (origin) DO NOTHING",
        )?
        .execute(params![
            update.origin.get(),
            fraud.evidence.kind(),
            update.signer.as_slice(),
            update.old_root.as_slice(),
            update.new_root.as_slice(),
            update.signature.as_ref(),
            other.map(|other| other.new_root.to_vec()),
            other.map(|other| other.signature.to_vec()),
            fraud.detected_on.get(),
            now_ms
        ])?;
    Ok(inserted == 1)
}

/// The frauds whose response is not complete yet.
pub(crate) fn unresolved_frauds(conn: &Connection) -> rusqlite::Result<Vec<Fraud>> {
    let mut statement = conn.prepare_cached(
        "SELECT origin, kind, signer, old_root, new_root, signature, other_root,
                other_signature, detected_on
         FROM watcher_frauds WHERE resolved_ms IS NULL ORDER BY origin",
    )?;
    let rows = statement.query_map([], fraud_from_row)?;
    rows.collect()
}

fn fraud_from_row(row: &Row<'_>) -> rusqlite::Result<Fraud> {
    let origin = Domain(row.get(0)?);
    let kind: String = row.get(1)?;
    let signer = Address::from(row.get::<_, [u8; 20]>(2)?);
    let old_root = B256::from(row.get::<_, [u8; 32]>(3)?);
    let first = SignedUpdate {
        origin,
        old_root,
        new_root: B256::from(row.get::<_, [u8; 32]>(4)?),
        signature: Bytes::from(row.get::<_, Vec<u8>>(5)?),
        signer,
    };
    let other_root: Option<[u8; 32]> = row.get(6)?;
    let other_signature: Option<Vec<u8>> = row.get(7)?;
    let evidence = match (kind.as_str(), other_root, other_signature) {
        ("improper", None, None) => Evidence::Improper(first),
        ("unbacked", None, None) => Evidence::Unbacked(first),
        ("double", Some(root), Some(signature)) => Evidence::Double {
            second: SignedUpdate {
                origin,
                old_root,
                new_root: B256::from(root),
                signature: Bytes::from(signature),
                signer,
            },
            first,
        },
        _ => {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                format!("inconsistent watcher_frauds row for origin {origin}").into(),
            ))
        }
    };
    Ok(Fraud {
        evidence,
        detected_on: Domain(row.get(8)?),
    })
}

/// Records the unbacked root `update.new_root` of `update.origin` as a threat seen on
/// `detected_on`; returns its number if it is new (each root of an origin is one threat, ever).
pub(crate) fn record_threat(
    conn: &Connection,
    update: &SignedUpdate,
    detected_on: Domain,
    now_ms: u64,
) -> rusqlite::Result<Option<u64>> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO watcher_threats
         (origin, signer, old_root, new_root, signature, detected_on, detected_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (origin, new_root) DO NOTHING",
        )?
        .execute(params![
            update.origin.get(),
            update.signer.as_slice(),
            update.old_root.as_slice(),
            update.new_root.as_slice(),
            update.signature.as_ref(),
            detected_on.get(),
            now_ms
        ])?;
    if inserted == 0 {
        return Ok(None);
    }
    Ok(u64::try_from(conn.last_insert_rowid()).ok())
}

/// The threats whose response is not complete yet: (number, threat), oldest first.
pub(crate) fn unresolved_threats(conn: &Connection) -> rusqlite::Result<Vec<(u64, Fraud)>> {
    let mut statement = conn.prepare_cached(
        "SELECT id, origin, signer, old_root, new_root, signature, detected_on
         FROM watcher_threats WHERE resolved_ms IS NULL ORDER BY id",
    )?;
    let rows = statement.query_map([], |row| {
        let update = SignedUpdate {
            origin: Domain(row.get(1)?),
            signer: Address::from(row.get::<_, [u8; 20]>(2)?),
            old_root: B256::from(row.get::<_, [u8; 32]>(3)?),
            new_root: B256::from(row.get::<_, [u8; 32]>(4)?),
            signature: Bytes::from(row.get::<_, Vec<u8>>(5)?),
        };
        Ok((
            row.get::<_, u64>(0)?,
            Fraud {
                evidence: Evidence::Unbacked(update),
                detected_on: Domain(row.get(6)?),
            },
        ))
    })?;
    rows.collect()
}

/// Marks the response to threat `threat` complete.
pub(crate) fn resolve_threat(conn: &Connection, threat: u64, now_ms: u64) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE watcher_threats SET resolved_ms = ?2 WHERE id = ?1")?
        .execute(params![threat, now_ms])?;
    Ok(())
}

/// The newest `limit` updates of `origin` (seen anywhere) whose new root its Home produced when
/// judged: after a restart, the roots to judge again where a Replica still holds them in its
/// window. Newest first.
pub(crate) fn recent_backed_updates(
    conn: &Connection,
    origin: Domain,
    limit: u32,
) -> rusqlite::Result<Vec<SignedUpdate>> {
    let mut statement = conn.prepare_cached(
        "SELECT old_root, new_root, signature, signer FROM watcher_updates
         WHERE origin = ?1 AND produced = 1 ORDER BY rowid DESC LIMIT ?2",
    )?;
    let rows = statement.query_map(params![origin.get(), limit], |row| {
        Ok(SignedUpdate {
            origin,
            old_root: B256::from(row.get::<_, [u8; 32]>(0)?),
            new_root: B256::from(row.get::<_, [u8; 32]>(1)?),
            signature: Bytes::from(row.get::<_, Vec<u8>>(2)?),
            signer: Address::from(row.get::<_, [u8; 20]>(3)?),
        })
    })?;
    rows.collect()
}

/// Marks the response to `origin`'s fraud complete.
pub(crate) fn resolve_fraud(
    conn: &Connection,
    origin: Domain,
    now_ms: u64,
) -> rusqlite::Result<()> {
    conn.prepare_cached("UPDATE watcher_frauds SET resolved_ms = ?2 WHERE origin = ?1")?
        .execute(params![origin.get(), now_ms])?;
    Ok(())
}

/// The latest attempt at `target` of `origin`'s response.
pub(crate) fn latest_attempt(
    conn: &Connection,
    origin: Domain,
    target: Target,
) -> rusqlite::Result<Option<Attempt>> {
    conn.prepare_cached(
        "SELECT attempt, submitter_op, state, updated_ms FROM watcher_actions
         WHERE origin = ?1 AND target = ?2 ORDER BY attempt DESC LIMIT 1",
    )?
    .query_row(params![origin.get(), target.name()], |row| {
        let state = match row.get::<_, String>(2)?.as_str() {
            "submitted" => AttemptState::Submitted,
            "confirmed" => AttemptState::Confirmed,
            "failed" => AttemptState::Failed,
            _ => {
                return Err(rusqlite::Error::FromSqlConversionFailure(
                    2,
                    rusqlite::types::Type::Text,
                    "unknown watcher_actions state".into(),
                ))
            }
        };
        Ok(Attempt {
            number: row.get(0)?,
            operation: OperationId(row.get(1)?),
            state,
            updated_ms: row.get(3)?,
        })
    })
    .optional()
}

/// Records attempt `number` at `target`, handed to the submitter as `operation`.
pub(crate) fn record_attempt(
    conn: &Connection,
    origin: Domain,
    target: Target,
    number: u32,
    operation: OperationId,
    now_ms: u64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO watcher_actions
         (origin, target, attempt, domain, submitter_op, state, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, 'submitted', ?6)
         ON CONFLICT (origin, target, attempt) DO NOTHING",
    )?
    .execute(params![
        origin.get(),
        target.name(),
        number,
        target.domain(origin).get(),
        operation.0,
        now_ms
    ])?;
    Ok(())
}

/// Moves attempt `number` at `target` to `state`, with a note on why.
pub(crate) fn finish_attempt(
    conn: &Connection,
    origin: Domain,
    target: Target,
    number: u32,
    state: &AttemptState,
    detail: &str,
    now_ms: u64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE watcher_actions SET state = ?4, detail = ?5, updated_ms = ?6
         WHERE origin = ?1 AND target = ?2 AND attempt = ?3",
    )?
    .execute(params![
        origin.get(),
        target.name(),
        number,
        state.as_str(),
        detail,
        now_ms
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::Store;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("w.sqlite"), &[SCHEMA]).expect("opens");
        (dir, store)
    }

    fn update(new: u8, signer: u8) -> SignedUpdate {
        SignedUpdate {
            origin: Domain(1000),
            old_root: B256::repeat_byte(0x01),
            new_root: B256::repeat_byte(new),
            signature: Bytes::from(vec![new; 65]),
            signer: Address::repeat_byte(signer),
        }
    }

    const SEEN: Sighting = Sighting {
        domain: Domain(2000),
        contract: Address::ZERO,
        block: 5,
    };

    #[test]
    fn a_second_root_over_one_old_root_by_one_key_is_a_double_update() {
        let (_dir, store) = store();
        let (first, again, other_key, conflict) = store
            .with(|conn| {
                Ok((
                    record_update(conn, &update(0xa, 7), Some(true), SEEN)?,
                    record_update(conn, &update(0xa, 7), None, SEEN)?,
                    record_update(conn, &update(0xc, 8), Some(true), SEEN)?,
                    record_update(conn, &update(0xb, 7), Some(true), SEEN)?,
                ))
            })
            .expect("records");
        assert_eq!(first, None);
        assert_eq!(again, None, "the same update seen twice is not a conflict");
        assert_eq!(
            other_key, None,
            "another key's root is not this key's double update"
        );
        assert_eq!(conflict, Some(update(0xa, 7)));
        let verdict = store
            .with(|conn| {
                verdict(
                    conn,
                    Domain(1000),
                    B256::repeat_byte(1),
                    B256::repeat_byte(0xa),
                )
            })
            .expect("reads");
        assert_eq!(verdict, Some(true), "a later sighting keeps the verdict");
    }

    #[test]
    fn one_fraud_per_origin_round_trips_until_resolved() {
        let (_dir, store) = store();
        let double = Fraud {
            evidence: Evidence::Double {
                first: update(0xa, 7),
                second: update(0xb, 7),
            },
            detected_on: Domain(3000),
        };
        let improper = Fraud {
            evidence: Evidence::Improper(update(0xd, 7)),
            detected_on: Domain(2000),
        };
        let (recorded, ignored) = store
            .with(|conn| {
                Ok((
                    record_fraud(conn, &double, 1)?,
                    record_fraud(conn, &improper, 2)?,
                ))
            })
            .expect("records");
        assert!(recorded);
        assert!(!ignored, "the origin's first fraud is the one answered");
        let unresolved = store.with(|conn| unresolved_frauds(conn)).expect("reads");
        assert_eq!(unresolved, [double]);
        store
            .with(|conn| resolve_fraud(conn, Domain(1000), 3))
            .expect("resolves");
        assert!(store
            .with(|conn| unresolved_frauds(conn))
            .expect("reads")
            .is_empty());
    }

    #[test]
    fn each_unbacked_root_is_one_threat_until_resolved() {
        let (_dir, store) = store();
        let (first, again, other, open, after) = store
            .with(|conn| {
                let first = record_threat(conn, &update(1, 9), Domain(2000), 5)?;
                let again = record_threat(conn, &update(1, 9), Domain(3000), 6)?;
                let other = record_threat(conn, &update(2, 9), Domain(2000), 7)?;
                let open = unresolved_threats(conn)?;
                if let Some(id) = first {
                    resolve_threat(conn, id, 8)?;
                }
                let after = unresolved_threats(conn)?;
                Ok((first, again, other, open, after))
            })
            .expect("works");
        assert!(first.is_some() && other.is_some() && first != other);
        assert_eq!(again, None, "the same root is one threat");
        assert_eq!(open.len(), 2);
        assert_eq!(open[0].1.evidence, Evidence::Unbacked(update(1, 9)));
        assert_eq!(open[0].1.detected_on, Domain(2000));
        assert_eq!(after.len(), 1);
        assert_eq!(after[0].0, other.unwrap_or_default());
        // A threat is not a fraud: the origin's fraud slot stays free.
        let frauds = store.with(|conn| unresolved_frauds(conn)).expect("reads");
        assert!(frauds.is_empty());
    }

    #[test]
    fn attempts_are_numbered_per_target() {
        let (_dir, store) = store();
        let origin = Domain(1000);
        let notice = Target::Notice {
            domain: Domain(2000),
        };
        let latest = store
            .with(|conn| {
                record_attempt(conn, origin, notice, 1, OperationId(4), 10)?;
                finish_attempt(
                    conn,
                    origin,
                    notice,
                    1,
                    &AttemptState::Failed,
                    "dropped",
                    11,
                )?;
                record_attempt(conn, origin, notice, 2, OperationId(9), 12)?;
                record_attempt(conn, origin, Target::HomeProof, 1, OperationId(5), 12)?;
                latest_attempt(conn, origin, notice)
            })
            .expect("records");
        assert_eq!(
            latest,
            Some(Attempt {
                number: 2,
                operation: OperationId(9),
                state: AttemptState::Submitted,
                updated_ms: 12,
            })
        );
        assert_eq!(
            notice.submitter_key(origin, 2),
            "watcher/1000/notice-2000/2"
        );
    }
}
