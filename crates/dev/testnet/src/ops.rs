//! Reading an agent's ops server (`/health`, `/metrics`) from a test, and waiting on what the agent
//! reports there rather than on a timer.

use crate::wait::eventually;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `GET path` on the server at `addr`: the status and the body, or `None` while it does not answer.
pub async fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

/// The rounds task `stream` of the agent whose ops server is `ops` has reported
/// (`nxtp_agent_rounds_total{stream=...}`), once the agent serves it.
pub async fn rounds(ops: SocketAddr, stream: &str) -> Option<u64> {
    let label = format!("stream=\"{stream}\"");
    let (_, body) = http_get(ops, "/metrics").await?;
    body.lines()
        .find(|line| line.starts_with("nxtp_agent_rounds_total{") && line.contains(&label))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|count| count.parse().ok())
}

/// Waits until task `stream` of the agent at `ops` has finished two more rounds: the second began
/// after this call, so it saw everything on chain before it. A test asserting that something did
/// *not* happen waits on this rather than on a timer.
pub async fn two_more_rounds(ops: SocketAddr, stream: &str) {
    let start = eventually(&format!("the rounds of {stream} on /metrics"), || {
        rounds(ops, stream)
    })
    .await;
    eventually(&format!("two more rounds of {stream}"), || async {
        (rounds(ops, stream).await? >= start + 2).then_some(())
    })
    .await;
}
