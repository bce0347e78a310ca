//! The router's configuration file.
//!
//! ```toml
//! database = "run/router_a.sqlite"
//! signer = { env = "ROUTER_KEY" }          # the router's address is this key's address
//! sequencer_url = "http://127.0.0.1:8080"
//! max_transfer_age_secs = 3600             # optional: older transfers are not bid on
//! balance_interval_ms = 10000              # optional: how often balances are read for metrics
//!
//! [telemetry]
//! listen = "127.0.0.1:9110"
//!
//! [domains.1000]
//! connext = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
//! start_block = 1
//! [domains.1000.chain]
//! rpc_url = "http://127.0.0.1:8545"
//! chain_id = 31337
//! confirmations = 1
//!
//! [assets.DEMO]                            # the name labels metrics and logs
//! canonical_domain = 1000
//! canonical_id = "0x000000000000000000000000a513e6e4b8f2a923d98304ec87f64353c4d5c853"
//! max_amount = "1000000000000000000000"    # largest bridgedAmt bid on, in base units
//! min_amount = "1000"                      # optional: smallest bridgedAmt bid on
//! reserve = "0"                            # optional: liquidity per domain never bid
//! ```
//!
//! Every configured domain is both followed (its `XCalled` events) and served as a destination.
//! Amounts are base units, written as decimal strings (TOML integers stop at 2^63) or integers.
//! Environment overrides lowercase the names they set, so an asset whose limits are overridden
//! (`NXTP__ASSETS__DEMO__MAX_AMOUNT`) must be named in lowercase (`[assets.demo]`).

use alloy::{
    primitives::{B256, U256},
    transports::http::reqwest::Url,
};
use nxtp_agent::{KeySource, TelemetryConfig};
use nxtp_chain::Domains;
use nxtp_primitives::Domain;
use serde::{de, Deserialize, Deserializer};
use std::{collections::BTreeMap, fmt, path::PathBuf, time::Duration};

/// Default oldest transfer still bid on: a transfer nobody fronted for an hour is left to the slow
/// path rather than fronted against a reconcile that may be imminent.
pub const DEFAULT_MAX_TRANSFER_AGE_SECS: u64 = 3_600;

/// Default pause between two readings of the router's balances.
pub const DEFAULT_BALANCE_INTERVAL_MS: u64 = 10_000;

/// The whole configuration; see the module docs.
#[derive(Clone, Debug)]
pub struct RouterConfig {
    /// The ops server and logs.
    pub telemetry: TelemetryConfig,
    /// The SQLite database holding the router's state.
    pub database: PathBuf,
    /// The router's key: it signs the bids, and its address is the router.
    pub signer: KeySource,
    /// Base URL of the sequencer's HTTP API.
    pub sequencer_url: Url,
    /// Transfers older than this (since their `xcall`) are not bid on.
    pub max_transfer_age: Duration,
    /// Pause between two readings of the balances exported as metrics.
    pub balance_interval: Duration,
    /// The domains followed and served.
    pub domains: Domains<DomainConfig>,
    /// The assets the router fronts, by name.
    pub assets: BTreeMap<String, AssetConfig>,
}

/// One domain: its chain and its `Connext`.
pub use nxtp_liquidity::ConnextDomain as DomainConfig;

/// One canonical asset the router fronts, with its limits.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetConfig {
    /// The asset's home domain.
    pub canonical_domain: Domain,
    /// The asset's id on its home domain.
    pub canonical_id: B256,
    /// The largest `bridgedAmt` bid on.
    pub max_amount: Amount,
    /// The smallest `bridgedAmt` bid on.
    #[serde(default)]
    pub min_amount: Amount,
    /// Liquidity on each domain kept out of every bid.
    #[serde(default)]
    pub reserve: Amount,
}

/// An amount of base units: a decimal string or a non-negative integer in the file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(pub U256);

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AmountVisitor;

        impl de::Visitor<'_> for AmountVisitor {
            type Value = Amount;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount of base units, as a decimal string or an integer")
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount, E> {
                Ok(Amount(U256::from(v)))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Amount, E> {
                u64::try_from(v)
                    .map(|v| Amount(U256::from(v)))
                    .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Amount, E> {
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::invalid_value(de::Unexpected::Str(v), &self));
                }
                U256::from_str_radix(v, 10)
                    .map(Amount)
                    .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }

        deserializer.deserialize_any(AmountVisitor)
    }
}

impl RouterConfig {
    /// The configured asset `(canonical_domain, canonical_id)`, with its name.
    pub fn asset(
        &self,
        canonical_domain: Domain,
        canonical_id: B256,
    ) -> Option<(&str, &AssetConfig)> {
        self.assets
            .iter()
            .find(|(_, asset)| {
                asset.canonical_domain == canonical_domain && asset.canonical_id == canonical_id
            })
            .map(|(name, asset)| (name.as_str(), asset))
    }
}

/// The file as written, before its parts are checked against each other.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    telemetry: TelemetryConfig,
    database: PathBuf,
    signer: KeySource,
    sequencer_url: String,
    #[serde(default = "default_max_transfer_age_secs")]
    max_transfer_age_secs: u64,
    #[serde(default = "default_balance_interval_ms")]
    balance_interval_ms: u64,
    domains: Domains<DomainConfig>,
    assets: BTreeMap<String, AssetConfig>,
}

fn default_max_transfer_age_secs() -> u64 {
    DEFAULT_MAX_TRANSFER_AGE_SECS
}

fn default_balance_interval_ms() -> u64 {
    DEFAULT_BALANCE_INTERVAL_MS
}

impl<'de> Deserialize<'de> for RouterConfig {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawConfig::deserialize(deserializer)?;
        Self::check(raw).map_err(de::Error::custom)
    }
}

impl RouterConfig {
    fn check(raw: RawConfig) -> Result<Self, String> {
        let sequencer_url: Url = raw
            .sequencer_url
            .parse()
            .ok()
            .filter(|url: &Url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| {
                format!(
                    "sequencer_url: `{}` is not an http(s) URL",
                    raw.sequencer_url
                )
            })?;
        if raw.domains.is_empty() {
            return Err("domains: at least one domain is needed".to_owned());
        }
        // Its entries list no Replicas, so no origin can go undescribed.
        raw.domains.check("domains", "")?;
        if raw.balance_interval_ms == 0 {
            return Err("balance_interval_ms: must be at least 1".to_owned());
        }
        let mut seen = BTreeMap::new();
        for (name, asset) in &raw.assets {
            if asset.max_amount.0.is_zero() {
                return Err(format!("assets.{name}.max_amount: must be above zero"));
            }
            if asset.min_amount > asset.max_amount {
                return Err(format!(
                    "assets.{name}.min_amount: {} is above max_amount ({})",
                    asset.min_amount.0, asset.max_amount.0
                ));
            }
            if asset.canonical_id.is_zero() {
                return Err(format!("assets.{name}.canonical_id: must not be zero"));
            }
            if let Some(other) =
                seen.insert((asset.canonical_domain, asset.canonical_id), name.clone())
            {
                return Err(format!(
                    "assets.{name}: the same canonical asset as assets.{other}"
                ));
            }
        }
        Ok(Self {
            telemetry: raw.telemetry,
            database: raw.database,
            signer: raw.signer,
            sequencer_url,
            max_transfer_age: Duration::from_secs(raw.max_transfer_age_secs),
            balance_interval: Duration::from_millis(raw.balance_interval_ms),
            domains: raw.domains,
            assets: raw.assets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::config::testing::{assert_refused, load_str, load_str_with_env};

    const VALID: &str = r#"
        database = "/tmp/router.sqlite"
        signer = { env = "ROUTER_KEY" }
        sequencer_url = "http://127.0.0.1:8080"
        [telemetry]
        listen = "127.0.0.1:0"
        [domains.1000]
        connext = "0x0000000000000000000000000000000000000001"
        start_block = 3
        [domains.1000.chain]
        rpc_url = "http://127.0.0.1:8545"
        chain_id = 31337
        confirmations = 1
        [domains.2000]
        connext = "0x0000000000000000000000000000000000000002"
        [domains.2000.chain]
        rpc_url = "http://127.0.0.1:8546"
        chain_id = 31338
        confirmations = 2
        [assets.DEMO]
        canonical_domain = 1000
        canonical_id = "0x0000000000000000000000000000000000000000000000000000000000000007"
        max_amount = "100000000000000000000000"
        min_amount = 5
    "#;

    #[test]
    fn reads_amounts_beyond_toml_integers_and_defaults() {
        let config = load_str::<RouterConfig>(VALID).expect("valid");
        let (name, asset) = config
            .asset(Domain(1000), B256::with_last_byte(7))
            .expect("configured");
        assert_eq!(name, "DEMO");
        assert_eq!(
            asset.max_amount.0,
            U256::from(10u64).pow(U256::from(23)),
            "above i64"
        );
        assert_eq!(asset.min_amount.0, U256::from(5));
        assert_eq!(asset.reserve.0, U256::ZERO);
        assert_eq!(config.domains[&Domain(1000)].start_block, 3);
        assert_eq!(config.domains[&Domain(2000)].chain.confirmations, 2);
        assert_eq!(
            config.max_transfer_age,
            Duration::from_secs(DEFAULT_MAX_TRANSFER_AGE_SECS)
        );
        assert!(config
            .asset(Domain(2000), B256::with_last_byte(7))
            .is_none());
    }

    #[test]
    fn an_environment_override_may_set_a_large_amount() {
        // Overrides lowercase every name, so only a lowercase asset name can be overridden.
        let config = load_str_with_env::<RouterConfig>(
            &VALID.replace("[assets.DEMO]", "[assets.demo]"),
            [(
                "NXTP__ASSETS__DEMO__RESERVE".to_owned(),
                "99999999999999999999999".to_owned(),
            )],
        )
        .expect("valid");
        assert_eq!(
            config.assets["demo"].reserve.0,
            U256::from_str_radix("99999999999999999999999", 10).expect("decimal")
        );
    }

    #[test]
    fn errors_name_the_field_and_the_file() {
        let cases = [
            (
                VALID.replace(
                    "max_amount = \"100000000000000000000000\"",
                    "max_amount = \"1e3\"",
                ),
                "assets.DEMO.max_amount",
            ),
            (
                VALID.replace("min_amount = 5", "min_amount = -5"),
                "assets.DEMO.min_amount",
            ),
            (
                VALID.replace(
                    "min_amount = 5",
                    "min_amount = \"200000000000000000000000\"",
                ),
                "assets.DEMO.min_amount: 200000000000000000000000 is above max_amount",
            ),
            (
                VALID.replace(
                    "max_amount = \"100000000000000000000000\"",
                    "max_amount = 0",
                ),
                "assets.DEMO.max_amount: must be above zero",
            ),
            (
                VALID.replace("http://127.0.0.1:8080", "127.0.0.1:8080"),
                "sequencer_url: `127.0.0.1:8080` is not an http(s) URL",
            ),
            (
                VALID.replace(
                    "connext = \"0x0000000000000000000000000000000000000002\"",
                    "connext = \"nope\"",
                ),
                "domains.2000.connext",
            ),
            (
                format!(
                    "{VALID}\n[assets.AGAIN]\ncanonical_domain = 1000\ncanonical_id = \
                     \"0x0000000000000000000000000000000000000000000000000000000000000007\"\n\
                     max_amount = 1\n"
                ),
                "assets.DEMO: the same canonical asset as assets.AGAIN",
            ),
            (
                VALID.replace("start_block = 3", "start_blok = 3"),
                "domains.1000",
            ),
        ];
        assert_refused::<RouterConfig>(&cases);
    }
}
