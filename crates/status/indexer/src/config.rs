//! The indexer's configuration file.
//!
//! ```toml
//! database = "run/indexer.sqlite"          # SQLite (default), or "postgres://user@host:5432/db"
//! state = "run/indexer-state.sqlite"       # with PostgreSQL only: where the chain cursors live
//! api_listen = "127.0.0.1:8090"            # the status API (port 0: any free port, logged)
//! sequencer_url = "http://127.0.0.1:8091"  # optional: routers' bids and auction states
//! router_live_seconds = 600                # a router that bid this recently is live
//! web_root = "web/app/dist"                # optional: static files served at / (the explorer)
//! web_manifest = "run/manifest.json"        # optional: served at /manifest.json for the explorer
//!
//! [telemetry]
//! listen = "127.0.0.1:9106"
//!
//! [domains.1000]
//! connext = "0x..."
//! home = "0x..."
//! replicas = { 2000 = "0x...", 3000 = "0x..." }   # the Replicas on 1000, by origin
//! start_block = 1                                 # the first block holding the contracts
//! [domains.1000.chain]
//! rpc_url = "http://127.0.0.1:8545"
//! chain_id = 31337
//! confirmations = 1
//! ```
//!
//! Every value can be overridden from the environment like every agent's
//! (`NXTP__DATABASE=postgres://...`, `NXTP__DOMAINS__1000__CHAIN__RPC_URL=...`).

use alloy::primitives::Address;
use nxtp_agent::TelemetryConfig;
use nxtp_chain::{ChainConfig, DomainSettings, Domains};
use nxtp_deployment::{
    agent_toml::{self, AgentToml, ChainReading},
    DomainDeployment, Manifest,
};
use nxtp_primitives::Domain;
use serde::Deserialize;
use std::{collections::BTreeMap, fmt, net::SocketAddr, path::PathBuf};

/// Where the indexed rows are kept.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file (created if missing); the chain cursors live in it too, written in the
    /// same transaction as the rows.
    Sqlite(PathBuf),
    /// A PostgreSQL server, by its `postgres://` URL; the chain cursors live in the SQLite file
    /// `state`, written after the rows (see [`crate::store`]).
    Postgres {
        /// The connection URL (may hold a password: never logged).
        url: String,
        /// The SQLite file holding the chain cursors.
        state: PathBuf,
    },
}

impl fmt::Debug for Database {
    /// Never prints the URL's password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Self::Postgres { url, state } => f
                .debug_struct("Postgres")
                .field("url", &redact_url(url))
                .field("state", state)
                .finish(),
        }
    }
}

/// `url` without its password, for logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

/// One domain: its chain, its `Connext`, its `Home` and the Replicas deployed on it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainConfig {
    /// How to reach the chain; `confirmations` is the depth at which its events are indexed.
    pub chain: ChainConfig,
    /// The domain's `Connext`.
    #[serde(with = "nxtp_primitives::checked")]
    pub connext: Address,
    /// The domain's `Home` (its messages out).
    #[serde(with = "nxtp_primitives::checked")]
    pub home: Address,
    /// The Replicas on this domain, keyed by the origin each mirrors (its messages in).
    #[serde(default, with = "nxtp_primitives::checked::map")]
    pub replicas: BTreeMap<Domain, Address>,
    /// The first block holding the contracts: where reading starts.
    #[serde(default)]
    pub start_block: u64,
}

impl DomainSettings for DomainConfig {
    fn chain(&self) -> &ChainConfig {
        &self.chain
    }

    fn replicas(&self) -> Option<&BTreeMap<Domain, Address>> {
        Some(&self.replicas)
    }
}

/// The whole configuration; see the module docs.
#[derive(Clone, Debug)]
pub struct IndexerConfig {
    /// The ops server (`/health`, `/metrics`) and logs.
    pub telemetry: TelemetryConfig,
    /// Where the rows go.
    pub database: Database,
    /// Where the status API listens.
    pub api_listen: SocketAddr,
    /// Every domain followed.
    pub domains: Domains<DomainConfig>,
    /// The sequencer's API, for what only it knows: routers' bids, auction states.
    pub sequencer_url: Option<reqwest::Url>,
    /// How recent a router's last bid must be for `GET /routers` to call it live.
    pub router_live_seconds: u64,
    /// A directory whose files the API's server also serves at `/` (the explorer).
    pub web_root: Option<PathBuf>,
    /// A deployment manifest served at `/manifest.json` beside `web_root`'s files: the explorer
    /// reads it there to find the chains (the devnet's own manifest).
    pub web_manifest: Option<PathBuf>,
    /// The webhooks' settings (`[webhooks]`, optional).
    pub webhooks: crate::webhooks::WebhookConfig,
}

/// The file as written, before it is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    telemetry: TelemetryConfig,
    database: String,
    #[serde(default)]
    state: Option<PathBuf>,
    api_listen: SocketAddr,
    domains: Domains<DomainConfig>,
    #[serde(default)]
    sequencer_url: Option<String>,
    #[serde(default = "default_router_live_seconds")]
    router_live_seconds: u64,
    #[serde(default)]
    web_root: Option<PathBuf>,
    #[serde(default)]
    web_manifest: Option<PathBuf>,
    #[serde(default)]
    webhooks: crate::webhooks::WebhookConfig,
}

impl<'de> Deserialize<'de> for IndexerConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawConfig::deserialize(deserializer)?;
        Self::check(raw).map_err(serde::de::Error::custom)
    }
}

fn default_router_live_seconds() -> u64 {
    crate::api::routers::DEFAULT_LIVE_SECONDS
}

/// `text` as the sequencer's URL, naming the field when it is not one.
fn sequencer_url(text: &str) -> Result<reqwest::Url, String> {
    let url: reqwest::Url = text
        .parse()
        .map_err(|err| format!("sequencer_url: `{text}`: {err}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("sequencer_url: `{text}` is not an http(s) URL"));
    }
    Ok(url)
}

/// Whether `text` names a PostgreSQL server rather than an SQLite file.
fn is_postgres_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

impl IndexerConfig {
    fn check(raw: RawConfig) -> Result<Self, String> {
        if raw.database.trim().is_empty() {
            return Err("database: empty (an SQLite file path or a postgres:// URL)".to_owned());
        }
        let database = if is_postgres_url(&raw.database) {
            let state = raw.state.ok_or_else(|| {
                "state: missing: with a postgres:// database, the chain cursors need an SQLite \
                 file (e.g. state = \"run/indexer-state.sqlite\")"
                    .to_owned()
            })?;
            Database::Postgres {
                url: raw.database,
                state,
            }
        } else if raw.database.contains("://") {
            let scheme = raw.database.split("://").next().unwrap_or_default();
            return Err(format!(
                "database: unsupported scheme `{scheme}` (an SQLite file path or a postgres:// URL)"
            ));
        } else {
            if raw.state.is_some() {
                return Err(
                    "state: only with a postgres:// database (SQLite keeps the cursors beside \
                     the rows)"
                        .to_owned(),
                );
            }
            Database::Sqlite(PathBuf::from(raw.database))
        };
        if raw.domains.is_empty() {
            return Err("domains: no domain to index".to_owned());
        }
        raw.webhooks.check()?;
        raw.domains.check(
            "domains",
            "messages from it cannot be matched to their transfers",
        )?;
        let sequencer = raw
            .sequencer_url
            .as_deref()
            .map(sequencer_url)
            .transpose()?;
        if raw.router_live_seconds == 0 {
            return Err("router_live_seconds: 0 (at least 1)".to_owned());
        }
        Ok(Self {
            telemetry: raw.telemetry,
            database,
            api_listen: raw.api_listen,
            domains: raw.domains,
            sequencer_url: sequencer,
            router_live_seconds: raw.router_live_seconds,
            web_root: raw.web_root,
            web_manifest: raw.web_manifest,
            webhooks: raw.webhooks,
        })
    }

    /// A config following every domain of `manifest` that has a `Connext`, at `confirmations`
    /// and polling every `poll_interval_ms`, writing to `database`, reading bids from the
    /// manifest's sequencer (if it names one); for the devnet and tests.
    /// Fails on a domain whose RPC URL does not parse, naming it.
    pub fn from_manifest(
        manifest: &Manifest,
        confirmations: u64,
        poll_interval_ms: u64,
        database: Database,
        api_listen: SocketAddr,
        telemetry: TelemetryConfig,
    ) -> Result<Self, String> {
        let mut domains = Domains::default();
        for (&domain, deployment) in &manifest.domains {
            let Some(liquidity) = &deployment.liquidity else {
                continue;
            };
            let rpc_url = deployment
                .rpc_url
                .parse()
                .map_err(|err| format!("domains.{domain}.rpc_url: {err}"))?;
            let mut chain = ChainConfig::new(rpc_url, deployment.chain_id, confirmations);
            chain.poll_interval_ms = poll_interval_ms;
            domains.insert(
                domain,
                DomainConfig {
                    chain,
                    connext: liquidity.connext,
                    home: deployment.home,
                    replicas: followed_replicas(manifest, deployment),
                    start_block: deployment.deploy_block,
                },
            );
        }
        let sequencer = manifest
            .services
            .as_ref()
            .map(|services| sequencer_url(&services.sequencer_url))
            .transpose()?;
        Ok(Self {
            telemetry,
            database,
            api_listen,
            domains,
            sequencer_url: sequencer,
            router_live_seconds: default_router_live_seconds(),
            web_root: None,
            web_manifest: None,
            webhooks: crate::webhooks::WebhookConfig::default(),
        })
    }
}

/// The Replicas of `deployment` whose origin has a `Connext` (and so is followed too).
fn followed_replicas(
    manifest: &Manifest,
    deployment: &DomainDeployment,
) -> BTreeMap<Domain, Address> {
    deployment
        .replicas
        .iter()
        .filter(|(origin, _)| {
            manifest
                .domains
                .get(origin)
                .is_some_and(|origin| origin.liquidity.is_some())
        })
        .map(|(&origin, &replica)| (origin, replica))
        .collect()
}

/// The config file of an indexer following every domain of `manifest` that has a `Connext` (its
/// `Home`, its Replicas of those domains, from its deployment block), each chain read as `reading`
/// says, writing to `database` (an SQLite path or a `postgres://` URL; with PostgreSQL, `state`
/// is the cursors' file), serving the API on `api_listen` and its ops server on a free port.
/// For the devnet and `nxtp init`: the text loads as an [`IndexerConfig`].
pub fn config_toml(
    manifest: &Manifest,
    reading: impl Into<ChainReading>,
    database: &str,
    state: Option<&std::path::Path>,
    api_listen: SocketAddr,
) -> String {
    config_toml_with(manifest, reading, database, state, api_listen, None, None)
}

/// [`config_toml`], also serving the files of `web_root` (if any) at `/` and the manifest file
/// `web_manifest` (if any) at `/manifest.json`. The manifest's sequencer (if it names one)
/// becomes `sequencer_url`.
pub fn config_toml_with(
    manifest: &Manifest,
    reading: impl Into<ChainReading>,
    database: &str,
    state: Option<&std::path::Path>,
    api_listen: SocketAddr,
    web_root: Option<&std::path::Path>,
    web_manifest: Option<&std::path::Path>,
) -> String {
    let mut config = AgentToml::new(reading);
    config.string("database", database);
    if let Some(state) = state {
        config.path("state", state);
    }
    config.quoted("api_listen", api_listen);
    if let Some(services) = &manifest.services {
        config.string("sequencer_url", &services.sequencer_url);
    }
    if let Some(web_root) = web_root {
        config.path("web_root", web_root);
    }
    if let Some(web_manifest) = web_manifest {
        config.path("web_manifest", web_manifest);
    }
    config.telemetry();
    for (domain, deployment, liquidity) in agent_toml::with_liquidity(manifest) {
        let replicas: Vec<String> = followed_replicas(manifest, deployment)
            .iter()
            .map(|(origin, replica)| format!("{origin} = \"{replica}\""))
            .collect();
        config
            .table(format!("domains.{domain}"))
            .quoted("connext", liquidity.connext)
            .quoted("home", deployment.home)
            .value("start_block", deployment.deploy_block)
            .value("replicas", format!("{{ {} }}", replicas.join(", ")))
            .domain_chain(domain, deployment);
    }
    config.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::config::testing::{assert_refused, load_str};

    const VALID: &str = r#"
        database = "/tmp/indexer.sqlite"
        api_listen = "127.0.0.1:0"
        [telemetry]
        listen = "127.0.0.1:0"
        [domains.1000]
        connext = "0x0000000000000000000000000000000000000001"
        home = "0x0000000000000000000000000000000000000002"
        replicas = { 2000 = "0x0000000000000000000000000000000000000003" }
        start_block = 3
        [domains.1000.chain]
        rpc_url = "http://127.0.0.1:8545"
        chain_id = 31337
        confirmations = 2
        [domains.2000]
        connext = "0x0000000000000000000000000000000000000004"
        home = "0x0000000000000000000000000000000000000005"
        [domains.2000.chain]
        rpc_url = "http://127.0.0.1:8546"
        chain_id = 31338
        confirmations = 1
    "#;

    #[test]
    fn reads_sqlite_and_postgres_databases() {
        let config = load_str::<IndexerConfig>(VALID).expect("valid");
        assert_eq!(
            config.database,
            Database::Sqlite("/tmp/indexer.sqlite".into())
        );
        let one = &config.domains[&Domain(1000)];
        assert_eq!(one.start_block, 3);
        assert_eq!(one.replicas[&Domain(2000)], Address::with_last_byte(3));
        assert!(config.domains[&Domain(2000)].replicas.is_empty());

        let postgres = VALID.replace(
            "database = \"/tmp/indexer.sqlite\"",
            "database = \"postgres://nxtp:secret@127.0.0.1:5432/nxtp\"\nstate = \"/tmp/s.sqlite\"",
        );
        let config = load_str::<IndexerConfig>(&postgres).expect("valid");
        let Database::Postgres { url, state } = &config.database else {
            panic!("expected postgres, got {:?}", config.database);
        };
        assert_eq!(url, "postgres://nxtp:secret@127.0.0.1:5432/nxtp");
        assert_eq!(state, &PathBuf::from("/tmp/s.sqlite"));
        let printed = format!("{:?}", config.database);
        assert!(!printed.contains("secret"), "{printed}");
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (
                VALID.replace("/tmp/indexer.sqlite", "postgres://127.0.0.1/nxtp"),
                "state: missing",
            ),
            (
                VALID.replace("/tmp/indexer.sqlite", "mysql://127.0.0.1/nxtp"),
                "database: unsupported scheme `mysql`",
            ),
            (
                VALID.replace(
                    "api_listen = \"127.0.0.1:0\"",
                    "api_listen = \"127.0.0.1:0\"\nstate = \"/tmp/x\"",
                ),
                "state: only with a postgres:// database",
            ),
            (
                VALID.replace("replicas = { 2000", "replicas = { 3000"),
                "domains.1000.replicas.3000",
            ),
            (
                VALID.replace(
                    "home = \"0x0000000000000000000000000000000000000005\"",
                    "home = \"nope\"",
                ),
                "domains.2000.home",
            ),
            (
                VALID.replace("api_listen = \"127.0.0.1:0\"", ""),
                "missing field `api_listen`",
            ),
        ];
        assert_refused::<IndexerConfig>(&cases);
    }

    /// Two domains with the liquidity layer and a third with messaging only.
    fn manifest() -> Manifest {
        let deployment = |n: u8, liquidity: bool| DomainDeployment {
            chain_id: 31336 + u64::from(n),
            rpc_url: format!("http://127.0.0.1:{}", 8544 + u16::from(n)),
            deploy_block: u64::from(n),
            home: Address::repeat_byte(0x10 + n),
            connection_manager: Address::repeat_byte(0x20 + n),
            replicas: (1..=3u8)
                .filter(|&other| other != n)
                .map(|other| {
                    (
                        Domain(u32::from(other) * 1000),
                        Address::repeat_byte(0x30 + 10 * n + other),
                    )
                })
                .collect(),
            updater: Address::repeat_byte(0x40 + n),
            contracts: BTreeMap::new(),
            liquidity: liquidity.then(|| nxtp_deployment::LiquidityDeployment {
                connext: Address::repeat_byte(0x50 + n),
                assets: BTreeMap::new(),
            }),
        };
        Manifest {
            optimistic_seconds: 5,
            domains: [(1, true), (2, true), (3, false)]
                .into_iter()
                .map(|(n, liquidity)| (Domain(u32::from(n) * 1000), deployment(n, liquidity)))
                .collect(),
            dev_keys: BTreeMap::new(),
            services: None,
        }
    }

    #[test]
    fn the_generated_file_loads_as_the_manifests_config() {
        let manifest = manifest();
        let reading = ChainReading {
            confirmations: 2,
            finality: agent_toml::Finality::Finalized,
            poll_interval_ms: 100,
        };
        let api: SocketAddr = "127.0.0.1:8090".parse().expect("an address");
        let text = config_toml(&manifest, reading, "/tmp/i.sqlite", None, api);
        let loaded = load_str::<IndexerConfig>(&text).expect("loads");
        let built = IndexerConfig::from_manifest(
            &manifest,
            2,
            100,
            Database::Sqlite("/tmp/i.sqlite".into()),
            api,
            loaded.telemetry.clone(),
        )
        .expect("builds");
        assert_eq!(loaded.domains, built.domains);
        assert_eq!(loaded.database, built.database);
        assert_eq!(loaded.api_listen, api);
        // Domain 3000 has no Connext: neither followed nor its Replicas.
        assert_eq!(
            loaded.domains.keys().copied().collect::<Vec<_>>(),
            [Domain(1000), Domain(2000)]
        );
        assert_eq!(
            loaded.domains[&Domain(1000)]
                .replicas
                .keys()
                .copied()
                .collect::<Vec<_>>(),
            [Domain(2000)]
        );
        let postgres = config_toml(
            &manifest,
            reading,
            "postgres://nxtp@127.0.0.1/nxtp",
            Some(std::path::Path::new("/tmp/state.sqlite")),
            api,
        );
        let loaded = load_str::<IndexerConfig>(&postgres).expect("loads");
        assert!(matches!(loaded.database, Database::Postgres { .. }));
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://a:b@h:1/d"),
            "postgres://a:***@h:1/d".to_owned()
        );
        assert_eq!(redact_url("postgres://h/d"), "postgres://h/d");
    }
}
