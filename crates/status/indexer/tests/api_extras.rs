//! `GET /routers` (liquidity from the store, bids from a stand-in sequencer, or none),
//! `GET /stats`, their typed 4xx, and the explorer's files served at `/` after every API route.

#![allow(clippy::unwrap_used)]

mod suite;

use alloy::primitives::Address;
use axum::Json;
use nxtp_agent::{CancellationToken, Health, HttpLimits};
use nxtp_api::sequencer::{RouterActivity, RouterActivityView, SequencerClient};
use nxtp_indexer::{
    api::{self, routers::BidSource, ApiState, Extras},
    SqliteStore, StatusStore,
};
use serde_json::Value;
use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};
use suite::{apply, at, DESTINATION, ORIGIN};

/// Serves `app` on a free port until `shutdown`.
async fn serve(app: axum::Router, shutdown: &CancellationToken) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(nxtp_agent::http::serve(
        listener,
        app,
        HttpLimits::default(),
        shutdown.clone(),
    ));
    addr
}

/// A stand-in sequencer whose `GET /v1/routers` says router 0x11.. bid just now and router
/// 0x12.. long ago, before the newest auction.
async fn sequencer(shutdown: &CancellationToken) -> SequencerClient {
    let app = axum::Router::new().route(
        "/v1/routers",
        axum::routing::get(|| async {
            Json(RouterActivityView {
                now_ms: 10_000_000,
                last_auction_ms: Some(9_999_000),
                awaiting_bids: 0,
                routers: vec![
                    RouterActivity {
                        router: Address::repeat_byte(0x11),
                        last_bid_ms: 9_999_000,
                        transfers_bid: 4,
                    },
                    RouterActivity {
                        router: Address::repeat_byte(0x12),
                        last_bid_ms: 1_000,
                        transfers_bid: 1,
                    },
                ],
            })
        }),
    );
    let addr = serve(app, shutdown).await;
    SequencerClient::new(format!("http://{addr}").parse().unwrap()).unwrap()
}

/// The API over an SQLite store with both routers' liquidity, and `extras`.
async fn start(
    extras: Extras,
    dir: &tempfile::TempDir,
    shutdown: &CancellationToken,
) -> SocketAddr {
    let store: Arc<dyn StatusStore> =
        Arc::new(SqliteStore::open(&dir.path().join("indexer.sqlite")).unwrap());
    let added = |router: u8, amount: u64| nxtp_indexer::ingest::Event::RouterLiquidityAdded {
        router: Address::repeat_byte(router),
        local: Address::repeat_byte(0xbb),
        amount: alloy::primitives::U256::from(amount),
        caller: Address::repeat_byte(router),
    };
    apply(
        store.as_ref(),
        DESTINATION,
        vec![
            at(DESTINATION, 1, 0, added(0x11, 700)),
            at(DESTINATION, 1, 1, added(0x12, 300)),
        ],
    );
    let health = Health::new();
    health.ok("ingest 1000");
    let state = ApiState {
        store,
        health,
        domains: [ORIGIN, DESTINATION].into_iter().collect(),
        webhooks: Default::default(),
    };
    serve(api::router_with(state, extras), shutdown).await
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String, Value) {
    let response = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    let body = response.text().await.unwrap();
    let json = serde_json::from_str(&body).unwrap_or(Value::String(body));
    (status, kind, json)
}

#[tokio::test]
async fn routers_show_liquidity_and_who_stopped_bidding() {
    let dir = tempfile::tempdir().unwrap();
    let shutdown = CancellationToken::new();
    let extras = Extras {
        bids: BidSource {
            sequencer: Some(sequencer(&shutdown).await),
            live_window: Duration::from_secs(60),
        },
        ..Extras::default()
    };
    let addr = start(extras, &dir, &shutdown).await;
    let (status, _, body) = get(addr, "/routers").await;
    assert_eq!(status, 200, "{body}");
    let routers = body["routers"].as_array().unwrap();
    assert_eq!(routers.len(), 2, "{body}");
    assert_eq!(routers[0]["liquidity"][0]["available"], "700");
    assert_eq!(routers[0]["liquidity"][0]["domain"], DESTINATION.get());
    assert_eq!(routers[0]["bidding"], "live");
    assert_eq!(routers[0]["live"], true);
    assert_eq!(routers[0]["transfers_bid"], 4);
    assert_eq!(routers[1]["bidding"], "stopped");
    assert_eq!(routers[1]["live"], false);
    assert_eq!(routers[1]["last_bid_at"], 1);
    assert!(body["sequencer"]["error"].is_null());

    let one = format!("/routers?router={}", Address::repeat_byte(0x12));
    let (_, _, body) = get(addr, &one).await;
    assert_eq!(body["routers"].as_array().unwrap().len(), 1, "{body}");
    for (path, code) in [
        ("/routers?router=0x12", "invalid_address"),
        ("/routers?stage=XCalled", "invalid_filter"),
        ("/stats?last=0", "invalid_limit"),
        ("/stats?last=abc", "invalid_limit"),
        ("/stats?origin=1000", "invalid_filter"),
    ] {
        let (status, _, body) = get(addr, path).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some(code)),
            "{path}"
        );
    }
    let (status, _, stats) = get(addr, "/stats?last=10").await;
    assert_eq!(status, 200);
    assert_eq!(stats["transfers"], 0);
    assert!(stats["fast_share"].is_null());
    shutdown.cancel();
}

#[tokio::test]
async fn an_unreachable_sequencer_leaves_bidding_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let shutdown = CancellationToken::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let extras = Extras {
        bids: BidSource {
            sequencer: Some(SequencerClient::new(url.parse().unwrap()).unwrap()),
            live_window: Duration::from_secs(60),
        },
        ..Extras::default()
    };
    let addr = start(extras, &dir, &shutdown).await;
    let (status, _, body) = get(addr, "/routers").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["routers"][0]["bidding"], "unknown");
    assert!(body["routers"][0].get("live").is_none(), "{body}");
    assert!(body["sequencer"]["error"].is_string(), "{body}");
    shutdown.cancel();
}

#[tokio::test]
async fn the_web_root_is_served_after_every_api_route() {
    let dir = tempfile::tempdir().unwrap();
    let web: PathBuf = dir.path().join("dist");
    std::fs::create_dir_all(web.join("assets")).unwrap();
    std::fs::write(
        web.join("index.html"),
        "<!doctype html><title>explorer</title>",
    )
    .unwrap();
    std::fs::write(web.join("assets/app.js"), "console.log(1)").unwrap();
    // A file named like a route: the route wins.
    std::fs::write(web.join("health"), "not the health").unwrap();
    let shutdown = CancellationToken::new();
    let extras = Extras {
        web_root: Some(web),
        ..Extras::default()
    };
    let addr = start(extras, &dir, &shutdown).await;
    let (status, kind, body) = get(addr, "/").await;
    assert_eq!(
        (status, kind.as_str()),
        (200, "text/html; charset=utf-8"),
        "{body}"
    );
    assert!(body.as_str().unwrap().contains("explorer"));
    let (status, kind, _) = get(addr, "/assets/app.js").await;
    assert_eq!(
        (status, kind.as_str()),
        (200, "text/javascript; charset=utf-8")
    );
    // The app's own routes (no extension, no file) get index.html.
    let (status, _, body) = get(addr, "/transfer/0xabc").await;
    assert_eq!(status, 200);
    assert!(body.as_str().unwrap().contains("explorer"));
    let (status, _, health) = get(addr, "/health").await;
    assert_eq!(status, 200);
    assert_eq!(health["backend"], "sqlite", "the API route, not the file");
    let (status, _, body) = get(addr, "/transfers/0x12").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_transfer_id"))
    );
    for missing in [
        "/assets/missing.js",
        "/../indexer.sqlite",
        "/%2e%2e/indexer.sqlite",
    ] {
        let (status, _, body) = get(addr, missing).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (404, Some("not_found")),
            "{missing}"
        );
    }
    shutdown.cancel();
}

#[tokio::test]
async fn the_web_manifest_is_served_beside_the_files_and_reads_cross_origin() {
    let dir = tempfile::tempdir().unwrap();
    let web: PathBuf = dir.path().join("dist");
    std::fs::create_dir_all(&web).unwrap();
    std::fs::write(web.join("index.html"), "<!doctype html>").unwrap();
    std::fs::write(web.join("manifest.json"), "{\"stale\":true}").unwrap();
    let manifest = dir.path().join("run-manifest.json");
    std::fs::write(&manifest, "{\"domains\":{}}").unwrap();
    let shutdown = CancellationToken::new();
    let extras = Extras {
        web_root: Some(web),
        web_manifest: Some(manifest.clone()),
        ..Extras::default()
    };
    let addr = start(extras, &dir, &shutdown).await;
    let (status, kind, body) = get(addr, "/manifest.json").await;
    assert_eq!((status, kind.as_str()), (200, "application/json"));
    assert_eq!(
        body,
        serde_json::json!({"domains": {}}),
        "the run's manifest, not the build's"
    );
    // Read again on every request: a manifest rewritten by a restarted devnet is served as it is now.
    std::fs::write(&manifest, "{\"domains\":{\"1000\":{}}}").unwrap();
    let (_, _, body) = get(addr, "/manifest.json").await;
    assert_eq!(body, serde_json::json!({"domains": {"1000": {}}}));
    // A page served from another origin (a dApp) may read the status API.
    let response = reqwest::get(format!("http://{addr}/health")).await.unwrap();
    assert_eq!(
        response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap()),
        Some("*")
    );
    std::fs::remove_file(&manifest).unwrap();
    let (status, _, body) = get(addr, "/manifest.json").await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    shutdown.cancel();
}
