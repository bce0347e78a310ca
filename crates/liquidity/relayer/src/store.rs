//! The relayer's one table, `relayer_jobs`: every accepted job, by id, with its current attempt
//! and the submitter operation carrying it. The transaction itself (nonce, fees, hashes,
//! receipt) lives in the submitter's tables, under the key [`submitter_key`]`(id, attempt)`:
//! a job is recorded before it is handed to the submitter, and handing it over again is
//! idempotent, so neither a repeated post nor a crash at any instant sends it twice. Each
//! attempt's key (the relayer may have several per domain) is recorded with it, before it is
//! handed over, so a resumed hand-over goes to the same key's submitter.

use crate::calls::Job;
use alloy::primitives::{Address, Bytes, B256};
use nxtp_agent::{clock::now_ms, storage::Schema};
use nxtp_api::relayer::JobKind;
use nxtp_chain::OperationId;
use nxtp_primitives::Domain;
use rusqlite::{params, types::Type, Connection, OptionalExtension, Row};

/// The relayer's tables; opened beside [`nxtp_chain::SCHEMAS`].
pub const SCHEMA: Schema = Schema {
    name: "nxtp_relayer",
    migrations: &[
        "CREATE TABLE relayer_jobs (
            job_id BLOB PRIMARY KEY,
            domain INTEGER NOT NULL,
            kind TEXT NOT NULL,
            origin INTEGER,
            target BLOB NOT NULL,
            calldata BLOB NOT NULL,
            attempt INTEGER NOT NULL,
            operation INTEGER,
            settled INTEGER NOT NULL,
            created_ms INTEGER NOT NULL,
            updated_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX relayer_jobs_open ON relayer_jobs (settled, operation);",
        // The key whose submitter carries the current attempt; NULL: the relayer's first key
        // (jobs recorded while it had only one).
        "ALTER TABLE relayer_jobs ADD COLUMN signer BLOB;",
    ],
};

/// The submitter key of `attempt` of job `id`: each attempt is one submitter operation.
pub fn submitter_key(id: B256, attempt: u32) -> String {
    format!("relayer:{id}:{attempt}")
}

/// One job as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobRecord {
    /// The job.
    pub job: Job,
    /// Which attempt is current (0 first; a failed job posted again gets the next one).
    pub attempt: u32,
    /// The submitter operation of the current attempt, once handed over.
    pub operation: Option<OperationId>,
    /// Whether the current attempt's outcome has been seen (and counted).
    pub settled: bool,
    /// The key that signs the current attempt; `None` for jobs recorded before keys were
    /// recorded: the relayer's first key.
    pub signer: Option<Address>,
}

const COLUMNS: &str =
    "job_id, domain, kind, origin, target, calldata, attempt, operation, settled, signer";

/// Records `job`, to be signed by `signer`, if it is new; returns the stored record (with the
/// signer recorded first) and whether it was new.
pub fn insert(
    conn: &mut Connection,
    job: &Job,
    signer: Address,
) -> rusqlite::Result<(JobRecord, bool)> {
    let tx = conn.transaction()?;
    let now = now_ms();
    let inserted = tx
        .prepare_cached(
            "INSERT INTO relayer_jobs
         (job_id, domain, kind, origin, target, calldata, attempt, operation, settled,
          created_ms, updated_ms, signer)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, NULL, 0, ?7, ?7, ?8)
         ON CONFLICT (job_id) DO NOTHING",
        )?
        .execute(params![
            job.id.as_slice(),
            job.domain.get(),
            job.kind.as_str(),
            job.origin.map(Domain::get),
            job.target.as_slice(),
            job.calldata.as_ref(),
            now,
            signer.as_slice()
        ])?;
    let record = load(&tx, job.id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    tx.commit()?;
    Ok((record, inserted == 1))
}

/// The job with id `id`, if any.
pub fn load(conn: &Connection, id: B256) -> rusqlite::Result<Option<JobRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM relayer_jobs WHERE job_id = ?1"
    ))?
    .query_row([id.as_slice()], record_from_row)
    .optional()
}

/// Records that `attempt` of job `id` is carried by `operation`. Returns `false`, changing
/// nothing, if the job has moved on to another attempt meanwhile.
pub fn set_operation(
    conn: &Connection,
    id: B256,
    attempt: u32,
    operation: OperationId,
) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE relayer_jobs SET operation = ?3, updated_ms = ?4
         WHERE job_id = ?1 AND attempt = ?2",
        )?
        .execute(params![id.as_slice(), attempt, operation.0, now_ms()])?;
    Ok(changed == 1)
}

/// Starts the attempt after `attempt` of job `id`, to be signed by `signer`, with no
/// operation yet. Returns `false`, changing nothing, if `attempt` is no longer the current one.
pub fn next_attempt(
    conn: &Connection,
    id: B256,
    attempt: u32,
    signer: Address,
) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE relayer_jobs
         SET attempt = attempt + 1, operation = NULL, settled = 0, updated_ms = ?3, signer = ?4
         WHERE job_id = ?1 AND attempt = ?2",
        )?
        .execute(params![id.as_slice(), attempt, now_ms(), signer.as_slice()])?;
    Ok(changed == 1)
}

/// Marks `attempt` of job `id` as seen to its end. Returns whether this call did it (so its
/// outcome is counted once).
pub fn settle(conn: &Connection, id: B256, attempt: u32) -> rusqlite::Result<bool> {
    let changed = conn
        .prepare_cached(
            "UPDATE relayer_jobs SET settled = 1, updated_ms = ?3
         WHERE job_id = ?1 AND attempt = ?2 AND settled = 0",
        )?
        .execute(params![id.as_slice(), attempt, now_ms()])?;
    Ok(changed == 1)
}

/// Marks each of `attempts` (job id, attempt) as seen to its end, in one transaction; for
/// each, whether this call did it (see [`settle`]).
pub fn settle_all(conn: &mut Connection, attempts: &[(B256, u32)]) -> rusqlite::Result<Vec<bool>> {
    let tx = conn.transaction()?;
    let mut settled = Vec::with_capacity(attempts.len());
    for &(id, attempt) in attempts {
        settled.push(settle(&tx, id, attempt)?);
    }
    tx.commit()?;
    Ok(settled)
}

/// Jobs whose current attempt was never handed to the submitter (the relayer stopped in
/// between), oldest first.
pub fn unsubmitted(conn: &Connection) -> rusqlite::Result<Vec<JobRecord>> {
    select(conn, "WHERE operation IS NULL ORDER BY created_ms, job_id")
}

/// Jobs handed to the submitter whose outcome has not been seen yet, oldest first.
pub fn unsettled(conn: &Connection) -> rusqlite::Result<Vec<JobRecord>> {
    select(
        conn,
        "WHERE settled = 0 AND operation IS NOT NULL ORDER BY updated_ms, job_id",
    )
}

fn select(conn: &Connection, filter: &str) -> rusqlite::Result<Vec<JobRecord>> {
    let mut statement =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM relayer_jobs {filter}"))?;
    let rows = statement.query_map([], record_from_row)?;
    rows.collect()
}

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<JobRecord> {
    let kind: String = row.get(2)?;
    let kind = match kind.as_str() {
        "execute" => JobKind::Execute,
        "process" => JobKind::Process,
        _ => {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                2,
                Type::Text,
                format!("unknown job kind {kind:?}").into(),
            ))
        }
    };
    Ok(JobRecord {
        job: Job {
            id: B256::from(row.get::<_, [u8; 32]>(0)?),
            domain: Domain(row.get(1)?),
            kind,
            origin: row.get::<_, Option<u32>>(3)?.map(Domain),
            target: Address::from(row.get::<_, [u8; 20]>(4)?),
            calldata: Bytes::from(row.get::<_, Vec<u8>>(5)?),
        },
        attempt: row.get(6)?,
        operation: row.get::<_, Option<i64>>(7)?.map(OperationId),
        settled: row.get(8)?,
        signer: row.get::<_, Option<[u8; 20]>>(9)?.map(Address::from),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::Store;

    const SIGNER: Address = Address::repeat_byte(0xaa);

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("r.sqlite"), &[SCHEMA]).expect("opens");
        (dir, store)
    }

    fn job(byte: u8, kind: JobKind) -> Job {
        Job {
            id: B256::repeat_byte(byte),
            domain: Domain(2000),
            kind,
            origin: (kind == JobKind::Process).then_some(Domain(1000)),
            target: Address::repeat_byte(byte),
            calldata: Bytes::from(vec![byte; 3]),
        }
    }

    #[test]
    fn a_job_is_recorded_once_and_reads_back_whole() {
        let (_dir, store) = store();
        let process = job(1, JobKind::Process);
        let (record, new) = store
            .with(|conn| insert(conn, &process, SIGNER))
            .expect("inserts");
        assert!(new);
        assert_eq!(record.job, process);
        assert_eq!(record.signer, Some(SIGNER));
        assert_eq!(
            (record.attempt, record.operation, record.settled),
            (0, None, false)
        );
        let other = Address::repeat_byte(0xbb);
        let (again, new) = store
            .with(|conn| insert(conn, &process, other))
            .expect("finds");
        assert!(!new, "the same job is not recorded twice");
        assert_eq!(again, record, "the first key stays the job's");
        let (execute, _) = store
            .with(|conn| insert(conn, &job(2, JobKind::Execute), SIGNER))
            .expect("inserts");
        assert_eq!(execute.job.origin, None);
        assert_eq!(
            store.with(|conn| unsubmitted(conn)).expect("reads").len(),
            2
        );
    }

    #[test]
    fn attempts_move_forward_once_and_stale_writers_change_nothing() {
        let (_dir, store) = store();
        let id = job(1, JobKind::Execute).id;
        store
            .with(|conn| insert(conn, &job(1, JobKind::Execute), SIGNER))
            .expect("inserts");
        assert!(store
            .with(|conn| set_operation(conn, id, 0, OperationId(7)))
            .expect("sets"));
        assert!(store
            .with(|conn| unsubmitted(conn))
            .expect("reads")
            .is_empty());
        assert_eq!(store.with(|conn| unsettled(conn)).expect("reads").len(), 1);
        assert!(store.with(|conn| settle(conn, id, 0)).expect("settles"));
        assert!(
            !store.with(|conn| settle(conn, id, 0)).expect("no-op"),
            "an outcome is counted once"
        );
        assert!(store
            .with(|conn| unsettled(conn))
            .expect("reads")
            .is_empty());

        let second_key = Address::repeat_byte(0xbb);
        assert!(store
            .with(|conn| next_attempt(conn, id, 0, second_key))
            .expect("retries"));
        assert!(
            !store
                .with(|conn| next_attempt(conn, id, 0, SIGNER))
                .expect("no-op"),
            "two retries of one failed attempt start one new attempt"
        );
        assert!(
            !store
                .with(|conn| set_operation(conn, id, 0, OperationId(8)))
                .expect("no-op"),
            "the old attempt cannot take the new one's place"
        );
        let record = store
            .with(|conn| load(conn, id))
            .expect("reads")
            .expect("exists");
        assert_eq!(
            (record.attempt, record.operation, record.settled),
            (1, None, false)
        );
        assert_eq!(record.signer, Some(second_key), "the new attempt's key");
        assert_eq!(submitter_key(id, 1), format!("relayer:{id}:1"));
        assert_eq!(
            store.with(|conn| load(conn, B256::ZERO)).expect("reads"),
            None
        );
    }
}
