//! A shared head follower over a real anvil: it follows the chain, wakes the tasks waiting for a new
//! head, reports an unreachable endpoint, and an indexer taking its head from it delivers what it
//! would have read itself, as soon as the head moves.

mod common;

use alloy::{rpc::types::Filter, sol_types::SolEvent};
use common::{Chain, TempStore, DOMAIN};
use nxtp_agent::{CancellationToken, Cursor};
use nxtp_bindings::Home;
use nxtp_chain::{connect, Heads, Indexer};
use std::time::Duration;

const TICK: Duration = Duration::from_millis(50);
const LIMIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn follows_the_head_and_wakes_whoever_waits_for_the_next() {
    let chain = Chain::start().await;
    let heads = Heads::follow(DOMAIN, chain.reader.clone(), TICK);
    assert_eq!(heads.chain(), DOMAIN);
    let first = heads.latest().await.expect("a head");
    assert_eq!(first, chain.head().await);

    let waiter = {
        let heads = heads.clone();
        tokio::spawn(async move { heads.changed_from(first).await })
    };
    chain.mine(1).await;
    tokio::time::timeout(LIMIT, waiter)
        .await
        .expect("woken by the new head")
        .expect("waiter");
    assert_eq!(heads.latest().await.expect("a head"), first + 1);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_every_askers_error() {
    let chain = Chain::start().await;
    let reader = connect(&chain.config).await.expect("connects");
    let heads = Heads::follow(DOMAIN, reader, TICK);
    heads.latest().await.expect("a head while the chain runs");
    drop(chain);
    tokio::time::timeout(LIMIT, async {
        while heads.latest().await.is_ok() {
            tokio::time::sleep(TICK).await;
        }
    })
    .await
    .expect("the failure reaches the askers");
}

#[tokio::test]
async fn an_indexer_on_shared_heads_delivers_once_the_head_moves() {
    let chain = Chain::start().await;
    let temp = TempStore::new();
    let store = temp.open();
    let heads = Heads::follow(DOMAIN, chain.reader.clone(), TICK);
    let filter = Filter::new()
        .address(chain.home)
        .event_signature(Home::Dispatch::SIGNATURE_HASH);
    // A poll interval far beyond the test's limit: only the head moving can wake the follower.
    let mut indexer = Indexer::new(
        store.clone(),
        Cursor::new(DOMAIN, "dispatch"),
        chain.reader.clone(),
        filter,
        1,
    )
    .poll_interval(Duration::from_secs(3600))
    .heads(heads);
    let shutdown = CancellationToken::new();

    let block = chain.dispatch(b"hello").await;
    let delivery = tokio::spawn(async move {
        loop {
            let batch = indexer
                .next_batch(&shutdown)
                .await
                .expect("polls")
                .expect("not shut down");
            let store = store.clone();
            let (logs, blocks) = (batch.logs.len(), batch.blocks());
            store
                .call(move |conn| batch.commit(conn))
                .await
                .expect("commits");
            if logs > 0 {
                return blocks;
            }
        }
    });
    chain.mine(1).await;
    let blocks = tokio::time::timeout(LIMIT, delivery)
        .await
        .expect("delivered once the head moved")
        .expect("delivery task");
    assert!(blocks.contains(&block), "{blocks:?} holds block {block}");
}

#[tokio::test]
async fn over_a_websocket_heads_come_by_subscription() {
    let chain = Chain::start().await;
    let mut config = chain.config.clone();
    // anvil serves WebSocket on its HTTP port.
    config
        .rpc_url
        .set_scheme("ws")
        .expect("an http URL takes the ws scheme");
    assert!(config.is_websocket());
    let reader = connect(&config).await.expect("connects over ws");
    // A poll interval far beyond the test's limit: only the subscription (or a silence check,
    // seconds apart) can tell of a new head.
    let heads = Heads::follow(DOMAIN, reader, Duration::from_secs(3600));
    let mut head = heads.latest().await.expect("the head when subscribing");
    assert_eq!(head, chain.head().await);
    for _ in 0..3 {
        let started = std::time::Instant::now();
        chain.mine(1).await;
        tokio::time::timeout(LIMIT, heads.changed_from(head))
            .await
            .expect("woken by the new head");
        // Announced, not found by the silence check (5 s while the block time is unknown).
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "told of the new head after {:?}",
            started.elapsed()
        );
        head = heads.latest().await.expect("a head");
        assert_eq!(head, chain.head().await);
    }
}
