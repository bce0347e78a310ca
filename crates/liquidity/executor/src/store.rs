//! The executor's tables and every query it makes.
//!
//! - `executor_transfers`: every transfer seen leaving an origin (`XCalled`), with the params
//!   an execute needs;
//! - `executor_slow`: every transfer reconciled with no routers on its destination, and where
//!   its slow-path execute stands: `waiting` (to be looked at once `retry_at_ms` has passed),
//!   `posted` (the execute job, whose id is recorded before it is posted, is with the relayer),
//!   or `done`.
//!
//! - `executor_fees`: every `TransferRelayerFeesIncreased` on an origin with its asset (zero:
//!   native), keyed by its position so a re-delivered batch counts it once: what a transfer paid,
//!   valued in native wei against the fee floor.
//!
//! Events are recorded in the transaction that moves the indexer's cursor past them, and a
//! transfer id is a primary key, so an event delivered twice is recorded once.

use alloy::{primitives::B256, sol_types::SolValue};
use nxtp_agent::storage::Schema;
use nxtp_liquidity::{FeeTable, RelayerFee};
use nxtp_primitives::{Domain, TransferInfo};
use rusqlite::{params, types::Type, Connection, OptionalExtension, Row};

/// The executor's tables; opened beside [`nxtp_chain::indexer::SCHEMA`].
pub const SCHEMA: Schema = Schema {
    name: "nxtp_executor",
    migrations: &[
        "CREATE TABLE executor_transfers (
            transfer_id BLOB PRIMARY KEY,
            origin INTEGER NOT NULL,
            destination INTEGER NOT NULL,
            params BLOB NOT NULL,
            block INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE executor_slow (
            transfer_id BLOB PRIMARY KEY,
            destination INTEGER NOT NULL,
            block INTEGER NOT NULL,
            state TEXT NOT NULL,
            job_id BLOB,
            failures INTEGER NOT NULL,
            retry_at_ms INTEGER NOT NULL,
            outcome TEXT
        ) STRICT;
        CREATE INDEX executor_slow_open ON executor_slow (state, retry_at_ms);",
        // The native relayer fees paid, for the fee floor; and why a transfer is skipped.
        "CREATE TABLE executor_fees (
            origin INTEGER NOT NULL,
            block INTEGER NOT NULL,
            log_index INTEGER NOT NULL,
            transfer_id BLOB NOT NULL,
            amount BLOB NOT NULL,
            PRIMARY KEY (origin, block, log_index)
        ) STRICT;
        CREATE INDEX executor_fees_transfer ON executor_fees (transfer_id);
        ALTER TABLE executor_slow ADD COLUMN skipped TEXT;",
        // Fees paid in an asset are kept too; the rows before them were native.
        "ALTER TABLE executor_fees ADD COLUMN asset BLOB NOT NULL
            DEFAULT x'0000000000000000000000000000000000000000';",
    ],
};

/// How a slow-path transfer ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// This executor's job executed it.
    Executed,
    /// It was found completed by someone else (its delegate, another executor).
    CompletedElsewhere,
}

impl Outcome {
    /// The outcome as stored and labelled in metrics.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Executed => "executed",
            Self::CompletedElsewhere => "completed_elsewhere",
        }
    }
}

/// A reconciled transfer to act on, with its params when its `XCalled` is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slow {
    /// The transfer.
    pub transfer_id: B256,
    /// Where it was reconciled.
    pub destination: Domain,
    /// Its params, once the origin's `XCalled` is indexed.
    pub params: Option<TransferInfo>,
    /// The execute job, once posted.
    pub job_id: Option<B256>,
    /// How many execute jobs failed so far.
    pub failures: u32,
}

/// Records a transfer leaving `origin`; a repeat changes nothing.
pub fn record_xcalled(
    conn: &Connection,
    transfer_id: B256,
    origin: Domain,
    params: &TransferInfo,
    block: u64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO executor_transfers (transfer_id, origin, destination, params, block)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (transfer_id) DO NOTHING",
    )?
    .execute(params![
        transfer_id.as_slice(),
        origin.get(),
        params.destinationDomain,
        params.abi_encode(),
        block
    ])?;
    Ok(())
}

/// Records a transfer reconciled with no routers on `destination`, to be executed; a repeat
/// changes nothing. Returns whether it was new.
pub fn record_reconciled(
    conn: &Connection,
    transfer_id: B256,
    destination: Domain,
    block: u64,
) -> rusqlite::Result<bool> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO executor_slow
         (transfer_id, destination, block, state, job_id, failures, retry_at_ms, outcome)
         VALUES (?1, ?2, ?3, 'waiting', NULL, 0, 0, NULL)
         ON CONFLICT (transfer_id) DO NOTHING",
        )?
        .execute(params![transfer_id.as_slice(), destination.get(), block])?;
    Ok(inserted == 1)
}

/// Transfers waiting for an execute, whose params are known and whose pause is over at
/// `now_ms`, oldest first, at most `limit`.
pub fn due(conn: &Connection, now_ms: u64, limit: usize) -> rusqlite::Result<Vec<Slow>> {
    select(
        conn,
        "WHERE s.state = 'waiting' AND s.retry_at_ms <= ?1 AND t.params IS NOT NULL
         ORDER BY s.block, s.transfer_id LIMIT ?2",
        params![sql_ms(now_ms), limit],
    )
}

/// Transfers whose execute job is with the relayer.
pub fn posted(conn: &Connection) -> rusqlite::Result<Vec<Slow>> {
    select(
        conn,
        "WHERE s.state = 'posted' ORDER BY s.block, s.transfer_id",
        [],
    )
}

/// Records the execute job of a waiting transfer, before it is posted.
pub fn set_posted(conn: &Connection, transfer_id: B256, job_id: B256) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE executor_slow SET state = 'posted', job_id = ?2, skipped = NULL
         WHERE transfer_id = ?1 AND state = 'waiting'",
        )?
        .execute(params![transfer_id.as_slice(), job_id.as_slice()])?;
    Ok(changed == 1)
}

/// Puts a transfer back to waiting until `retry_at_ms`, counting a failed job if `failed`.
pub fn set_waiting(
    conn: &Connection,
    transfer_id: B256,
    failed: bool,
    retry_at_ms: u64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE executor_slow
         SET state = 'waiting', failures = failures + ?2, retry_at_ms = ?3
         WHERE transfer_id = ?1 AND state != 'done'",
    )?
    .execute(params![
        transfer_id.as_slice(),
        u32::from(failed),
        sql_ms(retry_at_ms)
    ])?;
    Ok(())
}

/// Marks a transfer done; returns whether this call did it.
pub fn set_done(conn: &Connection, transfer_id: B256, outcome: Outcome) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE executor_slow SET state = 'done', outcome = ?2
         WHERE transfer_id = ?1 AND state != 'done'",
        )?
        .execute(params![transfer_id.as_slice(), outcome.as_str()])?;
    Ok(changed == 1)
}

/// The relayer fees paid, per asset, for the fee floor (created by [`SCHEMA`]).
pub const FEES: FeeTable = FeeTable::new("executor_fees");

/// Records a relayer fee paid on `origin` (a repeat changes nothing) and makes a transfer skipped
/// for its fee due now, so the bump is looked at at once.
pub fn record_fee(conn: &Connection, origin: Domain, fee: &RelayerFee) -> rusqlite::Result<()> {
    FEES.record(conn, origin, fee)?;
    conn.prepare_cached(
        "UPDATE executor_slow SET retry_at_ms = 0
         WHERE transfer_id = ?1 AND state = 'waiting' AND skipped IS NOT NULL",
    )?
    .execute([fee.transfer_id.as_slice()])?;
    Ok(())
}

/// Puts a transfer back to waiting until `retry_at_ms` because it is skipped for `reason`.
pub fn set_skipped(
    conn: &Connection,
    transfer_id: B256,
    reason: &str,
    retry_at_ms: u64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE executor_slow SET state = 'waiting', skipped = ?2, retry_at_ms = ?3
         WHERE transfer_id = ?1 AND state != 'done'",
    )?
    .execute(params![transfer_id.as_slice(), reason, sql_ms(retry_at_ms)])?;
    Ok(())
}

/// Why a transfer is skipped, if it is.
pub fn skipped(conn: &Connection, transfer_id: B256) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT skipped FROM executor_slow WHERE transfer_id = ?1")?
        .query_row([transfer_id.as_slice()], |row| row.get(0))
        .optional()
        .map(Option::flatten)
}

/// How a transfer ended, if it has.
pub fn outcome(conn: &Connection, transfer_id: B256) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT outcome FROM executor_slow WHERE transfer_id = ?1")?
        .query_row([transfer_id.as_slice()], |row| row.get(0))
        .optional()
        .map(Option::flatten)
}

/// A time in milliseconds as SQLite's signed integer; times beyond its range are "never".
fn sql_ms(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

fn select(
    conn: &Connection,
    filter: &str,
    values: impl rusqlite::Params,
) -> rusqlite::Result<Vec<Slow>> {
    let mut statement = conn.prepare_cached(&format!(
        "SELECT s.transfer_id, s.destination, t.params, s.job_id, s.failures
         FROM executor_slow s LEFT JOIN executor_transfers t ON t.transfer_id = s.transfer_id
         {filter}"
    ))?;
    let rows = statement.query_map(values, slow_from_row)?;
    rows.collect()
}

fn slow_from_row(row: &Row<'_>) -> rusqlite::Result<Slow> {
    let params = row
        .get::<_, Option<Vec<u8>>>(2)?
        .map(|bytes| {
            TransferInfo::abi_decode(&bytes)
                .map_err(|err| rusqlite::Error::FromSqlConversionFailure(2, Type::Blob, err.into()))
        })
        .transpose()?;
    Ok(Slow {
        transfer_id: B256::from(row.get::<_, [u8; 32]>(0)?),
        destination: Domain(row.get(1)?),
        params,
        job_id: row.get::<_, Option<[u8; 32]>>(3)?.map(B256::from),
        failures: row.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Address, Bytes, U256};
    use nxtp_agent::Store;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("e.sqlite"), &[SCHEMA]).expect("opens");
        (dir, store)
    }

    fn params() -> TransferInfo {
        TransferInfo {
            originDomain: 1000,
            destinationDomain: 2000,
            canonicalDomain: 1000,
            to: Address::repeat_byte(1),
            delegate: Address::ZERO,
            receiveLocal: false,
            callData: Bytes::from_static(b"call"),
            slippage: U256::from(30),
            originSender: Address::repeat_byte(2),
            bridgedAmt: U256::from(10),
            normalizedIn: U256::from(10),
            nonce: U256::from(4),
            canonicalId: B256::repeat_byte(3),
        }
    }

    #[test]
    fn fees_recorded_by_the_previous_schema_stay_native() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("e.sqlite");
        let previous = Schema {
            name: SCHEMA.name,
            migrations: &SCHEMA.migrations[..SCHEMA.migrations.len() - 1],
        };
        let id = B256::repeat_byte(9);
        let old = Store::open(&path, &[previous]).expect("the previous schema");
        old.with(|conn| {
            conn.execute(
                "INSERT INTO executor_fees (origin, block, log_index, transfer_id, amount)
                 VALUES (1000, 5, 0, ?1, ?2)",
                params![id.as_slice(), U256::from(9).to_be_bytes::<32>()],
            )
        })
        .expect("a fee as the previous executor recorded it");
        drop(old);

        let store = Store::open(&path, &[SCHEMA]).expect("migrates");
        let token = Address::repeat_byte(0x77);
        let in_token = RelayerFee {
            transfer_id: id,
            asset: token,
            amount: U256::from(40),
            block: 6,
            log_index: 0,
        };
        let paid = store
            .with(|conn| {
                record_fee(conn, Domain(1000), &in_token)?;
                FEES.paid(conn, Domain(1000), id)
            })
            .expect("reads");
        assert_eq!(paid.native(), U256::from(9), "the old row is a native fee");
        assert_eq!(paid.in_asset(token), U256::from(40));
    }

    #[test]
    fn a_reconciled_transfer_waits_for_its_params_then_is_posted_once() {
        let (_dir, store) = store();
        let id = B256::repeat_byte(9);
        let job = B256::repeat_byte(7);
        assert!(store
            .with(|conn| record_reconciled(conn, id, Domain(2000), 5))
            .expect("records"));
        assert!(
            !store
                .with(|conn| record_reconciled(conn, id, Domain(2000), 5))
                .expect("ignores"),
            "an event delivered twice is recorded once"
        );
        assert!(
            store
                .with(|conn| due(conn, 0, 10))
                .expect("reads")
                .is_empty(),
            "the XCalled is not indexed yet"
        );

        for _ in 0..2 {
            store
                .with(|conn| record_xcalled(conn, id, Domain(1000), &params(), 3))
                .expect("records");
        }
        let due_now = store.with(|conn| due(conn, 0, 10)).expect("reads");
        assert_eq!(due_now[0].params, Some(params()));

        assert!(store.with(|conn| set_posted(conn, id, job)).expect("posts"));
        assert!(
            !store.with(|conn| set_posted(conn, id, job)).expect("no-op"),
            "posted once"
        );
        assert!(store
            .with(|conn| due(conn, 0, 10))
            .expect("reads")
            .is_empty());
        let open = store.with(|conn| posted(conn)).expect("reads");
        assert_eq!(open[0].job_id, Some(job));

        // The job failed: back to waiting, for later.
        store
            .with(|conn| set_waiting(conn, id, true, 1_000))
            .expect("waits");
        assert!(store
            .with(|conn| due(conn, 999, 10))
            .expect("reads")
            .is_empty());
        let again = store.with(|conn| due(conn, 1_000, 10)).expect("reads");
        assert_eq!(again[0].failures, 1);
        assert_eq!(again[0].job_id, Some(job), "the job id is kept");

        assert!(store
            .with(|conn| set_done(conn, id, Outcome::Executed))
            .expect("done"));
        assert!(
            !store
                .with(|conn| set_done(conn, id, Outcome::CompletedElsewhere))
                .expect("no-op"),
            "done is final"
        );
        store
            .with(|conn| set_waiting(conn, id, true, 0))
            .expect("no-op");
        assert!(store
            .with(|conn| due(conn, u64::MAX, 10))
            .expect("reads")
            .is_empty());
        assert_eq!(
            store
                .with(|conn| outcome(conn, id))
                .expect("reads")
                .as_deref(),
            Some("executed")
        );
    }
}
