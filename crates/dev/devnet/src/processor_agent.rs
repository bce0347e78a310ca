//! The devnet's processor: one process delivering messages on every domain, its config generated
//! from the manifest (see `nxtp_processor::config` for the format).

use crate::{agent_toml, AgentOptions, AgentSpec};
use nxtp_deployment::Manifest;
use std::{fmt::Write, path::Path};

/// The agent's name: the stem of its config, log and database files in the run folder.
pub const NAME: &str = "processor";

/// The processor's config for the devnet in `manifest`, its database in `run_dir`, every chain read
/// at the depth and finality of `options`; `None` when the manifest carries no development key for
/// the processor.
pub fn config_toml(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Option<String> {
    let key = manifest.dev_keys.get("processor")?;
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
        let _ = writeln!(out, "start_block = {}", deployment.deploy_block);
        let replicas: Vec<String> = deployment
            .replicas
            .iter()
            .map(|(origin, replica)| format!("{origin} = \"{replica}\""))
            .collect();
        let _ = writeln!(out, "replicas = {{ {} }}", replicas.join(", "));
        agent_toml::chain_table(
            &mut out,
            &format!("domains.{domain}.chain"),
            deployment,
            options,
        );
    }
    Some(out)
}

/// The processor's agent spec, if the manifest carries its key.
pub fn spec(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Option<AgentSpec> {
    config_toml(manifest, run_dir, options).map(|config_toml| AgentSpec {
        name: NAME.to_owned(),
        subcommand: "processor".to_owned(),
        config_toml,
    })
}
