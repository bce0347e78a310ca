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

/// The message bodies of a batch's `Dispatch` logs.
fn bodies(batch: &nxtp_chain::Batch) -> Vec<String> {
    batch
        .logs
        .iter()
        .map(|log| {
            let event = log.log_decode::<Home::Dispatch>().expect("a Dispatch log");
            let message = nxtp_primitives::Message::decode(&event.inner.message).expect("message");
            String::from_utf8(message.body.to_vec()).expect("utf-8 body")
        })
        .collect()
}

/// Polls and commits until caught up with the follower's head: the bodies delivered, and the
/// deep reorgs reported.
async fn drain(
    indexer: &mut Indexer,
    store: &nxtp_agent::Store,
) -> (Vec<String>, Vec<nxtp_chain::DeepReorg>) {
    let mut delivered = Vec::new();
    let mut reorgs = Vec::new();
    while let Some(batch) = indexer.poll().await.expect("polls") {
        delivered.extend(bodies(&batch));
        reorgs.extend(batch.reorg.clone());
        store
            .call(move |conn| batch.commit(conn))
            .await
            .expect("commits");
    }
    (delivered, reorgs)
}

/// Waits until `heads` has seen the chain's latest block.
async fn caught_up(heads: &Heads, chain: &Chain) {
    use alloy::{eips::BlockNumberOrTag, providers::Provider};
    tokio::time::timeout(LIMIT, async {
        loop {
            let latest = chain
                .reader
                .get_block_by_number(BlockNumberOrTag::Latest)
                .await
                .expect("reads the head")
                .expect("a head");
            let tip = heads.tip().await.expect("a tip");
            if tip.head().hash == latest.header.hash {
                return;
            }
            tokio::time::sleep(TICK).await;
        }
    })
    .await
    .expect("the follower catches up");
}

#[tokio::test]
async fn the_tip_holds_the_heads_ancestors_and_what_changed_state() {
    let chain = Chain::start().await;
    let heads = Heads::follow(DOMAIN, chain.reader.clone(), TICK);
    caught_up(&heads, &chain).await;
    let busy = chain.dispatch(b"state changes here").await;
    for _ in 0..3 {
        chain.mine(1).await;
        caught_up(&heads, &chain).await;
    }
    let tip = heads.tip().await.expect("a tip");
    holds_the_chains_hashes(&tip, &chain, busy).await;
    for number in busy..=tip.number() {
        // The dispatch's block changed state; the empty blocks after it did not.
        let busy_hash = tip.hash_of(busy);
        assert_eq!(tip.state_block(number), busy_hash, "block {number}");
    }
    assert_eq!(heads.latest_block().await.expect("a head"), *tip.head());
}

/// Asserts `tip` holds the chain's hash of every block from `from` to its head.
async fn holds_the_chains_hashes(tip: &nxtp_chain::heads::Tip, chain: &Chain, from: u64) {
    use alloy::providers::Provider;
    for number in from..=tip.number() {
        let block = chain
            .reader
            .get_block_by_number(number.into())
            .await
            .expect("reads")
            .expect("on the chain");
        assert_eq!(
            tip.hash_of(number),
            Some(block.header.hash),
            "block {number}"
        );
    }
}

/// Blocks mined between two polls are linked by their headers, so the tip keeps what it knew
/// (an agent's cached reads of contract state stay valid); a gap longer than the follower links
/// starts the tip anew from the new head.
#[tokio::test]
async fn blocks_mined_between_two_polls_are_linked_into_the_tip() {
    let chain = Chain::start().await;
    let heads = Heads::follow(DOMAIN, chain.reader.clone(), TICK);
    let busy = chain.dispatch(b"state changes here").await;
    caught_up(&heads, &chain).await;
    chain.mine(5).await;
    caught_up(&heads, &chain).await;
    let tip = heads.tip().await.expect("a tip");
    assert_eq!(tip.number(), busy + 5);
    holds_the_chains_hashes(&tip, &chain, busy).await;
    // The blocks mined at once used no gas: the state is still the dispatch's block's.
    assert_eq!(tip.state_block(tip.number()), tip.hash_of(busy));

    // Forty at once are too many to read: the tip starts anew. A poll may land while anvil is
    // still mining them and link the few it saw, but the tip that follows cannot hold the first.
    let before = tip.number();
    chain.mine(40).await;
    caught_up(&heads, &chain).await;
    let tip = heads.tip().await.expect("a tip");
    assert_eq!(tip.hash_of(tip.number() - 1), Some(tip.head().parent_hash));
    assert_eq!(
        tip.hash_of(before + 1),
        None,
        "forty blocks are not all read"
    );
}

#[tokio::test]
async fn an_indexer_on_shared_heads_reports_a_deep_reorg_and_redelivers() {
    let chain = Chain::start().await;
    let temp = TempStore::new();
    let store = temp.open();
    let heads = Heads::follow(DOMAIN, chain.reader.clone(), TICK);
    let metrics = nxtp_chain::ChainMetrics::detached().expect("metrics");
    let filter = Filter::new()
        .address(chain.home)
        .event_signature(Home::Dispatch::SIGNATURE_HASH);
    let mut indexer = Indexer::new(
        store.clone(),
        Cursor::new(DOMAIN, "dispatch"),
        chain.reader.clone(),
        filter,
        1,
    )
    .metrics(metrics.clone())
    .heads(heads.clone());
    chain.dispatch(b"settled").await;
    chain.mine(1).await;
    caught_up(&heads, &chain).await;
    assert_eq!(
        drain(&mut indexer, &store).await,
        (vec!["settled".to_owned()], vec![])
    );

    let fork = chain.snapshot().await;
    chain.dispatch(b"abandoned").await;
    // One block at a time, so the follower links each to its parent and the indexer reads
    // from its tip.
    for _ in 0..2 {
        chain.mine(1).await;
        caught_up(&heads, &chain).await;
        let (delivered, reorgs) = drain(&mut indexer, &store).await;
        assert!(reorgs.is_empty());
        if !delivered.is_empty() {
            assert_eq!(delivered, ["abandoned"]);
        }
    }
    // Delivered at one confirmation; the chain then replaces it, a reorg three blocks deep.
    chain.revert(fork).await;
    chain.dispatch(b"replacement").await;
    chain.mine(3).await;
    caught_up(&heads, &chain).await;
    let (delivered, reorgs) = drain(&mut indexer, &store).await;
    assert_eq!(delivered, ["replacement"]);
    assert_eq!(reorgs.len(), 1, "{reorgs:?}");
    assert_eq!(metrics.deep_reorg_count(DOMAIN, "dispatch"), 1);

    // A shallow reorg (one block at one confirmation) is never seen.
    use alloy::{
        providers::ext::AnvilApi,
        rpc::types::anvil::{ReorgOptions, TransactionData},
    };
    chain.mine(1).await;
    caught_up(&heads, &chain).await;
    drain(&mut indexer, &store).await;
    chain
        .reader
        .anvil_reorg(ReorgOptions {
            depth: 1,
            tx_block_pairs: Vec::<(TransactionData, u64)>::new(),
        })
        .await
        .expect("reorgs");
    chain.mine(1).await;
    caught_up(&heads, &chain).await;
    let (delivered, reorgs) = drain(&mut indexer, &store).await;
    assert!(delivered.is_empty() && reorgs.is_empty());
    assert_eq!(metrics.deep_reorg_count(DOMAIN, "dispatch"), 1);
}

#[tokio::test]
async fn over_a_websocket_pending_transactions_are_announced() {
    use alloy::{
        primitives::{Address, Bytes},
        providers::ext::AnvilApi,
    };
    let chain = Chain::start().await;
    let http = Heads::follow(DOMAIN, chain.reader.clone(), TICK);
    http.latest().await.expect("a head");
    assert_eq!(http.pending_announced(), None, "HTTP announces nothing");

    let mut config = chain.config.clone();
    config
        .rpc_url
        .set_scheme("ws")
        .expect("an http URL takes the ws scheme");
    let reader = connect(&config).await.expect("connects over ws");
    let heads = Heads::follow(DOMAIN, reader, Duration::from_secs(3600));
    heads.latest().await.expect("a head");
    let subscribed = tokio::time::timeout(LIMIT, async {
        loop {
            if let Some(count) = heads.pending_announced() {
                return count;
            }
            tokio::time::sleep(TICK).await;
        }
    })
    .await
    .expect("subscribed to pending transactions");

    chain
        .reader
        .anvil_set_auto_mine(false)
        .await
        .expect("automine off");
    let recipient = nxtp_primitives::address_to_bytes32(Address::repeat_byte(0x22));
    let _pending = chain
        .home()
        .dispatch(
            common::REMOTE_DOMAIN,
            recipient,
            Bytes::from_static(b"announced"),
        )
        .send()
        .await
        .expect("sends dispatch");
    tokio::time::timeout(LIMIT, async {
        while heads.pending_announced() == Some(subscribed) {
            tokio::time::sleep(TICK).await;
        }
    })
    .await
    .expect("the pending transaction is announced");
    assert!(heads.pending_announced() > Some(subscribed));
}
