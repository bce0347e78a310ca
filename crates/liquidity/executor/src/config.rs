//! The executor's configuration file.
//!
//! ```toml
//! database = "run/executor.sqlite"
//! relayer_url = "http://127.0.0.1:8081"   # the relayer the execute jobs are posted to
//! retry_base_ms = 5000                    # optional: first pause after a failed execute job
//! retry_max_ms = 300000                   # optional: the longest pause between retries
//! min_relayer_fee = "1000000000000000"    # optional (default 1): native wei a transfer must have
//!                                         # paid on its origin to be relayed; below it, skipped
//!
//! # Optional, repeated: a token on an origin relayer fees may be paid in, and what one whole
//! # token is worth in native wei against min_relayer_fee (decimals read from the chain at
//! # start-up). Without any, only native fees count.
//! [[relayer_fee_assets]]
//! domain = 1000
//! asset = "0x..."                         # EIP-55 checked
//! native_wei_per_token = "400000000000000"
//!
//! [telemetry]
//! listen = "127.0.0.1:9104"
//!
//! [domains.1000]
//! connext = "0x..."
//! start_block = 1          # the first block holding the Connext: where reading starts
//! [domains.1000.chain]
//! rpc_url = "http://127.0.0.1:8545"
//! chain_id = 31337
//! confirmations = 1
//! ```
//!
//! Every domain transfers may come from or go to needs a section: the executor reads `XCalled`
//! on origins and `Reconciled` on destinations.

use alloy::{primitives::U256, transports::http::reqwest::Url};
use nxtp_agent::TelemetryConfig;
use nxtp_chain::Domains;
use nxtp_liquidity::FeeAssetsConfig;
use serde::Deserialize;
use std::{path::PathBuf, time::Duration};

/// Default first pause before a failed execute job is posted again.
pub const DEFAULT_RETRY_BASE_MS: u64 = 5_000;

/// Default longest pause between two posts of one execute job.
pub const DEFAULT_RETRY_MAX_MS: u64 = 300_000;

/// Default [`ExecutorConfig::min_relayer_fee`]: 1 wei, so only transfers that paid nothing are
/// skipped. Operators set their quote.
pub const DEFAULT_MIN_RELAYER_FEE: u64 = 1;

/// The whole configuration; see the module docs.
#[derive(Clone, Debug)]
pub struct ExecutorConfig {
    /// The ops server and logs.
    pub telemetry: TelemetryConfig,
    /// The SQLite database holding the executor's state.
    pub database: PathBuf,
    /// The relayer's job API.
    pub relayer_url: Url,
    /// Every domain followed.
    pub domains: Domains<DomainConfig>,
    /// Pauses between posts of a failed execute job.
    pub retry: RetryPolicy,
    /// The native relayer fee (wei) a transfer must have paid on its origin for this executor to
    /// relay it; transfers paying less are skipped (and looked at again when a bump is seen).
    pub min_relayer_fee: U256,
    /// The tokens relayer fees may also be paid in, per origin, valued against
    /// `min_relayer_fee` (none: native fees only).
    pub relayer_fee_assets: FeeAssetsConfig,
}

/// One domain: its chain and its `Connext`.
pub use nxtp_liquidity::ConnextDomain as DomainConfig;

pub use nxtp_chain::retry::RetryPolicy;

/// The file as written, before it is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    telemetry: TelemetryConfig,
    database: PathBuf,
    relayer_url: String,
    domains: Domains<DomainConfig>,
    #[serde(default = "default_retry_base_ms")]
    retry_base_ms: u64,
    #[serde(default = "default_retry_max_ms")]
    retry_max_ms: u64,
    #[serde(
        default = "default_min_relayer_fee",
        deserialize_with = "nxtp_agent::config::wei"
    )]
    min_relayer_fee: U256,
    #[serde(default)]
    relayer_fee_assets: FeeAssetsConfig,
}

fn default_min_relayer_fee() -> U256 {
    U256::from(DEFAULT_MIN_RELAYER_FEE)
}

fn default_retry_base_ms() -> u64 {
    DEFAULT_RETRY_BASE_MS
}

fn default_retry_max_ms() -> u64 {
    DEFAULT_RETRY_MAX_MS
}

impl<'de> Deserialize<'de> for ExecutorConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawConfig::deserialize(deserializer)?;
        Self::check(raw).map_err(serde::de::Error::custom)
    }
}

impl ExecutorConfig {
    fn check(raw: RawConfig) -> Result<Self, String> {
        let relayer_url: Url = raw
            .relayer_url
            .parse()
            .map_err(|err| format!("relayer_url: invalid URL: {err}"))?;
        if !matches!(relayer_url.scheme(), "http" | "https") {
            return Err(format!(
                "relayer_url: unsupported scheme `{}` (expected http or https)",
                relayer_url.scheme()
            ));
        }
        if raw.domains.len() < 2 {
            return Err("domains: at least two domains are needed for a transfer".to_owned());
        }
        // Its entries list no Replicas, so no origin can go undescribed.
        raw.domains.check("domains", "")?;
        if raw.retry_base_ms == 0 {
            return Err("retry_base_ms: must be at least 1".to_owned());
        }
        if raw.retry_max_ms < raw.retry_base_ms {
            return Err(format!(
                "retry_max_ms: {} is below retry_base_ms ({})",
                raw.retry_max_ms, raw.retry_base_ms
            ));
        }
        raw.relayer_fee_assets
            .check("relayer_fee_assets", &raw.domains)?;
        Ok(Self {
            telemetry: raw.telemetry,
            database: raw.database,
            relayer_url,
            domains: raw.domains,
            retry: RetryPolicy {
                base: Duration::from_millis(raw.retry_base_ms),
                max: Duration::from_millis(raw.retry_max_ms),
            },
            min_relayer_fee: raw.min_relayer_fee,
            relayer_fee_assets: raw.relayer_fee_assets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nxtp_agent::config::testing::{assert_refused, load_str};
    use nxtp_primitives::Domain;

    const VALID: &str = r#"
        database = "/tmp/executor.sqlite"
        relayer_url = "http://127.0.0.1:8081"
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
        confirmations = 1
    "#;

    const FEE_ASSET: &str = r#"
        [[relayer_fee_assets]]
        domain = 2000
        asset = "0x1111111111111111111111111111111111111111"
        native_wei_per_token = "400000000000000"
    "#;

    #[test]
    fn defaults_and_backoff() {
        let config = load_str::<ExecutorConfig>(VALID).expect("valid");
        assert_eq!(config.domains[&Domain(1000)].start_block, 3);
        assert_eq!(config.domains[&Domain(2000)].start_block, 0);
        assert_eq!(config.relayer_url.as_str(), "http://127.0.0.1:8081/");
        assert_eq!(config.retry.delay(1), Duration::from_secs(5));
        assert_eq!(config.retry.delay(3), Duration::from_secs(20));
        assert_eq!(config.retry.delay(40), Duration::from_secs(300));
        assert_eq!(config.min_relayer_fee, U256::from(1));
        let floor = load_str::<ExecutorConfig>(&VALID.replace(
            "[telemetry]",
            "min_relayer_fee = \"1000000000000000\"\n[telemetry]",
        ))
        .expect("a floor");
        assert_eq!(floor.min_relayer_fee, U256::from(1_000_000_000_000_000u64));
        assert!(config.relayer_fee_assets.is_empty(), "native fees only");
        let with_asset =
            load_str::<ExecutorConfig>(&format!("{VALID}{FEE_ASSET}")).expect("a fee asset");
        assert_eq!(with_asset.relayer_fee_assets.0[0].domain, Domain(2000));
    }

    #[test]
    fn errors_name_the_field_and_the_file() {
        let one_domain = VALID
            .split("[domains.2000]")
            .next()
            .expect("first part")
            .to_owned();
        let cases = [
            (one_domain, "domains: at least two domains"),
            (
                VALID.replace("http://127.0.0.1:8081", "ws://127.0.0.1:8081"),
                "relayer_url: unsupported scheme `ws`",
            ),
            (
                VALID.replace("relayer_url = \"http://127.0.0.1:8081\"", ""),
                "missing field `relayer_url`",
            ),
            (
                VALID.replace("[telemetry]", "retry_base_ms = 0\n[telemetry]"),
                "retry_base_ms: must be at least 1",
            ),
            (
                format!(
                    "{VALID}{}",
                    FEE_ASSET.replace("\"400000000000000\"", "\"0\"")
                ),
                "relayer_fee_assets[0].native_wei_per_token: must be above zero",
            ),
            (
                format!("{VALID}{}", FEE_ASSET.replace("2000", "3000")),
                "relayer_fee_assets[0].domain: domain 3000 has no [domains.3000] section",
            ),
            (
                VALID.replace("[telemetry]", "min_relayer_fee = \"0x10\"\n[telemetry]"),
                "min_relayer_fee: `0x10` is not a wei amount",
            ),
            (
                VALID.replace(
                    "connext = \"0x0000000000000000000000000000000000000002\"",
                    "connext = \"nope\"",
                ),
                "domains.2000.connext",
            ),
        ];
        assert_refused::<ExecutorConfig>(&cases);
    }
}
