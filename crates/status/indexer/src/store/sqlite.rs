//! The SQLite backend: the kit's [`Store`] (WAL, `synchronous = FULL`, migrations), holding the
//! rows and the chain cursors together, so a batch and its cursor commit in one transaction.
//! The API reads through a second connection, so a read never waits for the writer.

use super::{schema, Exec, SqlBackend, StoreError, Value};
use nxtp_agent::{storage::Schema, Store};
use nxtp_chain::Batch;
use rusqlite::{types::ValueRef, Connection};
use std::path::Path;

/// The indexer's tables, for the kit's migrations.
pub const SCHEMA: Schema = Schema {
    name: "nxtp_indexer",
    migrations: schema::SQLITE_MIGRATIONS,
};

/// The SQLite backend; see the module docs.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    writer: Store,
    reader: Store,
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let schemas = [nxtp_chain::indexer::SCHEMA, SCHEMA];
        let writer = Store::open(path, &schemas)?;
        let reader = Store::open(path, &schemas)?;
        Ok(Self { writer, reader })
    }
}

/// `$n` placeholders as SQLite's `?n`.
fn sqlite_sql(sql: &str) -> String {
    sql.replace('$', "?")
}

fn to_sql(value: &Value) -> rusqlite::types::Value {
    match value {
        Value::Null => rusqlite::types::Value::Null,
        Value::Int(value) => rusqlite::types::Value::Integer(*value),
        Value::Text(value) => rusqlite::types::Value::Text(value.clone()),
    }
}

fn from_sql(value: ValueRef<'_>) -> Result<Value, StoreError> {
    Ok(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(value) => Value::Int(value),
        ValueRef::Text(text) => Value::Text(
            std::str::from_utf8(text)
                .map_err(|err| StoreError::Corrupt(err.to_string()))?
                .to_owned(),
        ),
        ValueRef::Real(_) | ValueRef::Blob(_) => {
            return Err(StoreError::Corrupt("unexpected column type".to_owned()))
        }
    })
}

/// A connection (or transaction) running the shared queries.
struct SqliteExec<'a>(&'a Connection);

impl Exec for SqliteExec<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let mut statement = self.0.prepare_cached(&sqlite_sql(sql))?;
        let params: Vec<_> = params.iter().map(to_sql).collect();
        let changed = statement.execute(rusqlite::params_from_iter(params))?;
        Ok(changed as u64)
    }

    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        let mut statement = self.0.prepare_cached(&sqlite_sql(sql))?;
        let columns = statement.column_count();
        let params: Vec<_> = params.iter().map(to_sql).collect();
        let mut rows = statement.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(columns);
            for index in 0..columns {
                values.push(from_sql(row.get_ref(index)?)?);
            }
            out.push(values);
        }
        Ok(out)
    }
}

impl SqlBackend for SqliteStore {
    const NAME: &'static str = "sqlite";

    fn cursor_store(&self) -> &Store {
        &self.writer
    }

    fn write(
        &self,
        batch: Option<&Batch>,
        write: &mut dyn FnMut(&mut dyn Exec) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut outcome = Ok(());
        self.writer.with(|conn| {
            let tx = conn.transaction()?;
            outcome = write(&mut SqliteExec(&tx));
            if outcome.is_ok() {
                if let Some(batch) = batch {
                    batch.commit(&tx)?;
                }
                tx.commit()?;
            }
            Ok(())
        })?;
        outcome
    }

    fn read(
        &self,
        read: &mut dyn FnMut(&mut dyn Exec) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut outcome = Ok(());
        self.reader.with(|conn| {
            // One transaction: every query of a read sees the same snapshot.
            let tx = conn.transaction()?;
            outcome = read(&mut SqliteExec(&tx));
            Ok(())
        })?;
        outcome
    }
}
