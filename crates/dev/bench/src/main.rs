//! `nxtp-bench`: runs a local devnet with every agent under load and writes the figures to
//! `bench/results/`. Each subcommand is one benchmark.

mod consensus;
mod e2e;
mod lifecycle;
mod messaging;
mod report;
mod routes;
mod rpc;
mod stats;

use clap::{Parser, Subcommand};
use std::{path::PathBuf, process::ExitCode};

#[derive(Parser)]
#[command(about = "nxtp benchmarks on a local devnet")]
struct Cli {
    #[command(subcommand)]
    bench: Bench,
}

#[derive(Subcommand)]
enum Bench {
    /// Messages across the devnet's domains through updater, relayer, processor and watcher.
    Messaging(messaging::Args),
    /// Transfers from several senders through the liquidity layer's agents, fast path and slow.
    E2e(e2e::Args),
    /// One sequencer against four consensus nodes under the same load, and four consensus nodes
    /// at saturation.
    Consensus(consensus::Args),
    /// The JSON-RPC requests the agents send each chain, idle and under load, counted at a proxy.
    Rpc(rpc::Args),
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.bench {
        Bench::Messaging(args) => messaging::run(args).await,
        Bench::E2e(args) => e2e::run(args).await,
        Bench::Rpc(args) => rpc::run(args).await,
        Bench::Consensus(args) => consensus::run(args).await,
    };
    match outcome {
        Ok(path) => {
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Where results go: `<repo>/bench/results/<name>`.
fn results_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../bench/results")
        .join(name)
}
