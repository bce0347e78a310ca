//! Connecting to a chain: an HTTP provider with timeouts, or a WebSocket provider for a `ws://`
//! or `wss://` URL (it reconnects by itself, and lets the agent subscribe to new heads, see
//! `nxtp_chain::Heads`), checked to serve the configured chain before anything reads from or
//! sends to it.

use crate::config::{ChainConfig, RedactedUrl};
use alloy::{
    network::EthereumWallet,
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::client::RpcClient,
    transports::{http::reqwest, ws::WsConnect, TransportError, TransportErrorKind},
};
use std::time::Duration;

/// Upper bound on establishing a TCP connection to the RPC endpoint.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Upper bound on one JSON-RPC request, so a hung endpoint surfaces as an error that callers
/// retry instead of stalling an agent forever.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Pause between two attempts to reconnect a dropped WebSocket.
const WS_RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// Why a chain could not be connected to.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The HTTP client could not be built.
    #[error("cannot build an HTTP client for {url}: {source}")]
    HttpClient {
        /// The endpoint, redacted.
        url: RedactedUrl,
        /// Why.
        source: reqwest::Error,
    },
    /// The endpoint did not answer `eth_chainId`.
    #[error("RPC endpoint {url} is unreachable: {source}")]
    Unreachable {
        /// The endpoint, redacted.
        url: RedactedUrl,
        /// The transport's error, with any URL stripped.
        source: TransportError,
    },
    /// The endpoint serves another chain than the config says.
    #[error("RPC endpoint {url} serves chain id {actual}, but the config expects {expected}")]
    WrongChainId {
        /// The endpoint, redacted.
        url: RedactedUrl,
        /// The configured chain id.
        expected: u64,
        /// The chain id the endpoint reported.
        actual: u64,
    },
}

/// A read-only provider for `config`'s chain, after checking its chain id. It fills nothing
/// into transactions: readers and the `nxtp_chain::Submitter` need no fillers.
pub async fn connect(config: &ChainConfig) -> Result<DynProvider, ConnectError> {
    let client = rpc_client(config).await?;
    let provider = ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_client(client)
        .erased();
    check_chain_id(&provider, config).await?;
    Ok(provider)
}

/// A provider for `config`'s chain that signs with `wallet` and fills nonce, gas, fees and
/// chain id itself, after checking the chain id: for one-off transactions (deployments,
/// scripts, tests). Agents send through a `nxtp_chain::Submitter`, which persists and
/// bumps.
///
/// Nonces are read from the chain's pending count for every transaction rather than cached,
/// so transactions sent meanwhile by other processes, or a reorg, never leave it stuck on a
/// stale nonce; concurrent sends from one signer through it may collide.
pub async fn connect_with_wallet(
    config: &ChainConfig,
    wallet: impl Into<EthereumWallet>,
) -> Result<DynProvider, ConnectError> {
    let client = rpc_client(config).await?;
    let provider = ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(wallet.into())
        .connect_client(client)
        .erased();
    check_chain_id(&provider, config).await?;
    Ok(provider)
}

async fn rpc_client(config: &ChainConfig) -> Result<RpcClient, ConnectError> {
    if config.is_websocket() {
        // A node that goes away is reconnected to for as long as the agent runs: an agent
        // outlives its node's restarts, as it does over HTTP.
        let ws = WsConnect::new(config.rpc_url.as_str())
            .with_max_retries(u32::MAX)
            .with_retry_interval(WS_RETRY_INTERVAL);
        let client =
            RpcClient::connect_pubsub(ws)
                .await
                .map_err(|source| ConnectError::Unreachable {
                    url: config.redacted_url(),
                    source: without_url(source),
                })?;
        return Ok(client.with_poll_interval(config.poll_interval()));
    }
    let http = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|source| ConnectError::HttpClient {
            url: config.redacted_url(),
            source: source.without_url(),
        })?;
    Ok(
        RpcClient::new_http_with_client(http, config.rpc_url.clone())
            .with_poll_interval(config.poll_interval()),
    )
}

async fn check_chain_id(provider: &DynProvider, config: &ChainConfig) -> Result<(), ConnectError> {
    let actual = provider
        .get_chain_id()
        .await
        .map_err(|source| ConnectError::Unreachable {
            url: config.redacted_url(),
            source: without_url(source),
        })?;
    if actual != config.chain_id {
        return Err(ConnectError::WrongChainId {
            url: config.redacted_url(),
            expected: config.chain_id,
            actual,
        });
    }
    Ok(())
}

/// Strips the request URL from an HTTP transport error: reqwest prints it in full, and hosted
/// endpoints carry their API key in it. Every agent passes RPC errors through this before logging
/// or reporting them.
pub fn without_url(error: TransportError) -> TransportError {
    match error {
        TransportError::Transport(TransportErrorKind::Custom(inner)) => {
            match inner.downcast::<reqwest::Error>() {
                Ok(http) => TransportErrorKind::custom(http.without_url()),
                Err(other) => TransportError::Transport(TransportErrorKind::Custom(other)),
            }
        }
        other => other,
    }
}

/// [`without_url`] for a contract call's error.
pub fn contract_without_url(error: alloy::contract::Error) -> alloy::contract::Error {
    match error {
        alloy::contract::Error::TransportError(inner) => {
            alloy::contract::Error::TransportError(without_url(inner))
        }
        other => other,
    }
}
