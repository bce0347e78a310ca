//! The store suite over the PostgreSQL backend, each test on a throwaway server of its own.

mod pg;
mod suite;

use nxtp_indexer::{PostgresStore, StatusStore};
use pg::TestPostgres;
use std::sync::Arc;

/// A fresh PostgreSQL store (kept alive, and then stopped, by the returned guard).
fn open() -> (Arc<dyn StatusStore>, TestPostgres) {
    let server = TestPostgres::start();
    let store =
        PostgresStore::open(&server.url, &server.state_path()).expect("connects and migrates");
    (Arc::new(store), server)
}

store_tests!(open());

#[test]
fn migrations_run_once_and_a_bad_server_is_a_typed_error() {
    let server = TestPostgres::start();
    let first = PostgresStore::open(&server.url, &server.state_path()).expect("opens");
    let params = suite::params(
        1,
        alloy::primitives::Address::repeat_byte(1),
        alloy::primitives::Address::repeat_byte(2),
    );
    suite::apply(
        &first,
        suite::ORIGIN,
        vec![suite::at(suite::ORIGIN, 1, 0, suite::xcalled(&params))],
    );
    drop(first);
    let again = PostgresStore::open(&server.url, &server.state_path()).expect("opens again");
    assert_eq!(again.backend(), "postgres");
    again.ping().expect("answers");
    let id = nxtp_primitives::transfer_id(&params);
    assert!(again
        .transfer(nxtp_indexer::store::TransferKey::Id(id))
        .expect("reads")
        .is_some());

    // Nothing listens on port 1: a typed error that does not leak the password.
    let refused = PostgresStore::open(
        "postgres://postgres:hunter2@127.0.0.1:1/postgres",
        &server.state_path(),
    )
    .expect_err("nothing listens");
    let message = refused.to_string();
    assert!(message.starts_with("postgres: cannot connect"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}
