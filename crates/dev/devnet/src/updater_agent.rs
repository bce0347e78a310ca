//! The devnet's updaters: one process per domain, each signing its domain's Home roots and
//! reading every chain (its Home, and the Replicas of its domain elsewhere), its config
//! generated from the manifest (see `nxtp_updater::config` for the format).

use crate::{
    agent_toml::{self, AgentToml},
    AgentOptions, AgentSpec, Role, MANIFEST_FILE,
};
use nxtp_deployment::Manifest;
use nxtp_primitives::Domain;
use std::path::Path;

/// The devnet's gas is free: its updaters may checkpoint at every poll (ten per one-second
/// block), so messages arriving late in a block are still checkpointed in it. The agent's
/// default (2) suits chains where each checkpoint's 66k gas counts.
pub const CHECKPOINTS_PER_BLOCK: u32 = 10;

/// The agent's name for `domain`: the stem of its config, log and database files.
pub fn name(domain: Domain) -> String {
    format!("updater-{domain}")
}

/// The config of `domain`'s updater, its database in `run_dir`, every chain read at the depth and
/// finality of `options`; `None` when the manifest carries no development key for the updater or its
/// checkpointer, or does not deploy `domain`.
pub fn config_toml(
    manifest: &Manifest,
    run_dir: &Path,
    domain: Domain,
    options: &AgentOptions,
) -> Option<String> {
    let signer = agent_toml::role_key(manifest, Role::Updater)?;
    let checkpointer = agent_toml::role_key(manifest, Role::Checkpointer)?;
    manifest.domain(domain)?;
    let config = AgentToml::new(options)
        .value("domain", domain)
        .database(run_dir, &name(domain))
        .path("manifest", &run_dir.join(MANIFEST_FILE))
        .value("signer", signer)
        .value("checkpointer", checkpointer)
        .value("checkpoints_per_block", CHECKPOINTS_PER_BLOCK)
        .telemetry()
        .chains(manifest)
        .finish();
    Some(config)
}

/// One updater spec per domain, if the manifest carries the updater's key.
pub fn specs(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Vec<AgentSpec> {
    manifest
        .domains
        .keys()
        .filter_map(|&domain| {
            agent_toml::spec(
                &name(domain),
                "updater",
                config_toml(manifest, run_dir, domain, options),
            )
        })
        .collect()
}
