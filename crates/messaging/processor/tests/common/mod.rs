//! What the processor's end-to-end tests share: the messaging net of `nxtp_testnet` with
//! one-second blocks (the updater's and relayer's jobs done by hand), the processor's config for
//! it, and a processor that can be crashed.

#![allow(dead_code, unreachable_pub)]

use alloy::{primitives::U256, providers::Provider, rpc::types::Filter, sol_types::SolEvent};
use nxtp_processor::{Processor, ProcessorConfig};
use std::{path::Path, time::Duration};

pub use nxtp_testnet::{eventually, TestNet as Net};

/// The processor, in this process.
pub type Running = nxtp_testnet::Running<Processor>;

/// The processor, on its own runtime, to crash.
pub type Crashable = nxtp_testnet::Crashable<Processor>;

/// The processor's config for this net (as the devnet generates it), with its database in
/// `db` and quick retries.
pub fn processor_config(net: &Net, db: &Path) -> ProcessorConfig {
    let text = nxtp_devnet::processor_agent::config_toml(
        &net.manifest,
        net.dir(),
        &nxtp_devnet::AgentOptions::default(),
    )
    .expect("the manifest has the processor's key");
    let mut config: ProcessorConfig = toml::from_str(&text).expect("the generated config loads");
    config.database = db.to_owned();
    config.retry.base = Duration::from_millis(500);
    config.retry.max = Duration::from_secs(2);
    config.telemetry.listen = free_ops_port();
    config
}

/// `(leaf index, block)` of every `event` log of `origin`'s Replica on `destination`.
pub async fn replica_events<E: SolEvent>(
    net: &Net,
    destination: u32,
    origin: u32,
) -> Vec<(u64, u64)> {
    let filter = Filter::new()
        .address(net.replica(destination, origin))
        .event_signature(E::SIGNATURE_HASH)
        .from_block(0);
    net.reader(destination)
        .get_logs(&filter)
        .await
        .expect("logs")
        .iter()
        .map(|log| {
            let index = U256::from_be_bytes(log.topics()[2].0).to::<u64>();
            (index, log.block_number.expect("mined"))
        })
        .collect()
}

/// The first block on `domain` whose timestamp is at least `at`.
pub async fn first_block_at(net: &Net, domain: u32, at: u64) -> u64 {
    let reader = net.reader(domain);
    let head = reader.get_block_number().await.expect("head");
    let mut number = head;
    // Walk back from the head: tests look at the last minute or so.
    while number > 0 {
        let block = reader
            .get_block_by_number((number - 1).into())
            .await
            .expect("block")
            .expect("exists");
        if block.header.timestamp < at {
            break;
        }
        number -= 1;
    }
    number
}

/// A free loopback port for an agent's ops server, so a test reads its `/metrics`.
pub fn free_ops_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    listener.local_addr().expect("address")
}

pub use nxtp_testnet::two_more_rounds;
