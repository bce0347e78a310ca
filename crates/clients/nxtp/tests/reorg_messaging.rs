//! Reorgs under the messaging agents: the updater of 1000, the message relayer and the processor
//! run as `nxtp` processes with the devnet's configs, every chain read 3 blocks deep. The origin
//! is mined by the test, so a reorg lands exactly where it should.
//!
//! A reorg shallower than the depth replaces blocks holding two dispatches and the updater's
//! checkpoint of them: one dispatch is re-included, the other dropped for good. Every message on
//! the final chain is delivered exactly once, nothing signed, relayed or processed refers to the
//! dropped branch, and no agent reports a deep reorg. A reorg deeper than the depth, replacing a
//! message already signed and relayed, is reported by every agent that read those blocks.

mod anvil_net;
mod messaging;
mod reorg_agents;

use alloy::{
    eips::BlockId,
    network::TransactionBuilder,
    primitives::{Address, Bytes, B256, U256},
    providers::{ext::AnvilApi, Provider},
    rpc::types::{
        anvil::{ReorgOptions, TransactionData},
        TransactionRequest,
    },
};
use anvil_net::{http_get, AgentProcess};
use messaging::Net;
use nxtp_bindings::Home;
use nxtp_devnet::{AgentOptions, Role};
use nxtp_primitives::Domain;
use nxtp_testnet::Miner;
use reorg_agents::eventually;
use std::{collections::BTreeSet, time::Duration};

const ORIGIN: Domain = Domain(1000);
const DESTINATION: Domain = Domain(2000);
/// Blocks every agent waits before reading one.
const CONFIRMATIONS: u64 = 3;
/// The test's block interval on the origin.
const BLOCK: Duration = Duration::from_millis(250);
/// The deep reorgs an agent reported on the origin's chain, from its `/metrics`.
fn deep_reorgs(ops: &str) -> u64 {
    reorg_agents::metric(
        ops,
        "nxtp_chain_deep_reorgs_total",
        &format!("chain=\"{ORIGIN}\""),
    )
    .iter()
    .sum()
}

/// Every new root in an `Update` event of `contract` on `domain`.
async fn updated_roots(net: &Net, domain: Domain, contract: Address) -> Vec<B256> {
    net.update_events(domain, contract)
        .await
        .into_iter()
        .map(|(_, new, _)| new)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shallow_reorgs_leave_nothing_behind_and_deep_ones_are_reported() {
    let net = messaging::start(2).await;
    let origin = net.reader(ORIGIN);
    let miner = Miner::start(origin.clone(), BLOCK).await;

    let options = AgentOptions {
        confirmations: CONFIRMATIONS,
        ..AgentOptions::default()
    };
    let specs = reorg_agents::agent_specs(&net, ORIGIN, &options, false);
    let mut agents: Vec<AgentProcess> = specs
        .iter()
        .map(|spec| reorg_agents::spawn_agent(&net, spec))
        .collect();
    let mut ops = Vec::new();
    for agent in &agents {
        ops.push(agent.ops_addr().await);
    }

    // A first message goes through on a quiet chain.
    let (first_sender, dropped_sender) = (Role::User, Role::RouterA);
    net.dispatch_to_pool(ORIGIN, DESTINATION, first_sender, "before")
        .await;
    eventually("the first message to be delivered", &agents, || async {
        let messages = net.dispatched(ORIGIN).await;
        let message = messages.first()?;
        (net.times_handled(message).await == 1).then_some(())
    })
    .await;

    // The shallow reorg: with the miner stopped, a block holding two dispatches and the
    // checkpoint of them (sent by the checkpointer from the pending block), two more blocks;
    // then those three blocks (never more than 2 deep) are replaced by a branch re-including
    // one dispatch and not the other.
    let stopped = miner.hold().await;
    reorg_agents::mine_a_busy_block(&net, ORIGIN).await;
    let dropped_address = net.accounts.address(dropped_sender);
    let dropped_nonce = origin
        .get_transaction_count(dropped_address)
        .pending()
        .await
        .expect("nonce");
    let kept = net
        .dispatch_to_pool(ORIGIN, DESTINATION, first_sender, "kept")
        .await;
    net.dispatch_to_pool(ORIGIN, DESTINATION, dropped_sender, "dropped")
        .await;
    let home = Home::new(net.home(ORIGIN), &origin);
    eventually(
        "the checkpointer to checkpoint the new messages in the pending block",
        &agents,
        || async {
            let pending = BlockId::pending();
            let root = home.root().block(pending).call().await.ok()?;
            let checkpoint = home.checkpoints(root).block(pending).call().await.ok()?;
            (checkpoint.produced && checkpoint.count == 3).then_some(())
        },
    )
    .await;
    origin
        .evm_mine(None)
        .await
        .expect("mines the dispatches and their checkpoint");
    let fork = origin.get_block_number().await.expect("head");
    let root_with_dropped = home.root().call().await.expect("root");
    assert!(
        net.produced(ORIGIN, root_with_dropped).await,
        "the checkpointer checkpointed the branch about to be dropped"
    );
    origin.evm_mine(None).await.expect("mines");
    origin.evm_mine(None).await.expect("mines");
    let head = origin.get_block_number().await.expect("head");
    assert_eq!(
        head - fork,
        2,
        "the branch is shallower than the confirmations"
    );

    let kept_raw: Bytes = origin
        .raw_request("eth_getRawTransactionByHash".into(), (kept,))
        .await
        .expect("raw transaction");
    // The dropped dispatch's nonce goes to a plain transfer, so it can never be mined again.
    let replacement = TransactionRequest::default()
        .with_from(dropped_address)
        .with_to(dropped_address)
        .with_value(U256::ZERO)
        .with_nonce(dropped_nonce)
        .with_gas_limit(21_000);
    origin
        .anvil_reorg(ReorgOptions {
            depth: head - fork + 1,
            tx_block_pairs: vec![
                (TransactionData::Raw(kept_raw), 0),
                (TransactionData::JSON(replacement), 0),
            ],
        })
        .await
        .expect("reorgs");
    assert!(
        !net.produced(ORIGIN, root_with_dropped).await,
        "the checkpoint with the dropped message is gone"
    );
    drop(stopped);

    // Every message of the final chain is delivered exactly once.
    let messages = eventually(
        "every message of the final chain to be delivered",
        &agents,
        || async {
            let messages = net.dispatched(ORIGIN).await;
            if messages.len() < 2 {
                return None;
            }
            for message in &messages {
                if net.times_handled(message).await != 1 {
                    return None;
                }
            }
            Some(messages)
        },
    )
    .await;
    let bodies: Vec<&[u8]> = messages.iter().map(|m| &m.body[..]).collect();
    assert_eq!(
        bodies,
        [&b"before"[..], b"kept"],
        "the final chain's messages"
    );
    for message in &messages {
        assert_eq!(
            net.times_handled(message).await,
            1,
            "{message:?} delivered once"
        );
    }
    // Nothing of the dropped branch: its message was never handled (under any nonce it could
    // have had), and every root signed, relayed or recorded is one the final Home produced.
    for nonce in 0..3 {
        assert_eq!(
            net.times_handled_from(ORIGIN, DESTINATION, dropped_address, nonce, b"dropped")
                .await,
            0,
            "the dropped message was never processed"
        );
    }
    let replica = net.replica(DESTINATION, ORIGIN);
    let mut roots: BTreeSet<B256> = BTreeSet::new();
    roots.extend(updated_roots(&net, ORIGIN, net.home(ORIGIN)).await);
    roots.extend(updated_roots(&net, DESTINATION, replica).await);
    let signed = reorg_agents::signed_roots(&net, ORIGIN).expect("the updater's records");
    assert!(!signed.is_empty(), "the updater signed");
    roots.extend(signed);
    assert!(!roots.contains(&root_with_dropped));
    for root in &roots {
        assert!(
            net.produced(ORIGIN, *root).await,
            "{root} was signed or relayed but the final Home never produced it"
        );
    }
    for (agent, ops) in agents.iter_mut().zip(&ops) {
        agent.assert_running();
        assert_eq!(
            deep_reorgs(ops),
            0,
            "a shallow reorg is not reported as deep"
        );
    }

    // The deep reorg: a message signed and relayed, its blocks then replaced by a branch
    // without it, deeper than the confirmations.
    let deep_fork = origin.get_block_number().await.expect("head") + 1;
    net.dispatch_to_pool(ORIGIN, DESTINATION, first_sender, "signed then lost")
        .await;
    eventually("the new message to be relayed", &agents, || async {
        let (root, covered, count) = net.home_state(ORIGIN).await;
        (covered == count && count == 3 && net.replica_root(DESTINATION, ORIGIN).await == root)
            .then_some(())
    })
    .await;
    // Its update is final on the Home by now, so every agent read the blocks to be replaced.
    eventually("the update to be final", &agents, || async {
        let head = origin.get_block_number().await.ok()?;
        let (root, _, _) = net.home_state(ORIGIN).await;
        let final_root = Home::new(net.home(ORIGIN), &origin)
            .committedRoot()
            .block((head - CONFIRMATIONS - 1).into())
            .call()
            .await
            .ok()?;
        (final_root == root).then_some(())
    })
    .await;
    let stopped = miner.hold().await;
    let head = origin.get_block_number().await.expect("head");
    origin
        .anvil_reorg(ReorgOptions {
            depth: head - deep_fork + 1,
            tx_block_pairs: Vec::new(),
        })
        .await
        .expect("reorgs");
    drop(stopped);
    assert_eq!(
        net.dispatched(ORIGIN).await.len(),
        2,
        "the message left the chain"
    );
    for (spec, ops) in specs.iter().zip(&ops) {
        eventually(
            &format!("{} to report the deep reorg", spec.name),
            &agents,
            || async { (deep_reorgs(ops) > 0).then_some(()) },
        )
        .await;
    }
    // The updater stands by what it signed and says why it cannot go on.
    let updater_ops = &ops[0];
    let reason = eventually(
        "the updater to report its unusable update",
        &agents,
        || async {
            let (status, body) = http_get(updater_ops, "/health");
            (status != 200 && body.contains("not checkpointed")).then_some(body)
        },
    )
    .await;
    assert!(reason.contains("recorded"), "{reason}");
    drop(miner);
}
