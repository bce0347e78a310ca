//! The command line: one subcommand per job.

use clap::{Parser, Subcommand};
use std::{error::Error, fmt::Write};

/// Crosschain transfers and calls: local devnet, agents, user commands.
#[derive(Debug, Parser)]
#[command(name = "nxtp", version, about)]
struct Cli {
    /// Log filter (`tracing` EnvFilter syntax), e.g. `info` or `info,nxtp_devnet=debug`.
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
}

/// Parses the command line and runs the command.
pub fn run() -> Result<(), Box<dyn Error + Send + Sync>> {
    let cli = Cli::parse();
    nxtp_agent::logging::init_logging(nxtp_agent::LogFormat::Plain, &cli.log)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::Devnet(args) => runtime.block_on(crate::devnet::run(args)),
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
