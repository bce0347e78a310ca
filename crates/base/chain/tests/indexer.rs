//! The indexer over a real anvil: confirmation depth, restarts, shallow and deep reorgs.

mod common;

use alloy::{primitives::B256, rpc::types::Filter, sol_types::SolEvent};
use common::{Chain, TempStore, DOMAIN};
use nxtp_agent::{CancellationToken, Classify, Cursor, Health, HealthStatus, Store};
use nxtp_bindings::Home;
use nxtp_chain::{indexer::HASH_HISTORY, Batch, ChainMetrics, Follower, Indexer, IndexerError};
use std::time::Duration;

const STREAM: &str = "dispatch";

fn indexer(chain: &Chain, store: &Store, confirmations: u64) -> Indexer {
    let filter = Filter::new()
        .address(chain.home)
        .event_signature(Home::Dispatch::SIGNATURE_HASH);
    Indexer::new(
        store.clone(),
        Cursor::new(DOMAIN, STREAM),
        chain.reader.clone(),
        filter,
        confirmations,
    )
}

/// The message bodies of a batch's `Dispatch` logs.
fn bodies(batch: &Batch) -> Vec<String> {
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

async fn commit(store: &Store, batch: Batch) {
    store
        .call(move |conn| {
            let tx = conn.transaction()?;
            batch.commit(&tx)?;
            tx.commit()
        })
        .await
        .expect("commits");
}

/// Polls and commits until the indexer is caught up; returns the bodies delivered, in order.
async fn drain(indexer: &mut Indexer, store: &Store) -> Vec<String> {
    let mut delivered = Vec::new();
    while let Some(batch) = indexer.poll().await.expect("polls") {
        assert!(batch.reorg.is_none(), "unexpected reorg {:?}", batch.reorg);
        delivered.extend(bodies(&batch));
        commit(store, batch).await;
    }
    delivered
}

#[tokio::test]
async fn delivers_only_logs_with_enough_confirmations() {
    let chain = Chain::start().await;
    let temp = TempStore::new();
    let store = temp.open();
    let mut indexer = indexer(&chain, &store, 2);

    let block = chain.dispatch(b"first").await;
    assert_eq!(drain(&mut indexer, &store).await, Vec::<String>::new());
    chain.mine(1).await;
    assert_eq!(chain.head().await, block + 1);
    assert!(
        drain(&mut indexer, &store).await.is_empty(),
        "1 confirmation of 2"
    );
    chain.mine(1).await;
    assert_eq!(drain(&mut indexer, &store).await, ["first"]);

    // The cursor stops at the safe head: nothing beyond it was read.
    let position = store
        .call(|conn| Cursor::new(DOMAIN, STREAM).get(conn))
        .await
        .expect("reads");
    assert_eq!(position, Some(chain.head().await - 2 + 1));
    assert!(indexer.poll().await.expect("polls").is_none());
}

#[tokio::test]
async fn restart_resumes_without_duplicates_or_gaps() {
    let chain = Chain::start().await;
    let temp = TempStore::new();
    let expected: Vec<String> = (0..12).map(|i| format!("message {i}")).collect();
    for body in &expected {
        chain.dispatch(body.as_bytes()).await;
    }

    let mut delivered = Vec::new();
    {
        let store = temp.open();
        // Small ranges, so the run spans several batches.
        let mut first = indexer(&chain, &store, 0).max_block_range(3);
        for _ in 0..2 {
            let batch = first.poll().await.expect("polls").expect("a batch");
            delivered.extend(bodies(&batch));
            commit(&store, batch).await;
        }
        // Handled but not committed when the process dies: must come again.
        let lost = first.poll().await.expect("polls").expect("a batch");
        assert!(!lost.logs.is_empty());
    }
    assert!(!delivered.is_empty() && delivered.len() < expected.len());

    let store = temp.open();
    let mut second = indexer(&chain, &store, 0).max_block_range(3);
    delivered.extend(drain(&mut second, &store).await);
    assert_eq!(delivered, expected);

    // And it keeps following the chain after the restart.
    chain.dispatch(b"after restart").await;
    assert_eq!(drain(&mut second, &store).await, ["after restart"]);
}

#[tokio::test]
async fn shallow_reorg_is_never_seen() {
    let chain = Chain::start().await;
    let temp = TempStore::new();
    let store = temp.open();
    let metrics = ChainMetrics::detached().expect("metrics");
    let mut indexer = indexer(&chain, &store, 3).metrics(metrics.clone());

    chain.dispatch(b"settled").await;
    chain.mine(3).await;
    assert_eq!(drain(&mut indexer, &store).await, ["settled"]);

    // A branch two blocks long, shallower than the three confirmations, is replaced.
    let fork = chain.snapshot().await;
    chain.dispatch(b"abandoned").await;
    chain.mine(1).await;
    assert!(drain(&mut indexer, &store).await.is_empty());
    chain.revert(fork).await;
    chain.dispatch(b"canonical").await;
    chain.mine(5).await;

    assert_eq!(drain(&mut indexer, &store).await, ["canonical"]);
    assert_eq!(metrics.deep_reorg_count(DOMAIN, STREAM), 0);
}

/// The boundary, with anvil's own reorgs (the head stays where it was): a reorg replacing as many
/// blocks as the confirmation depth never touches a delivered block, so it is not deep, whatever
/// the depth; one block more replaces the newest delivered block and is.
#[tokio::test]
async fn a_reorg_is_deep_only_beyond_the_confirmation_depth() {
    use alloy::{
        providers::ext::AnvilApi,
        rpc::types::anvil::{ReorgOptions, TransactionData},
    };
    let reorg = |chain: &Chain, depth: u64| {
        let reader = chain.reader.clone();
        async move {
            reader
                .anvil_reorg(ReorgOptions {
                    depth,
                    tx_block_pairs: Vec::<(TransactionData, u64)>::new(),
                })
                .await
                .expect("reorgs");
        }
    };
    for confirmations in [0, 1, 2, 3] {
        let chain = Chain::start().await;
        let temp = TempStore::new();
        let store = temp.open();
        let metrics = ChainMetrics::detached().expect("metrics");
        let mut indexer = indexer(&chain, &store, confirmations).metrics(metrics.clone());
        chain.dispatch(b"settled").await;
        chain.mine(confirmations + 4).await;
        assert_eq!(drain(&mut indexer, &store).await, ["settled"]);

        if confirmations > 0 {
            reorg(&chain, confirmations).await;
            chain.mine(1).await;
            assert!(drain(&mut indexer, &store).await.is_empty());
            assert_eq!(
                metrics.deep_reorg_count(DOMAIN, STREAM),
                0,
                "a reorg of {confirmations} block(s) at depth {confirmations}"
            );
        }

        reorg(&chain, confirmations + 1).await;
        chain.mine(1).await;
        let batch = indexer.poll().await.expect("polls").expect("a batch");
        assert!(batch.reorg.is_some(), "reported at depth {confirmations}");
        assert_eq!(
            metrics.deep_reorg_count(DOMAIN, STREAM),
            1,
            "a reorg of {} blocks at depth {confirmations}",
            confirmations + 1
        );
    }
}

#[tokio::test]
async fn deep_reorg_is_reported_and_the_new_branch_redelivered() {
    let chain = Chain::start().await;
    let temp = TempStore::new();
    let store = temp.open();
    let metrics = ChainMetrics::detached().expect("metrics");
    let mut indexer = indexer(&chain, &store, 1).metrics(metrics.clone());

    chain.dispatch(b"settled").await;
    chain.mine(1).await;
    assert_eq!(drain(&mut indexer, &store).await, ["settled"]);

    let fork = chain.snapshot().await;
    let fork_block = chain.head().await;
    chain.dispatch(b"abandoned").await;
    chain.mine(2).await;
    // Delivered at one confirmation; the chain then replaces it, a reorg three blocks deep.
    assert_eq!(drain(&mut indexer, &store).await, ["abandoned"]);
    chain.revert(fork).await;
    chain.dispatch(b"replacement").await;
    chain.mine(3).await;

    let batch = indexer.poll().await.expect("polls").expect("a batch");
    let reorg = batch.reorg.clone().expect("the reorg is reported");
    assert!(reorg.resume_from <= fork_block + 1, "{reorg:?}");
    assert!(reorg.replaced_block > fork_block, "{reorg:?}");
    assert_eq!(metrics.deep_reorg_count(DOMAIN, STREAM), 1);
    // Polled again before committing: the same batch, reported once.
    let again = indexer.poll().await.expect("polls").expect("a batch");
    assert_eq!(again.blocks(), batch.blocks());
    assert_eq!(metrics.deep_reorg_count(DOMAIN, STREAM), 1);

    let mut delivered = bodies(&batch);
    commit(&store, batch).await;
    delivered.extend(drain(&mut indexer, &store).await);
    assert_eq!(delivered, ["replacement"]);
    assert_eq!(metrics.deep_reorg_count(DOMAIN, STREAM), 1);
}

#[tokio::test]
async fn reorg_past_every_remembered_block_stops_the_indexer() {
    let chain = Chain::start().await;
    let temp = TempStore::new();
    let store = temp.open();
    chain.mine(HASH_HISTORY + 10).await;
    let mut indexer = indexer(&chain, &store, 0).max_block_range(1);
    // One block per batch: every block's hash is remembered, up to the history's length.
    while indexer.poll().await.expect("polls").is_some() {
        let batch = indexer.poll().await.expect("polls").expect("same batch");
        commit(&store, batch).await;
    }
    // Stand-in for a reorg deeper than the history: every remembered hash differs from the chain.
    let remembered = store
        .call(|conn| {
            conn.execute(
                "UPDATE indexer_blocks SET hash = ?1",
                [B256::repeat_byte(0xee).as_slice()],
            )
        })
        .await
        .expect("rewrites hashes");
    assert_eq!(remembered as u64, HASH_HISTORY);
    chain.mine(1).await;
    let err = indexer.poll().await.expect_err("cannot resume");
    assert!(
        matches!(err, IndexerError::ReorgBeyondHistory { .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn next_batch_waits_for_blocks_and_stops_on_shutdown() {
    let chain = Chain::start().await;
    let temp = TempStore::new();
    let store = temp.open();
    let mut indexer = indexer(&chain, &store, 0).poll_interval(Duration::from_millis(50));
    let shutdown = CancellationToken::new();
    while let Some(batch) = indexer.poll().await.expect("polls") {
        commit(&store, batch).await;
    }

    // `next_batch` is a follower's `next`; one reporting its empty polls shows it waiting.
    let health = Health::new();
    let mut follower = Follower::new("indexer poll failed").health(health.clone(), "home");
    let waiting = tokio::spawn(async move {
        let batch = follower.next(&mut indexer, &shutdown).await;
        (indexer, shutdown, batch)
    });
    tokio::time::timeout(Duration::from_secs(30), async {
        while health.rounds("home") == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the follower polls");
    chain.dispatch(b"later").await;
    let (mut indexer, shutdown, batch) = waiting.await.expect("joins");
    let batch = batch.expect("no error").expect("a batch");
    assert_eq!(bodies(&batch), ["later"]);
    commit(&store, batch).await;

    shutdown.cancel();
    assert!(indexer
        .next_batch(&shutdown)
        .await
        .expect("no error")
        .is_none());
}

#[tokio::test]
async fn a_batch_the_task_could_not_handle_comes_again_and_marks_the_stream_failing() {
    let chain = Chain::start().await;
    let temp = TempStore::new();
    let store = temp.open();
    let mut indexer = indexer(&chain, &store, 0).poll_interval(Duration::from_millis(50));
    while let Some(batch) = indexer.poll().await.expect("polls") {
        commit(&store, batch).await;
    }
    let health = Health::new();
    let mut follower = Follower::new("cannot read the Home").health(health.clone(), "home");
    let shutdown = CancellationToken::new();

    chain.dispatch(b"flaky").await;
    let batch = follower
        .next(&mut indexer, &shutdown)
        .await
        .expect("no error")
        .expect("a batch");
    assert_eq!(bodies(&batch), ["flaky"]);
    follower.failed("the handler's RPC call failed");

    // Not committed: handed out again, after the stream was reported failing.
    let again = follower
        .next(&mut indexer, &shutdown)
        .await
        .expect("no error")
        .expect("the batch again");
    assert_eq!(bodies(&again), ["flaky"]);
    assert!(
        matches!(health.status(), HealthStatus::Unhealthy { ref reason } if reason.contains("the handler's RPC call failed")),
        "{:?}",
        health.status()
    );
    commit(&store, again).await;

    // Asking for more says it was handled: the stream is live again.
    shutdown.cancel();
    assert!(follower
        .next(&mut indexer, &shutdown)
        .await
        .expect("no error")
        .is_none());
    assert_eq!(health.status(), HealthStatus::Healthy);
}
