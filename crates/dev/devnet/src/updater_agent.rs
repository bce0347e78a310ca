//! The devnet's updaters: one process per domain, each signing its domain's Home roots and
//! reading every chain (its Home, and the Replicas of its domain elsewhere), its config
//! generated from the manifest (see `nxtp_updater::config` for the format).

use crate::{agent_toml, AgentOptions, AgentSpec, Role, MANIFEST_FILE};
use nxtp_deployment::Manifest;
use nxtp_primitives::Domain;
use std::{fmt::Write, path::Path};

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
    let key = manifest.dev_keys.get(Role::Updater.name())?;
    let checkpointer = manifest.dev_keys.get(Role::Checkpointer.name())?;
    manifest.domain(domain)?;
    let database = run_dir.join(format!("{}.sqlite", name(domain)));
    let manifest_path = run_dir.join(MANIFEST_FILE);
    let mut out = String::new();
    let _ = writeln!(out, "domain = {domain}");
    let _ = writeln!(
        out,
        "database = {}",
        agent_toml::string(&database.display().to_string())
    );
    let _ = writeln!(
        out,
        "manifest = {}",
        agent_toml::string(&manifest_path.display().to_string())
    );
    let _ = writeln!(out, "signer = {{ hex = \"{key}\" }}");
    let _ = writeln!(out, "checkpointer = {{ hex = \"{checkpointer}\" }}");
    let _ = writeln!(out, "checkpoints_per_block = {CHECKPOINTS_PER_BLOCK}");
    let _ = writeln!(out, "\n[telemetry]\nlisten = \"127.0.0.1:0\"");
    for (id, deployment) in &manifest.domains {
        let _ = writeln!(out);
        agent_toml::chain_table(&mut out, &format!("chains.{id}"), deployment, options);
    }
    Some(out)
}

/// One updater spec per domain, if the manifest carries the updater's key.
pub fn specs(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Vec<AgentSpec> {
    manifest
        .domains
        .keys()
        .filter_map(|&domain| {
            config_toml(manifest, run_dir, domain, options).map(|config_toml| AgentSpec {
                name: name(domain),
                subcommand: "updater".to_owned(),
                config_toml,
            })
        })
        .collect()
}
