//! The submitter's tables: operations (keyed by chain, signer and the caller's key) and each
//! signer's next nonce. States are stored as JSON, beside the columns queries filter on.

use super::{
    operation::{Call, Operation, OperationId, OperationState, Submission},
    SubmitOptions,
};
use alloy::primitives::Address;
use nxtp_agent::{clock::now_ms, storage::Schema};
use nxtp_primitives::Domain;
use rusqlite::{params, types::Type, Connection, OptionalExtension, Row};
use serde::{de::DeserializeOwned, Serialize};
use std::time::Duration;

/// The submitter's tables; pass it to [`Store::open`](nxtp_agent::Store::open).
pub const SCHEMA: Schema = Schema {
    name: "nxtp_chain_submitter",
    migrations: &[
        "CREATE TABLE submitter_operations (
            id INTEGER PRIMARY KEY,
            chain INTEGER NOT NULL,
            signer BLOB NOT NULL,
            key TEXT NOT NULL,
            call TEXT NOT NULL,
            retry_reverts INTEGER NOT NULL,
            state TEXT NOT NULL,
            finished INTEGER NOT NULL,
            nonce INTEGER,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL,
            UNIQUE (chain, signer, key)
        ) STRICT;
        CREATE INDEX submitter_unfinished ON submitter_operations (chain, signer, finished);
        CREATE TABLE submitter_nonces (
            chain INTEGER NOT NULL,
            signer BLOB NOT NULL,
            next INTEGER NOT NULL,
            PRIMARY KEY (chain, signer)
        ) STRICT;",
        // How long after queueing a revert is retried; NULL: as long as it reverts.
        "ALTER TABLE submitter_operations ADD COLUMN retry_reverts_for_ms INTEGER;",
    ],
};

/// Whose operations: one submitter per chain and signer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Account {
    pub(crate) chain: Domain,
    pub(crate) signer: Address,
}

/// What inserting an operation found.
pub(crate) enum Inserted {
    /// A new operation.
    New(OperationId),
    /// The key was already used for the same call.
    Existing(OperationId),
    /// The key was already used for a different call.
    Conflict(OperationId),
}

const COLUMNS: &str = "id, key, call, retry_reverts, state, created_ms + retry_reverts_for_ms";

/// Inserts a queued operation under `key`, or finds the one already there.
pub(crate) fn insert(
    conn: &mut Connection,
    account: Account,
    key: &str,
    call: &Call,
    options: SubmitOptions,
) -> rusqlite::Result<Inserted> {
    let retry_for_ms = options.retry_reverts_for.map(millis);
    let tx = conn.transaction()?;
    let existing = tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS}, retry_reverts_for_ms FROM submitter_operations
                 WHERE chain = ?1 AND signer = ?2 AND key = ?3"
        ))?
        .query_row(
            params![account.chain.get(), account.signer.as_slice(), key],
            |row| Ok((operation_from_row(row)?, row.get::<_, Option<u64>>(6)?)),
        )
        .optional()?;
    let inserted = match existing {
        Some((op, stored_for_ms))
            if op.call == *call
                && op.retry_reverts == options.retry_reverts
                && stored_for_ms == retry_for_ms =>
        {
            Inserted::Existing(op.id)
        }
        Some((op, _)) => Inserted::Conflict(op.id),
        None => {
            let now = now_ms();
            tx.prepare_cached(
                "INSERT INTO submitter_operations
                 (chain, signer, key, call, retry_reverts, retry_reverts_for_ms, state, finished,
                  created_ms, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8, ?8)",
            )?
            .execute(params![
                account.chain.get(),
                account.signer.as_slice(),
                key,
                to_json(call)?,
                options.retry_reverts,
                retry_for_ms,
                to_json(&OperationState::Queued)?,
                now,
            ])?;
            Inserted::New(OperationId(tx.last_insert_rowid()))
        }
    };
    tx.commit()?;
    Ok(inserted)
}

/// One of the account's operations, if it exists.
pub(crate) fn load(
    conn: &Connection,
    account: Account,
    id: OperationId,
) -> rusqlite::Result<Option<Operation>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM submitter_operations
             WHERE id = ?1 AND chain = ?2 AND signer = ?3"
    ))?
    .query_row(
        params![id.0, account.chain.get(), account.signer.as_slice()],
        operation_from_row,
    )
    .optional()
}

/// The account's operations still in flight: those with a nonce first, by nonce, then the
/// others in the order they were submitted.
pub(crate) fn unfinished(conn: &Connection, account: Account) -> rusqlite::Result<Vec<Operation>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM submitter_operations
         WHERE chain = ?1 AND signer = ?2 AND finished = 0
         ORDER BY nonce IS NULL, nonce, id"
    ))?;
    let rows = statement.query_map(
        params![account.chain.get(), account.signer.as_slice()],
        operation_from_row,
    )?;
    rows.collect()
}

/// Moves operation `id` to `state`.
pub(crate) fn set_state(
    conn: &Connection,
    id: OperationId,
    state: &OperationState,
) -> rusqlite::Result<()> {
    let nonce = match state {
        OperationState::Submitted(submission) => Some(submission.nonce),
        _ => None,
    };
    conn.prepare_cached(
        "UPDATE submitter_operations
         SET state = ?2, finished = ?3, nonce = COALESCE(?4, nonce), updated_ms = ?5
         WHERE id = ?1",
    )?
    .execute(params![
        id.0,
        to_json(state)?,
        state.final_state().is_some(),
        nonce,
        now_ms()
    ])?;
    Ok(())
}

/// Moves each operation of `states` to its state, in one transaction.
pub(crate) fn set_states(
    conn: &mut Connection,
    states: &[(OperationId, OperationState)],
) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for (id, state) in states {
        set_state(&tx, *id, state)?;
    }
    tx.commit()
}

/// The account's next unused nonce, as far as this store knows.
pub(crate) fn next_nonce(conn: &Connection, account: Account) -> rusqlite::Result<Option<u64>> {
    conn.prepare_cached("SELECT next FROM submitter_nonces WHERE chain = ?1 AND signer = ?2")?
        .query_row(
            params![account.chain.get(), account.signer.as_slice()],
            |row| row.get(0),
        )
        .optional()
}

/// Sets the account's next unused nonce.
pub(crate) fn set_next_nonce(
    conn: &Connection,
    account: Account,
    next: u64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO submitter_nonces (chain, signer, next) VALUES (?1, ?2, ?3)
         ON CONFLICT (chain, signer) DO UPDATE SET next = excluded.next",
    )?
    .execute(params![
        account.chain.get(),
        account.signer.as_slice(),
        next
    ])?;
    Ok(())
}

/// Records the first transaction of each operation in `sent` and takes their nonces, which
/// follow one another from the first one's, in one transaction. Returns `false`, changing
/// nothing, if the first nonce was no longer the account's next: another submitter for the
/// same account wrote to this store.
pub(crate) fn take_nonces(
    conn: &mut Connection,
    account: Account,
    sent: &[(OperationId, Submission)],
) -> rusqlite::Result<bool> {
    let Some((_, first)) = sent.first() else {
        return Ok(true);
    };
    let count = u64::try_from(sent.len()).unwrap_or(u64::MAX);
    let tx = conn.transaction()?;
    let taken = tx
        .prepare_cached(
            "UPDATE submitter_nonces SET next = ?3 + ?4
         WHERE chain = ?1 AND signer = ?2 AND next = ?3",
        )?
        .execute(params![
            account.chain.get(),
            account.signer.as_slice(),
            first.nonce,
            count
        ])?;
    if taken != 1 {
        return Ok(false);
    }
    for (id, submission) in sent {
        set_state(&tx, *id, &OperationState::Submitted(submission.clone()))?;
    }
    tx.commit()?;
    Ok(true)
}

fn operation_from_row(row: &Row<'_>) -> rusqlite::Result<Operation> {
    Ok(Operation {
        id: OperationId(row.get(0)?),
        key: row.get(1)?,
        call: from_json(row, 2)?,
        retry_reverts: row.get(3)?,
        state: from_json(row, 4)?,
        retry_reverts_until_ms: row.get(5)?,
    })
}

fn to_json(value: &impl Serialize) -> rusqlite::Result<String> {
    serde_json::to_string(value).map_err(|err| rusqlite::Error::ToSqlConversionFailure(err.into()))
}

fn from_json<T: DeserializeOwned>(row: &Row<'_>, column: usize) -> rusqlite::Result<T> {
    let text: String = row.get(column)?;
    serde_json::from_str(&text)
        .map_err(|err| rusqlite::Error::FromSqlConversionFailure(column, Type::Text, err.into()))
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
