//! `nxtp-byzantine-sequencer sequencer --config <sequencer.toml>`: a Byzantine consensus sequencer
//! node, for tests only (see the crate's library docs). Never part of the `nxtp` binary. It takes
//! `nxtp sequencer`'s arguments, so the devnet's supervisor can run it as it runs `nxtp`; the
//! subcommand says how it misbehaves (`sequencer`: rigged selections and signatures;
//! `equivocating-sequencer`: two signed proposals on each turn).

use clap::{Parser, Subcommand};
use nxtp_byzantine_sequencer::{ByzantineSequencer, EquivocatingSequencer};
use std::{path::PathBuf, process::ExitCode};

/// A consensus sequencer node that proposes rigged selections and signs router sets the network
/// did not decide, or that equivocates: a test build.
#[derive(Debug, Parser)]
#[command(name = "nxtp-byzantine-sequencer")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Byzantine node from an `nxtp sequencer` config with a `[consensus]` section.
    Sequencer {
        /// The config file.
        #[arg(long)]
        config: PathBuf,
    },
    /// Run a node from an `nxtp sequencer` config with a `[consensus]` section that, on each of
    /// its turns, proposes its honest batch and streams a second valid one signed for the same
    /// height and round.
    EquivocatingSequencer {
        /// The config file.
        #[arg(long)]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    let command = Cli::parse().command;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let run = match command {
        Command::Sequencer { config } => {
            runtime.block_on(nxtp_agent::run::<ByzantineSequencer>(&config))
        }
        Command::EquivocatingSequencer { config } => {
            runtime.block_on(nxtp_agent::run::<EquivocatingSequencer>(&config))
        }
    };
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Config and RPC errors can carry endpoint URLs with API keys.
            eprintln!("{}", nxtp_primitives::redact_keys(&err.to_string()));
            ExitCode::FAILURE
        }
    }
}
