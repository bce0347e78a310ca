//! Webhooks end to end: the store parts over SQLite and PostgreSQL (`webhooks/store.rs`), the
//! subscription routes of the API (typed 4xx, the token), and delivery to a real local axum
//! receiver: signed, in order per transfer, retried while the receiver is down until it is
//! back, and nothing lost when the indexer restarts mid-delivery.

#![allow(clippy::unwrap_used)]

mod pg;
#[path = "webhooks/store.rs"]
mod store;
mod suite;

use alloy::primitives::Address;
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
    Router,
};
use nxtp_agent::{clock::now_ms, CancellationToken, Health, HttpLimits};
use nxtp_indexer::{
    api::{self, ApiState},
    webhooks::{
        signer::{self, IDEMPOTENCY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER},
        Deliverer, SubscriptionFilter, WebhookConfig,
    },
    PostgresStore, SqliteStore, StatusStore,
};
use nxtp_primitives::transfer_id;
use serde_json::{json, Value};
use std::{
    collections::{BTreeMap, BTreeSet},
    net::SocketAddr,
    path::Path,
    sync::{Arc, Mutex},
    time::Duration,
};
use store::{executed, reconciled, subscribe, ROUTER, SENDER};
use suite::{apply, at, params, xcalled, DESTINATION, ORIGIN};

mod sqlite_store {
    use super::*;

    fn open() -> (Arc<dyn StatusStore>, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("indexer.sqlite")).unwrap();
        (Arc::new(store), dir)
    }

    webhook_store_tests!(open());
}

mod postgres_store {
    use super::*;
    use pg::TestPostgres;

    fn open() -> (Arc<dyn StatusStore>, TestPostgres) {
        let server = TestPostgres::start();
        let store = PostgresStore::open(&server.url, &server.state_path()).unwrap();
        (Arc::new(store), server)
    }

    webhook_store_tests!(open());
}

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    key: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

/// A webhook receiver on a real socket: records every request; answers `503` while `failing`.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    failing: Arc<std::sync::atomic::AtomicBool>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    receiver.got.lock().unwrap().push(Received {
        key: header(IDEMPOTENCY_HEADER),
        timestamp: header(TIMESTAMP_HEADER),
        signature: header(SIGNATURE_HEADER),
        body: body.to_vec(),
    });
    if receiver.failing.load(std::sync::atomic::Ordering::SeqCst) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::NO_CONTENT
    }
}

impl Receiver {
    /// Serves on `addr` until `shutdown`.
    async fn serve(&self, addr: SocketAddr, shutdown: CancellationToken) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(self.clone());
        tokio::spawn(nxtp_agent::http::serve(
            listener,
            app,
            HttpLimits::default(),
            shutdown,
        ));
        addr
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// A free port on loopback, closed again: nothing answers there until a receiver binds it.
async fn closed_port() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// A clock shortened for tests: retries after 20 ms, doubling to at most 200 ms.
fn quick() -> WebhookConfig {
    WebhookConfig {
        backoff_initial_ms: 20,
        backoff_max_ms: 200,
        poll_interval_ms: 20,
        sweep_interval_ms: 100,
        timeout_ms: 2_000,
        connect_timeout_ms: 500,
        ..WebhookConfig::default()
    }
}

/// Waits for `done`, up to 60 s.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Checks every request's signature and returns its body.
fn verified(requests: &[Received], secret: &str) -> Vec<Value> {
    requests
        .iter()
        .map(|request| {
            signer::verify(
                secret,
                &request.timestamp,
                &request.signature,
                &request.body,
                now_ms() / 1_000,
                300,
            )
            .unwrap();
            let body: Value = serde_json::from_slice(&request.body).unwrap();
            assert_eq!(
                body["event_id"],
                request.key.as_str(),
                "the key is the event's id"
            );
            body
        })
        .collect()
}

/// Three transfers from `SENDER`, each xcalled, executed and reconciled: 3 events each.
fn three_fast_transfers(store: &dyn StatusStore) -> Vec<String> {
    let transfers: Vec<_> = (10..13)
        .map(|nonce| params(nonce, SENDER, Address::repeat_byte(2)))
        .collect();
    apply(
        store,
        ORIGIN,
        transfers
            .iter()
            .enumerate()
            .map(|(index, transfer)| at(ORIGIN, 5, index as u64, xcalled(transfer)))
            .collect(),
    );
    for (index, transfer) in transfers.iter().enumerate() {
        let id = transfer_id(transfer);
        apply(
            store,
            DESTINATION,
            vec![executed(id, transfer.to, vec![ROUTER], 10 + index as u64)],
        );
    }
    for (index, transfer) in transfers.iter().enumerate() {
        let id = transfer_id(transfer);
        apply(
            store,
            DESTINATION,
            vec![reconciled(id, vec![ROUTER], 20 + index as u64)],
        );
    }
    transfers
        .iter()
        .map(|transfer| transfer_id(transfer).to_string())
        .collect()
}

/// Every event of each transfer, delivered in order 1, 2, 3, and no event key missing; a
/// repeated key carries the same body.
fn assert_complete_and_ordered(bodies: &[Value], transfers: &[String]) {
    let mut sequences: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut by_key: BTreeMap<String, Value> = BTreeMap::new();
    for body in bodies {
        let key = body["event_id"].as_str().unwrap().to_owned();
        if let Some(earlier) = by_key.get(&key) {
            assert_eq!(earlier, body, "a duplicate is the same event");
            continue;
        }
        by_key.insert(key, body.clone());
        let transfer = body["transfer"]["transfer_id"].as_str().unwrap().to_owned();
        sequences
            .entry(transfer)
            .or_default()
            .push(body["sequence"].as_u64().unwrap());
    }
    for transfer in transfers {
        assert_eq!(
            sequences[transfer],
            vec![1, 2, 3],
            "{transfer}: in order, none lost"
        );
    }
    let stages: BTreeSet<&str> = by_key
        .values()
        .map(|body| body["transfer"]["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages,
        ["CompletedFast", "Executed", "XCalled"]
            .into_iter()
            .collect()
    );
}

fn sqlite(dir: &Path) -> Arc<dyn StatusStore> {
    Arc::new(SqliteStore::open(&dir.join("indexer.sqlite")).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_for_a_while_gets_everything_in_order_when_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(dir.path());
    let addr = closed_port().await;
    let sub = subscribe(
        store.as_ref(),
        &format!("http://{addr}/hook"),
        SubscriptionFilter::default(),
    );
    let shutdown = CancellationToken::new();
    let deliverer = Deliverer::new(Arc::clone(&store), quick()).unwrap();
    tokio::spawn(deliverer.run(shutdown.clone()));

    // The receiver is down (nothing listens): events accrue and are retried.
    let transfers = three_fast_transfers(store.as_ref());
    let pending = || store.webhooks().outbox(&sub.subscription.id).unwrap();
    until("failed attempts while the receiver is down", || {
        pending().iter().filter(|entry| entry.attempts >= 2).count() >= 3
    })
    .await;
    assert!(pending().iter().all(|entry| entry.delivered_at.is_none()));

    // Back up, first answering 503 for a while, then 204.
    let receiver = Receiver::default();
    receiver
        .failing
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let stop_receiver = CancellationToken::new();
    receiver.serve(addr, stop_receiver.clone()).await;
    until("a refused delivery", || !receiver.received().is_empty()).await;
    receiver
        .failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    until("every event delivered", || {
        let entries = pending();
        entries.len() == 9 && entries.iter().all(|entry| entry.delivered_at.is_some())
    })
    .await;
    let entries = pending();
    assert!(entries.iter().any(|entry| entry.attempts > 1), "retried");

    let requests = receiver.received();
    let bodies = verified(&requests, &sub.secret);
    // What the receiver accepted, in the order it accepted it: per transfer 1, 2, 3.
    let accepted: Vec<Value> = {
        let mut last_by_key = BTreeMap::new();
        for (index, body) in bodies.iter().enumerate() {
            last_by_key.insert(body["event_id"].as_str().unwrap().to_owned(), index);
        }
        let mut order: Vec<(usize, Value)> = last_by_key
            .values()
            .map(|&index| (index, bodies[index].clone()))
            .collect();
        order.sort_by_key(|(index, _)| *index);
        order.into_iter().map(|(_, body)| body).collect()
    };
    assert_complete_and_ordered(&accepted, &transfers);
    assert_complete_and_ordered(&bodies, &transfers);
    shutdown.cancel();
    stop_receiver.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_delivery_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::default();
    let stop_receiver = CancellationToken::new();
    let addr = receiver
        .serve("127.0.0.1:0".parse().unwrap(), stop_receiver.clone())
        .await;
    let (sub, transfers) = {
        let store = sqlite(dir.path());
        let sub = subscribe(
            store.as_ref(),
            &format!("http://{addr}/hook"),
            SubscriptionFilter::default(),
        );
        let shutdown = CancellationToken::new();
        let running = tokio::spawn(
            Deliverer::new(Arc::clone(&store), quick())
                .unwrap()
                .run(shutdown.clone()),
        );
        let transfers = three_fast_transfers(store.as_ref());
        // Stopped as soon as the first deliveries land: the rest are still in the outbox (or
        // in flight, unrecorded).
        until("a first delivery", || !receiver.received().is_empty()).await;
        shutdown.cancel();
        running.await.unwrap();
        (sub, transfers)
    };
    let store = sqlite(dir.path());
    let undelivered = store
        .webhooks()
        .outbox(&sub.subscription.id)
        .unwrap()
        .iter()
        .filter(|entry| entry.delivered_at.is_none())
        .count();
    let shutdown = CancellationToken::new();
    tokio::spawn(
        Deliverer::new(Arc::clone(&store), quick())
            .unwrap()
            .run(shutdown.clone()),
    );
    until("every event delivered after the restart", || {
        let entries = store.webhooks().outbox(&sub.subscription.id).unwrap();
        entries.len() == 9 && entries.iter().all(|entry| entry.delivered_at.is_some())
    })
    .await;
    let bodies = verified(&receiver.received(), &sub.secret);
    assert_complete_and_ordered(&bodies, &transfers);
    assert!(bodies.len() >= 9, "{undelivered} were left at the restart");
    shutdown.cancel();
    stop_receiver.cancel();
}

/// The API over an SQLite store with `config`.
async fn serve_api(
    store: Arc<dyn StatusStore>,
    config: WebhookConfig,
) -> (SocketAddr, CancellationToken) {
    let health = Health::new();
    health.ok("ingest 1000");
    let app = api::router(ApiState {
        store,
        health,
        domains: [ORIGIN, DESTINATION].into_iter().collect(),
        webhooks: config,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn(nxtp_agent::http::serve(
        listener,
        app,
        HttpLimits::default(),
        shutdown.clone(),
    ));
    (addr, shutdown)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_are_managed_through_the_api_with_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite(dir.path());
    let (addr, shutdown) = serve_api(Arc::clone(&store), WebhookConfig::default()).await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("http://{addr}{path}");
    let post = |body: String| client.post(url("/subscriptions")).body(body).send();

    let checksummed = SENDER.to_checksum(None);
    // The same address with one letter's case flipped: a failed checksum.
    let flipped: String = {
        let at = checksummed
            .rfind(|c: char| c.is_ascii_alphabetic())
            .unwrap();
        let mut chars: Vec<char> = checksummed.chars().collect();
        chars[at] = if chars[at].is_ascii_uppercase() {
            chars[at].to_ascii_lowercase()
        } else {
            chars[at].to_ascii_uppercase()
        };
        chars.into_iter().collect()
    };
    let created = post(
        json!({"url": "http://127.0.0.1:9/hook", "filter": {"sender": checksummed}}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("sub_"));
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(
        created["filter"]["sender"],
        "0x5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e"
    );

    let supplied = post(
        json!({"url": "http://localhost:9/b", "secret": "my-own-secret-0123456789"}).to_string(),
    )
    .await
    .unwrap();
    assert_eq!(supplied.status(), 201);
    let supplied: Value = supplied.json().await.unwrap();
    assert_eq!(supplied["secret"], "my-own-secret-0123456789");

    let listed: Value = client
        .get(url("/subscriptions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let listed = listed["subscriptions"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 2);
    assert!(
        listed.iter().all(|sub| sub.get("secret").is_none()),
        "never the secret"
    );
    let one = client
        .get(url(&format!("/subscriptions/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);

    for (body, code) in [
        ("not json".to_owned(), "invalid_body"),
        (json!({"url": "ftp://h/x"}).to_string(), "invalid_url"),
        (json!({"url": "https://h/x"}).to_string(), "invalid_url"),
        (json!({}).to_string(), "invalid_url"),
        (
            json!({"url": "http://h/x", "filter": {"asset": "0x00"}}).to_string(),
            "invalid_filter",
        ),
        (
            json!({"url": "http://h/x", "filter": {"transfer_id": "0x12"}}).to_string(),
            "invalid_filter",
        ),
        (
            json!({"url": "http://h/x", "filter": {"router": "0x12"}}).to_string(),
            "invalid_address",
        ),
        (
            json!({"url": "http://h/x", "filter": {"recipient": flipped}}).to_string(),
            "invalid_address",
        ),
        (
            json!({"url": "http://h/x", "secret": "short"}).to_string(),
            "invalid_secret",
        ),
        (
            json!({"url": "http://h/x", "color": 1}).to_string(),
            "invalid_body",
        ),
    ] {
        let response = post(body.clone()).await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], code, "{body}: {error}");
    }

    let deleted = client
        .delete(url(&format!("/subscriptions/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let again = client
        .delete(url(&format!("/subscriptions/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let error: Value = again.json().await.unwrap();
    assert_eq!(error["error"], "not_found");
    shutdown.cancel();

    // With a token and an allow list.
    let guarded = WebhookConfig {
        token: Some("operator-token-0123456789".to_owned()),
        allowed_hosts: vec!["hooks.example.com".to_owned()],
        ..WebhookConfig::default()
    };
    let (addr, shutdown) = serve_api(store, guarded).await;
    let url = format!("http://{addr}/subscriptions");
    let response = client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "unauthorized"
    );
    let authorized = |request: reqwest::RequestBuilder| {
        request.header("authorization", "Bearer operator-token-0123456789")
    };
    let response = authorized(client.post(&url))
        .body(json!({"url": "http://127.0.0.1:9/x"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "target_not_allowed"
    );
    let response = authorized(client.post(&url))
        .body(json!({"url": "http://hooks.example.com/x"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    shutdown.cancel();
}
