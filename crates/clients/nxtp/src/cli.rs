//! The command line: one subcommand per job.

use clap::{Args, Parser, Subcommand};
use nxtp_primitives::redact_keys;
use std::{error::Error, fmt::Write, path::PathBuf};

/// Crosschain transfers and calls: local devnet, agents, user commands.
#[derive(Debug, Parser)]
#[command(name = "nxtp", version, about)]
struct Cli {
    /// Log filter (`tracing` EnvFilter syntax), e.g. `info` or `info,nxtp_devnet=debug`. Agents
    /// take theirs from the `[telemetry]` section of their config instead.
    #[arg(long, global = true, env = "NXTP_LOG", default_value = "info")]
    log: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start local chains, deploy and wire every contract, write a manifest and run the agents until
    /// Ctrl-C.
    Devnet(crate::devnet::DevnetArgs),
    /// Deploy and wire both layers onto the chains a TOML config names (resumable: run it again after a
    /// failure), check them on chain and write the manifest.
    Deploy(crate::deploy::DeployArgs),
    /// Write a working config for one agent of a deployment (keys from keystores), ready to edit.
    Init(crate::init::InitArgs),
    /// Run the updater of one domain's Home: checkpoint its messages, sign final roots (never two
    /// over one old root) and submit them.
    Updater(AgentArgs),
    /// Run the message relayer: copy every Home update to the Replicas of its origin on the other
    /// domains.
    MessageRelayer(AgentArgs),
    /// Run the processor: prove and deliver every message to the served destinations once its
    /// root is acceptable, in batches, retrying deliveries whose recipient reverted.
    Processor(AgentArgs),
    /// Run the watcher: catch improper and double updates on every Home and Replica, prove them
    /// at the origin's Home and halt every Replica of that origin.
    Watcher(AgentArgs),
    /// Run the sequencer: take router bids over HTTP, run each transfer's auction and hand the
    /// chosen routers' execute to the relayer.
    Sequencer(AgentArgs),
    /// Run the relayer: an HTTP service submitting execute and process jobs, one nonce manager
    /// per chain.
    Relayer(AgentArgs),
    /// Run a router: bid its liquidity on the transfers it can serve and track its balances.
    #[command(name = "router-agent")]
    RouterAgent(AgentArgs),
    /// Run the slow-path executor: execute reconciled transfers that no router served.
    Executor(AgentArgs),
    /// Run the indexer and status API: every domain's Connext and messaging events in SQLite or
    /// PostgreSQL, each transfer's stage served over HTTP (docs/indexer.md).
    Indexer(AgentArgs),
    /// Quote a transfer: the relayer fee (the sequencer's, or an estimate while it is down) and what the
    /// recipient receives after fees.
    Quote(crate::user::QuoteArgs),
    /// Send a transfer: check the route, asset, balance and allowance, then `xcall` with the relayer fee.
    Xcall(crate::user::XcallArgs),
    /// Show where a transfer stands (XCalled, Executed, Reconciled, CompletedFast, CompletedSlow) and why it
    /// waits; with --wait, follow it.
    Status(crate::user::StatusArgs),
    /// Add native relayer fee to a transfer that waits for it (by default what the sequencer's quote still
    /// asks).
    Bump(crate::user::BumpArgs),
    /// As a transfer's delegate, raise its slippage tolerance on the destination (before delivery).
    UpdateSlippage(crate::user::SlippageArgs),
    /// As a transfer's delegate, ask for delivery in the destination's local asset (before delivery).
    ReceiveLocal(crate::user::ReceiveLocalArgs),
    /// A router's liquidity: add, remove, show.
    Router {
        /// What to do.
        #[command(subcommand)]
        command: crate::user::RouterCommand,
    },
}

/// Options of an agent subcommand.
#[derive(Debug, Args)]
struct AgentArgs {
    /// The agent's TOML config; `NXTP__<FIELD>__<FIELD>` environment variables override its fields.
    #[arg(long)]
    config: PathBuf,
}

/// Parses the command line and runs the command.
pub fn run() -> Result<(), Box<dyn Error + Send + Sync>> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to stdout as clap prints them.
        Err(err) if !err.use_stderr() => err.exit(),
        // Usage errors quote the offending argument: never a key pasted into the wrong place.
        Err(err) => {
            eprint!("{}", redact_keys(&err.render().to_string()));
            std::process::exit(err.exit_code());
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Devnet(args) => {
            nxtp_agent::logging::init_logging(nxtp_agent::LogFormat::Plain, &cli.log)?;
            runtime.block_on(crate::devnet::run(args))
        }
        Command::Deploy(args) => runtime.block_on(crate::deploy::run(args)),
        Command::Init(args) => crate::init::run(args),
        // Agents set up their own logging, from their config.
        Command::Updater(args) => {
            Ok(runtime.block_on(nxtp_agent::run::<nxtp_updater::Updater>(&args.config))?)
        }
        Command::MessageRelayer(args) => Ok(runtime.block_on(nxtp_agent::run::<
            nxtp_message_relayer::MessageRelayer,
        >(&args.config))?),
        Command::Processor(args) => {
            Ok(runtime.block_on(nxtp_agent::run::<nxtp_processor::Processor>(&args.config))?)
        }
        Command::Watcher(args) => {
            Ok(runtime.block_on(nxtp_agent::run::<nxtp_watcher::Watcher>(&args.config))?)
        }
        Command::Sequencer(args) => {
            Ok(runtime.block_on(nxtp_agent::run::<nxtp_sequencer::Sequencer>(&args.config))?)
        }
        Command::Relayer(args) => {
            Ok(runtime.block_on(nxtp_agent::run::<nxtp_relayer::Relayer>(&args.config))?)
        }
        Command::RouterAgent(args) => {
            Ok(runtime.block_on(nxtp_agent::run::<nxtp_router::Router>(&args.config))?)
        }
        Command::Executor(args) => {
            Ok(runtime.block_on(nxtp_agent::run::<nxtp_executor::Executor>(&args.config))?)
        }
        Command::Indexer(args) => {
            Ok(runtime.block_on(nxtp_agent::run::<nxtp_indexer::IndexerAgent>(&args.config))?)
        }
        Command::Quote(args) => runtime.block_on(crate::user::quote(args)),
        Command::Xcall(args) => runtime.block_on(crate::user::xcall(args)),
        Command::Status(args) => runtime.block_on(crate::user::status(args)),
        Command::Bump(args) => runtime.block_on(crate::user::bump(args)),
        Command::UpdateSlippage(args) => runtime.block_on(crate::user::update_slippage(args)),
        Command::ReceiveLocal(args) => runtime.block_on(crate::user::receive_local(args)),
        Command::Router { command } => runtime.block_on(crate::user::router(command)),
    }
}

/// `error: <what>` followed by one `caused by:` line per underlying cause.
pub fn render_error(err: &(dyn Error + 'static)) -> String {
    let mut out = format!("error: {err}");
    let mut source = err.source();
    while let Some(cause) = source {
        let _ = write!(out, "\n  caused by: {cause}");
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn errors_show_their_causes() {
        let inner = std::io::Error::other("disk on fire");
        let outer = Wrapped("cannot write the manifest", inner);
        assert_eq!(
            render_error(&outer),
            "error: cannot write the manifest\n  caused by: disk on fire"
        );
    }

    #[derive(Debug)]
    struct Wrapped(&'static str, std::io::Error);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl Error for Wrapped {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.1)
        }
    }
}
