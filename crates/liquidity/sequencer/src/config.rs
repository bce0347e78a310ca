//! The sequencer's configuration file.
//!
//! ```toml
//! database = "run/sequencer.sqlite"
//! signer = { env = "SEQUENCER_KEY" }      # approved as a sequencer on every Connext
//! api_listen = "127.0.0.1:8090"           # the bids API
//! auction_window_ms = 1000                # optional: 0 decides as soon as a valid bid is in
//! relayer_url = "http://127.0.0.1:8091"   # where execute jobs go; or, for failover, in order:
//! # relayer_urls = ["http://127.0.0.1:8091", "http://10.0.0.2:8091"]
//! early_bids_per_router = 64              # optional: transfers not seen yet a router may bid on
//! early_bid_ttl_secs = 900                # optional: how long such bids are kept
//!
//! [quotes]
//! default_relayer_fee = "1000000000000000"            # native wei, decimal string or integer
//! destinations = { 2000 = "2000000000000000" }        # optional per-destination overrides
//!
//! # Optional, repeated: a token on an origin relayer fees may be paid in, and what one whole
//! # token is worth in native wei (its decimals are read from the chain at start-up). Without
//! # any, only native fees count.
//! [[relayer_fee_assets]]
//! domain = 1000
//! asset = "0x..."                                     # EIP-55 checked
//! native_wei_per_token = "400000000000000"
//!
//! [telemetry]
//! listen = "127.0.0.1:9105"
//!
//! [domains.1000]
//! connext = "0x..."
//! start_block = 1
//! [domains.1000.chain]
//! rpc_url = "http://127.0.0.1:8545"
//! chain_id = 31337
//! confirmations = 1
//! ```
//!
//! Every domain is both an origin (its `XCalled` and `RelayerFeesIncreased` are followed) and a
//! destination (bids on transfers to it are auctioned).
//!
//! With a `[consensus]` section the sequencer is one node of a sequencer network that decides
//! auctions together (`docs/consensus.md`): it signs with `consensus.key` (and takes no `signer`),
//! and its auctions are the network's decisions instead of its own.
//!
//! ```toml
//! [consensus]
//! key = { env = "NODE_KEY" }              # this node's key: approved as a sequencer on every Connext
//! listen = "127.0.0.1:27000"              # consensus (libp2p over TCP)
//! peers = ["127.0.0.1:27001", "127.0.0.1:27002", "127.0.0.1:27003"]
//! home = "run/sequencer-node"             # its write-ahead log and decided heights
//! threshold = 3                           # the Connexts' sequencerThreshold: signatures per execute
//! idle_wait_ms = 1000                     # optional: how long a proposer with nothing waits for a bid
//! propose_timeout_ms = 3000               # optional: round timeouts
//! vote_timeout_ms = 1000
//! backup_handover_ms = 30000              # optional: how long a node that did not propose a
//!                                         # decision waits before handing it to the relayer too
//! # Optional: the other nodes' bids APIs, which this node forwards the bids routers post to it.
//! forward_bids_to = ["http://127.0.0.1:8190", "http://127.0.0.1:8290", "http://127.0.0.1:8390"]
//! reservation_expiry_heights = 3600       # optional, the same on every node: heights after which
//!                                         # a decided transfer never executed frees its liquidity
//! # The sequencer set, every node's the same: each key's Ethereum address (EIP-55) and its
//! # secp256k1 public key (SEC1, compressed or not), which consensus verifies votes with.
//! validators = [
//!     { address = "0x...", public_key = "0x02..." },
//! ]
//! # Repeated: the liquidity each router starts with in each pool, the same on every node. The
//! # network then follows each router's balance on chain (`docs/consensus.md`).
//! [[consensus.liquidity]]
//! domain = 2000                           # the destination
//! canonical_domain = 1000
//! canonical_id = "0x..."
//! router = "0x..."
//! amount = "1000000000000000000000"
//! ```

use alloy::primitives::{Address, Bytes, B256, U256};
use nxtp_agent::{KeySource, TelemetryConfig};
use nxtp_chain::Domains;
use nxtp_consensus::context::PublicKey;
use nxtp_consensus::NodeAddress;
use nxtp_liquidity::FeeAssetsConfig;
use nxtp_primitives::Domain;
use reqwest::Url;
use serde::{de, Deserialize, Deserializer};
use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf, time::Duration};

/// The auction window when the config does not set one.
pub const DEFAULT_AUCTION_WINDOW_MS: u64 = 1_000;

/// How many transfers not seen yet one router may hold bids on, when the config does not say.
pub const DEFAULT_EARLY_BIDS_PER_ROUTER: u64 = 64;

/// How long a bid on a transfer not seen yet is kept, when the config does not say: 15 minutes.
pub const DEFAULT_EARLY_BID_TTL_SECS: u64 = 900;

/// What the sequencer keeps of bids that come before their transfer's `XCalled` is confirmed
/// here (routers may follow the origin more closely): only from routers approved on some served
/// domain, at most `per_router` transfers each, each for at most `ttl`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EarlyBids {
    /// Most transfers not seen yet one router may hold bids on; one more is refused
    /// `too_many_early_bids` (0: every early bid is refused).
    pub per_router: u64,
    /// How long an early bid is kept while its transfer stays unseen.
    pub ttl: Duration,
}

impl Default for EarlyBids {
    fn default() -> Self {
        Self {
            per_router: DEFAULT_EARLY_BIDS_PER_ROUTER,
            ttl: Duration::from_secs(DEFAULT_EARLY_BID_TTL_SECS),
        }
    }
}

/// The whole configuration; see the module docs.
#[derive(Clone, Debug)]
pub struct SequencerConfig {
    /// The ops server and logs.
    pub telemetry: TelemetryConfig,
    /// The SQLite database holding transfers, bids and decisions.
    pub database: PathBuf,
    /// The key that signs router selections (in consensus mode, `consensus.key`).
    pub signer: KeySource,
    /// Where the bids API listens; port 0 picks a free port.
    pub api_listen: SocketAddr,
    /// How long after the first valid bid the auction decides.
    pub auction_window: Duration,
    /// The relayers' APIs, in order of preference: a job goes to the first that is up and takes
    /// it (at least one).
    pub relayer_urls: Vec<Url>,
    /// The native relayer fees transfers must pay.
    pub quotes: Quotes,
    /// The tokens relayer fees may also be paid in, per origin (none: native fees only).
    pub relayer_fee_assets: FeeAssetsConfig,
    /// The bounds of bids on transfers not seen yet.
    pub early_bids: EarlyBids,
    /// Every domain served.
    pub domains: Domains<DomainConfig>,
    /// This node's part in a sequencer network; `None` runs the single sequencer.
    pub consensus: Option<ConsensusConfig>,
}

/// Default of `consensus.idle_wait_ms`.
pub const DEFAULT_IDLE_WAIT_MS: u64 = 1_000;
/// Default of `consensus.propose_timeout_ms`.
pub const DEFAULT_PROPOSE_TIMEOUT_MS: u64 = 3_000;
/// Default of `consensus.vote_timeout_ms`.
pub const DEFAULT_VOTE_TIMEOUT_MS: u64 = 1_000;
/// Default of `consensus.backup_handover_ms`: a block or so of an L1, with its confirmation.
pub const DEFAULT_BACKUP_HANDOVER_MS: u64 = 30_000;

/// The `[consensus]` section: this node of a sequencer network.
#[derive(Clone, Debug)]
pub struct ConsensusConfig {
    /// The node's key: its consensus identity and its `RouterSelection` signatures.
    pub key: KeySource,
    /// Where consensus listens.
    pub listen: SocketAddr,
    /// The other nodes' consensus addresses.
    pub peers: Vec<SocketAddr>,
    /// The write-ahead log and the store of decided heights.
    pub home: PathBuf,
    /// How many sequencers' signatures each execute carries (the `Connext`s'
    /// `sequencerThreshold`).
    pub threshold: usize,
    /// The sequencer set's keys, in the order written.
    pub validators: Vec<PublicKey>,
    /// The routers' liquidity at genesis.
    pub liquidity: Vec<GenesisLiquidity>,
    /// How long a proposer with nothing to decide waits for a bid.
    pub idle_wait: Duration,
    /// The propose round timeout.
    pub propose_timeout: Duration,
    /// The prevote and precommit round timeouts.
    pub vote_timeout: Duration,
    /// How long a node that did not propose a decided batch waits before handing its result to
    /// the relayer too (the proposer hands it over at once): by then the execute is usually on
    /// chain and nothing is posted, so the relayer gets one job per transfer unless the proposer
    /// is down.
    pub backup_handover: Duration,
    /// The other nodes' bids APIs (base URLs), which this node forwards every bid a router posted
    /// to it and it accepted, so whichever node proposes next holds it; empty: not forwarded.
    pub forward_bids_to: Vec<Url>,
    /// How many heights a decided transfer whose execute never ended keeps its routers'
    /// liquidity reserved (part of the genesis: the same on every node).
    pub reservation_expiry_heights: u64,
}

/// One router's liquidity in one pool at genesis (`[[consensus.liquidity]]`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisLiquidity {
    /// The destination holding it.
    pub domain: Domain,
    /// The asset's canonical domain.
    pub canonical_domain: u32,
    /// The asset's canonical id.
    pub canonical_id: B256,
    /// The router.
    #[serde(with = "nxtp_primitives::checked")]
    pub router: Address,
    /// Base units of the asset.
    #[serde(deserialize_with = "nxtp_agent::config::wei")]
    pub amount: U256,
}

/// One member of the sequencer set as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValidator {
    #[serde(with = "nxtp_primitives::checked")]
    address: Address,
    public_key: Bytes,
}

/// The `[consensus]` section as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConsensus {
    key: KeySource,
    listen: SocketAddr,
    #[serde(default)]
    peers: Vec<SocketAddr>,
    home: PathBuf,
    threshold: usize,
    validators: Vec<RawValidator>,
    #[serde(default)]
    liquidity: Vec<GenesisLiquidity>,
    #[serde(default = "default_idle_wait_ms")]
    idle_wait_ms: u64,
    #[serde(default = "default_propose_timeout_ms")]
    propose_timeout_ms: u64,
    #[serde(default = "default_vote_timeout_ms")]
    vote_timeout_ms: u64,
    #[serde(default = "default_backup_handover_ms")]
    backup_handover_ms: u64,
    #[serde(default, deserialize_with = "http_urls")]
    forward_bids_to: Vec<Url>,
    #[serde(default = "default_reservation_expiry_heights")]
    reservation_expiry_heights: u64,
}

fn default_reservation_expiry_heights() -> u64 {
    nxtp_consensus::DEFAULT_RESERVATION_EXPIRY
}

fn default_backup_handover_ms() -> u64 {
    DEFAULT_BACKUP_HANDOVER_MS
}

fn default_idle_wait_ms() -> u64 {
    DEFAULT_IDLE_WAIT_MS
}

fn default_propose_timeout_ms() -> u64 {
    DEFAULT_PROPOSE_TIMEOUT_MS
}

fn default_vote_timeout_ms() -> u64 {
    DEFAULT_VOTE_TIMEOUT_MS
}

/// The most signatures a decision is sure to gather from `validators` equal votes: a commit
/// needs more than two thirds of them.
pub fn quorum_size(validators: usize) -> usize {
    validators * 2 / 3 + 1
}

impl<'de> Deserialize<'de> for ConsensusConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawConsensus::deserialize(deserializer)?;
        if raw.validators.is_empty() {
            return Err(de::Error::custom(
                "validators: at least one sequencer is needed",
            ));
        }
        let mut validators = Vec::with_capacity(raw.validators.len());
        let mut seen = std::collections::BTreeSet::new();
        for (index, validator) in raw.validators.iter().enumerate() {
            let key = PublicKey::from_sec1_bytes(&validator.public_key).map_err(|_| {
                de::Error::custom(format!(
                    "validators[{index}].public_key: not a secp256k1 public key (SEC1 bytes)"
                ))
            })?;
            let derived = NodeAddress::of(&key).0;
            if derived != validator.address {
                return Err(de::Error::custom(format!(
                    "validators[{index}]: public_key is the key of {derived}, not of address {}",
                    validator.address
                )));
            }
            if !seen.insert(derived) {
                return Err(de::Error::custom(format!(
                    "validators[{index}]: {derived} is listed twice"
                )));
            }
            validators.push(key);
        }
        let most = quorum_size(validators.len());
        if raw.threshold == 0 || raw.threshold > most {
            return Err(de::Error::custom(format!(
                "threshold: {} is not between 1 and {most}, the signatures a decision of {} \
                 sequencers is sure to gather",
                raw.threshold,
                validators.len()
            )));
        }
        if raw.idle_wait_ms == 0 || raw.propose_timeout_ms == 0 || raw.vote_timeout_ms == 0 {
            return Err(de::Error::custom(
                "idle_wait_ms, propose_timeout_ms and vote_timeout_ms must be above zero",
            ));
        }
        if raw.reservation_expiry_heights == 0 {
            // Zero would let a proposer release a reservation in the batch that decides it.
            return Err(de::Error::custom(
                "reservation_expiry_heights must be above zero",
            ));
        }
        Ok(Self {
            key: raw.key,
            listen: raw.listen,
            peers: raw.peers,
            home: raw.home,
            threshold: raw.threshold,
            validators,
            liquidity: raw.liquidity,
            idle_wait: Duration::from_millis(raw.idle_wait_ms),
            propose_timeout: Duration::from_millis(raw.propose_timeout_ms),
            vote_timeout: Duration::from_millis(raw.vote_timeout_ms),
            backup_handover: Duration::from_millis(raw.backup_handover_ms),
            forward_bids_to: raw.forward_bids_to,
            reservation_expiry_heights: raw.reservation_expiry_heights,
        })
    }
}

/// The native relayer fee a transfer must have paid before it is auctioned.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quotes {
    /// Wei, for destinations without an override.
    #[serde(deserialize_with = "nxtp_agent::config::wei")]
    pub default_relayer_fee: U256,
    /// Wei, per destination.
    #[serde(default, deserialize_with = "wei_map")]
    pub destinations: BTreeMap<Domain, U256>,
}

impl Quotes {
    /// The fee a transfer to `destination` must pay.
    pub fn relayer_fee(&self, destination: Domain) -> U256 {
        self.destinations
            .get(&destination)
            .copied()
            .unwrap_or(self.default_relayer_fee)
    }
}

/// One domain: its chain and its `Connext`.
pub use nxtp_liquidity::ConnextDomain as DomainConfig;

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    telemetry: TelemetryConfig,
    database: PathBuf,
    #[serde(default)]
    signer: Option<KeySource>,
    api_listen: SocketAddr,
    #[serde(default = "default_window")]
    auction_window_ms: u64,
    #[serde(default, deserialize_with = "optional_http_url")]
    relayer_url: Option<Url>,
    #[serde(default, deserialize_with = "http_urls")]
    relayer_urls: Vec<Url>,
    quotes: Quotes,
    #[serde(default)]
    relayer_fee_assets: FeeAssetsConfig,
    #[serde(default = "default_early_bids_per_router")]
    early_bids_per_router: u64,
    #[serde(default = "default_early_bid_ttl_secs")]
    early_bid_ttl_secs: u64,
    domains: Domains<DomainConfig>,
    #[serde(default)]
    consensus: Option<ConsensusConfig>,
}

fn default_window() -> u64 {
    DEFAULT_AUCTION_WINDOW_MS
}

fn default_early_bids_per_router() -> u64 {
    DEFAULT_EARLY_BIDS_PER_ROUTER
}

fn default_early_bid_ttl_secs() -> u64 {
    DEFAULT_EARLY_BID_TTL_SECS
}

impl<'de> Deserialize<'de> for SequencerConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawConfig::deserialize(deserializer)?;
        if raw.domains.is_empty() {
            return Err(de::Error::custom("domains: at least one domain is needed"));
        }
        if raw.early_bid_ttl_secs == 0 {
            return Err(de::Error::custom(
                "early_bid_ttl_secs: must be at least 1 (set early_bids_per_router = 0 to refuse \
                 early bids)",
            ));
        }
        // Its entries list no Replicas, so no origin can go undescribed.
        raw.domains
            .check("domains", "")
            .map_err(de::Error::custom)?;
        if let Some(domain) = raw
            .quotes
            .destinations
            .keys()
            .find(|domain| !raw.domains.contains_key(domain))
        {
            return Err(de::Error::custom(format!(
                "quotes.destinations.{domain}: domain {domain} has no [domains.{domain}] section"
            )));
        }
        raw.relayer_fee_assets
            .check("relayer_fee_assets", &raw.domains)
            .map_err(de::Error::custom)?;
        let relayer_urls = match (raw.relayer_url, raw.relayer_urls) {
            (Some(url), urls) if urls.is_empty() => vec![url],
            (None, urls) if !urls.is_empty() => urls,
            (Some(_), _) => {
                return Err(de::Error::custom(
                    "relayer_urls: give either relayer_url or relayer_urls, not both",
                ))
            }
            (None, _) => {
                return Err(de::Error::custom(
                    "relayer_url: missing (or relayer_urls, a list of at least one relayer)",
                ))
            }
        };
        // One key signs selections: a node's is its consensus key, so two could never disagree.
        let signer = match (raw.signer, &raw.consensus) {
            (Some(signer), None) => signer,
            (None, Some(consensus)) => consensus.key.clone(),
            (Some(_), Some(_)) => {
                return Err(de::Error::custom(
                    "signer: a consensus node signs with consensus.key; remove signer",
                ))
            }
            (None, None) => {
                return Err(de::Error::custom(
                    "signer: missing (the key that signs router selections)",
                ))
            }
        };
        if let Some(consensus) = &raw.consensus {
            if let Some((index, entry)) = consensus
                .liquidity
                .iter()
                .enumerate()
                .find(|(_, entry)| !raw.domains.contains_key(&entry.domain))
            {
                return Err(de::Error::custom(format!(
                    "consensus.liquidity[{index}].domain: domain {0} has no [domains.{0}] section",
                    entry.domain
                )));
            }
        }
        Ok(Self {
            telemetry: raw.telemetry,
            database: raw.database,
            signer,
            api_listen: raw.api_listen,
            auction_window: Duration::from_millis(raw.auction_window_ms),
            relayer_urls,
            quotes: raw.quotes,
            relayer_fee_assets: raw.relayer_fee_assets,
            early_bids: EarlyBids {
                per_router: raw.early_bids_per_router,
                ttl: Duration::from_secs(raw.early_bid_ttl_secs),
            },
            domains: raw.domains,
            consensus: raw.consensus,
        })
    }
}

/// A wei amount as [`nxtp_agent::config::wei`] reads it.
#[derive(Deserialize)]
#[serde(transparent)]
struct Wei(#[serde(deserialize_with = "nxtp_agent::config::wei")] U256);

fn wei_map<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<Domain, U256>, D::Error> {
    Ok(BTreeMap::<Domain, Wei>::deserialize(deserializer)?
        .into_iter()
        .map(|(domain, fee)| (domain, fee.0))
        .collect())
}

fn optional_http_url<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Url>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_http_url(&text).map(Some).map_err(de::Error::custom)
}

fn http_urls<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Url>, D::Error> {
    Vec::<String>::deserialize(deserializer)?
        .iter()
        .enumerate()
        .map(|(index, text)| {
            parse_http_url(text).map_err(|err| de::Error::custom(format!("entry {index}: {err}")))
        })
        .collect()
}

fn parse_http_url(text: &str) -> Result<Url, String> {
    let url: Url = text.parse().map_err(|err| format!("invalid URL: {err}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "unsupported scheme `{}` (expected http or https)",
            url.scheme()
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::config::testing::{assert_refused, load_str};

    const VALID: &str = r#"
        database = "/tmp/sequencer.sqlite"
        signer = { env = "SEQUENCER_KEY" }
        api_listen = "127.0.0.1:0"
        relayer_url = "http://127.0.0.1:8091"
        [quotes]
        default_relayer_fee = "1000000000000000000000"
        destinations = { 2000 = 5 }
        [telemetry]
        listen = "127.0.0.1:0"
        [domains.1000]
        connext = "0x0000000000000000000000000000000000000001"
        [domains.1000.chain]
        rpc_url = "http://127.0.0.1:8545"
        chain_id = 31337
        confirmations = 1
        [domains.2000]
        connext = "0x0000000000000000000000000000000000000002"
        start_block = 7
        [domains.2000.chain]
        rpc_url = "http://127.0.0.1:8546"
        chain_id = 31338
        confirmations = 2
    "#;

    const FEE_ASSET: &str = r#"
        [[relayer_fee_assets]]
        domain = 1000
        asset = "0x1111111111111111111111111111111111111111"
        native_wei_per_token = "400000000000000"
    "#;

    #[test]
    fn defaults_and_quotes() {
        let config = load_str::<SequencerConfig>(VALID).expect("valid");
        assert_eq!(config.auction_window, Duration::from_secs(1));
        assert_eq!(
            config.quotes.relayer_fee(Domain(1000)),
            U256::from(10u64).pow(U256::from(21))
        );
        assert_eq!(config.quotes.relayer_fee(Domain(2000)), U256::from(5));
        assert_eq!(config.domains[&Domain(2000)].start_block, 7);
        assert_eq!(config.domains[&Domain(2000)].chain.confirmations, 2);
        assert!(config.relayer_fee_assets.is_empty(), "native fees only");
        assert_eq!(config.relayer_urls.len(), 1);
        let failover = load_str::<SequencerConfig>(&VALID.replace(
            "relayer_url = \"http://127.0.0.1:8091\"",
            "relayer_urls = [\"http://127.0.0.1:8091\", \"https://relayer.example:443\"]",
        ))
        .expect("two relayers");
        assert_eq!(
            failover
                .relayer_urls
                .iter()
                .map(Url::as_str)
                .collect::<Vec<_>>(),
            ["http://127.0.0.1:8091/", "https://relayer.example/"]
        );
        let with_asset = load_str::<SequencerConfig>(&format!("{VALID}{FEE_ASSET}"))
            .expect("an accepted fee asset");
        assert_eq!(
            with_asset.relayer_fee_assets.0,
            [nxtp_liquidity::FeeAssetConfig {
                domain: Domain(1000),
                asset: Address::repeat_byte(0x11),
                native_wei_per_token: U256::from(400_000_000_000_000u64),
            }]
        );

        let zero = load_str::<SequencerConfig>(
            &VALID.replace("api_listen", "auction_window_ms = 0\napi_listen"),
        )
        .expect("a zero window is allowed");
        assert_eq!(zero.auction_window, Duration::ZERO);
        assert_eq!(config.early_bids, EarlyBids::default());
        let early = load_str::<SequencerConfig>(&VALID.replace(
            "api_listen",
            "early_bids_per_router = 3\nearly_bid_ttl_secs = 60\napi_listen",
        ))
        .expect("early bid bounds");
        assert_eq!(
            early.early_bids,
            EarlyBids {
                per_router: 3,
                ttl: Duration::from_secs(60)
            }
        );
    }

    /// `VALID` as a consensus node of four (the first of them), threshold 3.
    fn consensus_config() -> (String, Vec<nxtp_consensus::NodeKey>) {
        let keys: Vec<nxtp_consensus::NodeKey> = (1..=4u8)
            .map(|byte| {
                nxtp_consensus::NodeKey::from_secret(&B256::repeat_byte(byte)).expect("a key")
            })
            .collect();
        let validators: Vec<String> = keys
            .iter()
            .map(|key| {
                format!(
                    "{{ address = \"{}\", public_key = \"{}\" }}",
                    key.address(),
                    Bytes::from(key.public_key().to_vec())
                )
            })
            .collect();
        let text = format!(
            "{}\n[consensus]\nkey = {{ env = \"NODE_KEY\" }}\nlisten = \"127.0.0.1:27000\"\n\
             peers = [\"127.0.0.1:27001\"]\nhome = \"/tmp/node\"\nthreshold = 3\n\
             validators = [{}]\n[[consensus.liquidity]]\ndomain = 2000\ncanonical_domain = 1000\n\
             canonical_id = \"0x{}\"\nrouter = \"0x1111111111111111111111111111111111111111\"\n\
             amount = \"1000\"\n",
            VALID.replace("signer = { env = \"SEQUENCER_KEY\" }", ""),
            validators.join(", "),
            "aa".repeat(32),
        );
        (text, keys)
    }

    #[test]
    fn a_consensus_section_makes_a_node_of_a_network() {
        let single = load_str::<SequencerConfig>(VALID).expect("valid");
        assert!(
            single.consensus.is_none(),
            "one node alone stays the default"
        );
        let (text, keys) = consensus_config();
        let config = load_str::<SequencerConfig>(&text).expect("a consensus node");
        let consensus = config.consensus.expect("consensus");
        assert_eq!(consensus.threshold, 3);
        assert_eq!(consensus.validators.len(), 4);
        assert_eq!(NodeAddress::of(&consensus.validators[2]), keys[2].address());
        assert_eq!(consensus.peers, ["127.0.0.1:27001".parse().expect("addr")]);
        assert_eq!(
            consensus.idle_wait,
            Duration::from_millis(DEFAULT_IDLE_WAIT_MS)
        );
        assert_eq!(
            consensus.backup_handover,
            Duration::from_millis(DEFAULT_BACKUP_HANDOVER_MS)
        );
        assert_eq!(
            consensus.reservation_expiry_heights,
            nxtp_consensus::DEFAULT_RESERVATION_EXPIRY
        );
        let expiring = text.replace(
            "threshold = 3",
            "threshold = 3\nreservation_expiry_heights = 90",
        );
        let expiring = load_str::<SequencerConfig>(&expiring).expect("an expiry");
        assert_eq!(
            expiring
                .consensus
                .expect("consensus")
                .reservation_expiry_heights,
            90
        );
        assert_eq!(
            consensus.liquidity,
            [GenesisLiquidity {
                domain: Domain(2000),
                canonical_domain: 1000,
                canonical_id: B256::repeat_byte(0xaa),
                router: Address::repeat_byte(0x11),
                amount: U256::from(1000),
            }]
        );
        assert!(
            matches!(&config.signer, KeySource::Env(name) if name == "NODE_KEY"),
            "the node key signs"
        );
        assert_eq!(quorum_size(1), 1);
        assert_eq!(quorum_size(3), 3);
        assert_eq!(quorum_size(4), 3);
        assert_eq!(quorum_size(7), 5);
    }

    #[test]
    fn consensus_errors_name_the_field_and_the_file() {
        let (text, keys) = consensus_config();
        let second = keys[1].address().to_string();
        // The same address with one letter's case flipped: its EIP-55 checksum fails.
        let flip = second
            .char_indices()
            .skip(2)
            .find(|(_, c)| c.is_ascii_alphabetic())
            .map(|(at, _)| at)
            .expect("an address has a letter");
        let mut bad = second.clone();
        let letter = &second[flip..=flip];
        let flipped = if letter == letter.to_lowercase() {
            letter.to_uppercase()
        } else {
            letter.to_lowercase()
        };
        bad.replace_range(flip..=flip, &flipped);
        let cases = [
            (
                text.replace("threshold = 3", "threshold = 4"),
                "consensus: threshold: 4 is not between 1 and 3",
            ),
            (
                text.replace("threshold = 3", "threshold = 0"),
                "consensus: threshold: 0",
            ),
            (
                text.replace(
                    "threshold = 3",
                    "threshold = 3\nreservation_expiry_heights = 0",
                ),
                "consensus: reservation_expiry_heights must be above zero",
            ),
            (
                text.replace(&second, &bad),
                "consensus.validators[1].address",
            ),
            (
                text.replacen(&keys[0].address().to_string(), &second, 1),
                "consensus: validators[0]: public_key is the key of",
            ),
            (
                text.replace("domain = 2000", "domain = 3000"),
                "consensus.liquidity[0].domain: domain 3000 has no [domains.3000] section",
            ),
            (
                format!("signer = {{ env = \"SEQUENCER_KEY\" }}\n{text}"),
                "signer: a consensus node signs with consensus.key",
            ),
            (
                text.replace(
                    "threshold = 3",
                    "threshold = 3\nforward_bids_to = [\"http://127.0.0.1:8190\", \"ws://127.0.0.1:8290\"]",
                ),
                "consensus.forward_bids_to: entry 1: unsupported scheme `ws`",
            ),
            (
                text.replace(
                    "threshold = 3",
                    "threshold = 3\nforward_bids_to = [\"not a url\"]",
                ),
                "consensus.forward_bids_to: entry 0: invalid URL",
            ),
            (
                text.replace("listen = \"127.0.0.1:27000\"", ""),
                "consensus: missing field `listen`",
            ),
            (
                text.replace("home = \"/tmp/node\"", "homes = 1"),
                "consensus",
            ),
            (
                VALID.replace("signer = { env = \"SEQUENCER_KEY\" }", ""),
                "signer: missing",
            ),
        ];
        assert_refused::<SequencerConfig>(&cases);
    }

    #[test]
    fn errors_name_the_field_and_the_file() {
        let cases = [
            (
                VALID.replace("\"1000000000000000000000\"", "\"0x10\""),
                "quotes.default_relayer_fee",
            ),
            (
                VALID.replace("{ 2000 = 5 }", "{ 3000 = 5 }"),
                "quotes.destinations.3000: domain 3000 has no [domains.3000] section",
            ),
            (
                format!("{VALID}{}", FEE_ASSET.replace("\"400000000000000\"", "0")),
                "relayer_fee_assets[0].native_wei_per_token: must be above zero",
            ),
            (
                format!("{VALID}{}", FEE_ASSET.replace("domain = 1000", "domain = 3000")),
                "relayer_fee_assets[0].domain: domain 3000 has no [domains.3000] section",
            ),
            (
                format!("{VALID}{}", FEE_ASSET.replace("native_wei_per_token", "rate")),
                "relayer_fee_assets[0]",
            ),
            (
                VALID.replace("http://127.0.0.1:8091", "ftp://relayer"),
                "relayer_url",
            ),
            (
                VALID.replace(
                    "relayer_url = \"http://127.0.0.1:8091\"",
                    "relayer_urls = [\"http://127.0.0.1:8091\", \"ws://x\"]",
                ),
                "relayer_urls: entry 1: unsupported scheme",
            ),
            (
                VALID.replace(
                    "relayer_url =",
                    "relayer_urls = [\"http://127.0.0.1:1\"]\nrelayer_url =",
                ),
                "give either relayer_url or relayer_urls",
            ),
            (
                VALID.replace("relayer_url = \"http://127.0.0.1:8091\"", ""),
                "relayer_url: missing",
            ),
            (
                VALID.replace("api_listen = \"127.0.0.1:0\"", "api_listen = \"nowhere\""),
                "api_listen",
            ),
            (VALID.replace("confirmations = 2", ""), "domains.2000.chain"),
            (
                VALID.replace("api_listen", "early_bid_ttl_secs = 0\napi_listen"),
                "early_bid_ttl_secs: must be at least 1",
            ),
            (
                VALID.replace(
                    "0x0000000000000000000000000000000000000002",
                    "0x70997970C51812dc3A010C7d01b50e0d17dc79C9",
                ),
                "domains.2000.connext: `0x70997970C51812dc3A010C7d01b50e0d17dc79C9` fails its EIP-55",
            ),
            (
                VALID.replace(
                    "connext = \"0x0000000000000000000000000000000000000001\"",
                    "",
                ),
                "domains.1000",
            ),
        ];
        assert_refused::<SequencerConfig>(&cases);
    }
}
