//! The devnet's watcher: one process watching every Home and Replica, its config generated from
//! the manifest (see `nxtp_watcher::config` for the format).

use crate::{agent_toml, AgentOptions, AgentSpec};
use nxtp_deployment::Manifest;
use std::{fmt::Write, path::Path};

/// The agent's name: the stem of its config, log and database files in the run folder.
pub const NAME: &str = "watcher";

/// The watcher's config for the devnet in `manifest`, its database in `run_dir`, every chain read at
/// the depth and finality of `options`, like the other agents; `None` when the manifest carries no
/// development key for the watcher.
pub fn config_toml(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Option<String> {
    let key = manifest.dev_keys.get("watcher")?;
    let database = run_dir.join(format!("{NAME}.sqlite"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "database = {}",
        agent_toml::string(&database.display().to_string())
    );
    let _ = writeln!(out, "signer = {{ hex = \"{key}\" }}");
    let _ = writeln!(out, "\n[telemetry]\nlisten = \"127.0.0.1:0\"");
    for (domain, deployment) in &manifest.domains {
        let _ = writeln!(out, "\n[domains.{domain}]");
        let _ = writeln!(out, "home = \"{}\"", deployment.home);
        let _ = writeln!(
            out,
            "connection_manager = \"{}\"",
            deployment.connection_manager
        );
        let _ = writeln!(out, "start_block = {}", deployment.deploy_block);
        let replicas: Vec<String> = deployment
            .replicas
            .iter()
            .map(|(origin, replica)| format!("{origin} = \"{replica}\""))
            .collect();
        let _ = writeln!(out, "replicas = {{ {} }}", replicas.join(", "));
        // The agents' depth, like the others: a reorg within it is then never mistaken for a
        // deep one, and the response still lands well inside the optimistic window (see
        // `nxtp_watcher::config` for the trade-off).
        agent_toml::chain_table(
            &mut out,
            &format!("domains.{domain}.chain"),
            deployment,
            options,
        );
    }
    Some(out)
}

/// The watcher's agent spec, if the manifest carries its key.
pub fn spec(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Option<AgentSpec> {
    config_toml(manifest, run_dir, options).map(|config_toml| AgentSpec {
        name: NAME.to_owned(),
        subcommand: "watcher".to_owned(),
        config_toml,
    })
}
