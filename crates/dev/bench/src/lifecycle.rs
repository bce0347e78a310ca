//! A benchmark's devnet from start to stop, interruptible: SIGINT or SIGTERM at any point stops the devnet
//! (agents first, then chains) instead of leaving its processes behind.

use nxtp_devnet::{Devnet, DevnetConfig};
use std::{error::Error, path::Path};

/// Any failure of a benchmark, with its cause chain.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// The devnet's default config (the liquidity layer included) running the agents as `agent_program`, in
/// `run_dir`.
pub fn devnet_config(agent_program: &Path, run_dir: &Path) -> Result<DevnetConfig, BoxError> {
    // Agents start in the run folder, so the program path must not be relative.
    let program = std::fs::canonicalize(agent_program)
        .map_err(|err| format!("agent program {}: {err}", agent_program.display()))?;
    Ok(DevnetConfig::new(
        nxtp_devnet::locate_anvil(None),
        run_dir.to_owned(),
        program,
    ))
}

/// Starts a devnet from `config`, runs `measure` on it and stops it, whatever `measure` returned. A SIGINT
/// or SIGTERM while starting kills what was started; while measuring, it stops the devnet gracefully. Either
/// way the benchmark fails as interrupted.
pub async fn with_devnet<T>(
    config: DevnetConfig,
    measure: impl AsyncFnOnce(&Devnet) -> Result<T, BoxError>,
) -> Result<T, BoxError> {
    let cancel = nxtp_agent::shutdown::cancel_on_signal()?;
    let devnet = tokio::select! {
        started = Devnet::start(config) => started?,
        // Dropping the half-started devnet kills the chains and agents it had started.
        () = cancel.cancelled() => return Err(INTERRUPTED.into()),
    };
    println!("devnet up in {}", devnet.run_dir().display());
    let outcome = tokio::select! {
        outcome = measure(&devnet) => outcome,
        () = cancel.cancelled() => Err(INTERRUPTED.into()),
    };
    println!("stopping the devnet");
    devnet.stop().await;
    outcome
}

const INTERRUPTED: &str = "interrupted by a signal; the devnet was stopped";
