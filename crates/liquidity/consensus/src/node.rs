//! Starting a sequencer node: the Malachite engine (libp2p network, write-ahead log, value
//! sync, consensus) wired to this crate's context, codec and application loop.

use crate::app::{self, Rules, State};
use crate::codec::WireCodec;
use crate::context::{Height, NodeAddress, PublicKey, SequencerContext, Validator, ValidatorSet};
use crate::ledger::Ledger;
use crate::pool::{BidPool, Pacing};
use crate::signing::{NodeKey, NodeSigner, NodeVerifier};
use crate::store::{NodeStore, StoreError};
use alloy::primitives::keccak256;
use malachitebft_app_channel::app::config::{
    ConsensusConfig, DiscoveryConfig, NodeConfig as EngineNodeConfig, P2pConfig, PubSubProtocol,
    ValuePayload, ValueSyncConfig,
};
use malachitebft_app_channel::app::net::Multiaddr;
use malachitebft_app_channel::app::types::core::LinearTimeouts;
use malachitebft_app_channel::app::types::Keypair;
use malachitebft_app_channel::{
    ConsensusContext, EngineHandle, NetworkContext, NetworkIdentity, RequestContext, SyncContext,
    WalContext,
};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// Why a node did not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Its store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Its home directory could not be created.
    #[error("home directory {path}: {source}")]
    Home {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The node's key is not in the sequencer set.
    #[error("node {0} is not in the sequencer set")]
    NotASequencer(NodeAddress),
    /// The engine did not start.
    #[error("consensus engine: {0}")]
    Engine(String),
}

/// How one node runs.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// A name for logs and metrics, unique per process.
    pub moniker: String,
    /// Where the write-ahead log and the store live.
    pub home: PathBuf,
    /// The TCP address consensus listens on.
    pub listen: SocketAddr,
    /// The other nodes' consensus addresses.
    pub peers: Vec<SocketAddr>,
    /// Round timeouts.
    pub timeouts: LinearTimeouts,
    /// How long a proposer with nothing to decide waits for a bid before proposing an empty
    /// batch.
    pub idle_wait: Duration,
    /// How long after this node first held a bid on a transfer it keeps the auction open when
    /// proposing (zero: closed as soon as the bids cover the amount). A proposer's policy: voters
    /// do not check it.
    pub auction_window: Duration,
    /// How often a node tells its peers its height (how soon a lagging node notices).
    pub sync_status_interval: Duration,
}

impl NodeConfig {
    /// A configuration with the defaults of a production network.
    pub fn new(moniker: impl Into<String>, home: PathBuf, listen: SocketAddr) -> Self {
        Self {
            moniker: moniker.into(),
            home,
            listen,
            peers: Vec::new(),
            timeouts: LinearTimeouts::default(),
            idle_wait: Duration::from_secs(1),
            auction_window: Duration::ZERO,
            sync_status_interval: Duration::from_secs(2),
        }
    }
}

/// What every node of a network agrees on before height 1.
#[derive(Clone, Debug)]
pub struct Genesis {
    /// The sequencer set's keys (equal voting power each).
    pub sequencers: Vec<PublicKey>,
    /// The liquidity routers start with.
    pub ledger: Ledger,
}

impl Genesis {
    /// The sequencer set.
    pub fn validator_set(&self) -> ValidatorSet {
        ValidatorSet::new(
            self.sequencers
                .iter()
                .map(|key| Validator::new(key.clone(), 1)),
        )
    }
}

/// The engine's view of the configuration.
#[derive(Clone, Debug)]
struct EngineConfig {
    moniker: String,
    consensus: ConsensusConfig,
    value_sync: ValueSyncConfig,
}

impl EngineNodeConfig for EngineConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }
    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }
    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }
    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }
    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

fn tcp(addr: SocketAddr) -> Result<Multiaddr, NodeError> {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(ip) => format!("/ip4/{ip}"),
        std::net::IpAddr::V6(ip) => format!("/ip6/{ip}"),
    };
    format!("{ip}/tcp/{}", addr.port())
        .parse()
        .map_err(|err| NodeError::Engine(format!("address {addr}: {err}")))
}

/// A running node.
pub struct NodeHandle {
    /// Its address.
    pub address: NodeAddress,
    /// The last height it decided.
    pub decided: watch::Receiver<Height>,
    /// Its store (decided batches, its selection signatures).
    pub store: NodeStore,
    /// Its bid pool.
    pub pool: BidPool,
    engine: EngineHandle,
    app: JoinHandle<()>,
}

impl NodeHandle {
    /// Stops the node at once, as a crash would: nothing is flushed beyond what the write-ahead
    /// log and the store already hold.
    pub async fn kill(self) {
        if let Err(err) = self.engine.actor.kill_and_wait(None).await {
            tracing::warn!(%err, "Engine did not stop cleanly");
        }
        self.app.abort();
        self.engine.handle.abort();
    }
}

/// Starts a node: opens its store, rebuilds its ledger from the batches decided so far, starts
/// the engine (which replays its write-ahead log) and the application loop.
pub async fn start(
    config: NodeConfig,
    key: NodeKey,
    genesis: Genesis,
    rules: Rules,
    pool: BidPool,
) -> Result<NodeHandle, NodeError> {
    let address = key.address();
    let validator_set = genesis.validator_set();
    if !validator_set
        .validators()
        .iter()
        .any(|validator| validator.address == address)
    {
        return Err(NodeError::NotASequencer(address));
    }
    std::fs::create_dir_all(&config.home).map_err(|source| NodeError::Home {
        path: config.home.clone(),
        source,
    })?;
    let store = NodeStore::open(&config.home.join("consensus.sqlite"))?;
    let mut ledger = genesis.ledger.clone();
    for decided in store.all_decided().await? {
        ledger.apply(&decided.batch);
    }
    let last = store.max_height().await?.unwrap_or(Height(0));

    // The network identity is derived from the node key, so the peer id survives restarts.
    let mut seed =
        keccak256([b"nxtp-consensus/p2p".as_slice(), key.secret().as_slice()].concat()).0;
    let keypair = Keypair::ed25519_from_bytes(&mut seed)
        .map_err(|err| NodeError::Engine(format!("network key: {err}")))?;
    let identity = NetworkIdentity::new(config.moniker.clone(), keypair, Some(address.to_string()));

    let engine_config = EngineConfig {
        moniker: config.moniker.clone(),
        consensus: ConsensusConfig {
            enabled: true,
            value_payload: ValuePayload::ProposalAndParts,
            p2p: P2pConfig {
                listen_addr: tcp(config.listen)?,
                persistent_peers: config
                    .peers
                    .iter()
                    .copied()
                    .map(tcp)
                    .collect::<Result<_, _>>()?,
                discovery: DiscoveryConfig {
                    enabled: false,
                    ..DiscoveryConfig::default()
                },
                protocol: PubSubProtocol::default(),
                ..P2pConfig::default()
            },
            ..ConsensusConfig::default()
        },
        value_sync: ValueSyncConfig {
            enabled: true,
            status_update_interval: config.sync_status_interval,
            ..ValueSyncConfig::default()
        },
    };
    let span = tracing::info_span!("sequencer", node = %config.moniker);
    let (channels, engine) = malachitebft_app_channel::start_engine(
        SequencerContext,
        engine_config,
        WalContext::new(config.home.join("wal").join("consensus.wal"), WireCodec),
        NetworkContext::new(identity, WireCodec),
        ConsensusContext::new_validator(
            address,
            Box::new(NodeVerifier),
            Box::new(NodeSigner::new(key.clone())),
        ),
        SyncContext::new(WireCodec),
        RequestContext::new(100),
    )
    .instrument(span.clone())
    .await
    .map_err(|err| NodeError::Engine(format!("{err:#}")))?;

    let (decided_tx, decided) = watch::channel(last);
    let state = State::new(
        key,
        validator_set,
        config.timeouts,
        rules,
        store.clone(),
        pool.clone(),
        ledger,
        Pacing {
            idle_wait: config.idle_wait,
            auction_window: config.auction_window,
        },
        decided_tx,
    );
    let app = tokio::spawn(
        async move {
            if let Err(err) = app::run(state, channels).await {
                tracing::error!(%err, "The consensus loop stopped");
            }
        }
        .instrument(span),
    );
    Ok(NodeHandle {
        address,
        decided,
        store,
        pool,
        engine,
        app,
    })
}
