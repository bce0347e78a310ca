//! The messaging benchmark: a devnet with every agent, N messages dispatched across every route between
//! its domains, each awaited until processed. Writes `bench/results/messaging.json`.

use crate::{
    lifecycle::{devnet_config, with_devnet, BoxError},
    report::{round, summary, AgentUsage},
};
use alloy::{
    primitives::Address,
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use nxtp_deployment::Manifest;
use nxtp_devnet::{traffic, Devnet};
use nxtp_primitives::Domain;
use serde_json::json;
use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

/// Options of `nxtp-bench messaging`.
#[derive(clap::Args)]
pub struct Args {
    /// Messages to send, spread evenly over every (origin, destination) route.
    #[arg(long, default_value_t = 1000)]
    messages: usize,
    /// Chains (domains).
    #[arg(long, default_value_t = 3)]
    chains: usize,
    /// Seconds between blocks.
    #[arg(long, default_value_t = 1.0)]
    block_time: f64,
    /// The Replicas' optimistic window.
    #[arg(long, default_value_t = 5)]
    optimistic_seconds: u32,
    /// The `nxtp` binary the agents run as.
    #[arg(long, default_value = "target/debug/nxtp")]
    agent_program: PathBuf,
    /// The devnet's run folder.
    #[arg(long, default_value = "run/bench-messaging")]
    run_dir: PathBuf,
    /// Where to write the results (default `bench/results/messaging.json`).
    #[arg(long)]
    output: Option<PathBuf>,
    /// How long to wait for every message.
    #[arg(long, default_value_t = 900)]
    timeout_seconds: u64,
}

/// Runs the benchmark; returns the results file.
pub async fn run(args: Args) -> Result<PathBuf, BoxError> {
    let mut config = devnet_config(&args.agent_program, &args.run_dir)?;
    config.chains = args.chains;
    config.block_time = Duration::from_secs_f64(args.block_time);
    config.optimistic_seconds = args.optimistic_seconds;
    config.liquidity = None;
    let messages = args.messages;
    let results = with_devnet(config, async |devnet| {
        println!("sending {messages} messages");
        measure(devnet, &args).await
    })
    .await?;
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| crate::results_path("messaging.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&results)? + "\n")?;
    println!("{}", serde_json::to_string_pretty(&results)?);
    Ok(path)
}

async fn measure(devnet: &Devnet, args: &Args) -> Result<serde_json::Value, BoxError> {
    let manifest = devnet.manifest().clone();
    let mut usage = AgentUsage::default();
    let routes = routes(&manifest, args.messages);
    let sender_key = devnet.chains().chains()[0].dev_keys[9];

    let started = Instant::now();
    let sent = traffic::dispatch(&manifest, sender_key, &routes).await?;
    let dispatch_wall = started.elapsed();
    let waiting =
        traffic::await_deliveries(&manifest, &sent, Duration::from_secs(args.timeout_seconds));
    let deliveries = usage.while_sampling(devnet, waiting).await?;

    let mut handled_more_than_once = 0;
    for message in &sent {
        if traffic::times_handled(&manifest, &message.message).await? != 1 {
            handled_more_than_once += 1;
        }
    }
    let acceptable = traffic::acceptable_at(&manifest, &sent).await?;
    let checkpoints = traffic::checkpoints(&manifest).await?;
    let checkpointed = traffic::checkpointed_at(&checkpoints, &sent);
    // What checkpointing from the pending block costs: transactions per origin block that
    // dispatched messages.
    let checkpoint_txs: usize = checkpoints
        .values()
        .map(|found| found.iter().filter(|c| c.count > 0).count())
        .sum();
    let dispatch_blocks = sent
        .iter()
        .map(|message| (message.message.origin, message.block))
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let window_seconds = u64::from(args.optimistic_seconds);
    // The stages before the window: the checkpoint on the origin, then the Replica's update
    // (its `confirmAt` minus the window).
    let to_checkpoint: Vec<f64> = sent
        .iter()
        .filter_map(|message| {
            let at = checkpointed.get(&message.leaf)?;
            Some(at.saturating_sub(message.dispatched_at) as f64)
        })
        .collect();
    let to_replica_update: Vec<f64> = sent
        .iter()
        .filter_map(|message| {
            let ripe = acceptable.get(&message.leaf)?;
            Some(
                ripe.saturating_sub(window_seconds)
                    .saturating_sub(message.dispatched_at) as f64,
            )
        })
        .collect();
    let processor_latency: Vec<f64> = sent
        .iter()
        .filter_map(|message| {
            let ripe = acceptable.get(&message.leaf)?;
            Some(deliveries[&message.leaf].processed_at.saturating_sub(*ripe) as f64)
        })
        .collect();
    let window = f64::from(args.optimistic_seconds);
    let mut total = Vec::with_capacity(sent.len());
    let mut beyond_window = Vec::with_capacity(sent.len());
    for message in &sent {
        let delivery = &deliveries[&message.leaf];
        let latency = delivery.processed_at.saturating_sub(message.dispatched_at) as f64;
        total.push(latency);
        beyond_window.push(latency - window);
    }
    let first_dispatch = sent
        .iter()
        .map(|m| m.dispatched_at)
        .min()
        .unwrap_or_default();
    let last_process = deliveries
        .values()
        .map(|d| d.processed_at)
        .max()
        .unwrap_or_default();
    let span = (last_process.saturating_sub(first_dispatch)).max(1) as f64;
    let processor_gas = processor_gas(&manifest).await?;
    let blocks = |values: &[f64]| {
        summary(
            &values
                .iter()
                .map(|v| v / args.block_time)
                .collect::<Vec<_>>(),
        )
    };

    Ok(json!({
        "messages": sent.len(),
        "chains": args.chains,
        "block_time_seconds": args.block_time,
        "optimistic_seconds": args.optimistic_seconds,
        "agent_confirmations": 1,
        "dispatch_wall_seconds": round(dispatch_wall.as_secs_f64()),
        "messages_per_second": round(sent.len() as f64 / span),
        "latency_dispatch_to_process_seconds": summary(&total),
        "latency_beyond_window_seconds": summary(&beyond_window),
        "latency_beyond_window_destination_blocks": blocks(&beyond_window),
        "latency_dispatch_to_checkpoint_seconds": summary(&to_checkpoint),
        "checkpoint_transactions": checkpoint_txs,
        "origin_blocks_with_messages": dispatch_blocks,
        "latency_dispatch_to_replica_update_seconds": summary(&to_replica_update),
        "latency_root_acceptable_to_process_seconds": summary(&processor_latency),
        "latency_root_acceptable_to_process_destination_blocks": blocks(&processor_latency),
        "delivered_exactly_once": handled_more_than_once == 0 && deliveries.len() == sent.len(),
        "agents_peak_rss_mb": AgentUsage::to_json(&usage.peak_rss_mb),
        "agents_cpu_seconds": AgentUsage::to_json(&usage.cpu_seconds),
        "processor_gas_per_message": processor_gas / sent.len().max(1) as u64,
    }))
}

/// `count` routes cycling over every ordered pair of distinct domains.
fn routes(manifest: &Manifest, count: usize) -> Vec<(Domain, Domain)> {
    let domains: Vec<Domain> = manifest.domains.keys().copied().collect();
    let pairs: Vec<(Domain, Domain)> = domains
        .iter()
        .flat_map(|&origin| {
            domains
                .iter()
                .filter(move |&&d| d != origin)
                .map(move |&d| (origin, d))
        })
        .collect();
    pairs.iter().copied().cycle().take(count).collect()
}

/// Gas of every transaction the processor account sent, on every domain.
async fn processor_gas(manifest: &Manifest) -> Result<u64, BoxError> {
    let key = manifest
        .dev_keys
        .get("processor")
        .ok_or("the manifest has no processor key")?;
    let processor: Address = PrivateKeySigner::from_bytes(key)?.address();
    let mut gas = 0u64;
    for deployment in manifest.domains.values() {
        let provider = ProviderBuilder::new().connect_http(deployment.rpc_url.parse()?);
        let latest = provider.get_block_number().await?;
        for number in deployment.deploy_block..=latest {
            let Some(block) = provider.get_block_by_number(number.into()).await? else {
                continue;
            };
            for hash in block.transactions.hashes() {
                let Some(receipt) = provider.get_transaction_receipt(hash).await? else {
                    continue;
                };
                if receipt.from == processor {
                    gas += receipt.gas_used;
                }
            }
        }
    }
    Ok(gas)
}
