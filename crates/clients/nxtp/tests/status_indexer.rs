//! The built `nxtp status` with a manifest that names an indexer: it reads the status API (its
//! waiting reason, remedy and the command that applies it; `--json` with `source: "indexer"`),
//! and falls back to the chains when the status API is down, saying so in one line
//! (`source: "chain"`).

use nxtp_deployment::Services;
use nxtp_devnet::LiquidityConfig;
use nxtp_sdk::Manifest;
use nxtp_testnet::{Options, TestNet};
use serde_json::Value;
use std::path::{Path, PathBuf};
use user_support::{dead_sequencer, nxtp, TO};

mod user_support;

/// A stand-in status API on 127.0.0.1 answering every request with `transfer` (as JSON); its URL.
async fn status_api(transfer: Value) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let body = transfer.to_string();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request).await;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    url
}

/// A copy of the manifest at `path` naming `indexer` as its status API, in `dir`.
fn with_indexer(path: &Path, dir: &Path, indexer: &str) -> PathBuf {
    let mut manifest = Manifest::load(path).expect("the manifest");
    let dead = dead_sequencer();
    manifest.services = Some(Services {
        sequencer_url: dead.clone(),
        relayer_url: dead,
        indexer_url: Some(indexer.to_owned()),
    });
    let copy = dir.join("with-indexer.json");
    manifest.save(&copy).expect("saved");
    copy
}

#[tokio::test(flavor = "multi_thread")]
async fn status_reads_the_status_api_and_falls_back_to_the_chains() {
    let net = TestNet::start(Options::new(&[1000, 2000]).liquidity(LiquidityConfig::default()))
        .await
        .expect("both layers deploy");
    let keys = net.manifest.dev_keys.clone();
    let dead = dead_sequencer();
    let sent = nxtp(
        &net.manifest_path,
        &keys,
        &[
            "xcall",
            "--origin",
            "1000",
            "--destination",
            "2000",
            "--asset",
            "DEMO",
            "--amount",
            "1",
            "--to",
            TO,
            "--key-env",
            "USER_KEY",
            "--relayer-fee",
            "1000",
            "--approve",
            "--sequencer",
            &dead,
            "--json",
        ],
    )
    .json();
    let id = sent["transfer_id"].as_str().expect("an id").to_owned();
    let dir = tempfile::tempdir().expect("a directory");

    // The status API is down: one line says so, and the chains answer.
    let down = with_indexer(&net.manifest_path, dir.path(), &dead_sequencer());
    let run = nxtp(&down, &keys, &["status", &id, "--json"]);
    let doc = run.json();
    assert_eq!(doc["source"], "chain", "{doc}");
    assert_eq!(doc["stage"], "XCalled");
    let notes: Vec<&str> = run
        .stderr
        .lines()
        .filter(|line| line.contains("status API"))
        .collect();
    assert_eq!(notes.len(), 1, "{}", run.stderr);
    assert!(notes[0].ends_with("reading the chains"), "{}", notes[0]);

    // The status API answers: its reason, remedy and command.
    let transfer = serde_json::json!({
        "transfer_id": id, "stage": "XCalled", "path": null, "origin": 1000, "destination": 2000,
        "amount": "1000000000000000000", "asset": TO, "delivered_amount": null,
        "xcalled": {"domain": 1000, "tx_hash": sent["origin_tx"]["hash"], "block": 7,
            "timestamp": 1}, "executed": null, "reconciled": null, "calldata": null, "eta": null,
        "waiting": {"reason": "RelayerFeeBelowQuote",
            "remedy": "bump the relayer fee by 999000 wei",
            "action": {"cli": format!("nxtp bump {id} --amount 999000wei"),
                "sdk": "bumpTransfer", "amount": "999000"}},
        "routers": [], "messaging": {}
    });
    let up = with_indexer(&net.manifest_path, dir.path(), &status_api(transfer).await);
    let doc = nxtp(&up, &keys, &["status", &id, "--json"]).json();
    assert_eq!(doc["source"], "indexer", "{doc}");
    assert_eq!(doc["is_final"], false);
    assert_eq!(doc["waiting"]["reason"], "RelayerFeeBelowQuote");
    assert_eq!(doc["waiting"]["action"]["amount"], "999000");
    let run = nxtp(&up, &keys, &["status", &id]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert!(
        run.stdout.contains("source:       status API"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("run:          nxtp bump {id} --amount 999000wei")),
        "{}",
        run.stdout
    );
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}
