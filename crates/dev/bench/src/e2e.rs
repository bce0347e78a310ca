//! The end-to-end benchmark: a devnet with both layers and every agent; several fresh senders send transfers
//! of `DEMO` from its home domain to the others through the SDK, all at once; each is followed until executed
//! on its destination and completed (reconciled). Writes `bench/results/e2e.json`.

mod clock;
mod figures;
pub(crate) mod load;
mod offer;
mod outcome;
pub(crate) mod senders;

use crate::routes::{demo_amount, DevnetRoutes};
use crate::{
    lifecycle::{devnet_config, with_devnet, BoxError},
    report::AgentUsage,
    stats,
};
use alloy::{
    primitives::{B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use clock::BlockClock;
use nxtp_devnet::Devnet;
use nxtp_primitives::Domain;
use nxtp_sdk::{Sdk, Stage};
use outcome::Destination;
use std::{
    collections::{BTreeMap, HashMap},
    path::PathBuf,
    time::{Duration, Instant},
};

/// Options of `nxtp-bench e2e`.
#[derive(clap::Args)]
pub struct Args {
    /// Transfers to send, alternating over the destinations.
    #[arg(long, default_value_t = 500)]
    transfers: usize,
    /// Fresh senders sending at once; each sends its share one after another.
    #[arg(long, default_value_t = 8)]
    senders: usize,
    /// `DEMO` per transfer (whole units, decimals allowed).
    #[arg(long, default_value = "1")]
    amount: String,
    /// Chains (domains); the first is `DEMO`'s home and every transfer's origin.
    #[arg(long, default_value_t = 3)]
    chains: usize,
    /// Seconds between blocks.
    #[arg(long, default_value_t = 1.0)]
    block_time: f64,
    /// How long the sequencer's auctions wait after their first valid bid, in milliseconds.
    #[arg(long, default_value_t = 0)]
    auction_window_ms: u64,
    /// The Replicas' optimistic window (how soon transfers are reconciled).
    #[arg(long, default_value_t = 5)]
    optimistic_seconds: u32,
    /// The `nxtp` binary the agents run as.
    #[arg(long, default_value = "target/debug/nxtp")]
    agent_program: PathBuf,
    /// The devnet's run folder.
    #[arg(long, default_value = "run/bench-e2e")]
    run_dir: PathBuf,
    /// Where to write the results (default `bench/results/e2e.json`).
    #[arg(long)]
    output: Option<PathBuf>,
    /// How long, from the first `xcall`, to wait for every transfer to complete.
    #[arg(long, default_value_t = 900)]
    timeout_seconds: u64,
    /// The load mode: offer this many transfers a second for `--duration` seconds (instead of
    /// `--transfers` from `--senders`), and write the figures under `load` in the results file,
    /// keeping the rest of it.
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds each load step offers transfers for.
    #[arg(long, default_value_t = 60, requires = "rate")]
    duration: u64,
    /// With `--rate`, also find the highest offered rate at which the fast path holds: steps of
    /// `--search-step` up from `--rate` (down, if it does not hold), under `load_search`.
    #[arg(long, requires = "rate")]
    search: bool,
    /// Transfers a second between two rates a search tries.
    #[arg(long, default_value_t = 10.0, requires = "rate")]
    search_step: f64,
    /// Senders of the offered load (each with several transfers in flight).
    #[arg(long, default_value_t = 16, requires = "rate")]
    load_senders: usize,
    /// `DEMO` per transfer in the load mode: small, so the routers' liquidity covers every
    /// transfer in flight until it is reconciled.
    #[arg(long, default_value = "0.1", requires = "rate")]
    load_amount: String,
}

impl Args {
    /// The load mode's plan from these options.
    fn load_plan(&self) -> load::LoadPlan {
        load::LoadPlan {
            duration: self.duration,
            senders: self.load_senders,
            amount: self.load_amount.clone(),
            search_step: self.search.then_some(self.search_step),
            timeout_seconds: self.timeout_seconds,
            agent_program: self.agent_program.clone(),
        }
    }
}

/// Results-file sections only the load mode writes; the default run keeps them.
const LOAD_SECTIONS: [&str; 2] = ["load", "load_search"];

/// How often the chains' heads are polled to date their blocks.
const CLOCK_EVERY: Duration = Duration::from_millis(50);
/// The pause between two reads while waiting for the transfers.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// Runs the benchmark; returns the results file.
pub async fn run(args: Args) -> Result<PathBuf, BoxError> {
    if args.transfers == 0 || args.senders == 0 {
        return Err("--transfers and --senders must be positive".into());
    }
    if let Some(rate) = args.rate {
        if !(rate > 0.0 && args.duration > 0 && args.load_senders > 0 && args.search_step > 0.0) {
            return Err(
                "--rate, --duration, --search-step and --load-senders must be positive".into(),
            );
        }
    }
    let mut config = devnet_config(&args.agent_program, &args.run_dir)?;
    config.chains = args.chains;
    config.block_time = Duration::from_secs_f64(args.block_time);
    config.optimistic_seconds = args.optimistic_seconds;
    config.agent_options.auction_window = Duration::from_millis(args.auction_window_ms);
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| crate::results_path("e2e.json"));
    // The sections this run does not write are kept from the file.
    let mut results = match std::fs::read_to_string(&path) {
        Ok(text) => match serde_json::from_str(&text)? {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        },
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => serde_json::Map::new(),
        Err(err) => return Err(format!("read {}: {err}", path.display()).into()),
    };
    match args.rate {
        Some(rate) => {
            let sections = with_devnet(config, async |devnet| {
                load::measure(devnet, &args.load_plan(), rate).await
            })
            .await?;
            println!("{}", serde_json::to_string_pretty(&sections)?);
            results.extend(sections);
        }
        None => {
            let fresh = with_devnet(config, async |devnet| measure(devnet, &args).await).await?;
            println!("{}", serde_json::to_string_pretty(&fresh)?);
            let kept: Vec<(String, serde_json::Value)> = LOAD_SECTIONS
                .iter()
                .filter_map(|&name| Some((name.to_owned(), results.remove(name)?)))
                .collect();
            results = match fresh {
                serde_json::Value::Object(map) => map,
                _ => return Err("the results are not an object".into()),
            };
            results.extend(kept);
        }
    }
    std::fs::write(&path, serde_json::to_string_pretty(&results)? + "\n")?;
    Ok(path)
}

async fn measure(devnet: &Devnet, args: &Args) -> Result<serde_json::Value, BoxError> {
    let manifest = devnet.manifest();
    let DevnetRoutes { sdk, home, targets } = DevnetRoutes::of(manifest)?;
    let amount = demo_amount(&args.amount)?;
    let plan: Vec<Domain> = (0..args.transfers)
        .map(|index| targets[index % targets.len()])
        .collect();
    let mut usage = AgentUsage::default();

    let per_sender = args.transfers.div_ceil(args.senders);
    let funding = senders::fund(
        manifest,
        &sdk,
        home,
        args.senders,
        amount * U256::from(per_sender),
    );
    let signers = usage.while_sampling(devnet, funding).await?;
    let providers = providers(devnet)?;
    let mut destinations = BTreeMap::new();
    for &domain in &targets {
        let provider = providers[&domain].clone();
        let from_block = provider.get_block_number().await?;
        let connext = manifest.domains[&domain]
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
    let clock = BlockClock::start(providers.clone(), CLOCK_EVERY);
    usage.sample(devnet);
    let cpu_before = usage.cpu_seconds.0.clone();
    let load_before = stats::load_average();

    println!(
        "sending {} transfers from {} senders",
        args.transfers, args.senders
    );
    let deadline = Instant::now() + Duration::from_secs(args.timeout_seconds);
    let sent = usage
        .while_sampling(
            devnet,
            senders::send_all(&sdk, &signers, home, &plan, amount),
        )
        .await?;
    println!("waiting for every transfer to be executed");
    usage
        .while_sampling(devnet, await_executed(&destinations, &sent, deadline))
        .await?;
    println!("waiting for every transfer to be reconciled");
    let stages = usage
        .while_sampling(devnet, await_final(&sdk, &sent, deadline))
        .await?;
    // Read again once all is done, so an execution after the first is counted too.
    let executions = outcome::executions(&destinations).await?;
    let load_after = stats::load_average();
    let sightings = clock.sightings();
    drop(clock);

    let run = figures::Run {
        home,
        targets: &targets,
        sent: &sent,
        executions: &executions,
        stages: &stages,
        sightings: &sightings,
        providers: &providers,
        host_load: [load_before, load_after],
    };
    let settings = figures::Settings {
        senders: args.senders,
        amount: &args.amount,
        chains: args.chains,
        block_time: args.block_time,
        auction_window_ms: args.auction_window_ms,
        optimistic_seconds: args.optimistic_seconds,
    };
    figures::results(devnet, &settings, &run, &usage, &cpu_before).await
}

/// A read-only provider per domain.
pub(crate) fn providers(devnet: &Devnet) -> Result<BTreeMap<Domain, DynProvider>, BoxError> {
    devnet
        .manifest()
        .domains
        .iter()
        .map(|(&domain, deployment)| {
            let url = deployment.rpc_url.parse()?;
            Ok((domain, ProviderBuilder::new().connect_http(url).erased()))
        })
        .collect()
}

/// Polls the destinations until every transfer of `sent` has an `Executed`, or `deadline`.
pub(crate) async fn await_executed(
    destinations: &BTreeMap<Domain, Destination>,
    sent: &[senders::Sent],
    deadline: Instant,
) -> Result<(), BoxError> {
    loop {
        let found = outcome::executions(destinations).await?;
        let missing = sent
            .iter()
            .filter(|s| !found.contains_key(&s.transfer_id))
            .count();
        if missing == 0 || Instant::now() >= deadline {
            return Ok(());
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Follows every transfer of `sent` until it is completed (fast or slow) or `deadline`; returns each one's
/// last stage.
pub(crate) async fn await_final(
    sdk: &Sdk,
    sent: &[senders::Sent],
    deadline: Instant,
) -> Result<HashMap<B256, Stage>, BoxError> {
    let mut stages: HashMap<B256, Stage> = HashMap::new();
    loop {
        for transfer in sent {
            let id = transfer.transfer_id;
            if stages.get(&id).is_some_and(|stage| stage.is_final()) {
                continue;
            }
            stages.insert(id, sdk.status(id).await?.stage);
        }
        if stages.values().all(|stage| stage.is_final()) || Instant::now() >= deadline {
            return Ok(stages);
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}
