//! The devnet's watcher: one process watching every Home and Replica, its config generated from
//! the manifest (see `nxtp_watcher::config` for the format).

use crate::{
    agent_toml::{self, AgentToml},
    AgentOptions, AgentSpec, Role,
};
use nxtp_deployment::Manifest;
use std::path::Path;

/// The agent's name: the stem of its config, log and database files in the run folder.
pub const NAME: &str = "watcher";

/// The watcher's config for the devnet in `manifest`, its database in `run_dir`, every chain read at
/// the depth and finality of `options`, like the other agents; `None` when the manifest carries no
/// development key for the watcher.
pub fn config_toml(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Option<String> {
    let signer = agent_toml::role_key(manifest, Role::Watcher)?;
    // Every chain at the agents' depth, like the others: a reorg within it is then never mistaken
    // for a deep one, and the response still lands well inside the optimistic window (see
    // `nxtp_watcher::config` for the trade-off).
    let config = AgentToml::new(options)
        .database(run_dir, NAME)
        .value("signer", signer)
        .telemetry()
        .messaging_domains(manifest, true)
        .finish();
    Some(config)
}

/// The watcher's agent spec, if the manifest carries its key.
pub fn spec(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Option<AgentSpec> {
    agent_toml::spec(NAME, "watcher", config_toml(manifest, run_dir, options))
}
