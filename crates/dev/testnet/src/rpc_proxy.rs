//! A counting JSON-RPC proxy on loopback: a TCP tunnel between one agent and one chain that forwards
//! every byte unchanged both ways and, on the way to the chain, reads the JSON-RPC calls it carries to
//! count them by method.
//!
//! Being a byte tunnel, it serves HTTP (keep-alive, batches) and WebSocket alike: it reads the HTTP
//! request framing (`Content-Length` bodies), and once a request upgrades the connection to WebSocket,
//! the client's frames (text or binary, masked, possibly fragmented). Subscription notifications flow
//! from the chain and are not requests, so they are not counted.

use nxtp_primitives::Domain;
use std::{
    collections::BTreeMap,
    net::{SocketAddr, TcpListener as StdTcpListener},
    sync::{Arc, Mutex, PoisonError},
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// Who sent a call where: (agent, chain, JSON-RPC method).
pub type CallKey = (String, Domain, String);

/// Calls counted so far, by agent, chain and method.
#[derive(Debug, Default)]
pub struct Counts(Mutex<BTreeMap<CallKey, u64>>);

impl Counts {
    fn add(&self, agent: &str, domain: Domain, method: &str) {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *counts
            .entry((agent.to_owned(), domain, method.to_owned()))
            .or_default() += 1;
    }

    /// A copy of the counts now.
    pub fn snapshot(&self) -> BTreeMap<CallKey, u64> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// One agent's view of one chain.
#[derive(Clone, Debug)]
pub struct Route {
    /// The agent.
    pub agent: String,
    /// The chain.
    pub domain: Domain,
    /// The chain's real endpoint.
    pub upstream: SocketAddr,
}

/// Binds a loopback port for `route` and serves it (see [`serve`]) in a task of the current tokio
/// runtime; returns the port's address, the URL to give the agent in place of the chain's.
pub fn start(route: Route, counts: Arc<Counts>) -> std::io::Result<SocketAddr> {
    let listener = StdTcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let listener = TcpListener::from_std(listener)?;
    tokio::spawn(serve(listener, route, counts));
    Ok(address)
}

/// Accepts connections on `listener` forever, tunnelling each to the route's upstream and counting its
/// calls into `counts`.
pub async fn serve(listener: TcpListener, route: Route, counts: Arc<Counts>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        let (route, counts) = (route.clone(), Arc::clone(&counts));
        tokio::spawn(async move {
            if let Ok(upstream) = TcpStream::connect(route.upstream).await {
                tunnel(client, upstream, &route, &counts).await;
            }
        });
    }
}

async fn tunnel(client: TcpStream, upstream: TcpStream, route: &Route, counts: &Counts) {
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_upstream, mut to_upstream) = upstream.into_split();
    let back = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_upstream, &mut to_client).await;
        let _ = to_client.shutdown().await;
    });
    let mut reader = CallReader::default();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let read = match from_client.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        if to_upstream.write_all(&chunk[..read]).await.is_err() {
            break;
        }
        for method in reader.feed(&chunk[..read]) {
            counts.add(&route.agent, route.domain, &method);
        }
    }
    let _ = to_upstream.shutdown().await;
    let _ = back.await;
}

/// Where the client's stream is.
#[derive(Debug, Default)]
enum Phase {
    /// Reading HTTP requests.
    #[default]
    Http,
    /// Upgraded: reading WebSocket frames.
    WebSocket,
}

/// Reads JSON-RPC calls out of a client's byte stream, as far as they have arrived.
#[derive(Debug, Default)]
pub struct CallReader {
    buffer: Vec<u8>,
    phase: Phase,
    /// A fragmented WebSocket message so far.
    message: Vec<u8>,
}

impl CallReader {
    /// Takes more of the stream; returns the method of every call completed by it.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buffer.extend_from_slice(bytes);
        let mut methods = Vec::new();
        loop {
            let consumed = match self.phase {
                Phase::Http => self.http_request(&mut methods),
                Phase::WebSocket => self.websocket_frame(&mut methods),
            };
            match consumed {
                Some(consumed) => {
                    self.buffer.drain(..consumed);
                }
                None => return methods,
            }
        }
    }

    /// One complete HTTP request at the start of the buffer: its calls, and its length.
    fn http_request(&mut self, methods: &mut Vec<String>) -> Option<usize> {
        let head_end = find(&self.buffer, b"\r\n\r\n")? + 4;
        let head = String::from_utf8_lossy(&self.buffer[..head_end]).to_ascii_lowercase();
        let header = |name: &str| {
            head.lines().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim() == name).then(|| value.trim().to_owned())
            })
        };
        if header("upgrade").is_some_and(|value| value == "websocket") {
            self.phase = Phase::WebSocket;
            return Some(head_end);
        }
        let length: usize = header("content-length")
            .and_then(|value| value.parse().ok())
            .unwrap_or(0);
        let end = head_end.checked_add(length)?;
        let body = self.buffer.get(head_end..end)?;
        methods.extend(json_methods(body));
        Some(end)
    }

    /// One complete WebSocket frame at the start of the buffer: the calls of the message it ends, and
    /// its length.
    fn websocket_frame(&mut self, methods: &mut Vec<String>) -> Option<usize> {
        let first = *self.buffer.first()?;
        let second = *self.buffer.get(1)?;
        let (fin, opcode) = (first & 0x80 != 0, first & 0x0f);
        let masked = second & 0x80 != 0;
        let (length, mut at) = match second & 0x7f {
            126 => (
                u64::from(u16::from_be_bytes([
                    *self.buffer.get(2)?,
                    *self.buffer.get(3)?,
                ])),
                4,
            ),
            127 => (
                u64::from_be_bytes(self.buffer.get(2..10)?.try_into().ok()?),
                10,
            ),
            short => (u64::from(short), 2),
        };
        let mask: Option<[u8; 4]> = if masked {
            let key = self.buffer.get(at..at + 4)?.try_into().ok()?;
            at += 4;
            Some(key)
        } else {
            None
        };
        let end = at.checked_add(usize::try_from(length).ok()?)?;
        let payload = self.buffer.get(at..end)?;
        let payload: Vec<u8> = match mask {
            Some(key) => payload
                .iter()
                .enumerate()
                .map(|(index, byte)| byte ^ key[index % 4])
                .collect(),
            None => payload.to_vec(),
        };
        // Text, binary and continuation frames carry messages; control frames (ping, close) do not.
        if opcode <= 2 {
            self.message.extend_from_slice(&payload);
            if fin {
                methods.extend(json_methods(&std::mem::take(&mut self.message)));
            }
        }
        Some(end)
    }
}

/// The methods of a JSON-RPC call or batch (nothing if it is neither).
fn json_methods(body: &[u8]) -> Vec<String> {
    let method = |call: &serde_json::Value| call.get("method")?.as_str().map(str::to_owned);
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Array(calls)) => calls.iter().filter_map(method).collect(),
        Ok(call) => method(&call).into_iter().collect(),
        Err(_) => Vec::new(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(body: &str) -> Vec<u8> {
        format!(
            "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }

    #[test]
    fn http_requests_and_batches_are_counted_as_they_complete() {
        let mut reader = CallReader::default();
        let one = http(r#"{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}"#);
        let batch = http(
            r#"[{"jsonrpc":"2.0","id":2,"method":"eth_getLogs"},{"jsonrpc":"2.0","id":3,"method":"eth_call"}]"#,
        );
        let (start, rest) = one.split_at(20);
        assert!(reader.feed(start).is_empty());
        let mut stream = rest.to_vec();
        stream.extend_from_slice(&batch);
        assert_eq!(
            reader.feed(&stream),
            ["eth_blockNumber", "eth_getLogs", "eth_call"]
        );
    }

    #[test]
    fn websocket_frames_are_counted_after_the_upgrade() {
        let mut reader = CallReader::default();
        let upgrade =
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        assert!(reader.feed(upgrade).is_empty());
        let key = [1u8, 2, 3, 4];
        let frame = |fin: bool, opcode: u8, text: &str| {
            let mut frame = vec![
                if fin { 0x80 } else { 0 } | opcode,
                0x80 | u8::try_from(text.len()).expect("short"),
            ];
            frame.extend_from_slice(&key);
            frame.extend(
                text.bytes()
                    .enumerate()
                    .map(|(index, byte)| byte ^ key[index % 4]),
            );
            frame
        };
        let call = r#"{"id":1,"method":"eth_subscribe","params":["newHeads"]}"#;
        let (head, tail) = call.split_at(10);
        let mut stream = frame(false, 1, head);
        stream.extend(frame(true, 0, tail));
        stream.extend(frame(true, 9, "ping"));
        assert_eq!(reader.feed(&stream), ["eth_subscribe"]);
    }
}
