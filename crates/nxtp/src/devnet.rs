//! `nxtp devnet`: the local devnet, up until Ctrl-C.

use clap::Args;
use nxtp_devnet::{Devnet, DevnetConfig};
use std::{error::Error, io::Write, path::PathBuf, time::Duration};

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
    fn block_time_accepts_fractions_and_zero_only_in_range() {
        assert_eq!(parse_block_time("1"), Ok(1.0));
        assert_eq!(parse_block_time("0.5"), Ok(0.5));
        assert_eq!(parse_block_time("0"), Ok(0.0));
        for bad in ["-1", "nan", "inf", "1e9", "one"] {
            assert!(parse_block_time(bad).is_err(), "{bad}");
        }
    }
}
