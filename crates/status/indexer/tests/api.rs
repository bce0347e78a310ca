//! The status API over a real socket and an SQLite store: lookups, the list's filters and
//! pages, typed 4xx errors for every kind of bad input, health, and the OpenAPI document.

#![allow(clippy::unwrap_used)]

mod suite;

use alloy::primitives::{Address, B256};
use nxtp_agent::{CancellationToken, Health, HttpLimits};
use nxtp_indexer::{
    api::{self, openapi, ApiState},
    SqliteStore, StatusStore,
};
use nxtp_primitives::transfer_id;
use serde_json::Value;
use std::{net::SocketAddr, sync::Arc};
use suite::{apply, at, params, xcalled, DESTINATION, ORIGIN};

struct Api {
    addr: SocketAddr,
    client: reqwest::Client,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Api {
    /// Serves the API over a store holding what `fill` writes.
    async fn start(fill: impl FnOnce(&dyn StatusStore)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn StatusStore> =
            Arc::new(SqliteStore::open(&dir.path().join("indexer.sqlite")).unwrap());
        fill(store.as_ref());
        let health = Health::new();
        health.ok("ingest 1000");
        let app = api::router(ApiState {
            store,
            health,
            domains: [ORIGIN, DESTINATION].into_iter().collect(),
            webhooks: Default::default(),
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
        Self {
            addr,
            client: reqwest::Client::new(),
            shutdown,
            _dir: dir,
        }
    }

    /// `GET path`: the status and the JSON body.
    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("http://{}{path}", self.addr))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        let json = serde_json::from_str(&body).unwrap_or(Value::String(body));
        (status, json)
    }

    /// Asserts `path` is refused with `status` and error `code`.
    async fn refused(&self, path: &str, status: u16, code: &str) {
        let (got, body) = self.get(path).await;
        assert_eq!(
            (got, body["error"].as_str()),
            (status, Some(code)),
            "{path}: {body}"
        );
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{body}"
        );
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

fn sender() -> Address {
    Address::repeat_byte(0x5e)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_are_found_by_id_and_origin_tx_and_listed_page_by_page() {
    let mut ids = Vec::new();
    let api = Api::start(|store| {
        for nonce in 0..3 {
            let params = params(nonce, sender(), Address::repeat_byte(2));
            apply(
                store,
                ORIGIN,
                vec![at(ORIGIN, 10 + nonce, 0, xcalled(&params))],
            );
            ids.push(transfer_id(&params));
        }
    })
    .await;

    let (status, body) = api.get(&format!("/transfers/{}", ids[0])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stage"], "XCalled");
    assert_eq!(body["transfer_id"], ids[0].to_string());
    // Addresses are written as everywhere in nxtp: lower-case hex.
    assert_eq!(body["sender"], format!("{:?}", sender()).to_lowercase());
    assert_eq!(body["bridged_amount"], "1000");
    let origin_tx = suite::tx(ORIGIN, 10, 0);
    let (status, by_tx) = api.get(&format!("/transfers/{origin_tx}")).await;
    assert_eq!(status, 200);
    assert_eq!(by_tx["transfer_id"], body["transfer_id"]);

    // Two pages of two and one, newest first, filtered by the checksummed sender.
    let checksummed = sender().to_checksum(None);
    let (status, first) = api
        .get(&format!(
            "/transfers?sender={checksummed}&limit=2&origin=1000"
        ))
        .await;
    assert_eq!(status, 200, "{first}");
    let listed = |page: &Value| -> Vec<String> {
        page["transfers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["transfer_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(listed(&first), vec![ids[2].to_string(), ids[1].to_string()]);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, second) = api
        .get(&format!(
            "/transfers?sender={checksummed}&limit=2&origin=1000&cursor={cursor}"
        ))
        .await;
    assert_eq!(listed(&second), vec![ids[0].to_string()]);
    assert_eq!(second["next_cursor"], Value::Null);
    // Lower case is accepted too; nobody else sent anything.
    let (_, lower) = api
        .get(&format!(
            "/transfers?sender={}",
            format!("{:?}", sender()).to_lowercase()
        ))
        .await;
    assert_eq!(listed(&lower).len(), 3);
    let (_, none) = api
        .get(&format!("/transfers?to={checksummed}&stage=CompletedFast"))
        .await;
    assert!(listed(&none).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_typed_4xx_never_a_5xx() {
    let api = Api::start(|_| {}).await;
    let bad_checksum = Address::repeat_byte(0xab)
        .to_checksum(None)
        .replace("aB", "Ab");
    assert_ne!(bad_checksum, Address::repeat_byte(0xab).to_checksum(None));
    api.refused("/transfers/0x12", 400, "invalid_transfer_id")
        .await;
    api.refused("/transfers/hello", 400, "invalid_transfer_id")
        .await;
    api.refused(
        &format!("/transfers/{}", "ab".repeat(32)),
        400,
        "invalid_transfer_id",
    )
    .await;
    api.refused(
        &format!("/transfers/{}", B256::repeat_byte(7)),
        404,
        "not_found",
    )
    .await;
    api.refused(
        &format!("/transfers?sender={bad_checksum}"),
        400,
        "invalid_address",
    )
    .await;
    api.refused("/transfers?router=0x1234", 400, "invalid_address")
        .await;
    api.refused("/transfers?to=", 400, "invalid_address").await;
    api.refused("/transfers?stage=Done", 400, "invalid_filter")
        .await;
    api.refused("/transfers?origin=abc", 400, "invalid_filter")
        .await;
    api.refused("/transfers?destination=3000", 400, "invalid_filter")
        .await;
    api.refused("/transfers?colour=blue", 400, "invalid_filter")
        .await;
    api.refused(
        "/transfers?stage=XCalled&stage=Executed",
        400,
        "invalid_filter",
    )
    .await;
    api.refused("/transfers?stage=%zz", 400, "invalid_filter")
        .await;
    api.refused("/transfers?cursor=42", 400, "invalid_cursor")
        .await;
    api.refused("/transfers?cursor=t", 400, "invalid_cursor")
        .await;
    api.refused("/transfers?limit=0", 400, "invalid_limit")
        .await;
    api.refused("/transfers?limit=100000", 400, "invalid_limit")
        .await;
    api.refused("/transfers?limit=-1", 400, "invalid_limit")
        .await;
    api.refused("/nothing", 404, "not_found").await;
    for path in [
        "/transfers/",
        "/transfers/%00",
        "/transfers/0x%ZZ",
        "/transfers?%",
        "/transfers?=",
        "/transfers?&&&",
        "/transfers?sender=%F0%9F%92%A9",
        "/health?x=1",
    ] {
        let (status, body) = api.get(path).await;
        assert!(status < 500, "{path}: {status} {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_the_openapi_document_list_every_route() {
    let api = Api::start(|_| {}).await;
    let (status, health) = api.get("/health").await;
    assert_eq!(status, 200, "{health}");
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["backend"], "sqlite");
    assert_eq!(health["domains"].as_array().map(Vec::len), Some(2));

    let (status, document) = api.get("/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(document, openapi::document());
    assert!(document["openapi"].as_str().unwrap().starts_with("3."));
    let paths = document["paths"].as_object().unwrap();
    // Every operation is in ROUTES, and only those.
    let operations: usize = paths
        .values()
        .map(|path| path.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, openapi::ROUTES.len());
    for (method, path) in openapi::ROUTES {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} documented"
        );
        // Every documented route is served (a made-up id is a 4xx of the route, not a 404 of the server).
        let concrete = path.replace("{id}", &B256::repeat_byte(1).to_string());
        let (status, body) = api.get(&concrete).await;
        assert!(
            status == 200 || body["error"] == "not_found" && path.contains("{id}"),
            "{concrete}: {status} {body}"
        );
    }
    // Every schema a path refers to is defined.
    let text = document.to_string();
    for reference in text.split("#/components/schemas/").skip(1) {
        let name: String = reference
            .chars()
            .take_while(|c| c.is_alphanumeric())
            .collect();
        assert!(
            document["components"]["schemas"][&name].is_object(),
            "schema {name}"
        );
    }
}
