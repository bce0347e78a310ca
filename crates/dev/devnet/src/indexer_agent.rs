//! The devnet's indexer: one process following every domain with the liquidity layer and serving
//! the status API where the manifest's `indexer_url` says, reading routers' bids from the devnet's
//! sequencer, and serving the explorer (`web/app/dist`) at `/` once it is built. Its config is
//! the one `nxtp_indexer::config::config_toml_with` writes for a manifest.

use crate::{agent_toml, services::listen_address, AgentOptions, AgentSpec, MANIFEST_FILE};
use nxtp_deployment::Manifest;
use std::path::{Path, PathBuf};

/// The agent's name: the stem of its config, log and database files in the run folder.
pub const NAME: &str = "indexer";

/// Where the explorer's build lands, from the repository's root.
pub const EXPLORER_DIST: &str = "web/app/dist";

/// The built explorer, if there is one: `web/app/dist` holding an `index.html`, under the
/// repository this crate was built from or the nearest ancestor of the current directory.
pub fn explorer_root() -> Option<PathBuf> {
    let mut roots = vec![nxtp_toolchain::build_root()];
    if let Ok(cwd) = std::env::current_dir() {
        roots.extend(cwd.ancestors().map(Path::to_path_buf));
    }
    roots
        .into_iter()
        .map(|root| root.join(EXPLORER_DIST))
        .find(|dist| dist.join("index.html").is_file())
}

/// The indexer's config for the devnet in `manifest`: its SQLite database in `run_dir`, the
/// status API on the manifest's `indexer_url`, the files of `web_root` at `/`, every chain read
/// at the depth and finality of `options`. `None` when the manifest names no indexer or no
/// domain has the liquidity layer.
pub fn config_toml(
    manifest: &Manifest,
    run_dir: &Path,
    web_root: Option<&Path>,
    options: &AgentOptions,
) -> Option<String> {
    let services = manifest.services.as_ref()?;
    let api_listen = listen_address(services.indexer_url.as_deref()?)?;
    if agent_toml::with_liquidity(manifest).is_empty() {
        return None;
    }
    let database = run_dir.join(format!("{NAME}.sqlite"));
    Some(nxtp_indexer::config::config_toml_with(
        manifest,
        options,
        &database.to_string_lossy(),
        None,
        api_listen,
        web_root,
        // The explorer finds the chains in the run's manifest, served beside it.
        web_root.map(|_| run_dir.join(MANIFEST_FILE)).as_deref(),
    ))
}

/// The indexer's agent spec, serving the explorer if it is built; `None` as for
/// [`config_toml`].
pub fn spec(manifest: &Manifest, run_dir: &Path, options: &AgentOptions) -> Option<AgentSpec> {
    let web_root = explorer_root();
    agent_toml::spec(
        NAME,
        "indexer",
        config_toml(manifest, run_dir, web_root.as_deref(), options),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_deployment::{DomainDeployment, LiquidityDeployment, Services};
    use nxtp_primitives::Domain;

    fn manifest(indexer_url: Option<&str>) -> Manifest {
        let deployment: DomainDeployment = serde_json::from_value(serde_json::json!({
            "chain_id": 31337, "rpc_url": "http://127.0.0.1:8545", "deploy_block": 1,
            "home": "0x0000000000000000000000000000000000000001",
            "connection_manager": "0x0000000000000000000000000000000000000002",
            "replicas": {}, "updater": "0x0000000000000000000000000000000000000003"
        }))
        .expect("deployment");
        let deployment = DomainDeployment {
            liquidity: Some(LiquidityDeployment {
                connext: alloy::primitives::Address::repeat_byte(4),
                assets: Default::default(),
            }),
            ..deployment
        };
        Manifest {
            optimistic_seconds: 5,
            domains: [(Domain(1000), deployment)].into_iter().collect(),
            dev_keys: Default::default(),
            services: Some(Services {
                sequencer_url: "http://127.0.0.1:7001".to_owned(),
                relayer_url: "http://127.0.0.1:7002".to_owned(),
                indexer_url: indexer_url.map(str::to_owned),
            }),
        }
    }

    #[test]
    fn the_config_serves_on_the_manifests_indexer_url_with_its_sequencer() {
        let run_dir = Path::new("/tmp/devnet-run");
        let text = config_toml(
            &manifest(Some("http://127.0.0.1:7003")),
            run_dir,
            Some(Path::new("/srv/dist")),
            &AgentOptions::default(),
        )
        .expect("a config");
        let config: nxtp_indexer::IndexerConfig = toml::from_str(&text).expect("loads");
        assert_eq!(config.api_listen.port(), 7003);
        assert_eq!(
            config.sequencer_url.map(|url| url.to_string()),
            Some("http://127.0.0.1:7001/".to_owned())
        );
        assert_eq!(config.web_root, Some(PathBuf::from("/srv/dist")));
        assert_eq!(config.web_manifest, Some(run_dir.join(MANIFEST_FILE)));
        assert_eq!(
            config.database,
            nxtp_indexer::Database::Sqlite(run_dir.join("indexer.sqlite"))
        );
        assert!(config.domains.contains_key(&Domain(1000)));
        // An older manifest without an indexer: no indexer runs.
        assert_eq!(
            config_toml(&manifest(None), run_dir, None, &AgentOptions::default()),
            None
        );
    }
}
