//! The devnet's slow-path executor: one process following every domain with a liquidity layer and
//! posting the execute of every transfer reconciled with no routers to the relayer, its config
//! generated from the manifest (see `nxtp_executor::config` for the format).

use crate::{agent_toml, AgentOptions, AgentSpec};
use nxtp_deployment::Manifest;
use std::{fmt::Write, path::Path};

/// The agent's name: the stem of its config, log and database files in the run folder.
pub const NAME: &str = "executor";

/// The executor's config for the devnet in `manifest` and the relayer at `relayer_url`, its
/// database in `run_dir`, every chain read at the depth and finality of `options`; `None` when fewer
/// than two domains have a liquidity layer (no transfer could then need it). Retries are quick:
/// devnet blocks are.
pub fn config_toml(
    manifest: &Manifest,
    run_dir: &Path,
    relayer_url: &str,
    options: &AgentOptions,
) -> Option<String> {
    let with_liquidity: Vec<_> = manifest
        .domains
        .iter()
        .filter_map(|(domain, deployment)| {
            Some((domain, deployment, deployment.liquidity.as_ref()?))
        })
        .collect();
    if with_liquidity.len() < 2 {
        return None;
    }
    let database = run_dir.join(format!("{NAME}.sqlite"));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "database = {}",
        agent_toml::string(&database.display().to_string())
    );
    let _ = writeln!(out, "relayer_url = {}", agent_toml::string(relayer_url));
    let _ = writeln!(out, "retry_base_ms = 1000");
    let _ = writeln!(out, "retry_max_ms = 30000");
    let _ = writeln!(out, "\n[telemetry]\nlisten = \"127.0.0.1:0\"");
    for (domain, deployment, liquidity) in with_liquidity {
        let _ = writeln!(out, "\n[domains.{domain}]");
        let _ = writeln!(out, "connext = \"{}\"", liquidity.connext);
        let _ = writeln!(out, "start_block = {}", deployment.deploy_block);
        agent_toml::chain_table(
            &mut out,
            &format!("domains.{domain}.chain"),
            deployment,
            options,
        );
    }
    Some(out)
}

/// The executor's agent spec, if the manifest allows one (see [`config_toml`]).
pub fn spec(
    manifest: &Manifest,
    run_dir: &Path,
    relayer_url: &str,
    options: &AgentOptions,
) -> Option<AgentSpec> {
    config_toml(manifest, run_dir, relayer_url, options).map(|config_toml| AgentSpec {
        name: NAME.to_owned(),
        subcommand: "executor".to_owned(),
        config_toml,
    })
}
