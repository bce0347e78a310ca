//! The lag stage of `make bench-indexer`, on a real chain: from an xcall's block being final
//! (at confirmation depth 1: when the next block is mined) to the status API first serving the
//! transfer, in blocks and milliseconds. Written under `lag_on_anvil` in
//! `bench/results/indexer.json` (read, modified, written: every other key is kept).
//!
//! An example rather than a second binary beside `nxtp-indexer-bench`: it reuses the test
//! fixture (`nxtp-testnet`: anvil chains with both layers deployed, the indexer in-process),
//! which is a dev-dependency only (it depends on this crate through `nxtp-devnet`).
//!
//! `cargo run --release -p nxtp-indexer --example nxtp-indexer-lag-bench -- [--xcalls N]
//! [--poll-ms MS] [--out FILE]`

use alloy::{primitives::U256, providers::Provider, signers::local::PrivateKeySigner};
use nxtp_devnet::liquidity::demo_units;
use nxtp_indexer::{Database, IndexerAgent, IndexerConfig};
use nxtp_sdk::{Allowance, AssetRef, RelayerFee, Sdk, XcallRequest};
use nxtp_testnet::{telemetry, Mining, Options, Running, TestNet};
use serde_json::{json, Value};
use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

type Failure = Box<dyn std::error::Error + Send + Sync>;

const BLOCK_MS: u64 = 1_000;
/// The indexer's chain poll interval unless `--poll-ms` says otherwise: a chain config's default
/// (`nxtp_provider::DEFAULT_POLL_INTERVAL_MS`, what an operator who sets none gets).
const DEFAULT_POLL_MS: u64 = 500;
/// How often a transfer's page is asked for.
const POLL_API: Duration = Duration::from_millis(50);
/// How often the head is read (when each block was mined, seen from here).
const POLL_HEAD: Duration = Duration::from_millis(10);

/// When each block number was first seen at the head.
#[derive(Clone, Default)]
struct Heads {
    seen: Arc<Mutex<BTreeMap<u64, Instant>>>,
}

impl Heads {
    fn record(&self, head: u64, at: Instant) {
        if let Ok(mut seen) = self.seen.lock() {
            let from = seen.keys().next_back().map_or(head, |last| last + 1);
            for n in from..=head {
                seen.entry(n).or_insert(at);
            }
        }
    }

    fn seen_at(&self, block: u64) -> Option<Instant> {
        self.seen.lock().ok()?.get(&block).copied()
    }

    fn head(&self) -> Option<u64> {
        self.seen.lock().ok()?.keys().next_back().copied()
    }
}

/// One transfer's figures: its block, when the API first served it and the head then, and
/// whether that was the first ask (then it may have been served earlier).
struct Sample {
    block: u64,
    served_at: Instant,
    head_at_served: u64,
    first_ask: bool,
}

/// Asks for transfer `id` every [`POLL_API`] until the API serves it.
async fn watch(
    client: reqwest::Client,
    api: SocketAddr,
    id: String,
    block: u64,
    heads: Heads,
) -> Result<Sample, Failure> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut first_ask = true;
    loop {
        let response = client
            .get(format!("http://{api}/transfers/{id}"))
            .send()
            .await;
        if let Ok(response) = response {
            if response.status().is_success() {
                let served_at = Instant::now();
                let head_at_served = heads.head().ok_or("no head seen")?;
                return Ok(Sample {
                    block,
                    served_at,
                    head_at_served,
                    first_ask,
                });
            }
        }
        if Instant::now() > deadline {
            return Err(format!("transfer {id} not served within 120 s").into());
        }
        first_ask = false;
        tokio::time::sleep(POLL_API).await;
    }
}

fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

fn round(value: f64) -> f64 {
    (value * 1_000.0).round() / 1_000.0
}

fn summary(mut values: Vec<f64>) -> Value {
    json!({
        "samples": values.len(),
        "p50": round(quantile(&mut values, 0.5)),
        "p99": round(quantile(&mut values, 0.99)),
        "max": round(quantile(&mut values, 1.0)),
    })
}

async fn run() -> Result<(), Failure> {
    let mut xcalls = 60u64;
    let mut poll_ms = DEFAULT_POLL_MS;
    let mut out = PathBuf::from("bench/results/indexer.json");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--xcalls" => xcalls = args.next().ok_or("--xcalls N")?.parse()?,
            "--poll-ms" => poll_ms = args.next().ok_or("--poll-ms MS")?.parse()?,
            "--out" => out = args.next().ok_or("--out FILE")?.into(),
            other => {
                return Err(format!(
                    "unknown argument {other} (--xcalls N, --poll-ms MS, --out FILE)"
                )
                .into())
            }
        }
    }
    let started = Instant::now();
    // Other work on the host slows the chain, the indexer and this client alike: say how much.
    let load_average = std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .and_then(|one_minute| one_minute.parse::<f64>().ok());
    // Two chains (the indexer follows a route), blocks every second, both layers deployed.
    let net = TestNet::start(
        Options::numbered(2)
            .mining(Mining::every_ms(BLOCK_MS))
            .liquidity(Default::default()),
    )
    .await?;
    let [origin, destination] = net.domains()[..] else {
        return Err("two domains".into());
    };
    let manifest = net.manifest.clone();
    let api = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let config = IndexerConfig::from_manifest(
        &manifest,
        1,
        poll_ms,
        Database::Sqlite(net.dir().join("indexer.sqlite")),
        api,
        telemetry(),
    )?;
    let indexer = Running::<IndexerAgent>::start(config);

    // The origin's head, watched from here.
    let heads = Heads::default();
    let reader = net.reader(origin);
    let watcher = {
        let heads = heads.clone();
        tokio::spawn(async move {
            loop {
                if let Ok(head) = reader.get_block_number().await {
                    heads.record(head, Instant::now());
                }
                tokio::time::sleep(POLL_HEAD).await;
            }
        })
    };

    let sdk = Sdk::from_manifest(&manifest, None)?;
    let key = manifest.dev_keys.get("user").ok_or("no user key")?;
    let user = PrivateKeySigner::from_bytes(key)?;
    let demo: AssetRef = "DEMO".parse()?;
    let to = PrivateKeySigner::random().address();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    // The API answers before the first xcall (so its start-up is not measured).
    let ready = Instant::now() + Duration::from_secs(60);
    while client
        .get(format!("http://{api}/health"))
        .send()
        .await
        .is_err()
    {
        if Instant::now() > ready {
            return Err("the status API did not answer within 60 s".into());
        }
        tokio::time::sleep(POLL_API).await;
    }

    let mut watches = Vec::new();
    let sending = Instant::now();
    for n in 0..xcalls {
        let mut request = XcallRequest::new(origin, destination, demo.clone(), demo_units(1), to);
        // The first approves every later one too.
        request.auto_approve = true;
        request.allowance = Allowance::Unlimited;
        request.relayer_fee = RelayerFee::Wei(U256::from(10u64.pow(15)));
        let receipt = sdk.xcall(&user, &request).await?;
        watches.push(tokio::spawn(watch(
            client.clone(),
            api,
            receipt.transfer_id.to_string(),
            receipt.origin_block,
            heads.clone(),
        )));
        eprintln!("xcall {n}: block {}", receipt.origin_block);
    }
    let sent_seconds = sending.elapsed().as_secs_f64();
    let mut samples = Vec::new();
    for watch in watches {
        samples.push(watch.await??);
    }
    watcher.abort();
    indexer.stop().await;

    let (mut blocks, mut ms) = (Vec::new(), Vec::new());
    let mut first_ask = 0;
    for sample in &samples {
        // Final at depth 1 once the next block is mined.
        let final_at = heads
            .seen_at(sample.block + 1)
            .ok_or_else(|| format!("block {} never seen", sample.block + 1))?;
        ms.push(if sample.served_at >= final_at {
            sample.served_at.duration_since(final_at).as_secs_f64() * 1_000.0
        } else {
            -(final_at.duration_since(sample.served_at).as_secs_f64() * 1_000.0)
        });
        blocks.push(sample.head_at_served.saturating_sub(sample.block + 1) as f64);
        first_ask += u64::from(sample.first_ask);
    }
    let figures = json!({
        "command": "cargo run --release -p nxtp-indexer --example nxtp-indexer-lag-bench (make bench-indexer runs it after the other stages)",
        "block_ms": BLOCK_MS,
        "confirmations": 1,
        "indexer_poll_interval_ms": poll_ms,
        "api_poll_ms": POLL_API.as_millis() as u64,
        "xcalls": xcalls,
        "sent_over_seconds": round(sent_seconds),
        "lag_blocks": summary(blocks),
        "lag_ms": summary(ms),
        "served_on_first_ask": first_ask,
        "what": "anvil (1 s blocks) with both layers deployed by the nxtp-testnet fixture, the indexer (ingest and status API) in-process at 1 confirmation; xcalls sent one after another through the SDK. lag_ms: from the moment the block after the xcall's block was first seen at the head (the xcall final at depth 1; head read every 10 ms) to the first 200 of GET /transfers/{id} (asked every 50 ms from the xcall's receipt). lag_ms is mostly the wait for the indexer's next chain poll (every indexer_poll_interval_ms, a chain config's default) and that poll's reads; the head is seen up to 10 ms (and an RPC) late, which shortens lag_ms by as much. lag_blocks: blocks mined after that one before the transfer was served (0: served before the next block). served_on_first_ask: transfers served at the first ask, so possibly earlier (their lag is an upper bound).",
        "seconds": started.elapsed().as_secs(),
        "host_cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "load_average_at_start": load_average,
    });
    // Read, modify, write: the other stages' keys stay.
    let mut report = match std::fs::read_to_string(&out) {
        Ok(text) => serde_json::from_str::<Value>(&text)?,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => json!({}),
        Err(err) => return Err(err.into()),
    };
    let object = report
        .as_object_mut()
        .ok_or_else(|| format!("{} is not a JSON object", out.display()))?;
    object.insert("lag_on_anvil".to_owned(), figures.clone());
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&out, serde_json::to_string_pretty(&report)? + "\n")?;
    println!("{}", serde_json::to_string_pretty(&figures)?);
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Failure> {
    run().await
}
