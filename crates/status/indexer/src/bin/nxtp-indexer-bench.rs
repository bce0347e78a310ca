//! `make bench-indexer`: the indexer's figures, written to `bench/results/indexer.json`.
//!
//! - ingest rate (events per second) through the store's own write path
//!   ([`StatusStore::apply`], the call every ingest batch makes), with realistic batches of
//!   decoded events (origin batches of `XCalled`, destination batches of `Executed` and
//!   `Reconciled`), for SQLite and PostgreSQL;
//! - `GET /transfers/{id}` and a filtered `GET /transfers?sender=` latency with
//!   `--transfers` (1,000,000) stored, over HTTP to the API served in this process, and the
//!   process's resident memory;
//! - from an ingested batch to its transfer served by the API (the indexer's share of the lag);
//! - webhook delivery latency after a stage change, to a local receiver.
//!
//! The lag on a real chain (an xcall's block final to its transfer served) is the example
//! `nxtp-indexer-lag-bench` (it needs the test fixture), which `make bench-indexer` runs next;
//! its `lag_on_anvil` key is kept when this rewrites the file.
//!
//! PostgreSQL is a throwaway server from `tools/postgres-test.sh` (tuned for tests: no fsync).

use alloy::primitives::{Address, Bytes, B256, U256};
use axum::{body::Bytes as Body, extract::State, http::StatusCode, routing::post, Router};
use nxtp_agent::{CancellationToken, Health, HttpLimits};
use nxtp_bindings::XCalled;
use nxtp_indexer::{
    api::{self, ApiState},
    ingest::{Event, LogMeta},
    store::{Change, Recorded},
    webhooks::{subscriptions::SubscriptionRequest, Deliverer, SubscriptionFilter, WebhookConfig},
    SqliteStore, StatusStore,
};
use nxtp_primitives::{transfer_id, Domain, TransferInfo};
use serde_json::{json, Value};
use std::{
    collections::HashMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Command,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

const ORIGIN: Domain = Domain(1000);
const DESTINATION: Domain = Domain(2000);
/// Distinct senders: a filtered list by sender matches one transfer in this many.
const SENDERS: u64 = 1_000;
/// Events per ingest batch (a busy chain's batch of blocks).
const BATCH: u64 = 2_000;

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn sender(n: u64) -> Address {
    let mut bytes = [0u8; 20];
    bytes[0] = 0x5e;
    bytes[12..].copy_from_slice(&(n % SENDERS).to_be_bytes());
    Address::from(bytes)
}

fn params(nonce: u64) -> TransferInfo {
    TransferInfo {
        originDomain: ORIGIN.get(),
        destinationDomain: DESTINATION.get(),
        canonicalDomain: ORIGIN.get(),
        to: Address::repeat_byte(0x70),
        delegate: Address::repeat_byte(0x70),
        receiveLocal: false,
        callData: Bytes::new(),
        slippage: U256::from(30),
        originSender: sender(nonce),
        bridgedAmt: U256::from(1_000_000 + nonce),
        normalizedIn: U256::from(1_000_000 + nonce),
        nonce: U256::from(nonce),
        canonicalId: B256::repeat_byte(0xcc),
    }
}

fn meta(domain: Domain, block: u64, log_index: u64) -> LogMeta {
    let mut tx = [0u8; 32];
    tx[..4].copy_from_slice(&domain.get().to_be_bytes());
    tx[8..16].copy_from_slice(&block.to_be_bytes());
    tx[24..].copy_from_slice(&log_index.to_be_bytes());
    LogMeta {
        domain,
        block,
        log_index,
        tx_hash: B256::from(tx),
        timestamp: 1_700_000_000 + block * 2,
    }
}

fn xcall(nonce: u64) -> Recorded {
    let params = params(nonce);
    let id = transfer_id(&params);
    Recorded {
        meta: meta(ORIGIN, 1 + nonce / 100, 2 * (nonce % 100) + 1),
        event: Event::XCalled {
            transfer_id: id,
            event: Box::new(XCalled {
                transfer_id: id,
                params: params.clone(),
                message_hash: leaf(nonce),
                asset: Address::repeat_byte(0xaa),
                amount: params.bridgedAmt,
                local: Address::repeat_byte(0xaa),
            }),
        },
    }
}

/// The leaf of transfer `nonce`'s message.
fn leaf(nonce: u64) -> B256 {
    B256::left_padding_from(&(0xa000_0000 + nonce).to_be_bytes())
}

/// The `Home`'s `Dispatch` of transfer `nonce`'s message, just before its `XCalled`.
fn dispatch(nonce: u64) -> Recorded {
    Recorded {
        meta: meta(ORIGIN, 1 + nonce / 100, 2 * (nonce % 100)),
        event: Event::Dispatch {
            leaf: leaf(nonce),
            leaf_index: nonce,
            destination: DESTINATION.get(),
            nonce: u32::try_from(nonce).unwrap_or(u32::MAX),
        },
    }
}

/// A checkpoint of the `Home` holding the first `count` leaves, after transfer `count - 1`.
fn checkpoint(count: u64) -> Recorded {
    Recorded {
        meta: meta(ORIGIN, 1 + count.saturating_sub(1) / 100, 10_000),
        event: Event::Checkpointed {
            root: B256::left_padding_from(&(0xc000_0000 + count).to_be_bytes()),
            count,
        },
    }
}

fn executed(nonce: u64) -> Recorded {
    Recorded {
        meta: meta(DESTINATION, 1 + nonce / 50, 2 * (nonce % 50)),
        event: Event::Executed {
            transfer_id: transfer_id(&params(nonce)),
            to: Address::repeat_byte(0x70),
            local: Address::repeat_byte(0xbb),
            routers: vec![Address::repeat_byte(0x11 + (nonce % 3) as u8)],
            amount: U256::from(999_000 + nonce),
            caller: Address::repeat_byte(0xee),
        },
    }
}

fn reconciled(nonce: u64) -> Recorded {
    Recorded {
        meta: meta(DESTINATION, 1 + nonce / 50, 2 * (nonce % 50) + 1),
        event: Event::Reconciled {
            transfer_id: transfer_id(&params(nonce)),
            origin: ORIGIN.get(),
            local: Address::repeat_byte(0xbb),
            routers: vec![Address::repeat_byte(0x11 + (nonce % 3) as u8)],
            amount: U256::from(1_000_000 + nonce),
            caller: Address::repeat_byte(0xef),
        },
    }
}

/// Applies one batch through the store's ingest path on the blocking pool.
async fn apply(store: &Arc<dyn StatusStore>, change: Change) -> Result<(), Failure> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || store.apply(&change, None)).await??;
    Ok(())
}

/// Ingests transfers `from..to`: each an origin `Dispatch` and `XCalled` (a checkpoint per
/// batch) and, for `with_destination`, a destination `Executed` and `Reconciled`. Returns
/// (events, seconds).
async fn ingest(
    store: &Arc<dyn StatusStore>,
    from: u64,
    to: u64,
    with_destination: bool,
) -> Result<(u64, f64), Failure> {
    let started = Instant::now();
    let mut events = 0;
    let mut nonce = from;
    while nonce < to {
        let end = (nonce + BATCH).min(to);
        // Each xcall with its message's dispatch, and the batch's last block checkpointed.
        let mut records: Vec<Recorded> =
            (nonce..end).flat_map(|n| [dispatch(n), xcall(n)]).collect();
        records.push(checkpoint(end));
        events += records.len() as u64;
        apply(
            store,
            Change {
                domain: ORIGIN,
                forget_from: None,
                records,
            },
        )
        .await?;
        if with_destination {
            let end = (nonce + BATCH / 2).min(to);
            let records: Vec<Recorded> = (nonce..end)
                .flat_map(|n| [executed(n), reconciled(n)])
                .collect();
            events += records.len() as u64;
            apply(
                store,
                Change {
                    domain: DESTINATION,
                    forget_from: None,
                    records,
                },
            )
            .await?;
            nonce = end;
        } else {
            nonce = end;
        }
    }
    Ok((events, started.elapsed().as_secs_f64()))
}

fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

fn summary(mut values: Vec<f64>) -> Value {
    json!({
        "samples": values.len(),
        "p50": round(quantile(&mut values, 0.5)),
        "p99": round(quantile(&mut values, 0.99)),
        "max": round(quantile(&mut values, 1.0)),
    })
}

fn round(value: f64) -> f64 {
    (value * 1_000.0).round() / 1_000.0
}

/// This process's resident and peak resident memory (MB).
fn rss_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1)?.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| round(kb / 1024.0))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Serves the status API over `store` on a free loopback port.
async fn serve(
    store: Arc<dyn StatusStore>,
    shutdown: CancellationToken,
) -> Result<SocketAddr, Failure> {
    let health = Health::new();
    let app = api::router(ApiState {
        store,
        health,
        domains: [ORIGIN, DESTINATION].into_iter().collect(),
        webhooks: WebhookConfig::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(nxtp_agent::http::serve(
        listener,
        app,
        HttpLimits::default(),
        shutdown,
    ));
    Ok(addr)
}

/// Latencies (ms) of `count` requests to the paths `path(i)` gives.
async fn latencies(
    client: &reqwest::Client,
    addr: SocketAddr,
    count: u64,
    path: impl Fn(u64) -> String,
) -> Result<Vec<f64>, Failure> {
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count {
        let url = format!("http://{addr}{}", path(i));
        let started = Instant::now();
        let response = client.get(&url).send().await?;
        let status = response.status();
        let _body = response.bytes().await?;
        out.push(started.elapsed().as_secs_f64() * 1_000.0);
        if !status.is_success() {
            return Err(format!("{url}: HTTP {status}").into());
        }
    }
    Ok(out)
}

/// A simple deterministic scramble of `i` within `0..n`.
fn spread(i: u64, n: u64) -> u64 {
    i.wrapping_mul(2_654_435_761) % n
}

/// The figures of one backend: ingest rate, then lookups with `transfers` stored.
async fn backend_figures(store: Arc<dyn StatusStore>, transfers: u64) -> Result<Value, Failure> {
    let backend = store.backend();
    // Ingest rate: full transfers (xcall, execute, reconcile) for the first 60,000.
    let rate_transfers = 60_000.min(transfers);
    let (events, seconds) = ingest(&store, 0, rate_transfers, true).await?;
    let rate = events as f64 / seconds;
    eprintln!("{backend}: ingest {events} events in {seconds:.1} s = {rate:.0}/s");
    // The rest as xcalls only, to reach `transfers` stored.
    let (fill_events, fill_seconds) = ingest(&store, rate_transfers, transfers, false).await?;
    let fill_rate = if fill_events == 0 {
        f64::NAN
    } else {
        fill_events as f64 / fill_seconds
    };
    eprintln!("{backend}: filled to {transfers} transfers ({fill_rate:.0} events/s)");

    let shutdown = CancellationToken::new();
    let addr = serve(Arc::clone(&store), shutdown.clone()).await?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;
    // Warm the connection and the caches a little, as a running indexer's are.
    latencies(&client, addr, 50, |i| {
        format!("/transfers/{}", transfer_id(&params(spread(i, transfers))))
    })
    .await?;
    let by_id = latencies(&client, addr, 2_000, |i| {
        format!(
            "/transfers/{}",
            transfer_id(&params(spread(i + 7, transfers)))
        )
    })
    .await?;
    let by_sender = latencies(&client, addr, 1_000, |i| {
        format!("/transfers?sender={}&limit=50", sender(i))
    })
    .await?;
    let by_stage = latencies(&client, addr, 500, |i| {
        let stage = if i % 2 == 0 {
            "CompletedFast"
        } else {
            "XCalled"
        };
        format!("/transfers?stage={stage}&origin=1000&limit=50")
    })
    .await?;
    let (rss, peak) = rss_mb();
    shutdown.cancel();
    Ok(json!({
        "ingest": {
            "events": events,
            "seconds": round(seconds),
            "events_per_second": rate.round(),
            "batch_events": BATCH,
            "what": "origin batches of Dispatch + XCalled per transfer and a Checkpointed, destination batches of Executed + Reconciled, through StatusStore::apply (the ingest's write path, one transaction per batch)",
        },
        "fill": {
            "transfers": transfers,
            "what": "the transfers past the first 60,000 stored as Dispatch + XCalled (waiting), through the same path",
            "events_per_second": if fill_rate.is_nan() { Value::Null } else { json!(fill_rate.round()) },
        },
        "get_transfer_ms": summary(by_id),
        "list_by_sender_ms": summary(by_sender),
        "list_by_stage_and_origin_ms": summary(by_stage),
        "process_rss_mb": rss,
        "process_peak_rss_mb": peak,
    }))
}

/// A receiver recording when each event arrived, by event id.
#[derive(Clone, Default)]
struct Receiver {
    arrived: Arc<Mutex<HashMap<String, Instant>>>,
}

async fn receive(State(receiver): State<Receiver>, body: Body) -> StatusCode {
    if let Ok(value) = serde_json::from_slice::<Value>(&body) {
        if let Some(transfer) = value["transfer"]["transfer_id"].as_str() {
            let key = format!(
                "{transfer}:{}",
                value["transfer"]["stage"].as_str().unwrap_or("")
            );
            if let Ok(mut arrived) = receiver.arrived.lock() {
                arrived.entry(key).or_insert_with(Instant::now);
            }
        }
    }
    StatusCode::NO_CONTENT
}

/// Webhook delivery latency after a stage change, and the ingest-to-API latency.
async fn webhook_and_serve_figures(dir: &Path) -> Result<Value, Failure> {
    let store: Arc<dyn StatusStore> = Arc::new(SqliteStore::open(&dir.join("webhooks.sqlite"))?);
    let receiver = Receiver::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook = listener.local_addr()?;
    let shutdown = CancellationToken::new();
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    tokio::spawn(nxtp_agent::http::serve(
        listener,
        app,
        HttpLimits::default(),
        shutdown.clone(),
    ));
    let request = SubscriptionRequest {
        url: format!("http://{hook}/hook"),
        filter: SubscriptionFilter::default(),
        secret: None,
    };
    store
        .webhooks()
        .create_subscription(&request.into_subscription(0))?;
    tokio::spawn(
        Deliverer::new(Arc::clone(&store), WebhookConfig::default())?.run(shutdown.clone()),
    );
    let api = serve(Arc::clone(&store), shutdown.clone()).await?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?;

    let mut delivery = Vec::new();
    let mut served = Vec::new();
    for nonce in 0..300u64 {
        let started = Instant::now();
        apply(
            &store,
            Change {
                domain: ORIGIN,
                forget_from: None,
                records: vec![xcall(nonce)],
            },
        )
        .await?;
        let id = transfer_id(&params(nonce));
        // Served: the API answers the transfer right after its batch commits.
        let response = client
            .get(format!("http://{api}/transfers/{id}"))
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(format!("transfer {id} not served after its batch").into());
        }
        served.push(started.elapsed().as_secs_f64() * 1_000.0);
        let key = format!("{id}:XCalled");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let arrived = receiver
                .arrived
                .lock()
                .ok()
                .and_then(|arrived| arrived.get(&key).copied());
            if let Some(at) = arrived {
                delivery.push(at.duration_since(started).as_secs_f64() * 1_000.0);
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("no delivery of {key}").into());
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    shutdown.cancel();
    Ok(json!({
        "webhook_delivery_ms": summary(delivery),
        "ingest_to_served_ms": summary(served),
    }))
}

struct Postgres {
    dir: PathBuf,
    script: PathBuf,
    url: String,
}

impl Postgres {
    fn start(root: &Path, dir: PathBuf) -> Result<Self, Failure> {
        let script = root.join("tools/postgres-test.sh");
        let output = Command::new("sh")
            .arg(&script)
            .arg("start")
            .arg(&dir)
            .output()?;
        if !output.status.success() {
            return Err(format!(
                "postgres-test.sh: {}",
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        let url = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        Ok(Self { dir, script, url })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("sh")
            .arg(&self.script)
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

async fn run() -> Result<(), Failure> {
    let mut transfers = 1_000_000u64;
    let mut out = PathBuf::from("bench/results/indexer.json");
    let mut backends = vec!["sqlite".to_owned(), "postgres".to_owned()];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--transfers" => transfers = args.next().ok_or("--transfers N")?.parse()?,
            "--out" => out = args.next().ok_or("--out FILE")?.into(),
            "--backends" => {
                backends = args
                    .next()
                    .ok_or("--backends sqlite,postgres")?
                    .split(',')
                    .map(str::to_owned)
                    .collect();
            }
            other => {
                return Err(format!(
                    "unknown argument {other} (--transfers N, --out FILE, --backends LIST)"
                )
                .into())
            }
        }
    }
    let root = std::env::current_dir()?;
    let scratch = std::env::temp_dir().join(format!("nxtp-indexer-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    let started = Instant::now();
    let mut results = serde_json::Map::new();
    for backend in &backends {
        let figures = match backend.as_str() {
            "sqlite" => {
                let store: Arc<dyn StatusStore> =
                    Arc::new(SqliteStore::open(&scratch.join("indexer.sqlite"))?);
                backend_figures(store, transfers).await?
            }
            "postgres" => {
                let server = Postgres::start(&root, scratch.join("pg"))?;
                // The blocking client must be opened off the async runtime.
                let store = nxtp_indexer::open_store(&nxtp_indexer::Database::Postgres {
                    url: server.url.clone(),
                    state: scratch.join("cursors.sqlite"),
                })
                .await?;
                let figures = backend_figures(Arc::clone(&store), transfers).await;
                drop(store);
                drop(server);
                figures?
            }
            other => return Err(format!("unknown backend {other}").into()),
        };
        results.insert(backend.clone(), figures);
        // Written after each backend, so a run cut short still leaves what it measured.
        write_report(&out, &results, None, transfers, started)?;
    }
    let served = webhook_and_serve_figures(&scratch).await?;
    let _ = std::fs::remove_dir_all(&scratch);
    let report = write_report(&out, &results, Some(served), transfers, started)?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// Writes the report as measured so far (`served`: none until the last part ran).
fn write_report(
    out: &Path,
    results: &serde_json::Map<String, Value>,
    served: Option<Value>,
    transfers: u64,
    started: Instant,
) -> Result<Value, Failure> {
    let complete = served.is_some();
    let report = json!({
        "complete": complete,
        "benchmark": "indexer",
        "command": "make bench-indexer",
        "transfers_stored": transfers,
        "backends": results,
        "webhooks_and_serving_sqlite": served,
        "goals": {
            "ingest_events_per_second": ">= 5000",
            "lag_p50_blocks": "<= 1",
            "lookup_p99_ms": "<= 20",
        },
        "notes": [
            "Ingest is measured through the store's own write path (StatusStore::apply, one transaction per batch, the call the ingest task makes) with decoded events: a real chain cannot produce 5,000 events/s on this 2-core machine, so no RPC is in the loop.",
            "Lookups go over HTTP to the status API served in this process (the API's server, reqwest client, one request at a time); process_rss_mb is this process, which holds the store and the API (and the bench's client).",
            "The PostgreSQL server is a throwaway one from tools/postgres-test.sh, tuned for tests (fsync off); SQLite runs with synchronous = FULL.",
            "ingest_to_served_ms is the indexer's share of the lag (a batch's write until the API serves its transfer); the chain's share is the wait for the next poll after the block becomes final (one poll interval at most, the chain's block time by default), so the lag is at most one block plus this figure.",
            "webhook_delivery_ms: from the start of a batch's write to the receiver holding the event (the deliverer is woken by the ingest; default config).",
        ],
        "seconds": started.elapsed().as_secs(),
        "host_cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
    });
    // The lag stage (the `nxtp-indexer-lag-bench` example) writes `lag_on_anvil` into the same
    // file: keep it.
    let mut report = report;
    if let Some(lag) = std::fs::read_to_string(out)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|old| old.get("lag_on_anvil").cloned())
    {
        if let Some(object) = report.as_object_mut() {
            object.insert("lag_on_anvil".to_owned(), lag);
        }
    }
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(out, serde_json::to_string_pretty(&report)? + "\n")?;
    Ok(report)
}

fn main() -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}
