//! Bids on transfers the sequencer has not seen, from strangers and from a router that posts too
//! many, on real anvil chains: keys approved nowhere are refused, an approved router's early bids
//! are bounded and expire, and a thousand hostile bids leave the database as it was.

mod common;

use alloy::{
    primitives::{keccak256, Bytes, B256},
    signers::local::PrivateKeySigner,
};
use common::{bid, eventually, relayer_stub::RelayerStub, Net, Running, REMOTE};
use futures::{stream, StreamExt};
use nxtp_api::{
    sequencer::{ErrorCode, SequencerClientError, TransferState},
    Classify,
};
use nxtp_devnet::Role;
use nxtp_sequencer::{EarlyBids, SequencerConfig};
use std::{path::Path, time::Duration};

/// A transfer id nobody sent.
fn unseen(tag: u64) -> B256 {
    keccak256(format!("a transfer nobody sent: {tag}"))
}

fn code<T: std::fmt::Debug>(result: Result<T, SequencerClientError>) -> ErrorCode {
    result.expect_err("refused").code().expect("a refusal code")
}

/// Rows of `sequencer_bids` (all of them, and those still unverified).
fn bid_rows(database: &Path) -> (u64, u64) {
    let conn =
        rusqlite::Connection::open_with_flags(database, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("opens the database");
    let count = |sql: &str| conn.query_row(sql, [], |row| row.get(0)).expect("counts");
    (
        count("SELECT COUNT(*) FROM sequencer_bids"),
        count("SELECT COUNT(*) FROM sequencer_bids WHERE verified = 0"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn early_bids_are_bounded_expire_and_refused_from_strangers() {
    let net = Net::start().await;
    let stub = RelayerStub::start(&net).await;
    let mut config: SequencerConfig = net.sequencer_config(&stub.url, 0);
    // Long enough that nothing expires before the expiry part below, however slow the machine.
    let early = EarlyBids {
        per_router: 3,
        ttl: Duration::from_secs(3_600),
    };
    config.early_bids = early;
    let database = config.database.clone();
    let sequencer = Running::start(config.clone()).await;
    let client = sequencer.client.clone();
    let router = net.signer(Role::RouterA);
    let signing = net.connext_signing(REMOTE);
    eventually("the API", || async {
        client.quote(REMOTE, REMOTE).await.ok()
    })
    .await;

    // A validly signed bid from a key approved nowhere, on a transfer nobody sent.
    let stranger = PrivateKeySigner::random();
    let refused = client
        .post_bid(&bid(
            &signing,
            &stranger,
            stranger.address(),
            unseen(1),
            &[1],
        ))
        .await;
    assert_eq!(code(refused), ErrorCode::RouterNotApproved);

    // An approved router: up to the bound, then refused (429, retryable); more path lengths on a
    // transfer it already bid on add nothing to the count.
    for tag in 0..early.per_router {
        let accepted = client
            .post_bid(&bid(
                &signing,
                &router,
                router.address(),
                unseen(100 + tag),
                &[1],
            ))
            .await
            .expect("within the bound");
        assert_eq!(accepted.state, TransferState::AwaitingXcall);
    }
    let over = client
        .post_bid(&bid(&signing, &router, router.address(), unseen(199), &[1]))
        .await;
    let err = over.expect_err("over the bound");
    assert_eq!(err.code(), Some(ErrorCode::TooManyEarlyBids));
    assert!(err.is_retryable(), "a router retries later: {err}");
    client
        .post_bid(&bid(
            &signing,
            &router,
            router.address(),
            unseen(100),
            &[1, 2],
        ))
        .await
        .expect("another path length on a held transfer");
    assert_eq!(bid_rows(&database), (4, 4));

    // A thousand hostile bids: fresh keys on fresh transfers, and the router over its bound.
    let hostile = stream::iter(0..1_000u64)
        .map(|i| {
            let client = client.clone();
            let router = router.clone();
            async move {
                let request = if i % 10 == 0 {
                    bid(&signing, &router, router.address(), unseen(1_000 + i), &[1])
                } else {
                    let key = PrivateKeySigner::random();
                    bid(&signing, &key, key.address(), unseen(1_000 + i), &[1, 2, 4])
                };
                code(client.post_bid(&request).await)
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let strangers = hostile
        .iter()
        .filter(|&&code| code == ErrorCode::RouterNotApproved)
        .count();
    let bounded = hostile
        .iter()
        .filter(|&&code| code == ErrorCode::TooManyEarlyBids)
        .count();
    assert_eq!((strangers, bounded), (900, 100), "{hostile:?}");
    assert_eq!(bid_rows(&database), (4, 4), "nothing more was kept");

    // Expiry: restarted with a one-second lifetime, the sequencer drops the router's early bids
    // (kept across the restart) and its bound frees.
    sequencer.stop().await;
    config.early_bids.ttl = Duration::from_secs(1);
    let sequencer = Running::start(config).await;
    let client = sequencer.client.clone();
    eventually("early bids expire", || async {
        (bid_rows(&database) == (0, 0)).then_some(())
    })
    .await;
    assert_eq!(
        sequencer.counter("nxtp_sequencer_early_bids_expired_total"),
        4.0
    );
    client
        .post_bid(&bid(&signing, &router, router.address(), unseen(199), &[1]))
        .await
        .expect("the bound is free again");

    // Malformed bodies keep the API's JSON shape, and so do the server's own refusals.
    let http = reqwest::Client::new();
    let base = format!("http://{}", sequencer.addr);
    let typo = serde_json::json!({
        "router": "0x70997970C51812dc3A010C7d01b50e0d17dc79C9",
        "transfer_id": unseen(5),
        "signatures": { "1": Bytes::from_static(&[0; 65]) },
    });
    for (request, status, expected) in [
        (
            http.post(format!("{base}/v1/bids")).json(&typo),
            400,
            "malformed",
        ),
        (http.get(format!("{base}/v1/nothing")), 404, "not_found"),
        (
            http.get(format!("{base}/v1/bids")),
            405,
            "method_not_allowed",
        ),
        (
            http.post(format!("{base}/v1/bids"))
                .body(vec![b' '; 100 * 1024]),
            413,
            "payload_too_large",
        ),
    ] {
        let response = request.send().await.expect("answered");
        assert_eq!(response.status().as_u16(), status);
        let body: serde_json::Value = response.json().await.expect("a JSON body");
        assert_eq!(body["error"], expected, "{body}");
        if expected == "malformed" {
            let message = body["message"].as_str().expect("message");
            assert!(message.contains("EIP-55"), "{message}");
        }
    }
    sequencer.stop().await;
}
