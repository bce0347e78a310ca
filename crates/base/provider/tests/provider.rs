//! Connecting checks the endpoint before an agent relies on it.

use alloy::providers::Provider;
use nxtp_provider::{connect, ChainConfig, ConnectError};

#[tokio::test]
async fn connects_to_the_configured_chain() {
    let anvil = nxtp_toolchain::spawn_anvil(31337);
    let config = ChainConfig::new(anvil.endpoint_url(), 31337, 1);
    let provider = connect(&config).await.expect("connects");
    assert_eq!(provider.get_chain_id().await.expect("chain id"), 31337);
}

#[tokio::test]
async fn wrong_chain_id_is_refused_with_both_ids() {
    let anvil = nxtp_toolchain::spawn_anvil(31337);
    let config = ChainConfig::new(anvil.endpoint_url(), 1, 1);
    let err = connect(&config).await.expect_err("wrong chain");
    assert!(
        matches!(
            err,
            ConnectError::WrongChainId {
                expected: 1,
                actual: 31337,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("serves chain id 31337") && message.contains("expects 1"),
        "{message}"
    );
}

#[tokio::test]
async fn unreachable_endpoint_is_reported_without_its_path() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}/v3/secret-api-key")
        .parse()
        .expect("url");
    let config = ChainConfig::new(url, 31337, 1);
    let err = connect(&config).await.expect_err("nothing listens");
    assert!(matches!(err, ConnectError::Unreachable { .. }), "{err:?}");
    let message = format!("{err} {err:?}");
    assert!(
        message.contains(&format!("http://127.0.0.1:{port}/<redacted>")),
        "{message}"
    );
    assert!(!message.contains("secret-api-key"), "key leaked: {message}");
}

#[tokio::test]
async fn final_block_follows_the_nodes_finalized_tag_or_the_declared_depth() {
    use alloy::providers::ext::AnvilApi;
    use nxtp_provider::Finality;

    // anvil finalizes two epochs behind its head: with 4 slots an epoch, 8 blocks.
    let anvil = nxtp_toolchain::anvil()
        .chain_id(31337)
        .arg("--slots-in-an-epoch")
        .arg("4")
        .spawn();
    let config = ChainConfig::new(anvil.endpoint_url(), 31337, 1);
    let provider = connect(&config).await.expect("connects");
    assert_eq!(
        Finality::Depth(3)
            .final_block(&provider)
            .await
            .expect("reads"),
        None,
        "the head is below the depth"
    );

    provider.anvil_mine(Some(20), None).await.expect("mines");
    assert_eq!(
        Finality::Finalized
            .final_block(&provider)
            .await
            .expect("reads"),
        Some(12)
    );
    assert_eq!(
        Finality::Depth(3)
            .final_block(&provider)
            .await
            .expect("reads"),
        Some(17)
    );
}
