//! Shallow reorgs under the whole system (issue #16): a devnet of two anvil chains whose blocks the
//! test mines itself every 500 ms (so that a reorg never races a new block), every agent its own OS
//! process reading every chain [`DEPTH`] blocks deep (`AgentOptions::confirmations`), the updater
//! signing at anvil's `finalized` block (two blocks behind the head with one slot an epoch).
//!
//! - A transaction of the checkpointer, the updater, the relayer (a fast execute) and the processor
//!   is reorged out right after it is mined (anvil drops it from its pool, so only the agent can
//!   bring it back): each is broadcast again and mined within a block or so, far below the
//!   submitter's `bump_after` (60 s), and the transfer completes once.
//! - Reorgs of 1 and 2 blocks on both chains, interleaved with 40 transfers from 40 senders sent
//!   over 10 s. An origin reorg waits for a head holding an xcall and drops that xcall for good
//!   with the agents' transactions (the other xcalls are re-included); a destination reorg waits
//!   for a head holding the agents' transactions (executes, updates, processes) and drops all of
//!   them. Every transfer whose xcall survived completes exactly once (at least 30), nothing
//!   executes for a dropped one, every unit of `DEMO` is accounted for, and no agent counts a deep
//!   reorg.
//! - A reorg deeper than the agents' confirmations but shallower than the declared finality drops
//!   an xcall a router already fronted: that router alone bears it (debited what the recipient
//!   got, never credited), nothing is minted or reconciled for it, the user keeps their tokens, and
//!   a later transfer from the same origin completes once.
//!
//! Figures (how long each dropped transaction took to come back, how many reorgs dropped what) are
//! printed; `cargo nextest run -p nxtp --test reorgs_devnet --no-capture` shows them.

mod anvil_net;
#[allow(dead_code)]
mod transfers;

use alloy::{
    eips::BlockNumberOrTag,
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::{ext::AnvilApi, DynProvider, Provider, ProviderBuilder},
    rpc::types::Filter,
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use nxtp_bindings::{BridgeToken, Connext, DemoToken};
use nxtp_devnet::{default_agents, liquidity::demo_units, DevnetConfig, Finality};
use nxtp_primitives::Domain;
use nxtp_sdk::{Sdk, Stage, Timing, XcallRequest};
use nxtp_testnet::{block_txs, reorg_dropping, BlockTx, Miner};
use std::{
    collections::BTreeMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};
use transfers::{
    eventually,
    ledger::assert_conserved,
    plan::{complete_all, send_all, Path, Plan},
    World, COMPLETION_TIMEOUT, TIMEOUT,
};

/// Every agent's confirmation depth: no reorg here goes deeper.
const DEPTH: u64 = 2;
/// The test's block interval on both chains. Each block is stamped one second after its parent
/// ([`Miner::start_one_second_apart`]), as on Ethereum: the processor sends a batch for the next
/// block's earliest timestamp, the parent's plus one, which sub-second blocks stamped by the clock
/// would repeat.
const BLOCK: Duration = Duration::from_millis(500);
/// How long a dropped transaction may take to be mined again: far below the submitter's
/// `bump_after` (60 s), after which a fee bump would bring it back anyway.
const RETURN_BOUND: Duration = Duration::from_secs(15);

/// Two chains, every agent [`DEPTH`] deep; anvil's `finalized` block 2 behind its head.
fn two_chains_at_depth(config: &mut DevnetConfig) {
    config.chains = 2;
    config.agent_options.confirmations = DEPTH;
    config.slots_in_an_epoch = 1;
}

/// The two domains of a two-chain world: (origin, destination).
fn two_domains(world: &World) -> (Domain, Domain) {
    let [origin, destination] = world.domains()[..] else {
        panic!("two domains");
    };
    (origin, destination)
}

/// Takes over mining `reader`'s chain: a block every [`BLOCK`], each stamped one second after its
/// parent.
async fn mine(reader: &DynProvider) -> Miner {
    Miner::start_one_second_apart(reader.clone(), BLOCK).await
}

/// Block `number`'s timestamp.
async fn timestamp(reader: &DynProvider, number: u64) -> u64 {
    reader
        .get_block_by_number(BlockNumberOrTag::Number(number))
        .await
        .expect("reads a block")
        .unwrap_or_else(|| panic!("block {number} exists"))
        .header
        .timestamp
}

/// An agent's transaction to drop: the first one from `from` to `to` on `domain`.
struct Target {
    agent: &'static str,
    domain: Domain,
    from: Address,
    to: Address,
}

/// How a dropped transaction came back.
#[derive(Debug)]
struct Returned {
    agent: &'static str,
    /// The block it was first mined in, and the reorg's depth.
    mined_in: u64,
    depth: u64,
    /// From the reorg to its receipt on the new branch: time and blocks.
    after: Duration,
    blocks: u64,
}

/// Waits from block `next` on for `target`'s first transaction; once mined, reorgs it out (with
/// every later transaction of its sender; the rest re-included) before another block is mined, and
/// waits for the agent to get the same transaction mined again.
async fn drop_and_time_return(
    world: &World,
    miner: &Miner,
    target: &Target,
    mut next: u64,
) -> Returned {
    let reader = world.reader(target.domain);
    let deadline = Instant::now() + COMPLETION_TIMEOUT;
    let (tx, mined_in, head, reorged_at) = loop {
        assert!(
            Instant::now() < deadline,
            "no transaction of the {} within {COMPLETION_TIMEOUT:?}; logs in {}",
            target.agent,
            world.devnet.run_dir().display()
        );
        let found = {
            // Held while looking, so the block found is still the head or close to it.
            let _mining = miner.hold().await;
            let head = reader.get_block_number().await.expect("head");
            let mut found = None;
            while found.is_none() && next <= head {
                found = block_txs(&reader, next)
                    .await
                    .into_iter()
                    .find(|tx| tx.from == target.from && tx.to == Some(target.to))
                    .map(|tx| (tx, next));
                if found.is_none() {
                    next += 1;
                }
            }
            match found {
                Some((tx, block)) => {
                    let stamped = timestamp(&reader, block).await;
                    let first_status = reader
                        .get_transaction_receipt(tx.hash)
                        .await
                        .expect("reads a receipt")
                        .map(|receipt| receipt.status());
                    assert!(
                        head - block < DEPTH,
                        "the {}'s transaction was {} blocks deep before the test saw it",
                        target.agent,
                        head - block + 1
                    );
                    let sender = tx.from;
                    let nonce = tx.nonce;
                    reorg_dropping(&reader, block, head, |other| {
                        other.from == sender && other.nonce >= nonce
                    })
                    .await;
                    println!(
                        "{}: block {block} stamped {stamped} (status {first_status:?}), now {} \
                         after the reorg",
                        target.agent,
                        timestamp(&reader, block).await
                    );
                    Some((tx, block, head, Instant::now()))
                }
                None => None,
            }
        };
        if let Some(found) = found {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        reader
            .get_transaction_receipt(tx.hash)
            .await
            .expect("reads a receipt")
            .is_none(),
        "the reorg dropped the {}'s transaction",
        target.agent
    );
    let receipt = eventually(
        &format!(
            "the {}'s dropped transaction to be mined again",
            target.agent
        ),
        RETURN_BOUND,
        || async { reader.get_transaction_receipt(tx.hash).await.ok().flatten() },
    )
    .await;
    let after = reorged_at.elapsed();
    let landed = receipt.block_number.expect("mined");
    assert!(
        receipt.status(),
        "the {}'s transaction succeeded on the new branch (block {landed} stamped {})",
        target.agent,
        timestamp(&reader, landed).await
    );
    let returned = Returned {
        agent: target.agent,
        mined_in,
        depth: head - mined_in + 1,
        after,
        blocks: receipt.block_number.expect("mined") - head,
    };
    println!("dropped and returned: {returned:?}");
    returned
}

/// `role`'s development key's address.
fn address(world: &World, role: &str) -> Address {
    world.key(role).address()
}

/// The deep reorgs every agent counted (`nxtp_chain_deep_reorgs_total` on its ops server, found in
/// its log), by agent.
fn deep_reorgs(world: &World) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for agent in world.devnet.supervisor().agents() {
        let log = std::fs::read_to_string(&agent.log).unwrap_or_default();
        let ops = log
            .lines()
            .rev()
            .find(|line| line.contains("agent started"))
            .and_then(|line| line.split("ops_addr=").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("{} logged no ops address", agent.name))
            .to_owned();
        let (_, metrics) = anvil_net::http_get(&ops, "/metrics");
        let count = metrics
            .lines()
            .filter(|line| line.starts_with("nxtp_chain_deep_reorgs_total"))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
            .sum();
        counts.insert(agent.name.clone(), count);
    }
    counts
}

fn assert_no_deep_reorgs(world: &World) {
    let counts = deep_reorgs(world);
    println!("deep reorgs counted by each agent: {counts:?}");
    assert!(
        counts.values().all(|&count| count == 0),
        "no agent counts a reorg within its depth as deep: {counts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_transaction_of_each_agent_is_sent_again_at_once() {
    let world = World::start_with(default_agents, two_chains_at_depth).await;
    let (origin, destination) = two_domains(&world);
    let origin_miner = mine(&world.reader(origin)).await;
    let destination_miner = mine(&world.reader(destination)).await;
    let home = world.manifest.domain(origin).expect("origin").home;
    let replica = world
        .manifest
        .domain(destination)
        .expect("destination")
        .replicas[&origin];
    let targets = [
        Target {
            agent: "checkpointer",
            domain: origin,
            from: address(&world, "checkpointer"),
            to: home,
        },
        Target {
            agent: "updater",
            domain: origin,
            from: address(&world, "updater"),
            to: home,
        },
        Target {
            agent: "relayer",
            domain: destination,
            from: address(&world, "relayer"),
            to: world.connext(destination),
        },
        Target {
            agent: "processor",
            domain: destination,
            from: address(&world, "processor"),
            to: replica,
        },
    ];
    let first = |domain: Domain| {
        let reader = world.reader(domain);
        async move { reader.get_block_number().await.expect("head") + 1 }
    };
    let (origin_start, destination_start) = (first(origin).await, first(destination).await);
    let plans = [Plan::plain(
        "dropped and sent again",
        origin,
        destination,
        10,
        Path::Fast(1),
    )];
    let mut ledger = transfers::ledger::Ledger::open(&world, &plans).await;

    // On each chain its two agents in the order the transfer reaches them.
    let on_origin = async {
        let checkpoint =
            drop_and_time_return(&world, &origin_miner, &targets[0], origin_start).await;
        let update =
            drop_and_time_return(&world, &origin_miner, &targets[1], checkpoint.mined_in).await;
        [checkpoint, update]
    };
    let on_destination = async {
        let execute =
            drop_and_time_return(&world, &destination_miner, &targets[2], destination_start).await;
        let process =
            drop_and_time_return(&world, &destination_miner, &targets[3], execute.mined_in).await;
        [execute, process]
    };
    let (origin_returns, destination_returns, sent) =
        tokio::join!(on_origin, on_destination, send_all(&world, &plans));

    let reports = complete_all(&world, &sent).await;
    ledger.settle(&world, &sent[0], &reports[0]);
    world
        .assert_executed_and_reconciled_once(sent[0].id, destination)
        .await;
    ledger.check(&world).await;
    assert_conserved(&world).await;
    for returned in origin_returns.iter().chain(&destination_returns) {
        println!(
            "{}: mined in block {}, reorged out ({} deep), mined again {} block(s) and {:?} later",
            returned.agent, returned.mined_in, returned.depth, returned.blocks, returned.after
        );
    }
    assert_no_deep_reorgs(&world);
    drop((origin_miner, destination_miner));
    world.devnet.stop().await;
}

/// How many transfers the reorg test sends: one from each of as many senders, a few of them then
/// dropped by the origin's reorgs.
const SENDERS: usize = 40;
/// How long a reorg waits for a block worth replacing.
const PATIENCE: Duration = Duration::from_secs(3);
/// The fewest reorgs it makes, half on each chain.
const MIN_REORGS: usize = 10;

/// One sender's transfer: its key, the recipient, the amount.
struct Planned {
    sender: PrivateKeySigner,
    to: Address,
    amount: U256,
}

/// Mints `DEMO` to every sender on the origin (`DemoToken` is a faucet there), gives it ether for
/// the relayer fee and lets the origin's Connext pull its tokens; returns the newest block used.
async fn fund(world: &World, origin: Domain, planned: &[Planned]) -> u64 {
    let reader = world.reader(origin);
    let url = &world.manifest.domain(origin).expect("origin").rpc_url;
    let local = world.local_demo(origin);
    let mut tasks = tokio::task::JoinSet::new();
    for plan in planned {
        reader
            .anvil_set_balance(plan.sender.address(), U256::from(10u64).pow(U256::from(18)))
            .await
            .expect("sets a balance");
        let wallet = ProviderBuilder::new()
            .wallet(EthereumWallet::from(plan.sender.clone()))
            .connect_http(url.parse().expect("rpc url"))
            .erased();
        let sdk = Arc::clone(&world.sdk);
        let (sender, amount, demo) = (plan.sender.clone(), plan.amount, world.demo.clone());
        tasks.spawn(async move {
            let minted = DemoToken::new(local, &wallet)
                .mint(sender.address(), amount)
                .send()
                .await
                .expect("sends a mint")
                .get_receipt()
                .await
                .expect("mint receipt");
            let approved = sdk
                .approve(&sender, origin, &demo, U256::MAX)
                .await
                .expect("approves");
            minted.block_number.unwrap_or_default().max(approved.block)
        });
    }
    tasks.join_all().await.into_iter().max().unwrap_or_default()
}

/// Reorgs the chain's newest `depth` blocks once its head holds a transaction `wanted` selects
/// (the victim), or after `patience` without one (no victim). The new blocks re-include every
/// transaction but those `dropped` selects, given the victim. Returns the transactions dropped.
async fn reorg_a_busy_head(
    reader: &DynProvider,
    miner: &Miner,
    depth: u64,
    wanted: impl Fn(&BlockTx) -> bool,
    dropped: impl Fn(&BlockTx, Option<&BlockTx>) -> bool,
) -> Vec<BlockTx> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        {
            let _mining = miner.hold().await;
            let head = reader.get_block_number().await.expect("head");
            let victim = block_txs(reader, head).await.into_iter().find(&wanted);
            if victim.is_some() || Instant::now() >= deadline {
                let fork = head + 1 - depth;
                return reorg_dropping(reader, fork, head, |tx| dropped(tx, victim.as_ref())).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shallow_reorgs_among_transfers_lose_and_repeat_nothing() {
    let started = Instant::now();
    let world = World::start_with(default_agents, two_chains_at_depth).await;
    let (origin, destination) = two_domains(&world);
    let origin_reader = world.reader(origin);
    let destination_reader = world.reader(destination);
    let origin_miner = mine(&origin_reader).await;
    let destination_miner = mine(&destination_reader).await;
    assert_conserved(&world).await;

    let planned: Vec<Planned> = (0..SENDERS)
        .map(|i| Planned {
            sender: PrivateKeySigner::random(),
            to: PrivateKeySigner::random().address(),
            amount: demo_units(1 + (i as u64 % 3)),
        })
        .collect();
    // Funded before any reorg, and buried deeper than any reorg reaches.
    let funded = fund(&world, origin, &planned).await;
    eventually("the funding to be buried", TIMEOUT, || async {
        let head = origin_reader.get_block_number().await.ok()?;
        (head >= funded + DEPTH).then_some(())
    })
    .await;
    let destination_start = destination_reader.get_block_number().await.expect("head") + 1;

    // Receipts of dropped xcalls never come: give up on them quickly.
    let services = world.manifest.services.as_ref().expect("services");
    let sdk = Arc::new(
        Sdk::from_manifest(
            &world.manifest,
            Some(services.sequencer_url.parse().expect("sequencer url")),
        )
        .expect("sdk")
        .with_timing(Timing {
            receipt_timeout: Duration::from_secs(5),
            poll_interval: Duration::from_millis(250),
        }),
    );
    let sending_done = AtomicBool::new(false);
    let sending = async {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, plan) in planned.iter().enumerate() {
            let sdk = Arc::clone(&sdk);
            let sender = plan.sender.clone();
            let request = XcallRequest::new(
                origin,
                destination,
                world.demo.clone(),
                plan.amount,
                plan.to,
            );
            tasks.spawn(async move {
                // Spread over a few seconds, so that reorgs land among them (a spacing in
                // time, not a wait for a condition).
                tokio::time::sleep(BLOCK * u32::try_from(i).expect("few") / 2).await;
                let outcome = sdk
                    .xcall(&sender, &request)
                    .await
                    .map(|receipt| receipt.origin_tx)
                    .map_err(|err| err.to_string());
                (sender.address(), outcome)
            });
        }
        let outcomes: BTreeMap<Address, Result<B256, String>> =
            tasks.join_all().await.into_iter().collect();
        sending_done.store(true, Ordering::SeqCst);
        outcomes
    };
    let connext = world.connext(origin);
    let reorging = async {
        let mut reorgs: Vec<(Domain, u64, Vec<B256>)> = Vec::new();
        let mut after_sending = 0;
        while reorgs.len() < MIN_REORGS || after_sending < 2 {
            let depth = 1 + (reorgs.len() as u64 / 2) % DEPTH;
            let on_origin = reorgs.len().is_multiple_of(2);
            let sent = sending_done.load(Ordering::SeqCst);
            let gone = if on_origin {
                // Once the head holds an xcall (or, once all are sent, anything): that xcall is
                // dropped for good, with every agent's transaction (checkpoints, updates); the
                // other xcalls stay.
                reorg_a_busy_head(
                    &origin_reader,
                    &origin_miner,
                    depth,
                    |tx| sent || tx.to == Some(connext),
                    |tx, victim| {
                        tx.to != Some(connext)
                            || victim.is_some_and(|v| v.hash == tx.hash && v.to == Some(connext))
                    },
                )
                .await
            } else {
                // Once the head holds an agent's transaction (an execute, a Replica's update, a
                // process): every transaction of the replaced blocks is dropped.
                reorg_a_busy_head(
                    &destination_reader,
                    &destination_miner,
                    depth,
                    |_| true,
                    |_, _| true,
                )
                .await
            };
            let domain = if on_origin { origin } else { destination };
            // (Connext has one address on every chain: only the origin's transactions to it
            // are xcalls.)
            let xcalls: Vec<B256> = if on_origin {
                gone.iter()
                    .filter(|tx| tx.to == Some(connext))
                    .map(|tx| tx.hash)
                    .collect()
            } else {
                Vec::new()
            };
            println!(
                "reorg {} on {domain}: {depth} block(s), {} transaction(s) dropped ({} \
                 xcalls)",
                reorgs.len() + 1,
                gone.len(),
                xcalls.len()
            );
            reorgs.push((domain, depth, xcalls));
            if sending_done.load(Ordering::SeqCst) {
                after_sending += 1;
            }
            // The next reorg replaces only blocks mined after this one: two of them first.
            let reader = if on_origin {
                &origin_reader
            } else {
                &destination_reader
            };
            let reorged_head = reader.get_block_number().await.expect("head");
            eventually("two blocks after the reorg", TIMEOUT, || async {
                let head = reader.get_block_number().await.ok()?;
                (head >= reorged_head + 2).then_some(())
            })
            .await;
        }
        reorgs
    };
    let (outcomes, reorgs) = tokio::join!(sending, reorging);
    let acknowledged = outcomes.values().filter(|outcome| outcome.is_ok()).count();

    // What the final origin chain holds decides which transfers exist.
    let filter = Filter::new()
        .address(connext)
        .event_signature(Connext::XCalled::SIGNATURE_HASH)
        .from_block(funded);
    let xcalled: BTreeMap<Address, B256> = origin_reader
        .get_logs(&filter)
        .await
        .expect("XCalled logs")
        .iter()
        .map(|log| {
            let event = log.log_decode::<Connext::XCalled>().expect("XCalled").inner;
            (event.data.params.to, event.data.transferId)
        })
        .collect();
    let (survived, dropped): (Vec<&Planned>, Vec<&Planned>) = planned
        .iter()
        .partition(|plan| xcalled.contains_key(&plan.to));
    println!(
        "{SENDERS} xcalls sent ({acknowledged} with a receipt), {} survived, {} dropped by {} \
         reorgs ({} on the origin)",
        survived.len(),
        dropped.len(),
        reorgs.len(),
        reorgs
            .iter()
            .filter(|(domain, _, _)| *domain == origin)
            .count()
    );
    let dropped_by_reorgs: Vec<B256> = reorgs
        .iter()
        .flat_map(|(_, _, xcalls)| xcalls.iter().copied())
        .collect();
    assert!(
        !dropped_by_reorgs.is_empty(),
        "the origin's reorgs dropped xcalls"
    );
    // Each missing xcall is one a reorg dropped after it was mined, or one whose sender never saw
    // a receipt (sent while its block was being replaced).
    for plan in &dropped {
        match &outcomes[&plan.sender.address()] {
            Ok(hash) => assert!(
                dropped_by_reorgs.contains(hash),
                "xcall {hash} was mined, is gone, and no reorg dropped it"
            ),
            Err(err) => println!("an xcall without a receipt: {err}"),
        }
    }
    assert!(
        survived.len() >= 30,
        "at least 30 transfers survived: {}",
        survived.len()
    );

    // Every surviving transfer completes once, by either path.
    let mut tasks = tokio::task::JoinSet::new();
    for plan in &survived {
        let id = xcalled[&plan.to];
        let sdk = Arc::clone(&world.sdk);
        tasks.spawn(async move {
            let followed = sdk
                .wait_for(id, Stage::CompletedFast, COMPLETION_TIMEOUT, |_| {})
                .await
                .unwrap_or_else(|err| panic!("{id} did not complete: {err}"));
            assert!(followed.report.stage.is_final(), "{id}: {followed:?}");
            (id, followed.report.stage)
        });
    }
    let stages: BTreeMap<B256, Stage> = tasks.join_all().await.into_iter().collect();
    let fee_bps = Connext::new(world.connext(destination), &destination_reader)
        .liquidityFeeBps()
        .call()
        .await
        .expect("liquidityFeeBps");
    let destination_demo = DemoToken::new(world.local_demo(destination), &destination_reader);
    let origin_demo = DemoToken::new(world.local_demo(origin), &origin_reader);
    for plan in &survived {
        let id = xcalled[&plan.to];
        world
            .assert_executed_and_reconciled_once(id, destination)
            .await;
        let expected = match stages[&id] {
            Stage::CompletedFast => {
                plan.amount * U256::from(10_000 - u64::from(fee_bps)) / U256::from(10_000)
            }
            _ => plan.amount,
        };
        let received = destination_demo
            .balanceOf(plan.to)
            .call()
            .await
            .expect("balanceOf");
        assert_eq!(
            received, expected,
            "{id}: the recipient got its transfer once"
        );
        let left = origin_demo
            .balanceOf(plan.sender.address())
            .call()
            .await
            .expect("balanceOf");
        assert_eq!(left, U256::ZERO, "{id}: the sender paid it once");
    }
    for plan in &dropped {
        let received = destination_demo
            .balanceOf(plan.to)
            .call()
            .await
            .expect("balanceOf");
        assert_eq!(
            received,
            U256::ZERO,
            "nothing delivered for a dropped xcall"
        );
        let kept = origin_demo
            .balanceOf(plan.sender.address())
            .call()
            .await
            .expect("balanceOf");
        assert_eq!(kept, plan.amount, "a dropped xcall took nothing");
    }
    let executed = destination_reader
        .get_logs(
            &Filter::new()
                .address(world.connext(destination))
                .event_signature(Connext::Executed::SIGNATURE_HASH)
                .from_block(destination_start),
        )
        .await
        .expect("Executed logs")
        .len();
    assert_eq!(
        executed,
        survived.len(),
        "one execute per surviving transfer, none for a dropped one"
    );
    assert_conserved(&world).await;
    let fast = stages
        .values()
        .filter(|stage| **stage == Stage::CompletedFast)
        .count();
    println!(
        "{} transfers completed once ({fast} fast, {} slow) in {:?} from the devnet's start",
        stages.len(),
        stages.len() - fast,
        started.elapsed()
    );
    assert_no_deep_reorgs(&world);
    drop((origin_miner, destination_miner));
    world.devnet.stop().await;
}

/// How deep the origin's reorg reaches: deeper than the agents' confirmations, shallower than the
/// finality the messaging layer declares ([`FINAL_DEPTH`]).
const DEEP: u64 = 5;
/// The messaging layer's finality depth in the deep reorg test.
const FINAL_DEPTH: u64 = 8;

/// Two chains, every agent one block deep, the updater signing [`FINAL_DEPTH`] blocks deep.
fn shallow_agents_deep_finality(config: &mut DevnetConfig) {
    config.chains = 2;
    config.agent_options.confirmations = 1;
    config.agent_options.finality = Finality::Depth(FINAL_DEPTH);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_origin_reorg_after_a_router_fronted_costs_only_that_router() {
    let started = Instant::now();
    let world = World::start_with(default_agents, shallow_agents_deep_finality).await;
    let (origin, destination) = two_domains(&world);
    let origin_reader = world.reader(origin);
    let destination_reader = world.reader(destination);
    let origin_miner = mine(&origin_reader).await;
    let connext = Connext::new(world.connext(destination), &destination_reader);
    let destination_demo = DemoToken::new(world.local_demo(destination), &destination_reader);
    let origin_demo = DemoToken::new(world.local_demo(origin), &origin_reader);
    let supply = || async {
        BridgeToken::new(world.local_demo(destination), &destination_reader)
            .totalSupply()
            .call()
            .await
            .expect("totalSupply")
    };
    let liquidity = || async {
        let mut all = Vec::new();
        for router in world.routers() {
            all.push(
                connext
                    .routerBalance(router, world.local_demo(destination))
                    .call()
                    .await
                    .expect("routerBalance"),
            );
        }
        all
    };
    let user_before = origin_demo
        .balanceOf(world.user.address())
        .call()
        .await
        .expect("balanceOf");
    let supply_before = supply().await;
    let liquidity_before = liquidity().await;

    // The xcall the reorg will drop, fronted by a router first.
    let doomed = Plan::plain("dropped", origin, destination, 10, Path::Fast(1));
    let sent = send_all(&world, std::slice::from_ref(&doomed)).await;
    let id = sent[0].id;
    let xcalled = world.connext_logs::<Connext::XCalled>(origin, id).await;
    let [log] = &xcalled[..] else {
        panic!("one XCalled for {id}: {xcalled:?}");
    };
    let (xcall_block, xcall_tx) = (
        log.block_number.expect("mined"),
        log.transaction_hash.expect("a transaction"),
    );
    eventually("a router to front the transfer", TIMEOUT, || async {
        (!world
            .connext_logs::<Connext::Executed>(destination, id)
            .await
            .is_empty())
        .then_some(())
    })
    .await;

    // Reorg the origin DEEP blocks from the xcall's block (mining up to that depth first if
    // the execute came sooner), re-including every transaction but the xcall.
    let depth = {
        let _mining = origin_miner.hold().await;
        let mut head = origin_reader.get_block_number().await.expect("head");
        while head + 1 - xcall_block < DEEP {
            origin_reader.evm_mine(None).await.expect("mines");
            head += 1;
        }
        let depth = head + 1 - xcall_block;
        assert!(
            depth < FINAL_DEPTH,
            "the router fronted the xcall only {depth} blocks after it: deeper than finality"
        );
        let gone =
            reorg_dropping(&origin_reader, xcall_block, head, |tx| tx.hash == xcall_tx).await;
        assert_eq!(gone.len(), 1, "only the xcall is dropped: {gone:?}");
        depth
    };
    assert!(
        world
            .connext_logs::<Connext::XCalled>(origin, id)
            .await
            .is_empty(),
        "the xcall is gone from the origin"
    );
    let fronted = destination_demo
        .balanceOf(doomed.to)
        .call()
        .await
        .expect("balanceOf");
    assert!(fronted > U256::ZERO, "the recipient got the fronted funds");
    let liquidity_after = liquidity().await;
    let debited: Vec<U256> = liquidity_before
        .iter()
        .zip(&liquidity_after)
        .map(|(before, after)| before - after)
        .collect();
    assert!(
        debited.iter().filter(|d| **d == fronted).count() == 1
            && debited.iter().filter(|d| **d == U256::ZERO).count() == 1,
        "one router paid exactly what the recipient got ({fronted}): {debited:?}"
    );
    assert_eq!(supply().await, supply_before, "nothing minted for it");

    // A later xcall from the origin completes once; meanwhile (its whole course, a bounded chance
    // for the agents to get the dropped one wrong) nothing reconciles the dropped transfer.
    let later = Plan::plain("after the reorg", origin, destination, 3, Path::Any);
    let mut ledger = transfers::ledger::Ledger::open(&world, std::slice::from_ref(&later)).await;
    let later_sent = send_all(&world, std::slice::from_ref(&later)).await;
    let reports = complete_all(&world, &later_sent).await;
    ledger.settle(&world, &later_sent[0], &reports[0]);
    world
        .assert_executed_and_reconciled_once(later_sent[0].id, destination)
        .await;
    ledger.check(&world).await;

    for domain in world.domains() {
        let executed = world.connext_logs::<Connext::Executed>(domain, id).await;
        let reconciled = world.connext_logs::<Connext::Reconciled>(domain, id).await;
        assert_eq!(
            (executed.len(), reconciled.len()),
            (usize::from(domain == destination), 0),
            "{id} on {domain}: executed once by the router, never reconciled"
        );
    }
    assert_eq!(
        destination_demo
            .balanceOf(doomed.to)
            .call()
            .await
            .expect("balanceOf"),
        fronted,
        "the recipient keeps what the router gave"
    );
    assert_eq!(
        origin_demo
            .balanceOf(world.user.address())
            .call()
            .await
            .expect("balanceOf")
            + later.amount,
        user_before,
        "the user paid for the later xcall only"
    );
    assert_eq!(
        supply().await,
        supply_before + later.amount,
        "only the later transfer minted on the destination"
    );
    assert_conserved(&world).await;
    println!(
        "xcall in block {xcall_block} fronted, then reorged out {depth} blocks deep; the later \
         transfer went {}; {:?} from the devnet's start",
        reports[0].stage,
        started.elapsed()
    );
    drop(origin_miner);
    world.devnet.stop().await;
}
