//! Four `nxtp-consensus` nodes on loopback, in this process, at saturation: a standing backlog
//! of transfers, each with two routers' real signed bids given to every node, so every proposer
//! always has auctions to decide; auctions decided per second over a fixed window.

use crate::{lifecycle::BoxError, report::round, stats};
use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use nxtp_consensus::loopback::{free_ports, node_config, sign_bid, SharedChain};
use nxtp_consensus::{
    BidPool, Genesis, Height, Ledger, NodeHandle, NodeKey, Pool, Rules, SignedBid, TransferTerms,
};
use serde_json::{json, Value};
use std::{
    collections::BTreeSet,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

/// Nodes of the network: tolerates one faulty, as the devnet's.
const NODES: usize = 4;
/// Routers, each approved and holding liquidity that never runs out in a run.
const ROUTERS: usize = 4;
/// Routers bidding on each transfer (each alone covers it: path length 1).
const BIDS_PER_TRANSFER: usize = 2;
/// How long the network may take to decide its first auction (start-up, peers meeting).
const FIRST_DECISION_WITHIN: Duration = Duration::from_secs(120);

/// What the saturation stage runs.
pub struct Plan {
    /// Seconds decided auctions are counted over.
    pub seconds: u64,
    /// Transfers kept awaiting a decision at once.
    pub backlog: usize,
    /// Transfers prepared before the nodes start.
    pub transfers: usize,
    /// The nodes' homes go under it (emptied first).
    pub home: PathBuf,
}

/// Runs the stage; returns its section of the results.
pub async fn measure(plan: &Plan) -> Result<Value, BoxError> {
    match std::fs::remove_dir_all(&plan.home) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => return Err(err.into()),
        _ => {}
    }
    let routers: Vec<PrivateKeySigner> = (0..ROUTERS).map(|_| PrivateKeySigner::random()).collect();
    println!("signing {} transfers' bids", plan.transfers);
    let prepared = tokio::task::spawn_blocking({
        let routers = routers.clone();
        let count = plan.transfers;
        move || prepare(&routers, count)
    })
    .await??;

    let chain = Arc::new(SharedChain::default());
    let keys: Vec<NodeKey> = (0..NODES).map(|_| NodeKey::random()).collect();
    let addrs = free_ports(NODES)?;
    let genesis = Genesis {
        sequencers: keys.iter().map(NodeKey::public_key).collect(),
        ledger: Ledger::new(
            routers
                .iter()
                .map(|router| ((pool(), router.address()), U256::MAX >> 8)),
        ),
    };
    let approved: BTreeSet<Address> = routers.iter().map(PrivateKeySigner::address).collect();
    let rules = Rules::new(chain.clone(), Arc::new(approved));
    let mut nodes = Vec::new();
    for (index, key) in keys.iter().enumerate() {
        let config = node_config(index, &addrs, &plan.home);
        nodes.push(
            nxtp_consensus::start(
                config,
                key.clone(),
                genesis.clone(),
                rules.clone(),
                BidPool::new(),
            )
            .await?,
        );
    }
    let outcome = saturate(plan, &chain, &nodes, &prepared).await;
    for node in nodes {
        node.kill().await;
    }
    outcome
}

/// One transfer and its signed bids.
type Prepared = (TransferTerms, Vec<SignedBid>);

fn prepare(routers: &[PrivateKeySigner], count: usize) -> Result<Vec<Prepared>, BoxError> {
    (0..count)
        .map(|index| {
            let terms = TransferTerms {
                transfer_id: keccak256((index as u64).to_be_bytes()),
                destination_chain_id: 31337,
                destination_connext: Address::repeat_byte(0xcc),
                pool: pool(),
                to_front: U256::from(100),
                max_routers: 4,
            };
            let bids = (0..BIDS_PER_TRANSFER)
                .map(|k| sign_bid(&routers[(index + k) % routers.len()], &terms, 1))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((terms, bids))
        })
        .collect()
}

fn pool() -> Pool {
    Pool {
        destination: 2,
        canonical_domain: 1,
        canonical_id: B256::repeat_byte(0xaa),
    }
}

/// Keeps `plan.backlog` transfers awaiting a decision (as node 0 sees them decided) and counts
/// the auctions node 0 decides during `plan.seconds` from its first decision.
async fn saturate(
    plan: &Plan,
    chain: &SharedChain,
    nodes: &[NodeHandle],
    prepared: &[Prepared],
) -> Result<Value, BoxError> {
    let node = &nodes[0];
    let mut heights = node.decided.clone();
    let mut offered = 0;
    let mut decided = 0;
    let mut last = Height(0);
    let offer_up_to = |offered: &mut usize, target: usize| {
        while *offered < target.min(prepared.len()) {
            let (terms, bids) = &prepared[*offered];
            chain.xcall(terms.clone());
            for node in nodes {
                for bid in bids {
                    node.pool.add(terms.transfer_id, bid.clone());
                }
            }
            *offered += 1;
        }
    };
    offer_up_to(&mut offered, plan.backlog);

    // Until the first decision: start-up is not counted.
    let first_deadline = Instant::now() + FIRST_DECISION_WITHIN;
    while decided == 0 {
        wait_for_height(&mut heights, last, first_deadline).await?;
        let (height, auctions) = decided_since(node, last, &heights).await?;
        last = height;
        decided += auctions;
    }
    offer_up_to(&mut offered, decided + plan.backlog);
    let pid = std::process::id();
    let cpu_before = stats::cpu_seconds(pid);
    let load_before = stats::load_average();
    let start = Instant::now();
    let window_end = start + Duration::from_secs(plan.seconds);
    let (first_height, decided_before) = (last, decided);
    let mut smallest_backlog = plan.backlog;
    let mut ran_out = false;
    while Instant::now() < window_end {
        match wait_for_height(&mut heights, last, window_end).await {
            Ok(()) => {}
            Err(_) if Instant::now() >= window_end => break,
            Err(err) => return Err(err),
        }
        let (height, auctions) = decided_since(node, last, &heights).await?;
        last = height;
        decided += auctions;
        smallest_backlog = smallest_backlog.min(offered - decided);
        offer_up_to(&mut offered, decided + plan.backlog);
        ran_out |= offered == prepared.len() && offered == decided;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = stats::cpu_seconds(pid)
        .zip(cpu_before)
        .map(|(after, before)| round((after - before) * 1000.0));
    let in_window = decided - decided_before;
    let heights_in_window = last.0 - first_height.0;
    let per_second = in_window as f64 / elapsed;
    println!(
        "saturation: {in_window} auctions in {heights_in_window} heights over {elapsed:.1} s: {per_second:.1} a second"
    );
    Ok(json!({
        "definition": "four nxtp-consensus nodes in this benchmark's process on loopback (libp2p over TCP, write-ahead log and SQLite store on disk, real node keys: every precommit carries the node's EIP-712 selection signature of each auction, every node verifies each bid's router signature and each other node's selection signatures); every transfer's two signed bids (path length 1, routers approved, liquidity never short) are given to all four nodes, as if bids were forwarded, and a standing backlog of transfers awaits a decision; figure: auctions decided per second as node 0 commits them, counted from its first decision over the window",
        "window_seconds": round(elapsed),
        "decided_auctions": in_window,
        "decided_heights": heights_in_window,
        "decided_auctions_per_second": round(per_second),
        "auctions_per_height": (heights_in_window > 0).then(|| round(in_window as f64 / heights_in_window as f64)),
        "backlog_kept": plan.backlog,
        "smallest_backlog_seen_at_a_decision": smallest_backlog,
        "prepared_transfers_ran_out": ran_out,
        "bids_per_transfer": BIDS_PER_TRANSFER,
        "process_cpu_ms_all_four_nodes": cpu,
        "process_peak_rss_mb_all_four_nodes": stats::peak_rss_mb(pid).map(round),
        "cpu_and_rss_note": "the four nodes share one process here (with the backlog's feeder and the bids signed before the window), so CPU and RSS are for all four together; the per-node figures of separate processes are in the devnets' sections",
        "host_load_average_1m": { "at_start": load_before, "at_end": stats::load_average() },
    }))
}

/// Waits until node 0 decided a height above `last`, or `deadline`.
async fn wait_for_height(
    heights: &mut tokio::sync::watch::Receiver<Height>,
    last: Height,
    deadline: Instant,
) -> Result<(), BoxError> {
    let wait = heights.wait_for(|height| *height > last);
    match tokio::time::timeout_at(deadline.into(), wait).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(_)) => Err("node 0 stopped".into()),
        Err(_) => Err(format!("no height decided after {last} in time").into()),
    }
}

/// The newest height node 0 decided and the auctions it decided after `last`.
async fn decided_since(
    node: &NodeHandle,
    last: Height,
    heights: &tokio::sync::watch::Receiver<Height>,
) -> Result<(Height, usize), BoxError> {
    let newest = *heights.borrow();
    let batches = node.store.decided(Height(last.0 + 1), newest).await?;
    Ok((
        newest,
        batches
            .iter()
            .map(|decided| decided.batch.auctions.len())
            .sum(),
    ))
}
