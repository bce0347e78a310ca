//! The devnet's relayer: one process sending the execute and process jobs posted to it on every
//! domain, its config generated from the manifest (see `nxtp_relayer::config` for the format).

use crate::{
    agent_toml::{self, AgentToml},
    AgentOptions, AgentSpec, Role,
};
use nxtp_deployment::Manifest;
use std::{net::SocketAddr, path::Path};

/// The agent's name: the stem of its config, log and database files in the run folder.
pub const NAME: &str = "relayer";

/// The relayer's config for the devnet in `manifest`, its job API on `api` and its database in
/// `run_dir`, every chain read at the depth and finality of `options`; `None` when the manifest
/// carries no development key for the relayer. Execute jobs go to each domain's `Connext` (on
/// domains with a liquidity layer), process jobs to its Replicas.
pub fn config_toml(
    manifest: &Manifest,
    run_dir: &Path,
    api: SocketAddr,
    options: &AgentOptions,
) -> Option<String> {
    let signer = agent_toml::role_key(manifest, Role::Relayer)?;
    let mut config = AgentToml::new(options);
    config
        .database(run_dir, NAME)
        .value("signer", signer)
        .table("api")
        .quoted("listen", api)
        .telemetry();
    config.relayer_domains(manifest);
    Some(config.finish())
}

/// The relayer's agent spec, if the manifest carries its key.
pub fn spec(
    manifest: &Manifest,
    run_dir: &Path,
    api: SocketAddr,
    options: &AgentOptions,
) -> Option<AgentSpec> {
    agent_toml::spec(
        NAME,
        "relayer",
        config_toml(manifest, run_dir, api, options),
    )
}
