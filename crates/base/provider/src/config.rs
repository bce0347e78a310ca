//! How an agent reaches one chain, as written in its TOML config (usually keyed by
//! [`Domain`](nxtp_primitives::Domain) under `[chains.<domain>]`).

use crate::finality::Finality;
use alloy::transports::http::reqwest::Url;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::{fmt, time::Duration};

/// The default pause between two polls of a chain.
pub const DEFAULT_POLL_INTERVAL_MS: u64 = 500;

/// One chain's RPC endpoint and how cautiously to read it.
///
/// ```toml
/// [chains.1000]
/// rpc_url = "http://127.0.0.1:8545"
/// chain_id = 31337
/// confirmations = 2
/// poll_interval_ms = 500   # optional
/// finality = "finalized"   # optional; or { depth = 64 } for a chain without a finalized tag
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// JSON-RPC endpoint: `http(s)://`, or `ws(s)://` to follow new heads by subscription
    /// (polling stays the fallback).
    #[serde(
        serialize_with = "serialize_url",
        deserialize_with = "deserialize_http_url"
    )]
    pub rpc_url: Url,
    /// The EVM chain id the endpoint must serve; checked on connect so a mistyped URL never
    /// sends transactions to the wrong chain.
    pub chain_id: u64,
    /// How many blocks must be built on top of a block before it is acted on: block `b` is
    /// read once the head is at least `b + confirmations`. Zero acts on the head itself.
    pub confirmations: u64,
    /// Pause between two polls of the chain, in milliseconds.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// When a block can no longer be reorged away: what an agent waits for before it does what
    /// cannot be undone (the updater's signature over a root). The node's `finalized` block
    /// unless the config declares a depth.
    #[serde(default)]
    pub finality: Finality,
}

impl ChainConfig {
    /// A config with the default poll interval and the node's `finalized` block as finality.
    pub fn new(rpc_url: Url, chain_id: u64, confirmations: u64) -> Self {
        Self {
            rpc_url,
            chain_id,
            confirmations,
            poll_interval_ms: DEFAULT_POLL_INTERVAL_MS,
            finality: Finality::Finalized,
        }
    }

    /// The poll interval as a [`Duration`].
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    /// Whether the endpoint is a WebSocket (`ws://`, `wss://`): heads may come by subscription.
    pub fn is_websocket(&self) -> bool {
        matches!(self.rpc_url.scheme(), "ws" | "wss")
    }

    /// The endpoint in a form safe to log (see [`RedactedUrl`]).
    pub fn redacted_url(&self) -> RedactedUrl {
        RedactedUrl::new(&self.rpc_url)
    }
}

/// An RPC URL reduced to `scheme://host:port`: hosted endpoints carry API keys in their path or
/// query (`https://host/v3/<key>`), and those must never reach logs or error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedactedUrl(String);

impl RedactedUrl {
    /// Redacts `url`.
    pub fn new(url: &Url) -> Self {
        let origin = url.origin().ascii_serialization();
        let hidden = url.path() != "/" || url.query().is_some() || !url.username().is_empty();
        Self(if hidden {
            format!("{origin}/<redacted>")
        } else {
            origin
        })
    }
}

impl fmt::Display for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn default_poll_interval_ms() -> u64 {
    DEFAULT_POLL_INTERVAL_MS
}

fn serialize_url<S: Serializer>(url: &Url, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(url.as_str())
}

fn deserialize_http_url<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Url, D::Error> {
    let text = String::deserialize(deserializer)?;
    let url: Url = text
        .parse()
        .map_err(|err| de::Error::custom(format!("invalid URL: {err}")))?;
    // Failing here names the config field, failing later would not.
    if !matches!(url.scheme(), "http" | "https" | "ws" | "wss") {
        return Err(de::Error::custom(format!(
            "unsupported RPC scheme `{}` (expected http, https, ws or wss)",
            url.scheme()
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ChainConfig, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn reads_toml_with_default_poll_interval() {
        let config =
            parse("rpc_url = \"http://127.0.0.1:8545\"\nchain_id = 31337\nconfirmations = 2")
                .expect("valid");
        assert_eq!(config.rpc_url.as_str(), "http://127.0.0.1:8545/");
        assert_eq!(config.chain_id, 31337);
        assert_eq!(config.confirmations, 2);
        assert_eq!(config.poll_interval(), Duration::from_millis(500));
        assert_eq!(config.finality, Finality::Finalized);

        // Serializes back to the same fields (e.g. for a devnet writing agent configs).
        let json = serde_json::to_string(&config).expect("serializes");
        let round_trip: ChainConfig = serde_json::from_str(&json).expect("parses");
        assert_eq!(round_trip, config);
    }

    #[test]
    fn rejects_other_schemes_and_unknown_fields() {
        let ws = parse("rpc_url = \"ws://127.0.0.1:8545\"\nchain_id = 1\nconfirmations = 0")
            .expect("ws accepted");
        assert!(ws.is_websocket());
        let ftp = parse("rpc_url = \"ftp://127.0.0.1:8545\"\nchain_id = 1\nconfirmations = 0");
        assert!(ftp
            .expect_err("ftp refused")
            .to_string()
            .contains("unsupported RPC scheme `ftp`"));
        let typo =
            parse("rpc_url = \"http://a\"\nchain_id = 1\nconfirmations = 0\nconfirmation = 1");
        assert!(typo.is_err());
    }

    #[test]
    fn redaction_hides_keys_in_path_query_and_credentials() {
        let redact = |url: &str| RedactedUrl::new(&url.parse().expect("url")).to_string();
        assert_eq!(redact("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(
            redact("https://mainnet.example.org/v3/0123456789abcdef"),
            "https://mainnet.example.org/<redacted>"
        );
        assert_eq!(
            redact("https://example.org?key=secret"),
            "https://example.org/<redacted>"
        );
        assert_eq!(
            redact("https://user:pass@example.org"),
            "https://example.org/<redacted>"
        );
    }
}
