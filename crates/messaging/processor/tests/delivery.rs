//! The processor over real anvil chains (one-second blocks): interleaved messages delivered
//! exactly once and promptly, reverting recipients retried, nothing sent inside a window, and a
//! crash mid-flight that neither repeats nor loses a delivery.

mod common;

use alloy::providers::{ext::AnvilApi, Provider};
use common::{
    eventually, first_block_at, processor_config, replica_events, two_more_rounds, Crashable, Net,
    Running,
};
use nxtp_bindings::Replica;
use nxtp_devnet::Role;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interleaved_messages_are_each_delivered_once_soon_after_the_window() {
    let net = Net::with_window(&[1000, 2000, 3000], 4).await;
    let config = processor_config(&net, &net.path("processor.sqlite"));
    let ops = config.telemetry.listen;
    let processor = Running::start(config);

    // One tree on 1000 holds messages to 2000 and 3000, interleaved; 2000 also sends to 3000.
    let sends: Vec<(u32, String)> = (0..8)
        .map(|i| (if i % 2 == 0 { 2000 } else { 3000 }, format!("1000 #{i}")))
        .collect();
    let from_1000 = net.dispatch(1000, &sends).await;
    let from_2000 = net
        .dispatch(2000, &[(3000, "2000 #0".into()), (3000, "2000 #1".into())])
        .await;
    let (_, at_1000) = net.honest_update(1000, &[2000, 3000]).await;
    let (_, at_2000) = net.honest_update(2000, &[3000]).await;

    eventually("every message delivered", || async {
        net.handled(2000).await == 4 && net.handled(3000).await == 6
    })
    .await;
    // Two more rounds of each destination, in which nothing else may happen.
    two_more_rounds(ops, "deliveries on 2000").await;
    two_more_rounds(ops, "deliveries on 3000").await;
    assert_eq!(net.handled(2000).await, 4);
    assert_eq!(net.handled(3000).await, 6);
    for message in from_1000.iter().chain(&from_2000) {
        assert_eq!(net.times_handled(message).await, 1, "{message:?}");
    }
    // One batch per origin and destination, none wasted.
    assert_eq!(net.mined_txs(2000, Role::Processor).await, 1);
    assert_eq!(net.mined_txs(3000, Role::Processor).await, 2);
    assert_eq!(net.mined_txs(1000, Role::Processor).await, 0);

    // Latency: blocks from the first block in which the root is acceptable to the delivery.
    let mut latencies = Vec::new();
    for (destination, origin, confirm_at) in [
        (2000, 1000, at_1000[0]),
        (3000, 1000, at_1000[1]),
        (3000, 2000, at_2000[0]),
    ] {
        let acceptable = first_block_at(&net, destination, confirm_at).await;
        for (_, block) in replica_events::<Replica::Processed>(&net, destination, origin).await {
            assert!(block >= acceptable, "delivered before the window ended");
            latencies.push(block - acceptable);
        }
    }
    latencies.sort_unstable();
    eprintln!("blocks from acceptable to delivered: {latencies:?}");
    assert_eq!(latencies.len(), 10);
    let p50 = latencies[latencies.len() / 2];
    assert!(p50 <= 2, "p50 of {latencies:?} blocks");
    processor.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reverting_recipient_is_retried_until_it_accepts() {
    let net = Net::with_window(&[1000, 2000], 2).await;
    net.set_rejecting(2000, true).await;
    let config = processor_config(&net, &net.path("processor.sqlite"));
    let ops = config.telemetry.listen;
    let processor = Running::start(config);
    let messages = net
        .dispatch(1000, &[(2000, "a".into()), (2000, "b".into())])
        .await;
    net.honest_update(1000, &[2000]).await;

    // The batch fails both, then each is retried with `process` (at least once more).
    eventually("failed deliveries retried", || async {
        let failed = replica_events::<Replica::ProcessFailed>(&net, 2000, 1000).await;
        [0, 1]
            .iter()
            .all(|index| failed.iter().filter(|(i, _)| i == index).count() >= 2)
    })
    .await;
    assert_eq!(net.handled(2000).await, 0);

    net.set_rejecting(2000, false).await;
    eventually("delivered once accepted", || async {
        net.handled(2000).await == 2
    })
    .await;
    two_more_rounds(ops, "deliveries on 2000").await;
    for message in &messages {
        assert_eq!(net.times_handled(message).await, 1);
    }
    let processed = replica_events::<Replica::Processed>(&net, 2000, 1000).await;
    let mut indices: Vec<u64> = processed.iter().map(|(index, _)| *index).collect();
    indices.sort_unstable();
    assert_eq!(indices, [0, 1], "each delivered exactly once");
    // Every transaction carried messages that were due: the batch, then one `process` per
    // failure after the batch's two, then the two that delivered.
    let failed = replica_events::<Replica::ProcessFailed>(&net, 2000, 1000)
        .await
        .len() as u64;
    assert_eq!(
        net.mined_txs(2000, Role::Processor).await,
        1 + (failed - 2) + 2
    );
    processor.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_under_a_root_inside_its_window_are_not_submitted() {
    let net = Net::with_window(&[1000, 2000], 6).await;
    let config = processor_config(&net, &net.path("processor.sqlite"));
    let processor = Running::start(config);

    let first = net.dispatch(1000, &[(2000, "early".into())]).await;
    net.honest_update(1000, &[2000]).await;
    eventually("the first message delivered", || async {
        net.handled(2000).await == 1
    })
    .await;

    // A second root: its message waits for the whole window, though an older root is
    // acceptable and the processor is otherwise idle.
    let second = net.dispatch(1000, &[(2000, "late".into())]).await;
    let (_, at) = net.honest_update(1000, &[2000]).await;
    let confirm_at = at[0];
    let reader = net.reader(2000);
    // The batch goes out for the first block that may carry `confirm_at`, so nothing may be
    // sent while the head is older than the block before it. The count is trusted only when
    // the head did not move while it was read: the processor cannot have seen a newer block.
    loop {
        let before = head_timestamp(&reader).await;
        let sent = net.sent_txs(2000, Role::Processor).await;
        if head_timestamp(&reader).await != before {
            continue;
        }
        if before + 1 >= confirm_at {
            break;
        }
        assert_eq!(
            sent, 1,
            "nothing sent while the root is inside its window (chain time {before}, acceptable at {confirm_at})"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eventually("the second message delivered", || async {
        net.handled(2000).await == 2
    })
    .await;
    let acceptable = first_block_at(&net, 2000, confirm_at).await;
    let processed = replica_events::<Replica::Processed>(&net, 2000, 1000).await;
    assert_eq!(processed.len(), 2);
    assert!(processed[1].1 >= acceptable);
    assert_eq!(net.times_handled(&first[0]).await, 1);
    assert_eq!(net.times_handled(&second[0]).await, 1);
    assert_eq!(net.mined_txs(2000, Role::Processor).await, 2);
    processor.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_mid_flight_neither_repeats_nor_loses_a_delivery() {
    let net = Net::with_window(&[1000, 2000], 3).await;
    let db = net.path("processor.sqlite");
    let mut config = processor_config(&net, &db);
    config.batch_size = 5;

    let sends: Vec<(u32, String)> = (0..12).map(|i| (2000, format!("#{i}"))).collect();
    let messages = net.dispatch(1000, &sends).await;
    let (_, at) = net.honest_update(1000, &[2000]).await;

    // Stop mining on 2000, then mine one block at the end of the window: the processor sees
    // the root acceptable, but its transactions stay in the mempool.
    let destination = net.reader(2000);
    destination
        .anvil_set_interval_mining(0)
        .await
        .expect("pause mining");
    destination
        .anvil_set_next_block_timestamp(at[0])
        .await
        .expect("set timestamp");
    destination.anvil_mine(Some(1), None).await.expect("mine");

    let crashing = Crashable::start(config.clone());
    eventually("three batches sent", || async {
        net.sent_txs(2000, Role::Processor).await == 3
    })
    .await;
    crashing.crash();
    assert_eq!(net.mined_txs(2000, Role::Processor).await, 0);

    // Restarted while those transactions are still pending: it must not send them again.
    let ops = config.telemetry.listen;
    let processor = Running::start(config);
    two_more_rounds(ops, "deliveries on 2000").await;
    assert_eq!(net.sent_txs(2000, Role::Processor).await, 3);

    destination
        .anvil_set_interval_mining(1)
        .await
        .expect("resume mining");
    eventually("every message delivered", || async {
        net.handled(2000).await == 12
    })
    .await;
    two_more_rounds(ops, "deliveries on 2000").await;
    for message in &messages {
        assert_eq!(net.times_handled(message).await, 1);
    }
    assert_eq!(net.mined_txs(2000, Role::Processor).await, 3);
    assert_eq!(net.handled(2000).await, 12);
    processor.stop().await;
}

async fn head_timestamp(reader: &impl Provider) -> u64 {
    reader
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .expect("head")
        .expect("exists")
        .header
        .timestamp
}
