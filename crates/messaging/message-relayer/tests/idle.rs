//! What the message relayer costs a chain while nothing happens (issue #14, "cheap to run"): its
//! head follower's one request per new block, and nothing else. Its reads of Replicas, Homes and
//! recent updates wait for a block that may have changed state, which an idle chain never mines.
//!
//! The relayer reaches each chain through a counting proxy (`nxtp_testnet::rpc_proxy`, the one
//! `make bench-rpc` uses), so every request it sends is counted by chain and method.

mod common;

use alloy::providers::{ext::AnvilApi, Provider};
use common::{Net, Running, BLOCK_MS};
use nxtp_primitives::Domain;
use nxtp_testnet::{
    eventually,
    rpc_proxy::{self, Counts, Route},
};
use std::{collections::BTreeMap, future::Future, net::SocketAddr, sync::Arc};

/// Blocks counted while idle: long enough that one stray read per chain would show.
const IDLE_BLOCKS: u64 = 40;
/// Blocks left to the relayer after its last relay, for its submitters to see their transactions
/// confirmed and its head followers to learn the block time.
const SETTLE_BLOCKS: u64 = 12;
/// The head follower's requests per block it may send: one per block, plus the occasional second
/// ask when a block comes a little later than the learned block time (anvil's interval mining on a
/// loaded machine jitters by more than the follower's guard of 1/50 of a block time).
const HEAD_REQUESTS_PER_BLOCK: f64 = 1.5;

#[tokio::test]
async fn an_idle_relayer_asks_each_chain_only_for_its_head_about_once_per_block() {
    let (net, relayer, counts) = settled_relayer().await;
    let sent = requests_while(&net, &counts, wait_blocks(&net, IDLE_BLOCKS)).await;
    relayer.stop().await;
    assert_only_head_reads(&sent);
    for Sent {
        domain,
        blocks,
        by_method,
    } in &sent
    {
        let head_reads = by_method.get("eth_getBlockByNumber").copied().unwrap_or(0);
        let per_block = head_reads as f64 / *blocks as f64;
        assert!(
            per_block <= HEAD_REQUESTS_PER_BLOCK,
            "on {domain}: {head_reads} head reads over {blocks} blocks ({per_block:.2} a block)"
        );
    }
}

/// Blocks the head follower never saw as heads (two or more mined between its polls, as on a
/// loaded node or a chain whose blocks come irregularly) are linked by their headers, one request
/// each: they used no gas, so the relayer still has nothing to read again.
#[tokio::test]
async fn blocks_skipped_by_the_head_follower_cost_no_reads() {
    let (net, relayer, counts) = settled_relayer().await;
    let skipping = async {
        for _ in 0..SKIPS {
            for domain in net.domains() {
                net.reader(domain)
                    .anvil_mine(Some(3), None)
                    .await
                    .expect("mines three blocks at once");
            }
            wait_blocks(&net, 2).await;
        }
        wait_blocks(&net, IDLE_BLOCKS / 2).await;
    };
    let sent = requests_while(&net, &counts, skipping).await;
    relayer.stop().await;
    // How often the follower asks is not in question here: a skipped block makes it learn the
    // block time again, polling every poll interval meanwhile (its `cadence` module).
    assert_only_head_reads(&sent);
}

/// How many times the skipping test mines blocks the follower cannot see one by one.
const SKIPS: usize = 5;

/// What the relayer sent a chain over some blocks.
struct Sent {
    domain: Domain,
    blocks: u64,
    by_method: BTreeMap<String, u64>,
}

/// Three chains with an update from each, relayed by a relayer reaching each chain through a
/// counting proxy, and the blocks after its last relay that let it settle.
async fn settled_relayer() -> (Net, Running, Arc<Counts>) {
    let net = Net::start(&[1000, 2000, 3000]).await;
    for origin in net.domains() {
        net.make_update(origin).await;
    }
    let counts = Arc::new(Counts::default());
    let mut config = net.relayer_config(&net.path("relayer.sqlite"), 1);
    for (&domain, chain) in config.chains.iter_mut() {
        let upstream: SocketAddr = chain
            .rpc_url
            .socket_addrs(|| None)
            .expect("a loopback URL")
            .into_iter()
            .next()
            .expect("one address");
        let route = Route {
            agent: "message-relayer".to_owned(),
            domain,
            upstream,
        };
        let proxy = rpc_proxy::start(route, Arc::clone(&counts)).expect("a proxy starts");
        chain.rpc_url = format!("http://{proxy}").parse().expect("a URL");
    }
    let relayer = Running::start(config);
    net.wait_until_caught_up().await;
    wait_blocks(&net, SETTLE_BLOCKS).await;
    (net, relayer, counts)
}

/// The requests counted, and the blocks mined, on each chain while `during` runs.
async fn requests_while(net: &Net, counts: &Counts, during: impl Future<Output = ()>) -> Vec<Sent> {
    let heads_before = heads(net).await;
    let before = counts.snapshot();
    during.await;
    let after = counts.snapshot();
    let heads_after = heads(net).await;
    net.domains()
        .into_iter()
        .map(|domain| Sent {
            domain,
            blocks: heads_after[&domain] - heads_before[&domain],
            by_method: after
                .iter()
                .filter(|((_, chain, _), _)| *chain == domain)
                .map(|(key, count)| (key.2.clone(), count - before.get(key).copied().unwrap_or(0)))
                .filter(|(_, count)| *count > 0)
                .collect(),
        })
        .collect()
}

/// Nothing but head reads (the follower's polls and the headers linking skipped blocks): no
/// Replica, Home or log read.
fn assert_only_head_reads(sent: &[Sent]) {
    for Sent {
        domain,
        blocks,
        by_method,
    } in sent
    {
        let head_reads = by_method.get("eth_getBlockByNumber").copied().unwrap_or(0);
        assert_eq!(
            by_method.len(),
            usize::from(head_reads > 0),
            "on {domain}, over {blocks} blocks that changed nothing, only head reads: {by_method:?}"
        );
        println!("{domain}: {head_reads} head reads over {blocks} idle blocks");
    }
}

/// Each chain's head, read directly (not through the relayer's proxies).
async fn heads(net: &Net) -> BTreeMap<Domain, u64> {
    let mut heads = BTreeMap::new();
    for domain in net.domains() {
        let head = net.reader(domain).get_block_number().await;
        heads.insert(domain, head.expect("reads the head"));
    }
    heads
}

/// Waits until every chain mined `blocks` more blocks.
async fn wait_blocks(net: &Net, blocks: u64) {
    let target: BTreeMap<Domain, u64> = heads(net)
        .await
        .into_iter()
        .map(|(domain, head)| (domain, head + blocks))
        .collect();
    eventually(
        &format!("{blocks} more blocks of {BLOCK_MS} ms on every chain"),
        || async {
            let now = heads(net).await;
            target.iter().all(|(domain, at)| now[domain] >= *at)
        },
    )
    .await;
}
