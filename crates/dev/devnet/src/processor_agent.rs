//! The devnet's processor: one process delivering messages on every domain, its config generated
//! from the manifest (see `nxtp_processor::config` for the format).

use crate::{
    agent_toml::{self, AgentToml},
    AgentOptions, AgentSpec, Role,
};
use nxtp_deployment::Manifest;
use std::path::Path;

/// The agent's name: the stem of its config, log and database files in the run folder.
pub const NAME: &str = "processor";

/// The processor's config for the devnet in `manifest`, its database in `run_dir`, every chain read
/// at the depth and finality of `options`; `None` when the manifest carries no development key for
/// the processor.
pub fn config_toml(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Option<String> {
    let signer = agent_toml::role_key(manifest, Role::Processor)?;
    let config = AgentToml::new(options)
        .database(run_dir, NAME)
        .value("signer", signer)
        .telemetry()
        .messaging_domains(manifest, false)
        .finish();
    Some(config)
}

/// The processor's agent spec, if the manifest carries its key.
pub fn spec(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Option<AgentSpec> {
    agent_toml::spec(NAME, "processor", config_toml(manifest, run_dir, options))
}
