//! What the watcher's end-to-end tests share: the messaging net of `nxtp_testnet` with one-second
//! blocks (the updater's and relayer's jobs done by hand) and the watcher's config for it.

#![allow(dead_code, unreachable_pub)]

use nxtp_watcher::{Watcher, WatcherConfig};
use std::path::Path;

pub use nxtp_testnet::{confirm, eventually, TestNet as Net};

/// The watcher, in this process.
pub type Running = nxtp_testnet::Running<Watcher>;

/// The watcher's config for `net` (as the devnet generates it), with its database in `db`.
pub fn watcher_config(net: &Net, db: &Path) -> WatcherConfig {
    // On the head, as these tests were written for (the devnet's depth is the other agents').
    let text = nxtp_devnet::watcher_agent::config_toml(
        &net.manifest,
        net.dir(),
        &nxtp_devnet::AgentOptions {
            confirmations: 0,
            ..nxtp_devnet::AgentOptions::default()
        },
    )
    .expect("the manifest has the watcher's key");
    let mut config: WatcherConfig = toml::from_str(&text).expect("the generated config loads");
    config.database = db.to_owned();
    config.telemetry.listen = free_ops_port();
    config
}

/// A free loopback port for an agent's ops server, so a test reads its `/metrics`.
pub fn free_ops_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    listener.local_addr().expect("address")
}

/// The body of `GET /metrics` on the ops server at `addr`.
async fn metrics(addr: std::net::SocketAddr) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    response.split("\r\n\r\n").nth(1).map(str::to_owned)
}

/// The rounds task `stream` of the agent at `ops` reported (`nxtp_agent_rounds_total`).
pub async fn rounds(ops: std::net::SocketAddr, stream: &str) -> Option<u64> {
    let label = format!("stream=\"{stream}\"");
    metrics(ops)
        .await?
        .lines()
        .find(|line| line.starts_with("nxtp_agent_rounds_total{") && line.contains(&label))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|count| count.parse().ok())
}

/// Waits until task `stream` of the agent at `ops` has finished two more rounds: the second
/// began after this call, so it saw everything on chain before it. A test asserting that
/// something did *not* happen waits on this rather than on a timer.
pub async fn two_more_rounds(ops: std::net::SocketAddr, stream: &str) {
    let start = eventually("the task's rounds on /metrics", || rounds(ops, stream)).await;
    eventually("two more rounds of the task", || async {
        (rounds(ops, stream).await? >= start + 2).then_some(())
    })
    .await;
}
