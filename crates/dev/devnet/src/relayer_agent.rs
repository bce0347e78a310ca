//! The devnet's relayer: one process sending the execute and process jobs posted to it on every
//! domain, its config generated from the manifest (see `nxtp_relayer::config` for the format).

use crate::{agent_toml, AgentOptions, AgentSpec};
use nxtp_deployment::Manifest;
use std::{fmt::Write, net::SocketAddr, path::Path};

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
    let key = manifest.dev_keys.get("relayer")?;
    let database = run_dir.join(format!("{NAME}.sqlite"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "database = {}",
        agent_toml::string(&database.display().to_string())
    );
    let _ = writeln!(out, "signer = {{ hex = \"{key}\" }}");
    let _ = writeln!(out, "\n[api]\nlisten = \"{api}\"");
    let _ = writeln!(out, "\n[telemetry]\nlisten = \"127.0.0.1:0\"");
    for (domain, deployment) in &manifest.domains {
        let _ = writeln!(out, "\n[domains.{domain}]");
        if let Some(liquidity) = &deployment.liquidity {
            let _ = writeln!(out, "connext = \"{}\"", liquidity.connext);
        }
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

/// The relayer's agent spec, if the manifest carries its key.
pub fn spec(
    manifest: &Manifest,
    run_dir: &Path,
    api: SocketAddr,
    options: &AgentOptions,
) -> Option<AgentSpec> {
    config_toml(manifest, run_dir, api, options).map(|config_toml| AgentSpec {
        name: NAME.to_owned(),
        subcommand: "relayer".to_owned(),
        config_toml,
    })
}
