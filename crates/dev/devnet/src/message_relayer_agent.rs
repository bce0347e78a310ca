//! The devnet's message relayer: one process copying every Home's updates to the Replicas of
//! its domain on every other domain, its config generated from the manifest (see
//! `nxtp_message_relayer::config` for the format).

use crate::{
    agent_toml::{self, AgentToml},
    AgentOptions, AgentSpec, Role, MANIFEST_FILE,
};
use nxtp_deployment::Manifest;
use std::path::Path;

/// The agent's name: the stem of its config, log and database files in the run folder.
pub const NAME: &str = "message-relayer";

/// The relayer's config for the devnet in `manifest`, its database in `run_dir`, every chain read at
/// the depth and finality of `options`; `None` when the manifest carries no development key for the
/// message relayer.
pub fn config_toml(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Option<String> {
    let signer = agent_toml::role_key(manifest, Role::MessageRelayer)?;
    let config = AgentToml::new(options)
        .database(run_dir, NAME)
        .path("manifest", &run_dir.join(MANIFEST_FILE))
        .value("signer", signer)
        .telemetry()
        .chains(manifest)
        .finish();
    Some(config)
}

/// The relayer's agent spec, if the manifest carries its key and has two domains or more.
pub fn spec(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Option<AgentSpec> {
    if manifest.domains.len() < 2 {
        return None;
    }
    agent_toml::spec(
        NAME,
        "message-relayer",
        config_toml(manifest, run_dir, options),
    )
}
