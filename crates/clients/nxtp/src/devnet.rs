//! `nxtp devnet`: the local devnet, up until Ctrl-C.

use clap::Args;
use nxtp_deployment::Manifest;
use nxtp_devnet::{supervisor::AgentSpec, AgentOptions, Devnet, DevnetConfig, Finality, Ports};
use std::{
    error::Error,
    io::Write,
    path::{Path, PathBuf},
    time::Duration,
};

/// Options of `nxtp devnet`.
#[derive(Debug, Args)]
pub struct DevnetArgs {
    /// How many chains (domains 1000, 2000, …; chain ids 31337, 31338, …).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=64))]
    chains: u16,

    /// Seconds between blocks (fractions allowed); 0 mines every transaction at once.
    #[arg(long, default_value_t = 1.0, value_parser = parse_block_time)]
    block_time: f64,

    /// Seconds before a signed root becomes acceptable on the Replicas.
    #[arg(long, default_value_t = 5)]
    optimistic_seconds: u32,

    /// Folder for logs, agent configs and the manifest; emptied at start if an earlier devnet used it.
    #[arg(long, default_value = "run/devnet")]
    run_dir: PathBuf,

    /// The repository root, where `node_modules/.bin/anvil` is (default: found automatically).
    #[arg(long, env = "NXTP_ROOT")]
    root: Option<PathBuf>,

    /// The anvil binary to use instead of the repository's pinned one.
    #[arg(long, env = "NXTP_ANVIL")]
    anvil: Option<PathBuf>,

    /// Milliseconds the sequencer's auctions wait after their first valid bid (0 decides at once).
    #[arg(long, default_value_t = 1000)]
    auction_window_ms: u64,

    /// Sequencer nodes: 1 runs the single sequencer; 2 to 6 run a network of that many nodes deciding
    /// auctions together on consensus (docs/consensus.md), each approved on every Connext, with the
    /// threshold set to their quorum (3 of 4); routers post their bids to the nodes in turn.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=6))]
    sequencers: u16,

    /// Every agent's confirmation depth on every chain: blocks built on a block before the agents act on it
    /// (0 acts on the head, at most 256). A reorg no deeper than this is never seen by the agents.
    #[arg(long, default_value_t = nxtp_devnet::DEFAULT_CONFIRMATIONS, value_parser = parse_confirmations)]
    confirmations: u64,

    /// Every agent's finality assumption: `finalized` (the chain's `finalized` block, which anvil keeps
    /// 2 x --slots-in-an-epoch blocks behind its head) or a depth in blocks, at least --confirmations. The
    /// updater signs only final roots.
    #[arg(long, default_value = "finalized", value_parser = parse_finality)]
    finality: Finality,

    /// Anvil's slots per epoch (1 to 1024): its `finalized` block is two epochs behind its head.
    #[arg(long, default_value_t = nxtp_devnet::chains::DEFAULT_SLOTS_IN_AN_EPOCH, value_parser = parse_slots)]
    slots_in_an_epoch: u64,

    /// Fixed ports, the same at every start (so RPC URLs, API and ops endpoints survive a restart): chain i on
    /// PORT+i, the sequencer API on PORT+100, the relayer API on PORT+101, the agents' ops servers from PORT+200.
    /// Default: free ports picked at each start.
    #[arg(long, value_name = "PORT", env = "NXTP_DEVNET_BASE_PORT", value_parser = clap::value_parser!(u16).range(1024..=MAX_BASE_PORT))]
    base_port: Option<u16>,

    /// The agents reach the chains over WebSocket (`ws://`, on anvil's HTTP port) and follow new heads by
    /// subscription instead of polling for them.
    #[arg(long)]
    ws: bool,

    /// Seconds an agent or chain gets to exit after SIGTERM before it is killed.
    #[arg(long, default_value_t = 10)]
    grace_seconds: u64,

    /// Stop everything and exit once deployed and the summary is printed, without the demo (for scripts and
    /// tests).
    #[arg(long, conflicts_with = "exit_after_demo")]
    exit_after_deploy: bool,

    /// Stop everything once the demo transfers completed: exit 0 if each completed as expected, non-zero
    /// (saying which and why) otherwise.
    #[arg(long)]
    exit_after_demo: bool,

    /// Skip the demo transfers.
    #[arg(long, conflicts_with = "exit_after_demo")]
    no_demo: bool,
}

/// The highest `--base-port`: the layout reaches 500 ports past it.
const MAX_BASE_PORT: i64 = 65_035;

/// The most confirmations `--confirmations` accepts.
const MAX_CONFIRMATIONS: u64 = 256;

/// The most slots per epoch `--slots-in-an-epoch` accepts.
const MAX_SLOTS_IN_AN_EPOCH: u64 = 1024;

/// A value of `--confirmations`, `--finality` or `--slots-in-an-epoch` that the devnet refuses.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum DepthOptionError {
    /// Not a whole number of blocks.
    #[error("expected a whole number of blocks")]
    NotANumber,
    /// More confirmations than [`MAX_CONFIRMATIONS`].
    #[error("at most {MAX_CONFIRMATIONS} confirmations")]
    TooManyConfirmations,
    /// Neither `finalized` nor a depth.
    #[error("expected `finalized` or a depth in blocks (at least 1)")]
    BadFinality,
    /// An epoch of no slots, or more than [`MAX_SLOTS_IN_AN_EPOCH`].
    #[error("expected 1 to {MAX_SLOTS_IN_AN_EPOCH} slots")]
    BadSlots,
    /// A declared finality depth shallower than the confirmation depth: a block the agents act on would be
    /// final before it is confirmed.
    #[error("--finality {finality} is shallower than --confirmations {confirmations}")]
    FinalityBelowConfirmations {
        /// The finality depth given.
        finality: u64,
        /// The confirmation depth given.
        confirmations: u64,
    },
}

fn parse_confirmations(text: &str) -> Result<u64, DepthOptionError> {
    let confirmations: u64 = text.parse().map_err(|_| DepthOptionError::NotANumber)?;
    if confirmations > MAX_CONFIRMATIONS {
        return Err(DepthOptionError::TooManyConfirmations);
    }
    Ok(confirmations)
}

fn parse_finality(text: &str) -> Result<Finality, DepthOptionError> {
    if text == "finalized" {
        return Ok(Finality::Finalized);
    }
    match text.parse::<u64>() {
        Ok(depth) if depth > 0 => Ok(Finality::Depth(depth)),
        _ => Err(DepthOptionError::BadFinality),
    }
}

fn parse_slots(text: &str) -> Result<u64, DepthOptionError> {
    match text.parse::<u64>() {
        Ok(slots) if (1..=MAX_SLOTS_IN_AN_EPOCH).contains(&slots) => Ok(slots),
        _ => Err(DepthOptionError::BadSlots),
    }
}

/// Checks the depth options together: a declared finality depth is at least the confirmation depth.
fn check_depths(confirmations: u64, finality: Finality) -> Result<(), DepthOptionError> {
    match finality {
        Finality::Depth(depth) if depth < confirmations => {
            Err(DepthOptionError::FinalityBelowConfirmations {
                finality: depth,
                confirmations,
            })
        }
        _ => Ok(()),
    }
}

/// The devnet's agents, each reaching every chain at its `ws://` URL (anvil serves WebSocket on its HTTP
/// port).
fn agents_over_websocket(
    manifest: &Manifest,
    run_dir: &Path,
    options: &AgentOptions,
) -> Vec<AgentSpec> {
    let mut agents = nxtp_devnet::default_agents(manifest, run_dir, options);
    for agent in &mut agents {
        agent.config_toml = over_websocket(&agent.config_toml, manifest);
    }
    agents
}

/// `config_toml` with every chain's `http://` URL of `manifest` replaced by its `ws://` twin.
fn over_websocket(config_toml: &str, manifest: &Manifest) -> String {
    let mut text = config_toml.to_owned();
    for deployment in manifest.domains.values() {
        let http = deployment.rpc_url.trim_end_matches('/');
        let Some(address) = http.strip_prefix("http://") else {
            continue;
        };
        for quoted in [format!("\"{http}/\""), format!("\"{http}\"")] {
            text = text.replace(&quoted, &format!("\"ws://{address}\""));
        }
    }
    text
}

fn parse_block_time(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && (0.0..=3600.0).contains(&seconds) => Ok(seconds),
        _ => Err("expected a number of seconds between 0 and 3600".to_owned()),
    }
}

/// Runs the devnet and its demo until SIGINT or SIGTERM (or until deployed, with `--exit-after-deploy`, or until
/// the demo is over, with `--exit-after-demo`).
pub async fn run(args: DevnetArgs) -> Result<(), Box<dyn Error + Send + Sync>> {
    // Registered first, so a Ctrl-C during startup is handled rather than killing the process and
    // orphaning the chains (which run in their own process groups).
    check_depths(args.confirmations, args.finality)?;
    let cancel = nxtp_agent::shutdown::cancel_on_signal()?;
    let anvil = args
        .anvil
        .unwrap_or_else(|| nxtp_devnet::locate_anvil(args.root.as_deref()));
    let program = std::env::current_exe()?;
    let mut config = DevnetConfig::new(anvil, args.run_dir, program);
    config.chains = usize::from(args.chains);
    config.block_time = Duration::from_secs_f64(args.block_time);
    config.optimistic_seconds = args.optimistic_seconds;
    config.grace = Duration::from_secs(args.grace_seconds);
    config.agent_options.auction_window = Duration::from_millis(args.auction_window_ms);
    config.agent_options.confirmations = args.confirmations;
    config.agent_options.finality = args.finality;
    config.agent_options.sequencers = usize::from(args.sequencers);
    config.slots_in_an_epoch = args.slots_in_an_epoch;
    config.ports = args
        .base_port
        .map_or(Ports::Any, |base| Ports::Fixed { base });
    if args.ws {
        config.agents = agents_over_websocket;
    }

    let devnet = tokio::select! {
        started = Devnet::start(config) => started?,
        () = cancel.cancelled() => {
            // Dropping the half-started devnet kills whatever it had started.
            eprintln!("interrupted during startup");
            return Ok(());
        }
    };
    print!("{}", devnet.summary());
    if args.exit_after_deploy {
        std::io::stdout().flush()?;
        devnet.stop().await;
        return Ok(());
    }
    if !args.no_demo {
        println!("\nRunning the demo transfers.");
        std::io::stdout().flush()?;
        let demo = tokio::select! {
            outcome = crate::demo::run(devnet.manifest()) => outcome,
            () = cancel.cancelled() => {
                devnet.stop().await;
                println!("Stopped.");
                return Ok(());
            }
        };
        match demo {
            Ok(()) => println!("demo: every transfer completed as expected"),
            Err(err) if args.exit_after_demo => {
                devnet.stop().await;
                return Err(err.into());
            }
            Err(err) => eprintln!("{}", crate::cli::render_error(&err)),
        }
        if args.exit_after_demo {
            std::io::stdout().flush()?;
            devnet.stop().await;
            return Ok(());
        }
    }
    println!("\nRunning. Press Ctrl-C to stop.");
    std::io::stdout().flush()?;
    cancel.cancelled().await;
    devnet.stop().await;
    println!("Stopped.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_websocket_replaces_only_the_chains_urls() {
        let manifest: Manifest = serde_json::from_value(serde_json::json!({
            "optimistic_seconds": 10,
            "domains": {"1000": {
                "chain_id": 31337, "rpc_url": "http://127.0.0.1:8545", "deploy_block": 1,
                "home": "0x0000000000000000000000000000000000000001",
                "connection_manager": "0x0000000000000000000000000000000000000002",
                "replicas": {}, "updater": "0x0000000000000000000000000000000000000003"
            }}
        }))
        .expect("a manifest");
        let toml =
            "relayer_url = \"http://127.0.0.1:9000\"\nrpc_url = \"http://127.0.0.1:8545/\"\n\
                    other = \"http://127.0.0.1:8545\"\n";
        assert_eq!(
            over_websocket(toml, &manifest),
            "relayer_url = \"http://127.0.0.1:9000\"\nrpc_url = \"ws://127.0.0.1:8545\"\n\
             other = \"ws://127.0.0.1:8545\"\n"
        );
    }

    #[test]
    fn block_time_accepts_fractions_and_zero_only_in_range() {
        assert_eq!(parse_block_time("1"), Ok(1.0));
        assert_eq!(parse_block_time("0.5"), Ok(0.5));
        assert_eq!(parse_block_time("0"), Ok(0.0));
        for bad in ["-1", "nan", "inf", "1e9", "one"] {
            assert!(parse_block_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn depth_options_parse_and_refuse_bad_values() {
        assert_eq!(parse_confirmations("0"), Ok(0));
        assert_eq!(parse_confirmations("3"), Ok(3));
        assert_eq!(parse_confirmations("256"), Ok(256));
        assert_eq!(
            parse_confirmations("257"),
            Err(DepthOptionError::TooManyConfirmations)
        );
        for bad in ["-1", "two", "1.5", ""] {
            assert_eq!(
                parse_confirmations(bad),
                Err(DepthOptionError::NotANumber),
                "{bad}"
            );
        }

        assert_eq!(parse_finality("finalized"), Ok(Finality::Finalized));
        assert_eq!(parse_finality("12"), Ok(Finality::Depth(12)));
        for bad in ["0", "-3", "safe", "Finalized", "{ depth = 3 }", ""] {
            assert_eq!(
                parse_finality(bad),
                Err(DepthOptionError::BadFinality),
                "{bad}"
            );
        }

        assert_eq!(parse_slots("1"), Ok(1));
        assert_eq!(parse_slots("32"), Ok(32));
        for bad in ["0", "1025", "-1", "x"] {
            assert_eq!(parse_slots(bad), Err(DepthOptionError::BadSlots), "{bad}");
        }

        assert_eq!(check_depths(2, Finality::Depth(2)), Ok(()));
        assert_eq!(check_depths(5, Finality::Finalized), Ok(()));
        assert_eq!(
            check_depths(3, Finality::Depth(2)),
            Err(DepthOptionError::FinalityBelowConfirmations {
                finality: 2,
                confirmations: 3
            })
        );
    }

    #[test]
    fn depth_options_reach_the_devnet_config_through_clap() {
        use clap::Parser;

        #[derive(Debug, Parser)]
        struct Cli {
            #[command(flatten)]
            devnet: DevnetArgs,
        }
        let defaults = Cli::try_parse_from(["nxtp"]).expect("defaults").devnet;
        assert_eq!(defaults.confirmations, 1);
        assert_eq!(defaults.finality, Finality::Finalized);
        assert_eq!(defaults.slots_in_an_epoch, 1);

        let given = Cli::try_parse_from([
            "nxtp",
            "--confirmations",
            "2",
            "--finality",
            "4",
            "--slots-in-an-epoch",
            "3",
        ])
        .expect("valid")
        .devnet;
        assert_eq!(
            (given.confirmations, given.finality, given.slots_in_an_epoch),
            (2, Finality::Depth(4), 3)
        );
        for bad in [
            ["--confirmations", "x"],
            ["--finality", "safe"],
            ["--slots-in-an-epoch", "0"],
        ] {
            let err = Cli::try_parse_from(["nxtp", bad[0], bad[1]]).expect_err("refused");
            assert_eq!(
                err.kind(),
                clap::error::ErrorKind::ValueValidation,
                "{bad:?}"
            );
        }
    }
}
