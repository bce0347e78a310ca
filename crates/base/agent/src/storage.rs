//! Durable agent state in SQLite.
//!
//! One connection per store, behind a mutex. SQLite admits one writer at a time anyway, agent
//! transactions are short, and a single connection makes "read cursor, act, write cursor" in
//! one transaction trivially serial. Synchronous code calls [`Store::with`]; async code calls
//! [`Store::call`], which runs the closure in place on the calling task's thread.
//!
//! Why in place and not on tokio's blocking pool: an agent's statements take microseconds and a
//! commit one `fsync`, while each hop to the blocking pool and back cost two thread wake-ups. Under
//! load those wake-ups were the largest single item in the relayer's and sequencer's profiles, and
//! running in place cut the agents' CPU per transfer by a tenth with the same latency. A commit
//! holds its worker thread for one `fsync`; the other worker threads keep the agent's tasks going.
//!
//! Durability: WAL journal with `synchronous = FULL`, so a committed transaction survives
//! `kill -9` and power loss; an agent that commits its cursor in the same transaction as the
//! effect it records can never act twice on one event.

use nxtp_primitives::Domain;
use rusqlite::{config::DbConfig, params, Connection, OptionalExtension, TransactionBehavior};
use std::{
    borrow::Cow,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

/// Prepared statements kept per connection (`Connection::prepare_cached`): more than any agent
/// runs, so none is parsed twice.
const STATEMENT_CACHE: usize = 128;

/// How long a statement waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A named, ordered list of migrations. Migration `i` (0-based) brings the schema to version
/// `i + 1`; a released migration is never edited, only followed by new ones.
#[derive(Clone, Copy, Debug)]
pub struct Schema {
    /// Unique per store, e.g. `updater`.
    pub name: &'static str,
    /// SQL batches, oldest first.
    pub migrations: &'static [&'static str],
}

/// The runtime's own tables, applied to every store before the agent's schemas.
const RUNTIME_SCHEMA: Schema = Schema {
    name: "nxtp_agent",
    migrations: &["CREATE TABLE cursors (
        chain INTEGER NOT NULL,
        stream TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (chain, stream)
    ) STRICT;"],
};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// SQLite refused an operation.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database could not be opened.
    #[error("cannot open database {}: {source}", path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// The database needs a journal mode this filesystem does not offer.
    #[error("database {} cannot use WAL (journal mode is {mode})", path.display())]
    NoWal {
        /// The database file.
        path: PathBuf,
        /// The mode SQLite kept.
        mode: String,
    },
    /// The database was written by a newer build: refuse rather than misread it.
    #[error("schema {schema} is at version {found}, this build knows up to {known}")]
    SchemaTooNew {
        /// The schema's name.
        schema: &'static str,
        /// Version in the database.
        found: usize,
        /// Latest version this build has.
        known: usize,
    },
    /// A storage closure panicked; its transaction was rolled back.
    #[error("storage task panicked: {message}")]
    Panicked {
        /// The panic's message.
        message: String,
    },
}

/// A handle to one SQLite database; clones share the connection.
#[derive(Clone, Debug)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates the runtime's tables and
    /// then each of `schemas` to their latest version.
    pub fn open(path: &Path, schemas: &[Schema]) -> Result<Self, StorageError> {
        let open_error = |source| StorageError::Open {
            path: path.to_owned(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        let mode = enable_wal(&conn).map_err(open_error)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StorageError::NoWal {
                path: path.to_owned(),
                mode,
            });
        }
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_error)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_error)?;
        // Agents run the same few dozen statements over and over: parsing one again on every
        // call cost a tenth of a busy agent's CPU, so every one an agent uses stays prepared.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // The bundled SQLite plans with the values bound to a statement (STAT4): a statement whose
        // plan could depend on them is compiled again each time they change, which undid the
        // cache above for most of the agents' queries (a third of an idle processor's CPU). The
        // query planner stability guarantee plans once per statement.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(open_error)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_versions (
                schema TEXT PRIMARY KEY,
                version INTEGER NOT NULL
            ) STRICT;",
        )?;
        for schema in std::iter::once(&RUNTIME_SCHEMA).chain(schemas) {
            migrate(&mut conn, schema)?;
        }
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` on the connection, blocking the calling thread; from async code use
    /// [`Store::call`].
    pub fn with<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<R>,
    ) -> Result<R, StorageError> {
        // A closure that panicked mid-transaction had its `Transaction` rolled back during the
        // unwind, so the connection is still consistent and the poison flag can be ignored.
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(f(&mut conn)?)
    }

    /// Runs `f` on the connection from async code. A panic in `f` is caught and returned as
    /// [`StorageError::Panicked`], as a failed task would be, instead of unwinding through the
    /// caller's task.
    pub async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<R> + Send + 'static,
    ) -> Result<R, StorageError> {
        // The closure owns what it touches (`'static`), and a transaction it left open is rolled
        // back by its drop during the unwind, so nothing half-written is visible after a panic.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.with(f))).map_err(
            |payload| StorageError::Panicked {
                message: crate::tasks::panic_message(payload.as_ref()),
            },
        )?
    }
}

/// Switches the database to WAL and returns the journal mode now in force. Changing the journal mode
/// needs an exclusive lock and SQLite reports a conflict at once instead of waiting on the busy timeout,
/// so a conflict with another process opening the same new file is retried until the timeout.
fn enable_wal(conn: &Connection) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0)) {
            Err(rusqlite::Error::SqliteFailure(failure, _))
                if failure.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            outcome => return outcome,
        }
    }
}

/// Brings `schema` to its latest version. The version is read and the migrations applied under one
/// write lock (an IMMEDIATE transaction), so two processes opening a new database at once cannot both
/// see version 0 and both try to create the tables.
fn migrate(conn: &mut Connection, schema: &Schema) -> Result<(), StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: usize = tx
        .prepare_cached("SELECT version FROM schema_versions WHERE schema = ?1")?
        .query_row([schema.name], |row| row.get(0))
        .optional()?
        .unwrap_or(0);
    let known = schema.migrations.len();
    if found > known {
        return Err(StorageError::SchemaTooNew {
            schema: schema.name,
            found,
            known,
        });
    }
    for (index, sql) in schema.migrations.iter().enumerate().skip(found) {
        tx.execute_batch(sql)?;
        tx.prepare_cached(
            "INSERT INTO schema_versions (schema, version) VALUES (?1, ?2)
             ON CONFLICT (schema) DO UPDATE SET version = excluded.version",
        )?
        .execute(params![schema.name, index + 1])?;
        tracing::info!(
            schema = schema.name,
            version = index + 1,
            "applying migration"
        );
    }
    tx.commit()?;
    Ok(())
}

/// How far one stream of work has got on one chain, e.g. the last block whose `Dispatch`
/// events the updater has handled. Read and write it inside the transaction that records the
/// work, so the two cannot disagree after a crash.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cursor {
    /// The chain the stream reads.
    pub chain: Domain,
    /// The stream's name, unique per agent database.
    pub stream: Cow<'static, str>,
}

impl Cursor {
    /// The cursor for `stream` on `chain`.
    pub fn new(chain: Domain, stream: impl Into<Cow<'static, str>>) -> Self {
        Self {
            chain,
            stream: stream.into(),
        }
    }

    /// The stored position, if any was ever saved.
    pub fn get(&self, conn: &Connection) -> rusqlite::Result<Option<u64>> {
        conn.prepare_cached("SELECT position FROM cursors WHERE chain = ?1 AND stream = ?2")?
            .query_row(params![self.chain.get(), self.stream], |row| row.get(0))
            .optional()
    }

    /// Saves `position`.
    pub fn set(&self, conn: &Connection, position: u64) -> rusqlite::Result<()> {
        conn.prepare_cached(
            "INSERT INTO cursors (chain, stream, position) VALUES (?1, ?2, ?3)
             ON CONFLICT (chain, stream) DO UPDATE SET position = excluded.position",
        )?
        .execute(params![self.chain.get(), self.stream, position])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTES: Schema = Schema {
        name: "notes",
        migrations: &[
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL) STRICT;",
            "ALTER TABLE notes ADD COLUMN seen INTEGER NOT NULL DEFAULT 0;",
        ],
    };

    #[test]
    fn concurrent_opens_of_a_new_database_both_migrate_once() {
        for _ in 0..20 {
            let (_dir, path) = temp_db();
            let openers: Vec<_> = (0..2)
                .map(|_| {
                    let path = path.clone();
                    std::thread::spawn(move || Store::open(&path, &[NOTES]).map(drop))
                })
                .collect();
            for opener in openers {
                opener
                    .join()
                    .expect("no panic")
                    .expect("both processes open the new database");
            }
            let store = Store::open(&path, &[NOTES]).expect("reopen");
            let version: i64 = store
                .with(|conn| {
                    conn.query_row(
                        "SELECT version FROM schema_versions WHERE schema = 'notes'",
                        [],
                        |row| row.get(0),
                    )
                })
                .expect("version");
            assert_eq!(version, 2, "every migration applied exactly once");
        }
    }

    fn temp_db() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("agent.sqlite");
        (dir, path)
    }

    #[test]
    fn cursors_and_data_survive_reopen() {
        let (_dir, path) = temp_db();
        let cursor = Cursor::new(Domain(1000), "dispatch");
        {
            let store = Store::open(&path, &[NOTES]).expect("opens");
            store
                .with(|conn| {
                    let tx = conn.transaction()?;
                    assert_eq!(cursor.get(&tx)?, None);
                    tx.execute("INSERT INTO notes (text, seen) VALUES ('a', 1)", [])?;
                    cursor.set(&tx, 41)?;
                    cursor.set(&tx, 42)?;
                    tx.commit()
                })
                .expect("writes");
        }
        let store = Store::open(&path, &[NOTES]).expect("reopens");
        let (position, notes, other) = store
            .with(|conn| {
                let notes: i64 = conn.query_row("SELECT COUNT(*) FROM notes", [], |r| r.get(0))?;
                let other = Cursor::new(Domain(2000), "dispatch").get(conn)?;
                Ok((cursor.get(conn)?, notes, other))
            })
            .expect("reads");
        assert_eq!(position, Some(42));
        assert_eq!(notes, 1);
        assert_eq!(other, None);
    }

    #[test]
    fn uncommitted_work_does_not_move_the_cursor() {
        let (_dir, path) = temp_db();
        let store = Store::open(&path, &[]).expect("opens");
        let cursor = Cursor::new(Domain(1), "blocks");
        store.with(|conn| cursor.set(conn, 10)).expect("sets");
        store
            .with(|conn| {
                let tx = conn.transaction()?;
                cursor.set(&tx, 11)?;
                tx.rollback()
            })
            .expect("rolls back");
        assert_eq!(
            store.with(|conn| cursor.get(conn)).expect("reads"),
            Some(10)
        );
    }

    #[test]
    fn opens_in_wal_with_full_sync() {
        let (_dir, path) = temp_db();
        let store = Store::open(&path, &[]).expect("opens");
        let (mode, sync): (String, i64) = store
            .with(|conn| {
                let mode = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
                let sync = conn.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
                Ok((mode, sync))
            })
            .expect("reads pragmas");
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "2 is FULL");
    }

    #[test]
    fn migrations_apply_once_and_in_order() {
        let (_dir, path) = temp_db();
        let first = Schema {
            name: "notes",
            migrations: &NOTES.migrations[..1],
        };
        Store::open(&path, &[first]).expect("first version");
        // Reopening with one more migration applies only the new one; the ALTER would fail if
        // the CREATE ran again.
        let store = Store::open(&path, &[NOTES]).expect("upgrades");
        Store::open(&path, &[NOTES]).expect("idempotent");
        let version: i64 = store
            .with(|conn| {
                conn.query_row(
                    "SELECT version FROM schema_versions WHERE schema = 'notes'",
                    [],
                    |r| r.get(0),
                )
            })
            .expect("reads version");
        assert_eq!(version, 2);

        let err = Store::open(&path, &[first]).expect_err("downgrade refused");
        assert!(matches!(
            err,
            StorageError::SchemaTooNew {
                schema: "notes",
                found: 2,
                known: 1
            }
        ));
    }

    #[tokio::test]
    async fn async_calls_read_and_write() {
        let (_dir, path) = temp_db();
        let store = Store::open(&path, &[]).expect("opens");
        let cursor = Cursor::new(Domain(7), "logs");
        let write = cursor.clone();
        let largest = i64::MAX as u64;
        store
            .call(move |conn| {
                // SQLite integers are signed 64-bit: beyond that is an error, never a wrap.
                assert!(write.set(conn, largest + 1).is_err());
                write.set(conn, largest)
            })
            .await
            .expect("writes");
        let read = store
            .call(move |conn| cursor.get(conn))
            .await
            .expect("reads");
        assert_eq!(read, Some(largest));
    }

    #[test]
    fn cached_statements_are_not_compiled_again_for_new_values() {
        const BLOCKS: Schema = Schema {
            name: "blocks",
            migrations: &["CREATE TABLE blocks (
                chain INTEGER NOT NULL,
                number INTEGER NOT NULL,
                hash BLOB NOT NULL,
                PRIMARY KEY (chain, number)
            ) STRICT;"],
        };
        let (_dir, path) = temp_db();
        let store = Store::open(&path, &[BLOCKS]).expect("opens");
        let sql = "SELECT number FROM blocks WHERE chain = ?1 AND number >= ?2
                   ORDER BY number DESC LIMIT ?3";
        let recompiled = store
            .with(|conn| {
                for number in 0..20u32 {
                    conn.execute(
                        "INSERT INTO blocks (chain, number, hash) VALUES (1, ?1, x'00')",
                        [number],
                    )?;
                }
                for number in 0..20u32 {
                    conn.prepare_cached(sql)?
                        .query_row(params![1, number, number % 3], |row| row.get::<_, i64>(0))
                        .optional()?;
                }
                let statement = conn.prepare_cached(sql)?;
                Ok(statement.get_status(rusqlite::StatementStatus::RePrepare))
            })
            .expect("queries");
        assert_eq!(recompiled, 0, "each query reused the compiled statement");
    }

    #[tokio::test]
    async fn a_panicking_call_is_an_error_and_leaves_nothing_written() {
        let (_dir, path) = temp_db();
        let store = Store::open(&path, &[NOTES]).expect("opens");
        let err = store
            .call(|conn| -> rusqlite::Result<()> {
                let tx = conn.transaction()?;
                tx.execute("INSERT INTO notes (text) VALUES ('half')", [])?;
                panic!("mid-transaction");
            })
            .await
            .expect_err("a panic is an error");
        assert!(
            matches!(&err, StorageError::Panicked { message } if message == "mid-transaction"),
            "{err}"
        );
        let notes: i64 = store
            .call(|conn| conn.query_row("SELECT COUNT(*) FROM notes", [], |r| r.get(0)))
            .await
            .expect("the store is usable after the panic");
        assert_eq!(notes, 0, "the panicked transaction was rolled back");
    }
}
