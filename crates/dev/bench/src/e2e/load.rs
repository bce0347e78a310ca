//! The load mode of the end-to-end benchmark: transfers offered at a fixed rate for a fixed time
//! ([`offer`](super::offer)), each step followed until every transfer is executed and reconciled;
//! per step the fast-path share, the latency quantiles in destination blocks, the agents' CPU per
//! transfer and their peak RSS. With `--search`, steps at other rates find the highest at which
//! the fast path holds.

use super::{
    await_executed, clock::BlockClock, figures, offer, outcome, outcome::Destination, senders,
    senders::Sent,
};
use crate::routes::{demo_amount, DevnetRoutes};
use crate::{
    lifecycle::BoxError,
    report::{round, AgentUsage},
    stats,
};
use alloy::{
    primitives::U256,
    providers::{DynProvider, Provider},
};
use nxtp_devnet::Devnet;
use nxtp_primitives::Domain;
use serde_json::json;
use std::{
    collections::{BTreeMap, HashMap},
    path::PathBuf,
    time::{Duration, Instant},
};

/// The fast path holds at a rate when at least this share of the transfers took it...
pub const HOLDS_SHARE: f64 = 0.99;
/// ...and half of them were executed within this many destination blocks of their `xcall`.
pub const HOLDS_P50_BLOCKS: f64 = 2.0;
/// Steps a search runs at most after the first.
const SEARCH_STEPS: usize = 6;

/// What the load mode offers and how long it follows it (`nxtp-bench e2e --rate`, and each
/// devnet of `nxtp-bench consensus`).
pub struct LoadPlan {
    /// Seconds each step offers transfers for.
    pub duration: u64,
    /// Senders of the offered load (each with several transfers in flight).
    pub senders: usize,
    /// `DEMO` per transfer (whole units, decimals allowed).
    pub amount: String,
    /// With a step (transfers a second), also search for the highest rate the fast path holds.
    pub search_step: Option<f64>,
    /// How long, from a step's first `xcall`, to wait for its transfers to complete.
    pub timeout_seconds: u64,
    /// The `nxtp` binary the agents run as (recorded in the figures).
    pub agent_program: PathBuf,
}

/// One step's figures, and whether the fast path held.
struct Step {
    rate: f64,
    holds: bool,
    figures: serde_json::Value,
}

/// What every step shares.
struct Bench<'a> {
    devnet: &'a Devnet,
    plan: &'a LoadPlan,
    home: Domain,
    targets: Vec<Domain>,
    providers: BTreeMap<Domain, DynProvider>,
    origin_connext: alloy::primitives::Address,
    local: alloy::primitives::Address,
    chain_id: u64,
    amount: U256,
    fees: BTreeMap<Domain, U256>,
    gas_limit: u64,
    clock: BlockClock,
}

/// Runs the load mode on `devnet`; returns the `load` section of the results (and `load_search`
/// with `--search`).
pub async fn measure(
    devnet: &Devnet,
    plan: &LoadPlan,
    rate: f64,
) -> Result<serde_json::Map<String, serde_json::Value>, BoxError> {
    let manifest = devnet.manifest();
    let DevnetRoutes { sdk, home, targets } = DevnetRoutes::of(manifest)?;
    let amount = demo_amount(&plan.amount)?;
    let home_liquidity = manifest.domains[&home]
        .liquidity
        .as_ref()
        .ok_or("the home domain has no liquidity layer")?;
    let local = home_liquidity
        .assets
        .get(nxtp_devnet::liquidity::DEMO_SYMBOL)
        .ok_or("the home domain has no DEMO")?
        .local;
    let providers = super::providers(devnet)?;
    let origin = providers[&home].clone();
    let chain_id = origin.get_chain_id().await?;

    // Enough DEMO for every step a search could run.
    let steps = if plan.search_step.is_some() {
        SEARCH_STEPS + 1
    } else {
        1
    };
    let most_transfers =
        (rate + plan.search_step.unwrap_or_default() * SEARCH_STEPS as f64) * plan.duration as f64;
    let per_sender = (most_transfers as usize * steps).div_ceil(plan.senders);
    let mut usage = AgentUsage::default();
    let keys = usage
        .while_sampling(
            devnet,
            senders::fund(
                manifest,
                &sdk,
                home,
                plan.senders,
                amount * U256::from(per_sender),
            ),
        )
        .await?;
    let asset: nxtp_sdk::AssetRef = nxtp_devnet::liquidity::DEMO_SYMBOL.parse()?;
    let mut fees = BTreeMap::new();
    for &destination in &targets {
        let quote = sdk.quote(home, destination, &asset, amount).await?;
        fees.insert(
            destination,
            quote
                .relayer_fee
                .ok_or("the SDK has no sequencer to quote")?,
        );
    }
    let first = keys.first().ok_or("no sender")?.address();
    let gas_limit = offer::gas_limit(
        &origin,
        home_liquidity.connext,
        first,
        offer::xcall_calldata(targets[0], first, local, amount),
        fees[&targets[0]],
    )
    .await?;
    let mut load_senders = offer::Senders::new(&origin, keys).await?;
    let bench = Bench {
        devnet,
        plan,
        home,
        targets,
        clock: BlockClock::start(providers.clone(), super::CLOCK_EVERY),
        providers,
        origin_connext: home_liquidity.connext,
        local,
        chain_id,
        amount,
        fees,
        gas_limit,
    };

    let first_step = bench.step(&mut usage, &mut load_senders, rate).await?;
    let mut sections = serde_json::Map::new();
    sections.insert("load".to_owned(), first_step.figures.clone());
    if let Some(step) = plan.search_step {
        let steps = bench
            .search(&mut usage, &mut load_senders, first_step, step)
            .await?;
        sections.insert("load_search".to_owned(), steps);
    }
    Ok(sections)
}

impl Bench<'_> {
    /// Steps up by `--search-step` from a rate that holds (down from one that does not) until the
    /// answer changes, then once halfway between; returns the search's section.
    async fn search(
        &self,
        usage: &mut AgentUsage,
        senders: &mut offer::Senders,
        first: Step,
        step: f64,
    ) -> Result<serde_json::Value, BoxError> {
        let upward = first.holds;
        let mut steps = vec![first];
        for _ in 0..SEARCH_STEPS {
            let last = steps.last().ok_or("no step")?;
            if last.holds != upward {
                break;
            }
            let next = if upward {
                last.rate + step
            } else {
                last.rate - step
            };
            if next <= 0.0 {
                break;
            }
            steps.push(self.step(usage, senders, next).await?);
        }
        let holding = steps.iter().filter(|s| s.holds).map(|s| s.rate);
        let failing = steps.iter().filter(|s| !s.holds).map(|s| s.rate);
        let (best, worst) = (
            holding
                .clone()
                .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r)))),
            failing
                .clone()
                .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.min(r)))),
        );
        if let (Some(best), Some(worst)) = (best, worst) {
            if worst > best {
                let middle = ((best + worst) / 2.0).round();
                if middle > best && middle < worst {
                    steps.push(self.step(usage, senders, middle).await?);
                }
            }
        }
        let highest = steps
            .iter()
            .filter(|s| s.holds)
            .map(|s| s.rate)
            .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
        Ok(json!({
            "definition": format!("steps of --duration seconds each at the offered rates below, on one devnet, each drained (every transfer executed and reconciled) before the next; the fast path holds when at least {HOLDS_SHARE} of the transfers were executed by routers and their p50 is at most {HOLDS_P50_BLOCKS} destination blocks"),
            "highest_offered_rate_holding": highest,
            "steps": steps.iter().map(|s| json!({
                "offered_per_second": s.rate,
                "holds": s.holds,
                "fast_path_share": s.figures["fast_path_share"],
                "latency_destination_blocks": s.figures["latency_destination_blocks"],
                "cpu_ms_per_transfer_all_agents": s.figures["cpu_ms_per_transfer_all_agents"],
                "load_average_1m": s.figures["host"]["load_average_1m_when_all_completed"],
            })).collect::<Vec<_>>(),
        }))
    }

    /// Offers `rate` transfers a second for `--duration` seconds and follows them to the end.
    async fn step(
        &self,
        usage: &mut AgentUsage,
        senders: &mut offer::Senders,
        rate: f64,
    ) -> Result<Step, BoxError> {
        let transfers = (rate * self.plan.duration as f64).round().max(1.0) as usize;
        let plan: Vec<Domain> = (0..transfers)
            .map(|index| self.targets[index % self.targets.len()])
            .collect();
        let origin = &self.providers[&self.home];
        let origin_from = origin.get_block_number().await?;
        let mut destinations = BTreeMap::new();
        for &domain in &self.targets {
            let provider = self.providers[&domain].clone();
            let from_block = provider.get_block_number().await?;
            let connext = self.devnet.manifest().domains[&domain]
                .liquidity
                .as_ref()
                .ok_or("a destination has no liquidity layer")?
                .connext;
            destinations.insert(
                domain,
                Destination {
                    provider,
                    connext,
                    from_block,
                },
            );
        }
        usage.sample(self.devnet);
        let cpu_before = usage.cpu_seconds.0.clone();
        let cpu_window_start = Instant::now();
        let load_before = stats::load_average();
        println!("offering {transfers} transfers at {rate} a second");
        let spec = offer::Offer {
            provider: origin,
            chain_id: self.chain_id,
            connext: self.origin_connext,
            local: self.local,
            amount: self.amount,
            fees: &self.fees,
            gas_limit: self.gas_limit,
        };
        let offered = usage
            .while_sampling(self.devnet, offer::offer(&spec, senders, &plan, rate))
            .await?;
        let deadline = Instant::now() + Duration::from_secs(self.plan.timeout_seconds);
        let mined = offer::mined(origin, self.origin_connext, origin_from, &offered, deadline);
        let sent = usage.while_sampling(self.devnet, mined).await?;
        println!(
            "{} of {transfers} mined; waiting for their executes",
            sent.len()
        );
        usage
            .while_sampling(self.devnet, await_executed(&destinations, &sent, deadline))
            .await?;
        println!("waiting for every transfer to be reconciled");
        let reconciled = usage
            .while_sampling(
                self.devnet,
                await_reconciled(&destinations, &sent, deadline),
            )
            .await?;
        let load_after = stats::load_average();
        let executions = outcome::executions(&destinations).await?;
        let cpu_after = usage.cpu_seconds.0.clone();
        let cpu_window_seconds = cpu_window_start.elapsed().as_secs_f64();
        let stages = HashMap::new();
        let sightings = self.clock.sightings();
        let run = figures::Run {
            home: self.home,
            targets: &self.targets,
            sent: &sent,
            executions: &executions,
            stages: &stages,
            sightings: &sightings,
            providers: &self.providers,
            host_load: [load_before, load_after],
        };
        let latencies = figures::path_latencies(&run).await?;
        let fast = sent
            .iter()
            .filter(|s| {
                executions
                    .get(&s.transfer_id)
                    .and_then(|all| all.iter().min_by_key(|e| e.block))
                    .is_some_and(|first| first.routers > 0)
            })
            .count();
        let executed_twice = sent
            .iter()
            .filter(|s| executions.get(&s.transfer_id).is_some_and(|e| e.len() > 1))
            .count();
        let never_executed = sent
            .iter()
            .filter(|s| !executions.contains_key(&s.transfer_id))
            .count();
        let share = fast as f64 / transfers as f64;
        let blocks: Vec<f64> = latencies.iter().map(|l| l.1).collect();
        let p50 = stats::quantile(&blocks, 0.5);
        let holds = share >= HOLDS_SHARE && p50.is_some_and(|p50| p50 <= HOLDS_P50_BLOCKS);
        let cpu: BTreeMap<String, f64> = cpu_after
            .iter()
            .map(|(name, &after)| {
                let before = cpu_before.get(name).copied().unwrap_or_default();
                (name.clone(), after - before)
            })
            .collect();
        let cpu_total: f64 = cpu.values().sum();
        let per_transfer = |seconds: f64| round(seconds * 1000.0 / transfers as f64);
        let fast_blocks: Vec<f64> = latencies.iter().filter(|l| l.0).map(|l| l.1).collect();
        let seconds: Vec<f64> = latencies.iter().map(|l| l.2).collect();
        let figures = json!({
            "offered_per_second": rate,
            "duration_seconds": self.plan.duration,
            "transfers_offered": transfers,
            "xcalls_mined": sent.len(),
            "offered_for_seconds": round(offered.sending_seconds),
            "sends_late_by_over_a_second": offered.late,
            "senders": self.plan.senders,
            "sent_with": "Connext.xcall signed by the benchmark (fixed gas limit and fees, each sender's nonces counted locally, several in flight) and broadcast on schedule without waiting; relayer fee quoted once per route by the sequencer; transfers found in the origin's XCalled logs",
            "amount_demo": self.plan.amount,
            "agent_program": self.plan.agent_program.display().to_string(),
            "commit": commit(),
            "fast_path_share": round(share),
            "executed_by_routers": fast,
            "executed_by_slow_path": sent.len() - fast - never_executed,
            "never_executed": never_executed,
            "executed_more_than_once": executed_twice,
            "reconciled": reconciled,
            "latency_destination_blocks": quantiles(&blocks),
            "latency_destination_blocks_fast_path": quantiles(&fast_blocks),
            "latency_seconds": quantiles(&seconds),
            "cpu_ms_per_transfer_all_agents": per_transfer(cpu_total),
            "cpu_ms_per_transfer_by_agent": cpu.iter().map(|(name, &s)| (name.clone(), per_transfer(s))).collect::<BTreeMap<_, _>>(),
            "cpu_ms_by_agent": cpu.iter().map(|(name, &s)| (name.clone(), round(s * 1000.0))).collect::<BTreeMap<_, _>>(),
            "cpu_window": "from the first offered xcall until every transfer was executed and reconciled; every agent's utime + stime from /proc",
            "cpu_window_seconds": round(cpu_window_seconds),
            "agents_peak_rss_mb": AgentUsage::to_json(&usage.peak_rss_mb),
            "host": {
                "cpus": std::thread::available_parallelism().map(usize::from).ok(),
                "load_average_1m_when_offering_began": load_before,
                "load_average_1m_when_all_completed": load_after,
            },
            "fast_path_holds": holds,
        });
        println!(
            "{rate}/s: fast-path share {share:.3}, p50 {p50:?} blocks, {:.1} ms CPU per transfer",
            cpu_total * 1000.0 / transfers as f64
        );
        Ok(Step {
            rate,
            holds,
            figures,
        })
    }
}

/// The checked-out commit the benchmark runs from (`git rev-parse --short HEAD`), with `+dirty`
/// when the tree has changes; `None` outside a repository.
pub fn commit() -> Option<String> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let head = git(&["rev-parse", "--short", "HEAD"])?;
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{head}+dirty") } else { head })
}

/// p50, p95, p99 and max, rounded.
fn quantiles(values: &[f64]) -> serde_json::Value {
    let at = |q| stats::quantile(values, q).map(round);
    json!({ "p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "max": at(1.0) })
}

/// Polls the destinations until every transfer of `sent` was reconciled, or `deadline`; returns
/// how many were.
async fn await_reconciled(
    destinations: &BTreeMap<Domain, Destination>,
    sent: &[Sent],
    deadline: Instant,
) -> Result<usize, BoxError> {
    loop {
        let found = outcome::reconciled(destinations).await?;
        let done = sent
            .iter()
            .filter(|s| found.contains(&s.transfer_id))
            .count();
        if done == sent.len() || Instant::now() >= deadline {
            return Ok(done);
        }
        tokio::time::sleep(super::POLL_EVERY).await;
    }
}
