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

use alloy::primitives::U256;
use nxtp_agent::{KeySource, TelemetryConfig};
use nxtp_chain::Domains;
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
    /// The key that signs router selections.
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
    signer: KeySource,
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
        Ok(Self {
            telemetry: raw.telemetry,
            database: raw.database,
            signer: raw.signer,
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
                asset: alloy::primitives::Address::repeat_byte(0x11),
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
