//! The devnet's message relayer: one process copying every Home's updates to the Replicas of
//! its domain on every other domain, its config generated from the manifest (see
//! `nxtp_message_relayer::config` for the format).

use crate::{agent_toml, AgentOptions, AgentSpec, MANIFEST_FILE};
use nxtp_deployment::Manifest;
use std::{fmt::Write, path::Path};

/// The agent's name: the stem of its config, log and database files in the run folder.
pub const NAME: &str = "message-relayer";

/// The relayer's config for the devnet in `manifest`, its database in `run_dir`, every chain read at
/// the depth and finality of `options`; `None` when the manifest carries no development key for the
/// message relayer.
pub fn config_toml(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Option<String> {
    let key = manifest.dev_keys.get("message_relayer")?;
    let database = run_dir.join(format!("{NAME}.sqlite"));
    let manifest_path = run_dir.join(MANIFEST_FILE);
    let mut out = String::new();
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
    let _ = writeln!(out, "\n[telemetry]\nlisten = \"127.0.0.1:0\"");
    for (domain, deployment) in &manifest.domains {
        let _ = writeln!(out);
        agent_toml::chain_table(&mut out, &format!("chains.{domain}"), deployment, options);
    }
    Some(out)
}

/// The relayer's agent spec, if the manifest carries its key and has two domains or more.
pub fn spec(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Option<AgentSpec> {
    if manifest.domains.len() < 2 {
        return None;
    }
    config_toml(manifest, run_dir, options).map(|config_toml| AgentSpec {
        name: NAME.to_owned(),
        subcommand: "message-relayer".to_owned(),
        config_toml,
    })
}
