//! The updater over real anvils: it signs what the Home checkpointed, only once final, one new
//! root per old root across restarts and a lost database.

mod common;

use alloy::{
    primitives::{Bytes, U256},
    providers::{ext::AnvilApi, Provider},
};
use common::{
    assert_one_new_root_per_old_root, eventually, http_get, recorded, telemetry_on_free_port,
    two_more_rounds, Mining, Net, Running, TIMEOUT,
};
use nxtp_agent::{KeySource, SecretString};
use nxtp_chain::Finality;
use nxtp_devnet::Role;
use nxtp_primitives::{recover_digest, Domain};
use nxtp_updater::store::Source;
use std::time::Duration;

const ORIGIN: Domain = Domain(1000);
const REMOTE: Domain = Domain(2000);

/// Waits until the Home's committed root covers every message dispatched so far.
async fn wait_until_committed(net: &Net) -> (alloy::primitives::B256, u32) {
    eventually("the committed root to cover every message", || async {
        let (committed, _, count) = net.home_state(ORIGIN).await;
        let covered = net.checkpointed_count(ORIGIN, committed).await?;
        (u64::from(covered) == count).then_some((committed, covered))
    })
    .await
}

#[tokio::test]
async fn signs_checkpointed_roots_until_the_home_covers_every_message() {
    let net = Net::start(&[1000, 2000], Mining::every_ms(250)).await;
    let db = net.path("updater.sqlite");
    let (empty_root, _, _) = net.home_state(ORIGIN).await;
    net.dispatch_n(ORIGIN, 3).await;
    let mut config = net.updater_config(ORIGIN, &db, 1);
    let (telemetry, ops) = telemetry_on_free_port();
    config.telemetry = telemetry;
    let updater = Running::start(config);

    let (first, count) = wait_until_committed(&net).await;
    assert_eq!(count, 3);
    assert_eq!(first, net.home_root(ORIGIN).await);
    net.dispatch_n(ORIGIN, 2).await;
    let (second, count) = wait_until_committed(&net).await;
    assert_eq!(count, 5);

    let (status, body) = http_get(ops, "/health").await.expect("health answers");
    assert_eq!(
        (status, body.as_str()),
        (200, r#"{"agent":"updater","status":"healthy"}"#)
    );
    let (_, metrics) = http_get(ops, "/metrics").await.expect("metrics answer");
    updater.stop().await;

    // The second batch may be checkpointed in one go or message by message (the updater checkpoints
    // the head without waiting), so the updates form a chain from the empty root through `first` to
    // `second`, of two or more links, each signed by the updater key.
    let events = net.update_events(ORIGIN, net.home(ORIGIN)).await;
    let pairs: Vec<_> = events.iter().map(|(old, new, _, _)| (*old, *new)).collect();
    assert!(pairs.len() >= 2, "{pairs:?}");
    assert_eq!(
        pairs[0],
        (empty_root, first),
        "the first batch in one update"
    );
    assert_eq!(pairs.last().map(|pair| pair.1), Some(second));
    assert!(
        pairs.windows(2).all(|link| link[0].1 == link[1].0),
        "each update over the previous one: {pairs:?}"
    );
    for (old, new, signature, _) in &events {
        let digest = net.home_signing(ORIGIN).update_digest(*old, *new);
        let signer = recover_digest(digest, signature).expect("a valid signature");
        assert_eq!(
            signer,
            net.updater_signer().address(),
            "signed by the updater key"
        );
    }
    let signed = format!(
        r#"nxtp_updater_roots_signed_total{{agent="updater"}} {}"#,
        pairs.len()
    );
    for line in [
        signed.as_str(),
        r#"nxtp_updater_last_signed_count{agent="updater"} 5"#,
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
    let records = recorded(&db, ORIGIN);
    assert_eq!(records.len(), pairs.len());
    assert!(records.iter().all(|r| r.source == Source::Signed));
    assert_eq!(
        records
            .iter()
            .map(|r| (r.old_root, r.new_root, r.signature.clone()))
            .collect::<Vec<_>>(),
        events
            .iter()
            .map(|(old, new, sig, _)| (*old, *new, sig.clone()))
            .collect::<Vec<_>>(),
        "the signatures on chain are the ones recorded"
    );
}

/// A net whose origin mines only when the test says, and an updater of the origin reading it
/// one block deep: (net, the origin's reader, the updater's database, the updater, its ops
/// server).
async fn paused_origin_with_updater() -> (
    Net,
    alloy::providers::DynProvider,
    std::path::PathBuf,
    Running,
    std::net::SocketAddr,
) {
    let net = Net::start(&[1000, 2000], Mining::Auto).await;
    let reader = net.reader(ORIGIN);
    reader
        .anvil_set_auto_mine(false)
        .await
        .expect("pauses mining");
    let db = net.path("updater.sqlite");
    let mut config = net.updater_config(ORIGIN, &db, 1);
    let (telemetry, ops) = telemetry_on_free_port();
    config.telemetry = telemetry;
    let updater = Running::start(config);
    (net, reader, db, updater, ops)
}

#[tokio::test]
async fn checkpoints_land_in_the_block_of_their_messages_and_are_signed_one_block_later() {
    let (net, reader, db, updater, ops) = paused_origin_with_updater().await;

    // Two messages wait in the pool: the checkpointer sees them in the pending block.
    let mut dispatches = Vec::new();
    for body in ["first", "second"] {
        dispatches.push(
            net.dispatch_to_pool(ORIGIN, REMOTE, Role::Deployer, body)
                .await,
        );
    }
    let sent = eventually("a checkpoint in the pool", || async {
        let sent = net.sent_txs(ORIGIN, Role::Checkpointer).await;
        net.pending_root_checkpointed(ORIGIN).await.then_some(sent)
    })
    .await;
    assert_eq!(net.sent_txs(ORIGIN, Role::Updater).await, 0);

    reader.anvil_mine(Some(1), None).await.expect("mines");
    let block = reader.get_block_number().await.expect("head");
    let root = net.home_root(ORIGIN).await;
    for hash in dispatches {
        let receipt = reader
            .get_transaction_receipt(hash)
            .await
            .expect("reads")
            .expect("mined");
        assert_eq!(receipt.block_number, Some(block));
    }
    assert!(
        net.checkpoint_events(ORIGIN)
            .await
            .contains(&(root, 2, block)),
        "the messages' root is checkpointed in their own block {block}"
    );
    // Nothing new to checkpoint: no more checkpoints.
    two_more_rounds(ops, "agent").await;
    assert_eq!(net.sent_txs(ORIGIN, Role::Checkpointer).await, sent);

    // One block on top: the checkpoint is final, and the root is signed and sent.
    reader.anvil_mine(Some(1), None).await.expect("mines");
    let signed = eventually("the update to be signed", || async {
        recorded(&db, ORIGIN).into_iter().next()
    })
    .await;
    assert_eq!(signed.new_root, root);
    eventually("the update in the pool", || async {
        (net.sent_txs(ORIGIN, Role::Updater).await == 1).then_some(())
    })
    .await;
    reader.anvil_mine(Some(1), None).await.expect("mines");
    let (committed, _, _) = net.home_state(ORIGIN).await;
    assert_eq!(committed, root);
    updater.stop().await;
}

#[tokio::test]
async fn checkpoints_per_block_are_capped() {
    let (net, reader, _db, updater, ops) = paused_origin_with_updater().await;

    // One message at a time, each waiting for its checkpoint: the default cap is two per block.
    for body in ["one", "two", "three"] {
        net.dispatch_to_pool(ORIGIN, REMOTE, Role::Deployer, body)
            .await;
        if body != "three" {
            eventually("the message's checkpoint in the pool", || async {
                net.pending_root_checkpointed(ORIGIN).await.then_some(())
            })
            .await;
        }
    }
    two_more_rounds(ops, "agent").await;
    assert_eq!(net.sent_txs(ORIGIN, Role::Checkpointer).await, 2);
    assert!(
        !net.pending_root_checkpointed(ORIGIN).await,
        "the third waits"
    );

    // A new block: the third message is checkpointed in the next one.
    reader.anvil_mine(Some(1), None).await.expect("mines");
    eventually("the third message's checkpoint in the pool", || async {
        net.pending_root_checkpointed(ORIGIN).await.then_some(())
    })
    .await;
    assert_eq!(net.sent_txs(ORIGIN, Role::Checkpointer).await, 3);
    updater.stop().await;
}

/// Over HTTP, a chain on which nothing happened for a while costs the checkpointer no request: it
/// stops counting the pending block's transactions, so a message waiting in the pool then is
/// checkpointed once mined, one block later; the chain busy again, the next is checkpointed from
/// the pending block, in its own block.
#[tokio::test]
async fn on_a_quiet_chain_the_pending_block_is_not_watched_until_something_happens() {
    let (net, reader, _db, updater, ops) = paused_origin_with_updater().await;
    // Empty blocks one at a time, each seen by the updater's head follower (it polls every
    // interval on a chain without a block time; a round takes at least one), so that it knows
    // every one of them used no gas.
    for _ in 0..=nxtp_updater::BUSY_BLOCKS {
        reader.anvil_mine(Some(1), None).await.expect("mines");
        two_more_rounds(ops, "agent").await;
        two_more_rounds(ops, "agent").await;
    }

    let quiet = net
        .dispatch_to_pool(ORIGIN, REMOTE, Role::Deployer, "after a quiet spell")
        .await;
    two_more_rounds(ops, "agent").await;
    two_more_rounds(ops, "agent").await;
    assert_eq!(
        net.sent_txs(ORIGIN, Role::Checkpointer).await,
        0,
        "the pending block of a quiet chain is not looked at"
    );
    reader.anvil_mine(Some(1), None).await.expect("mines");
    let mined_in = reader
        .get_transaction_receipt(quiet)
        .await
        .expect("reads")
        .and_then(|receipt| receipt.block_number)
        .expect("mined");
    eventually("the mined message's checkpoint in the pool", || async {
        net.pending_root_checkpointed(ORIGIN).await.then_some(())
    })
    .await;
    reader.anvil_mine(Some(1), None).await.expect("mines");
    let root = net.home_root(ORIGIN).await;
    assert!(
        net.checkpoint_events(ORIGIN)
            .await
            .contains(&(root, 1, mined_in + 1)),
        "checkpointed in the block after its message's"
    );

    // Busy again: the next message is checkpointed from the pending block, in its own block.
    net.dispatch_to_pool(ORIGIN, REMOTE, Role::Deployer, "while busy")
        .await;
    eventually("the pending message's checkpoint in the pool", || async {
        net.pending_root_checkpointed(ORIGIN).await.then_some(())
    })
    .await;
    reader.anvil_mine(Some(1), None).await.expect("mines");
    let block = reader.get_block_number().await.expect("head");
    let root = net.home_root(ORIGIN).await;
    assert!(
        net.checkpoint_events(ORIGIN)
            .await
            .contains(&(root, 2, block)),
        "checkpointed in its message's block {block}"
    );
    updater.stop().await;
}

#[tokio::test]
async fn signing_goes_on_when_the_checkpointer_cannot_pay() {
    let net = Net::start(&[1000, 2000], Mining::every_ms(250)).await;
    let db = net.path("updater.sqlite");
    let mut config = net.updater_config(ORIGIN, &db, 1);
    // A key with no ether: its checkpoints are never mined.
    let broke = alloy::signers::local::PrivateKeySigner::random();
    config.checkpointer = KeySource::Hex(SecretString::new(format!("{:#x}", broke.to_bytes())));
    let updater = Running::start(config);

    net.dispatch_n(ORIGIN, 2).await;
    // Anyone may checkpoint: the root is signed all the same.
    let (_, root) = net.checkpoint(ORIGIN).await;
    let (committed, covered) = wait_until_committed(&net).await;
    assert_eq!((committed, covered), (root, 2));
    let reader = net.reader(ORIGIN);
    assert_eq!(
        reader
            .get_transaction_count(broke.address())
            .await
            .expect("nonce"),
        0,
        "nothing of the checkpointer was mined"
    );
    updater.stop().await;
}

#[tokio::test]
async fn never_signs_before_the_checkpoint_is_final() {
    const CONFIRMATIONS: u64 = 3;
    let net = Net::start(&[1000, 2000], Mining::Auto).await;
    let reader = net.reader(ORIGIN);
    let db = net.path("updater.sqlite");
    let (empty_root, _, _) = net.home_state(ORIGIN).await;
    net.dispatch_n(ORIGIN, 2).await;
    let mut config = net.updater_config(ORIGIN, &db, CONFIRMATIONS);
    let (telemetry, ops) = telemetry_on_free_port();
    config.telemetry = telemetry;
    let updater = Running::start(config);

    // The messages become visible to the updater once `CONFIRMATIONS` deep; it then
    // checkpoints, and with automine the checkpoint is mined at once.
    reader
        .anvil_mine(Some(CONFIRMATIONS), None)
        .await
        .expect("mines");
    let (root, checkpoint_block) = eventually("the updater's checkpoint", || async {
        net.checkpoint_events(ORIGIN)
            .await
            .into_iter()
            .find(|(_, count, _)| *count == 2)
            .map(|(root, _, block)| (root, block))
    })
    .await;

    // Block by block until the checkpoint is `CONFIRMATIONS` deep: nothing is signed.
    loop {
        let head = reader.get_block_number().await.expect("head");
        if head >= checkpoint_block + CONFIRMATIONS {
            break;
        }
        two_more_rounds(ops, "agent").await;
        assert!(
            recorded(&db, ORIGIN).is_empty(),
            "signed at head {head}, checkpoint in block {checkpoint_block}"
        );
        assert_eq!(net.home_state(ORIGIN).await.0, empty_root);
        reader.anvil_mine(Some(1), None).await.expect("mines");
    }

    // Final now: signed and submitted.
    let signed = eventually("the update to be signed", || async {
        recorded(&db, ORIGIN).into_iter().next()
    })
    .await;
    assert_eq!((signed.old_root, signed.new_root), (empty_root, root));
    let event = eventually("the update on the Home", || async {
        net.update_events(ORIGIN, net.home(ORIGIN))
            .await
            .into_iter()
            .next()
    })
    .await;
    assert!(event.3 >= checkpoint_block + CONFIRMATIONS);
    // Let the updater see its update final, then stop.
    reader
        .anvil_mine(Some(CONFIRMATIONS), None)
        .await
        .expect("mines");
    updater.stop().await;
}

/// The origin's `finalized` block, as its node reports it.
async fn finalized(reader: &alloy::providers::DynProvider) -> u64 {
    reader
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Finalized)
        .await
        .expect("reads the finalized block")
        .map_or(0, |block| block.header.number)
}

/// The origin's newest final block under `finality` at `head`.
async fn final_at(reader: &alloy::providers::DynProvider, finality: Finality, head: u64) -> u64 {
    match finality {
        Finality::Depth(depth) => head.saturating_sub(depth),
        Finality::Finalized => finalized(reader).await,
    }
}

/// With the origin paused and the updater reading it one block deep under `finality`: a
/// checkpoint one block deep (enough for the confirmations) is not signed until the block
/// `finality` names reaches it, and is signed once it does.
async fn signs_only_at_finality(finality: Finality) {
    let net = Net::start(&[1000, 2000], Mining::Auto).await;
    let reader = net.reader(ORIGIN);
    reader
        .anvil_set_auto_mine(false)
        .await
        .expect("pauses mining");
    let db = net.path("updater.sqlite");
    let mut config = net.updater_config_final(ORIGIN, &db, 1, finality);
    let (telemetry, ops) = telemetry_on_free_port();
    config.telemetry = telemetry;
    let updater = Running::start(config);
    let (empty_root, _, _) = net.home_state(ORIGIN).await;

    net.dispatch_to_pool(ORIGIN, REMOTE, Role::Deployer, "wait for finality")
        .await;
    eventually("a checkpoint in the pool", || async {
        net.pending_root_checkpointed(ORIGIN).await.then_some(())
    })
    .await;
    reader.anvil_mine(Some(1), None).await.expect("mines");
    let checkpoint_block = reader.get_block_number().await.expect("head");
    let root = net.home_root(ORIGIN).await;

    // Confirmed (one block on top), and then up to one block short of final: never signed.
    reader.anvil_mine(Some(1), None).await.expect("mines");
    let head = reader.get_block_number().await.expect("head");
    let lag = head - final_at(&reader, finality, head).await;
    assert!(
        lag > 1,
        "the test needs finality deeper than the confirmations"
    );
    let short = checkpoint_block + lag - 1;
    if short > head {
        reader
            .anvil_mine(Some(short - head), None)
            .await
            .expect("mines");
    }
    let head = reader.get_block_number().await.expect("head");
    assert_eq!(
        final_at(&reader, finality, head).await + 1,
        checkpoint_block
    );
    two_more_rounds(ops, "agent").await;
    assert!(
        recorded(&db, ORIGIN).is_empty(),
        "signed at head {head}, checkpoint in block {checkpoint_block} not final yet"
    );
    assert_eq!(net.sent_txs(ORIGIN, Role::Updater).await, 0);
    let (_, body) = http_get(ops, "/metrics").await.expect("metrics answer");
    assert!(
        body.lines()
            .any(|line| line.starts_with("nxtp_updater_final_block")
                && line.ends_with(&format!(" {}", checkpoint_block - 1))),
        "the final block is reported: {body}"
    );

    // One more block: the checkpoint is final, and its root is signed.
    reader.anvil_mine(Some(1), None).await.expect("mines");
    let signed = eventually("the update to be signed once final", || async {
        recorded(&db, ORIGIN).into_iter().next()
    })
    .await;
    assert_eq!((signed.old_root, signed.new_root), (empty_root, root));
    updater.stop().await;
}

#[tokio::test]
async fn signs_only_checkpoints_in_the_nodes_finalized_block() {
    signs_only_at_finality(Finality::Finalized).await;
}

#[tokio::test]
async fn signs_only_checkpoints_at_the_declared_finality_depth() {
    signs_only_at_finality(Finality::Depth(5)).await;
}

#[tokio::test]
async fn restarts_mid_flight_sign_nothing_conflicting() {
    let net = Net::start(&[1000, 2000], Mining::every_ms(250)).await;
    let db = net.path("updater.sqlite");
    // Stop the updater at many different points of its work, restarting it on the same
    // database each time, while messages keep coming.
    for (round, run_ms) in [150u64, 700, 1300, 400, 2100, 900].into_iter().enumerate() {
        net.dispatch_n(ORIGIN, 1 + round % 2).await;
        let updater = Running::start(net.updater_config(ORIGIN, &db, 2));
        tokio::time::sleep(Duration::from_millis(run_ms)).await;
        updater.stop().await;
        assert_one_new_root_per_old_root(
            recorded(&db, ORIGIN)
                .iter()
                .map(|r| (r.old_root, r.new_root)),
        );
    }
    let updater = Running::start(net.updater_config(ORIGIN, &db, 2));
    let (_, count) = wait_until_committed(&net).await;
    assert_eq!(count, 9);
    updater.stop().await;

    let records = recorded(&db, ORIGIN);
    let on_chain = net.signed_on_chain(ORIGIN).await;
    assert_one_new_root_per_old_root(
        records
            .iter()
            .map(|r| (r.old_root, r.new_root))
            .chain(on_chain.iter().map(|(_, old, new)| (*old, *new))),
    );
    // Every update on the Home is one the database recorded before sending it.
    for (_, old, new) in &on_chain {
        assert!(
            records
                .iter()
                .any(|r| r.old_root == *old && r.new_root == *new),
            "{old} -> {new} on chain but not recorded"
        );
    }
}

#[tokio::test]
async fn a_lost_database_reuses_the_root_already_on_a_replica() {
    let net = Net::start(&[1000, 2000], Mining::every_ms(250)).await;
    let (empty_root, _, _) = net.home_state(ORIGIN).await;

    // The Home refuses updates for now (the bond falls short), so the first run signs
    // `empty -> first` but cannot land it on the Home...
    net.set_required_bond(ORIGIN, U256::from(10u64).pow(U256::from(19u64)))
        .await;
    net.dispatch_n(ORIGIN, 2).await;
    let lost_db = net.path("lost.sqlite");
    let mut config = net.updater_config(ORIGIN, &lost_db, 1);
    let (telemetry, ops) = telemetry_on_free_port();
    config.telemetry = telemetry;
    let first_run = Running::start(config);
    let signed = eventually("the first run to sign", || async {
        recorded(&lost_db, ORIGIN).into_iter().next()
    })
    .await;
    // The refused update shows on /health, with the reason.
    let body = eventually("/health to report the refused update", || async {
        let (status, body) = http_get(ops, "/health").await?;
        (status == 503 && body.contains("the call reverts")).then_some(body)
    })
    .await;
    assert!(body.contains("\"agent\":\"updater\""), "{body}");
    first_run.stop().await;
    assert_eq!(signed.old_root, empty_root);
    assert_eq!(
        net.home_state(ORIGIN).await.0,
        empty_root,
        "not on the Home"
    );

    // ...yet the signature reached the Replica on 2000. Then the database is lost, the bond
    // restored, and a newer checkpoint is final: a careless updater would now sign
    // `empty -> newer`, a double update.
    net.relay(REMOTE, ORIGIN, &signed).await;
    std::fs::remove_file(&lost_db).expect("database lost");
    net.set_required_bond(ORIGIN, U256::from(10u64).pow(U256::from(18u64)))
        .await;
    net.dispatch_n(ORIGIN, 2).await;
    net.checkpoint(ORIGIN).await;
    let newer = net.home_root(ORIGIN).await;
    assert_ne!(newer, signed.new_root);
    let reader = net.reader(ORIGIN);
    let checkpointed_at = reader.get_block_number().await.expect("head");
    eventually("the newer checkpoint final", || async {
        (finalized(&reader).await >= checkpointed_at).then_some(())
    })
    .await;

    let db = net.path("fresh.sqlite");
    let second_run = Running::start(net.updater_config(ORIGIN, &db, 1));
    let (committed, count) = wait_until_committed(&net).await;
    second_run.stop().await;
    assert_eq!((committed, count), (newer, 4));

    let home_events = net.update_events(ORIGIN, net.home(ORIGIN)).await;
    assert_eq!(home_events.len(), 2);
    assert_eq!(
        (home_events[0].0, home_events[0].1, home_events[0].2.clone()),
        (empty_root, signed.new_root, signed.signature.clone()),
        "the signature found on the Replica was reused on the Home"
    );
    assert_eq!(
        (home_events[1].0, home_events[1].1),
        (signed.new_root, newer)
    );
    let records = recorded(&db, ORIGIN);
    assert_eq!(records[0].source, Source::Adopted);
    assert_eq!(records[0].new_root, signed.new_root);
    assert_eq!(records[1].source, Source::Signed);

    let on_chain = net.signed_on_chain(ORIGIN).await;
    assert!(on_chain
        .iter()
        .any(|(domain, old, _)| *domain == REMOTE && *old == empty_root));
    assert_one_new_root_per_old_root(
        on_chain
            .iter()
            .map(|(_, old, new)| (*old, *new))
            .chain(records.iter().map(|r| (r.old_root, r.new_root)))
            .chain([(signed.old_root, signed.new_root)]),
    );
}

#[tokio::test]
async fn a_double_update_on_chain_stops_all_signing() {
    let net = Net::start(&[1000, 2000], Mining::every_ms(250)).await;
    let (empty_root, _, _) = net.home_state(ORIGIN).await;
    let db = net.path("updater.sqlite");
    // A first run signs `empty -> first` but the Home refuses it (the bond falls short).
    net.set_required_bond(ORIGIN, U256::from(10u64).pow(U256::from(19u64)))
        .await;
    net.dispatch_n(ORIGIN, 1).await;
    let mut config = net.updater_config(ORIGIN, &db, 1);
    let (telemetry, ops) = telemetry_on_free_port();
    config.telemetry = telemetry;
    let first_run = Running::start(config);
    let signed = eventually("the first run to sign", || async {
        recorded(&db, ORIGIN).into_iter().next()
    })
    .await;
    // Stopped once the Home has refused the update, so no attempt of it is still queued in the
    // submitter when the second run starts (a queued attempt, signed before the double update
    // was known, would be sent on restart: that is the submitter resuming, not new signing).
    eventually("/health to report the refused update", || async {
        let (status, body) = http_get(ops, "/health").await?;
        (status == 503 && body.contains("the call reverts")).then_some(())
    })
    .await;
    first_run.stop().await;

    // The same key's signature over `empty` to another root shows up on the Replica (a leaked
    // key, or a run on another database): a double update exists.
    let rival = nxtp_updater::store::SignedUpdate {
        new_root: alloy::primitives::B256::repeat_byte(0x77),
        signature: Bytes::from(
            nxtp_primitives::sign_digest(
                net.updater_signer(),
                net.home_signing(ORIGIN)
                    .update_digest(empty_root, alloy::primitives::B256::repeat_byte(0x77)),
            )
            .expect("signs")
            .to_vec(),
        ),
        ..signed.clone()
    };
    net.relay(REMOTE, ORIGIN, &rival).await;
    net.set_required_bond(ORIGIN, U256::from(10u64).pow(U256::from(18u64)))
        .await;

    let mut config = net.updater_config(ORIGIN, &db, 1);
    let (telemetry, ops) = telemetry_on_free_port();
    config.telemetry = telemetry;
    let second_run = Running::start(config);
    let body = eventually("/health to report the double update", || async {
        let (status, body) = http_get(ops, "/health").await?;
        (status == 503 && body.contains("a double update exists on chain")).then_some(body)
    })
    .await;
    assert!(body.contains(&empty_root.to_string()), "{body}");
    // Nothing reaches the Home, though the bond now allows it.
    two_more_rounds(ops, "agent").await;
    second_run.stop().await;
    assert!(net.update_events(ORIGIN, net.home(ORIGIN)).await.is_empty());
    assert_eq!(recorded(&db, ORIGIN), [signed]);
}

/// Runs the updater with `config` and returns its start-up error.
async fn startup_error(config: nxtp_updater::UpdaterConfig) -> String {
    let outcome = tokio::time::timeout(
        TIMEOUT,
        nxtp_agent::run_until::<nxtp_updater::Updater>(
            config,
            nxtp_agent::CancellationToken::new(),
        ),
    )
    .await
    .expect("fails fast");
    outcome.expect_err("refuses to start").to_string()
}

#[tokio::test]
async fn bad_config_fails_at_start_up_naming_the_field() {
    let net = Net::start(&[1000, 2000], Mining::Auto).await;
    let db = net.path("updater.sqlite");

    let mut config = net.updater_config(ORIGIN, &db, 1);
    config.signer = KeySource::Env("NXTP_TEST_UNSET_UPDATER_KEY".to_owned());
    let err = startup_error(config).await;
    assert_eq!(
        err,
        "updater failed: signer: environment variable NXTP_TEST_UNSET_UPDATER_KEY is not set"
    );

    let mut config = net.updater_config(ORIGIN, &db, 1);
    let wrong_key = net.accounts.signer(Role::Watcher).to_bytes();
    config.signer = KeySource::Hex(SecretString::new(format!("{wrong_key:#x}")));
    let err = startup_error(config).await;
    assert!(
        err.starts_with("updater failed: signer: ") && err.contains("is not the updater"),
        "{err}"
    );
    assert!(
        !err.contains(&format!("{wrong_key:x}")),
        "key leaked: {err}"
    );

    let mut config = net.updater_config(ORIGIN, &db, 1);
    let chain = config.chains.get_mut(&REMOTE).expect("remote chain");
    chain.rpc_url = "http://127.0.0.1:1".parse().expect("url");
    let err = startup_error(config).await;
    assert!(
        err.starts_with(
            "updater failed: chains.2000: RPC endpoint http://127.0.0.1:1 is unreachable"
        ),
        "{err}"
    );

    let mut config = net.updater_config(ORIGIN, &db, 1);
    config.chains.get_mut(&ORIGIN).expect("home chain").chain_id = 1;
    let err = startup_error(config).await;
    assert!(
        err.starts_with("updater failed: chains.1000: RPC endpoint")
            && err.contains("serves chain id 31337, but the config expects 1"),
        "{err}"
    );

    let mut config = net.updater_config(ORIGIN, &db, 1);
    config.chains.remove(&REMOTE);
    let err = startup_error(config).await;
    assert!(
        err.starts_with("updater failed: chains.2000: missing"),
        "{err}"
    );
}
