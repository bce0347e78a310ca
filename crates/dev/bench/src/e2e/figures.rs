//! The results file of the end-to-end benchmark: from what was sent, what the destinations executed, when
//! each block appeared, and the agents' resource use.

use super::{clock, clock::Sightings, outcome::Execution, senders::Sent};
use crate::{
    lifecycle::BoxError,
    report::{round, summary, AgentUsage},
};
use alloy::{
    primitives::B256,
    providers::{DynProvider, Provider},
};
use nxtp_devnet::{liquidity::ROUTERS, sequencer_agent, Devnet};
use nxtp_primitives::Domain;
use nxtp_sdk::Stage;
use serde_json::json;
use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    time::Instant,
};

/// The targets of the issue: with confirmation depth 1 and no auction window, half the transfers executed
/// within this many destination blocks of their `xcall`.
const TARGET_P50_BLOCKS: f64 = 2.0;
/// Each agent's peak RSS must stay under this many MB.
const TARGET_RSS_MB: f64 = 100.0;

/// How the benchmark was run.
pub struct Settings<'a> {
    /// Senders sending at once.
    pub senders: usize,
    /// `DEMO` per transfer, as given.
    pub amount: &'a str,
    /// Chains.
    pub chains: usize,
    /// Seconds between blocks.
    pub block_time: f64,
    /// The sequencer's auction window.
    pub auction_window_ms: u64,
    /// The Replicas' optimistic window.
    pub optimistic_seconds: u32,
}

/// What happened.
pub struct Run<'a> {
    /// Every transfer's origin.
    pub home: Domain,
    /// The destinations.
    pub targets: &'a [Domain],
    /// The transfers, as sent.
    pub sent: &'a [Sent],
    /// Every `Executed` on the destinations, by transfer id.
    pub executions: &'a HashMap<B256, Vec<Execution>>,
    /// Each transfer's last stage.
    pub stages: &'a HashMap<B256, Stage>,
    /// When each block was first seen.
    pub sightings: &'a Sightings,
    /// A reader per domain.
    pub providers: &'a BTreeMap<Domain, DynProvider>,
    /// The host's one-minute load average when sending began and when the last transfer completed.
    pub host_load: [Option<f64>; 2],
}

/// One transfer's latency from its `XCalled` block to its first `Executed` block.
struct Latency {
    /// Executed by routers (rather than the slow path).
    fast: bool,
    seconds: f64,
    /// Destination blocks stamped after the `XCalled` block, up to the `Executed` one.
    destination_blocks: f64,
    /// The `Executed` block minus the destination's head when the benchmark saw `XCalled`.
    destination_blocks_observed: f64,
    timestamp_seconds: f64,
}

/// The results as written to `bench/results/e2e.json`.
pub async fn results(
    devnet: &Devnet,
    settings: &Settings<'_>,
    run: &Run<'_>,
    usage: &AgentUsage,
    cpu_before: &BTreeMap<String, f64>,
) -> Result<serde_json::Value, BoxError> {
    let latencies = latencies(run).await?;
    let seconds: Vec<f64> = latencies.iter().map(|l| l.seconds).collect();
    let blocks: Vec<f64> = latencies.iter().map(|l| l.destination_blocks).collect();
    let observed: Vec<f64> = latencies
        .iter()
        .map(|l| l.destination_blocks_observed)
        .collect();
    let stamps: Vec<f64> = latencies.iter().map(|l| l.timestamp_seconds).collect();
    let by_path = |fast: bool| {
        let path: Vec<&Latency> = latencies.iter().filter(|l| l.fast == fast).collect();
        json!({
            "transfers": path.len(),
            "seconds": summary(&path.iter().map(|l| l.seconds).collect::<Vec<_>>()),
            "destination_blocks": summary(&path.iter().map(|l| l.destination_blocks).collect::<Vec<_>>()),
        })
    };

    let executions_of = |sent: &Sent| run.executions.get(&sent.transfer_id).map_or(0, Vec::len);
    let stage_of = |sent: &Sent| run.stages.get(&sent.transfer_id).copied();
    let never_executed = run.sent.iter().filter(|s| executions_of(s) == 0).count();
    let executed_twice = run.sent.iter().filter(|s| executions_of(s) > 1).count();
    let fast = count_stage(run, Stage::CompletedFast);
    let slow = count_stage(run, Stage::CompletedSlow);
    let not_completed = run
        .sent
        .iter()
        .filter(|s| !stage_of(s).is_some_and(Stage::is_final))
        .count();
    let fronted = run
        .sent
        .iter()
        .filter(|s| first_execution(run, s).is_some_and(|e| e.routers > 0))
        .count();
    let exactly_once = never_executed == 0 && executed_twice == 0 && not_completed == 0;

    let depths = confirmation_depths(devnet)?;
    let fast_path_depth = ROUTERS
        .iter()
        .map(|role| role.name())
        .chain([sequencer_agent::NAME])
        .filter_map(|name| depths.get(name).copied())
        .max();
    let target_applies = settings.auction_window_ms == 0 && fast_path_depth == Some(1);
    let p50_blocks = crate::stats::quantile(&blocks, 0.5);
    let rss_ok = usage.peak_rss_mb.0.values().all(|&mb| mb < TARGET_RSS_MB);
    let cpu_during: BTreeMap<String, f64> = usage
        .cpu_seconds
        .0
        .iter()
        .map(|(name, &total)| {
            let before = cpu_before.get(name).copied().unwrap_or_default();
            (name.clone(), round(total - before))
        })
        .collect();
    let restarts: BTreeMap<String, u32> = devnet
        .supervisor()
        .status()
        .into_iter()
        .map(|agent| (agent.name, agent.starts.saturating_sub(1)))
        .collect();
    let fees: BTreeSet<String> = run.sent.iter().map(|s| s.relayer_fee.to_string()).collect();

    Ok(json!({
        "transfers": run.sent.len(),
        "senders": settings.senders,
        "sent_with": "nxtp_sdk::Sdk::xcall, with the relayer fee quoted by nxtp_sdk::Sdk::quote (the sequencer) once per route; each sender sends its next transfer once its previous xcall is mined",
        "origin": run.home.get(),
        "destinations": run.targets.iter().map(|d| d.get()).collect::<Vec<_>>(),
        "amount_demo": settings.amount,
        "relayer_fee_wei": fees,
        "chains": settings.chains,
        "block_time_seconds": settings.block_time,
        "auction_window_ms": settings.auction_window_ms,
        "optimistic_seconds": settings.optimistic_seconds,
        "confirmation_depth": depths,
        "xcalls_per_second": throughput(run, run.sent.len(), Endpoint::LastXcall),
        "completed_transfers_per_second": throughput(run, run.sent.len() - never_executed, Endpoint::LastExecuted),
        "latency_definition": "from the origin block holding XCalled to the destination block holding the transfer's Executed. seconds: between the moments the benchmark first saw each block (every chain's head polled every 50 ms). destination_blocks: destination blocks whose timestamp is later than the XCalled block's, up to and including the Executed block. destination_blocks_observed: the Executed block minus the destination's head when the XCalled block was seen; the chains mine in near lockstep, so it counts a destination block mined a few ms after the XCalled block and reads one more than destination_blocks when the destination's timer fires just after the origin's",
        "latency_seconds": summary(&seconds),
        "latency_destination_blocks": summary(&blocks),
        "latency_destination_blocks_observed": summary(&observed),
        "latency_block_timestamp_seconds": summary(&stamps),
        "latency_by_path": { "fast": by_path(true), "slow": by_path(false) },
        "fast_path_share": round(fast as f64 / run.sent.len().max(1) as f64),
        "executed_by_routers": fronted,
        "completed_fast": fast,
        "completed_slow": slow,
        "not_completed": not_completed,
        "never_executed": never_executed,
        "executed_more_than_once": executed_twice,
        "agents_peak_rss_mb": AgentUsage::to_json(&usage.peak_rss_mb),
        "agents_cpu_seconds": AgentUsage::to_json(&usage.cpu_seconds),
        "agents_cpu_seconds_while_transferring": cpu_during,
        "agent_restarts": restarts,
        "host": {
            "cpus": std::thread::available_parallelism().map(usize::from).ok(),
            "load_average_1m_when_sending_began": run.host_load[0],
            "load_average_1m_when_all_completed": run.host_load[1],
        },
        "targets": {
            "p50_destination_blocks_at_most_2": {
                "applies": target_applies,
                "p50": p50_blocks,
                "met": p50_blocks.is_some_and(|p50| p50 <= TARGET_P50_BLOCKS),
            },
            "every_transfer_executed_once_and_completed": exactly_once,
            "every_agent_under_100_mb_rss": rss_ok,
        },
    }))
}

fn count_stage(run: &Run<'_>, stage: Stage) -> usize {
    run.sent
        .iter()
        .filter(|s| run.stages.get(&s.transfer_id) == Some(&stage))
        .count()
}

/// Where a throughput span ends.
enum Endpoint {
    LastXcall,
    LastExecuted,
}

/// `count` over the span from the first `XCalled` block's sighting to the last `xcall`'s or execution's.
fn throughput(run: &Run<'_>, count: usize, end: Endpoint) -> Option<f64> {
    let origin = run.sightings.get(&run.home)?;
    let xcalls: Vec<Instant> = run
        .sent
        .iter()
        .filter_map(|s| origin.get(&s.origin_block).copied())
        .collect();
    let first = xcalls.iter().min()?;
    let last = match end {
        Endpoint::LastXcall => *xcalls.iter().max()?,
        Endpoint::LastExecuted => run
            .sent
            .iter()
            .filter_map(|s| {
                let block = first_execution(run, s)?.block;
                run.sightings.get(&s.destination)?.get(&block).copied()
            })
            .max()?,
    };
    let span = last.duration_since(*first).as_secs_f64();
    (span > 0.0).then(|| round(count as f64 / span))
}

fn first_execution<'a>(run: &'a Run<'_>, sent: &Sent) -> Option<&'a Execution> {
    run.executions
        .get(&sent.transfer_id)?
        .iter()
        .min_by_key(|execution| execution.block)
}

/// Every executed transfer's path (`true`: fronted by routers), its latency in destination blocks
/// and in seconds; a transfer whose blocks were not both seen is left out.
pub async fn path_latencies(run: &Run<'_>) -> Result<Vec<(bool, f64, f64)>, BoxError> {
    Ok(latencies(run)
        .await?
        .into_iter()
        .map(|l| (l.fast, l.destination_blocks, l.seconds))
        .collect())
}

/// Every executed transfer's latency; a transfer whose blocks were not both seen is left out.
async fn latencies(run: &Run<'_>) -> Result<Vec<Latency>, BoxError> {
    let mut timestamps: HashMap<(Domain, u64), u64> = HashMap::new();
    let mut latencies = Vec::with_capacity(run.sent.len());
    for sent in run.sent {
        let Some(execution) = first_execution(run, sent) else {
            continue;
        };
        let (Some(origin), Some(destination)) = (
            run.sightings.get(&run.home),
            run.sightings.get(&sent.destination),
        ) else {
            continue;
        };
        let (Some(&xcalled_at), Some(&executed_at)) = (
            origin.get(&sent.origin_block),
            destination.get(&execution.block),
        ) else {
            continue;
        };
        let Some(head) = clock::head_at(destination, xcalled_at) else {
            continue;
        };
        let xcall_stamp = timestamp(run, &mut timestamps, run.home, sent.origin_block).await?;
        let execute_stamp =
            timestamp(run, &mut timestamps, sent.destination, execution.block).await?;
        // The newest destination block stamped no later than the XCalled block: the observed
        // head, or a block mined just after it in the same second.
        let mut stamped_with_xcall = head;
        while stamped_with_xcall > 0
            && timestamp(run, &mut timestamps, sent.destination, stamped_with_xcall).await?
                > xcall_stamp
        {
            stamped_with_xcall -= 1;
        }
        while stamped_with_xcall < execution.block
            && timestamp(
                run,
                &mut timestamps,
                sent.destination,
                stamped_with_xcall + 1,
            )
            .await?
                <= xcall_stamp
        {
            stamped_with_xcall += 1;
        }
        latencies.push(Latency {
            fast: execution.routers > 0,
            seconds: executed_at
                .saturating_duration_since(xcalled_at)
                .as_secs_f64(),
            destination_blocks: execution.block.saturating_sub(stamped_with_xcall) as f64,
            destination_blocks_observed: execution.block.saturating_sub(head) as f64,
            timestamp_seconds: execute_stamp as f64 - xcall_stamp as f64,
        });
    }
    Ok(latencies)
}

/// A block's timestamp, read once.
async fn timestamp(
    run: &Run<'_>,
    cache: &mut HashMap<(Domain, u64), u64>,
    domain: Domain,
    number: u64,
) -> Result<u64, BoxError> {
    if let Some(&stamp) = cache.get(&(domain, number)) {
        return Ok(stamp);
    }
    let provider = run
        .providers
        .get(&domain)
        .ok_or("no provider for a domain")?;
    let block = provider
        .get_block_by_number(number.into())
        .await?
        .ok_or_else(|| format!("domain {domain}: block {number} not found"))?;
    cache.insert((domain, number), block.header.timestamp);
    Ok(block.header.timestamp)
}

/// The confirmation depth in each agent's generated config (the largest, when domains differ).
fn confirmation_depths(devnet: &Devnet) -> Result<BTreeMap<String, u64>, BoxError> {
    let mut depths = BTreeMap::new();
    for agent in devnet.supervisor().agents() {
        let config = std::fs::read_to_string(&agent.config)
            .map_err(|err| format!("read {}: {err}", agent.config.display()))?;
        let deepest = config
            .lines()
            .filter_map(|line| {
                let (key, value) = line.split_once('=')?;
                (key.trim() == "confirmations").then(|| value.trim().parse::<u64>().ok())?
            })
            .max();
        if let Some(depth) = deepest {
            depths.insert(agent.name.clone(), depth);
        }
    }
    Ok(depths)
}
