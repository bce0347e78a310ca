//! The PostgreSQL backend, for deployments with many chains and millions of transfers: the
//! blocking `postgres` client (run on tokio's blocking pool, as SQLite is), one connection for
//! the writer and one for the API's reads, each reconnected on its next use after the server
//! went away. The chain cursors stay in a small SQLite file, committed after the rows (see
//! the [store](super) docs for why that order is safe).
//!
//! Migrations are numbered like the SQLite ones and applied under an advisory lock, so two
//! indexers starting on one database do not both migrate it.

use super::{schema, Exec, SqlBackend, StoreError, Value};
use crate::config::redact_url;
use bytes::BytesMut;
use nxtp_agent::Store;
use nxtp_chain::Batch;
use postgres::{
    types::{to_sql_checked, IsNull, ToSql, Type},
    Client, NoTls, Statement,
};
use std::{
    collections::HashMap,
    error::Error,
    path::Path,
    sync::{Mutex, PoisonError},
    time::Duration,
};

/// How long connecting may take before the attempt fails (and is retried later).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// An arbitrary constant naming the migration lock.
const MIGRATION_LOCK: i64 = 0x6e78_7470_6978;

/// One connection and the statements prepared on it.
struct Connection {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// The PostgreSQL backend; see the module docs.
pub struct PostgresStore {
    config: postgres::Config,
    /// The URL without its password, for errors.
    shown: String,
    writer: Mutex<Option<Connection>>,
    reader: Mutex<Option<Connection>>,
    cursors: Store,
}

impl Drop for PostgresStore {
    /// Closes the connections on a thread of their own: the blocking client closes by running
    /// its runtime, which tokio forbids on an async task, where the last handle to a store is
    /// often dropped.
    fn drop(&mut self) {
        let connections = [
            self.writer
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
            self.reader
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        ];
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::spawn(move || drop(connections));
        }
    }
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

fn pg_error(err: postgres::Error) -> StoreError {
    // The error's source holds the server's message; its display alone is often just "db error".
    let detail = err.source().map(ToString::to_string).unwrap_or_default();
    if detail.is_empty() {
        StoreError::Postgres(err.to_string())
    } else {
        StoreError::Postgres(format!("{err}: {detail}"))
    }
}

impl PostgresStore {
    /// Connects to `url`, migrates the tables, and opens the cursors' SQLite file `state`.
    pub fn open(url: &str, state: &Path) -> Result<Self, StoreError> {
        let shown = redact_url(url);
        let mut config: postgres::Config = url
            .parse()
            .map_err(|err| StoreError::Postgres(format!("{shown}: {err}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let cursors = Store::open(state, &[nxtp_chain::indexer::SCHEMA])?;
        let store = Self {
            config,
            shown,
            writer: Mutex::new(None),
            reader: Mutex::new(None),
            cursors,
        };
        store.with_connection(&store.writer, |connection| migrate(&mut connection.client))?;
        Ok(store)
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        let client = self.config.connect(NoTls).map_err(|err| {
            StoreError::Postgres(format!(
                "cannot connect to {}: {}",
                self.shown,
                pg_error(err)
            ))
        })?;
        Ok(Connection {
            client,
            statements: HashMap::new(),
        })
    }

    /// Runs `f` on the connection in `slot`, connecting first if there is none or the last
    /// one closed.
    fn with_connection<R>(
        &self,
        slot: &Mutex<Option<Connection>>,
        f: impl FnOnce(&mut Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if slot
            .as_ref()
            .is_none_or(|connection| connection.client.is_closed())
        {
            *slot = Some(self.connect()?);
        }
        let Some(connection) = slot.as_mut() else {
            return Err(StoreError::Postgres("no connection".to_owned()));
        };
        let outcome = f(connection);
        if connection.client.is_closed() {
            *slot = None;
        }
        outcome
    }
}

/// Applies the migrations the database has not seen, under an advisory lock.
fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let mut tx = client.transaction().map_err(pg_error)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(pg_error)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS indexer_schema (
            id BIGINT PRIMARY KEY,
            version BIGINT NOT NULL
        )",
    )
    .map_err(pg_error)?;
    let version: i64 = tx
        .query_opt("SELECT version FROM indexer_schema WHERE id = 1", &[])
        .map_err(pg_error)?
        .map_or(0, |row| row.get(0));
    let known = schema::POSTGRES_MIGRATIONS.len();
    let applied = usize::try_from(version).unwrap_or(usize::MAX);
    if applied > known {
        return Err(StoreError::Corrupt(format!(
            "the database's schema is at version {applied}, this build knows up to {known}"
        )));
    }
    for migration in &schema::POSTGRES_MIGRATIONS[applied..] {
        tx.batch_execute(migration).map_err(pg_error)?;
    }
    let latest = i64::try_from(known).unwrap_or(i64::MAX);
    tx.execute(
        "INSERT INTO indexer_schema (id, version) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        &[&latest],
    )
    .map_err(pg_error)?;
    tx.commit().map_err(pg_error)
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Self::Null => Ok(IsNull::Yes),
            Self::Int(value) => match *ty {
                Type::INT4 => i32::try_from(*value)?.to_sql(ty, out),
                _ => value.to_sql(ty, out),
            },
            Self::Text(value) => value.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT8 | Type::INT4 | Type::TEXT | Type::VARCHAR)
    }

    to_sql_checked!();
}

/// A transaction running the shared queries, with the connection's statement cache.
struct PostgresExec<'a, 'b> {
    tx: &'a mut postgres::Transaction<'b>,
    statements: &'a mut HashMap<String, Statement>,
}

impl PostgresExec<'_, '_> {
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.prepare(sql).map_err(pg_error)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

fn params_of(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|value| value as &(dyn ToSql + Sync))
        .collect()
}

impl Exec for PostgresExec<'_, '_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let statement = self.statement(sql)?;
        self.tx
            .execute(&statement, &params_of(params))
            .map_err(pg_error)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        let statement = self.statement(sql)?;
        let rows = self
            .tx
            .query(&statement, &params_of(params))
            .map_err(pg_error)?;
        rows.iter()
            .map(|row| {
                row.columns()
                    .iter()
                    .enumerate()
                    .map(|(index, column)| {
                        let value = match *column.type_() {
                            Type::INT8 => row
                                .try_get::<_, Option<i64>>(index)
                                .map(|value| value.map_or(Value::Null, Value::Int)),
                            Type::INT4 => row
                                .try_get::<_, Option<i32>>(index)
                                .map(|value| value.map_or(Value::Null, |v| Value::Int(v.into()))),
                            _ => row
                                .try_get::<_, Option<String>>(index)
                                .map(|value| value.map_or(Value::Null, Value::Text)),
                        };
                        value.map_err(pg_error)
                    })
                    .collect()
            })
            .collect()
    }
}

impl SqlBackend for PostgresStore {
    const NAME: &'static str = "postgres";

    fn cursor_store(&self) -> &Store {
        &self.cursors
    }

    fn write(
        &self,
        batch: Option<&Batch>,
        write: &mut dyn FnMut(&mut dyn Exec) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.with_connection(&self.writer, |connection| {
            let mut tx = connection.client.transaction().map_err(pg_error)?;
            write(&mut PostgresExec {
                tx: &mut tx,
                statements: &mut connection.statements,
            })?;
            tx.commit().map_err(pg_error)
        })?;
        // Only once the rows are in: a crash before this re-delivers the batch (see the module
        // docs), never skips it.
        if let Some(batch) = batch {
            self.cursors.with(|conn| {
                let tx = conn.transaction()?;
                batch.commit(&tx)?;
                tx.commit()
            })?;
        }
        Ok(())
    }

    fn read(
        &self,
        read: &mut dyn FnMut(&mut dyn Exec) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.with_connection(&self.reader, |connection| {
            let mut tx = connection
                .client
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()
                .map_err(pg_error)?;
            read(&mut PostgresExec {
                tx: &mut tx,
                statements: &mut connection.statements,
            })?;
            tx.commit().map_err(pg_error)
        })
    }
}
