//! The store suite over the SQLite backend.

mod suite;

use nxtp_indexer::{SqliteStore, StatusStore};
use std::sync::Arc;
use tempfile::TempDir;

/// A fresh SQLite store in a temporary directory (kept alive by the returned guard).
fn open() -> (Arc<dyn StatusStore>, TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(&dir.path().join("indexer.sqlite")).expect("opens");
    (Arc::new(store), dir)
}

store_tests!(open());

#[test]
fn reopening_keeps_rows_and_migrations_run_once() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("indexer.sqlite");
    let params = suite::params(
        1,
        alloy::primitives::Address::repeat_byte(1),
        alloy::primitives::Address::repeat_byte(2),
    );
    {
        let store = SqliteStore::open(&path).expect("opens");
        suite::apply(
            &store,
            suite::ORIGIN,
            vec![suite::at(suite::ORIGIN, 1, 0, suite::xcalled(&params))],
        );
    }
    let store = SqliteStore::open(&path).expect("opens again");
    let id = nxtp_primitives::transfer_id(&params);
    assert!(store
        .transfer(nxtp_indexer::store::TransferKey::Id(id))
        .expect("reads")
        .is_some());
    assert_eq!(store.backend(), "sqlite");
    store.ping().expect("answers");
}
