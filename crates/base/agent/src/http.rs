//! The one HTTP server every agent runs its APIs on (the ops server, the sequencer's bids API, the
//! relayer's job API), hardened against clients that hold connections open:
//!
//! - a request head must arrive within [`HttpLimits::header_read_timeout`] of the server starting
//!   to wait for it: on a new connection, and between requests on a kept-alive one, so a silent or
//!   idle connection is closed after that time too (hyper's header-read timer);
//! - a request body must arrive whole within [`HttpLimits::body_read_timeout`] (`408`) and be at
//!   most [`HttpLimits::max_body_bytes`] (`413`); the rest of an oversized body is read and dropped
//!   (up to as much again, within the same time) before the `413` is sent, so a client still
//!   writing its body reads the answer rather than a reset connection;
//! - at most [`HttpLimits::max_connections`] connections are served at once, and at most
//!   [`HttpLimits::max_connections_per_peer`] from one IP address; one more is answered
//!   `503 overloaded` at once and closed (not queued), so descriptors stay bounded;
//! - unknown paths (`404`), wrong methods (`405`) and the refusals above answer in the APIs' JSON
//!   error shape, `{"error":"<code>","message":"<why>"}`.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    Json, Router,
};
use futures::StreamExt;
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use serde::Serialize;
use std::{
    collections::HashMap,
    io,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::Semaphore,
    task::JoinSet,
};
use tokio_util::sync::CancellationToken;

/// How long connections still open at shutdown get to finish their request.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long accepting pauses after a failure such as running out of descriptors.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Connections over the cap being answered `503` at once; more are closed without an answer.
const REFUSAL_SLOTS: usize = 32;

/// Longest time spent answering a connection over the cap.
const REFUSAL_TIME: Duration = Duration::from_secs(1);

/// How many connections each peer address holds open.
#[derive(Debug, Default)]
struct Peers(Mutex<HashMap<IpAddr, usize>>);

/// One open connection of a peer, given back on drop.
struct PeerSlot {
    peers: Arc<Peers>,
    ip: IpAddr,
}

impl Peers {
    /// A slot for `ip` unless it already holds `max`.
    fn take(self: &Arc<Self>, ip: IpAddr, max: usize) -> Option<PeerSlot> {
        let mut open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(ip).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(PeerSlot {
            peers: Arc::clone(self),
            ip,
        })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut open = self.peers.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// What the server allows a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// Longest wait for a whole request head, from when the server starts waiting for it (a new
    /// connection, or the previous response sent): also how long an idle connection stays open.
    pub header_read_timeout: Duration,
    /// Longest time to receive a request's whole body once its head is in.
    pub body_read_timeout: Duration,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Most connections served at once.
    pub max_connections: usize,
    /// Most connections served at once from one IP address, so one client cannot take every
    /// slot.
    pub max_connections_per_peer: usize,
}

impl HttpLimits {
    /// Default [`Self::header_read_timeout`] (and idle time): 10 s.
    pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default [`Self::body_read_timeout`]: 10 s.
    pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default [`Self::max_body_bytes`]: 64 KiB, well above any request the APIs define.
    pub const MAX_BODY_BYTES: usize = 64 * 1024;
    /// Default [`Self::max_connections`]: 256.
    pub const MAX_CONNECTIONS: usize = 256;
    /// Default [`Self::max_connections_per_peer`]: 64.
    pub const MAX_CONNECTIONS_PER_PEER: usize = 64;
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Self::HEADER_READ_TIMEOUT,
            body_read_timeout: Self::BODY_READ_TIMEOUT,
            max_body_bytes: Self::MAX_BODY_BYTES,
            max_connections: Self::MAX_CONNECTIONS,
            max_connections_per_peer: Self::MAX_CONNECTIONS_PER_PEER,
        }
    }
}

/// The JSON body of every refusal the server itself makes, in the APIs' shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HttpError {
    /// The machine-readable code: `not_found`, `method_not_allowed`, `payload_too_large`,
    /// `request_timeout` or `overloaded`.
    pub error: &'static str,
    /// Why, for people.
    pub message: String,
}

impl HttpError {
    fn response(status: StatusCode, error: &'static str, message: impl Into<String>) -> Response {
        let body = Self {
            error,
            message: message.into(),
        };
        (status, Json(body)).into_response()
    }
}

/// Serves `app` on `listener` under `limits` until `shutdown` is cancelled; then stops accepting
/// and gives open connections [`SHUTDOWN_GRACE`] to finish. Returns only once every connection
/// task ended.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let app = harden(app, limits);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSAL_SLOTS));
    let peers = Arc::new(Peers::default());
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
            // Reap finished connection tasks so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(err) => {
                // Out of descriptors, or a connection reset before it was accepted: keep serving.
                tracing::warn!(error = %err, "cannot accept a connection");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let Some(slot) = peers.take(peer.ip(), limits.max_connections_per_peer) else {
            let why = format!(
                "{} already holds {} connections to this server; retry later",
                peer.ip(),
                limits.max_connections_per_peer
            );
            refuse_overloaded(stream, peer, why, &refusals, &mut connections);
            continue;
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            let why = format!(
                "the server already serves {} connections; retry later",
                limits.max_connections
            );
            refuse_overloaded(stream, peer, why, &refusals, &mut connections);
            continue;
        };
        let app = app.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            serve_connection(stream, app, limits, shutdown).await;
            drop((permit, slot));
        });
    }
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// Answers `503 overloaded` and closes the connection: within [`REFUSAL_TIME`], in a task of its
/// own while fewer than [`REFUSAL_SLOTS`] are running, else by dropping the connection at once.
fn refuse_overloaded(
    stream: TcpStream,
    peer: SocketAddr,
    why: String,
    refusals: &Arc<Semaphore>,
    tasks: &mut JoinSet<()>,
) {
    // Debug, not warn: a flood of refusals must not become a flood of log lines.
    tracing::debug!(%peer, %why, "connection refused");
    let Ok(slot) = Arc::clone(refusals).try_acquire_owned() else {
        return;
    };
    let body = serde_json::json!({ "error": "overloaded", "message": why }).to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    tasks.spawn(async move {
        let mut stream = stream;
        // Closing with the request unread would reset the connection and could lose the answer:
        // answer, end our side, then read until the client closes, all within the time given.
        let answer = async {
            stream.write_all(response.as_bytes()).await?;
            stream.shutdown().await?;
            let mut sink = [0u8; 1024];
            while stream.read(&mut sink).await? > 0 {}
            io::Result::Ok(())
        };
        let _ = tokio::time::timeout(REFUSAL_TIME, answer).await;
        drop(slot);
    });
}

async fn serve_connection(
    stream: TcpStream,
    app: Router,
    limits: HttpLimits,
    shutdown: CancellationToken,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
    let mut connection = std::pin::pin!(connection);
    let outcome = tokio::select! {
        outcome = connection.as_mut() => outcome,
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            match tokio::time::timeout(SHUTDOWN_GRACE, connection.as_mut()).await {
                Ok(outcome) => outcome,
                Err(_) => return,
            }
        }
    };
    if let Err(err) = outcome {
        // Timeouts and resets are the client's doing: worth a trace, not a warning.
        tracing::debug!(error = %err, "connection closed");
    }
}

/// `app` with the JSON `404` and `405`, and the body limits.
/// `app` with its `GET` and `HEAD` answers readable by a page of any origin
/// (`Access-Control-Allow-Origin: *`), for the public read APIs that browser apps call directly
/// (the status API, the sequencer's quotes and auction states). Other methods get no such
/// header, so a page elsewhere cannot read what a write it makes in a visitor's browser returns.
pub fn readable_from_any_origin(app: Router) -> Router {
    app.layer(middleware::from_fn(allow_any_origin_reads))
}

async fn allow_any_origin_reads(request: Request, next: Next) -> Response {
    let read = matches!(*request.method(), Method::GET | Method::HEAD);
    let mut response = next.run(request).await;
    if read {
        response.headers_mut().insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
    response
}

fn harden(app: Router, limits: HttpLimits) -> Router {
    app.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(limits, read_body))
}

async fn not_found(request: Request) -> Response {
    HttpError::response(
        StatusCode::NOT_FOUND,
        "not_found",
        format!("no such path: {}", request.uri().path()),
    )
}

async fn method_not_allowed(request: Request) -> Response {
    HttpError::response(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} is not allowed on {}",
            request.method(),
            request.uri().path()
        ),
    )
}

/// Reads the whole body within the limits before any handler sees the request.
async fn read_body(State(limits): State<HttpLimits>, request: Request, next: Next) -> Response {
    let too_large = || {
        HttpError::response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body exceeds {} bytes", limits.max_body_bytes),
        )
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let started = tokio::time::Instant::now();
    let (parts, body) = request.into_parts();
    let mut frames = body.into_data_stream();
    if declared.is_some_and(|length| length > limits.max_body_bytes as u64) {
        discard_rest(&mut frames, 0, &limits, started).await;
        return too_large();
    }
    let mut bytes = Vec::new();
    let read = async {
        while let Some(frame) = frames.next().await {
            let frame = frame.map_err(|_| BodyRead::Broken)?;
            if bytes.len() + frame.len() > limits.max_body_bytes {
                return Err(BodyRead::TooLarge(bytes.len() + frame.len()));
            }
            bytes.extend_from_slice(&frame);
        }
        Ok(())
    };
    let outcome = tokio::time::timeout(limits.body_read_timeout, read).await;
    let bytes = match outcome {
        Ok(Ok(())) => bytes,
        Ok(Err(BodyRead::TooLarge(read))) => {
            discard_rest(&mut frames, read, &limits, started).await;
            return too_large();
        }
        Ok(Err(BodyRead::Broken)) => return too_large(),
        Err(_) => {
            return HttpError::response(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                format!(
                    "the request body did not arrive within {} ms",
                    limits.body_read_timeout.as_millis()
                ),
            )
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Why a body was not read whole.
enum BodyRead {
    /// More than the limit arrived: this many bytes so far.
    TooLarge(usize),
    /// The connection failed mid-body.
    Broken,
}

/// Reads and drops what is left of an oversized body, up to as much again as the limit and
/// within what is left of the body's read time, so that a client still writing it reads the
/// `413` instead of a reset connection. A body larger still is cut off.
async fn discard_rest(
    frames: &mut axum::body::BodyDataStream,
    already_read: usize,
    limits: &HttpLimits,
    started: tokio::time::Instant,
) {
    let mut budget = (limits.max_body_bytes * 2).saturating_sub(already_read);
    let drain = async {
        while let Some(Ok(frame)) = frames.next().await {
            if frame.len() > budget {
                return;
            }
            budget -= frame.len();
        }
    };
    let _ = tokio::time::timeout_at(started + limits.body_read_timeout, drain).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use std::time::Instant;

    fn limits() -> HttpLimits {
        HttpLimits {
            header_read_timeout: Duration::from_millis(500),
            body_read_timeout: Duration::from_millis(500),
            max_body_bytes: 1024,
            max_connections: 4,
            max_connections_per_peer: 4,
        }
    }

    async fn start(limits: HttpLimits) -> (SocketAddr, CancellationToken) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Router::new()
            .route("/hello", get(|| async { "hi" }))
            .route("/echo", post(|body: axum::body::Bytes| async move { body }));
        let shutdown = CancellationToken::new();
        tokio::spawn(serve(listener, app, limits, shutdown.clone()));
        (addr, shutdown)
    }

    /// Sends `request` and reads until the server closes; `(status, body)`.
    async fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(request).await.expect("send");
        let mut response = String::new();
        tokio::time::timeout(
            Duration::from_secs(10),
            stream.read_to_string(&mut response),
        )
        .await
        .expect("answered in time")
        .expect("read");
        let (head, body) = response.split_once("\r\n\r\n").expect("a response");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("status line");
        (status, body.to_owned())
    }

    /// Waits until the server closes `stream` (read returns 0 or fails); how long it took.
    async fn closed_within(stream: &mut TcpStream, bound: Duration) -> Duration {
        let started = Instant::now();
        let mut buffer = [0u8; 1024];
        loop {
            match tokio::time::timeout(bound, stream.read(&mut buffer)).await {
                Ok(Ok(0) | Err(_)) => return started.elapsed(),
                Ok(Ok(_)) => {}
                Err(_) => panic!("connection still open after {bound:?}"),
            }
        }
    }

    fn json_error(body: &str) -> (String, String) {
        let value: serde_json::Value = serde_json::from_str(body).expect("JSON body");
        (
            value["error"].as_str().expect("code").to_owned(),
            value["message"].as_str().expect("message").to_owned(),
        )
    }

    #[tokio::test]
    async fn unknown_paths_methods_and_large_bodies_answer_json() {
        let (addr, shutdown) = start(limits()).await;
        let close = "Connection: close\r\n";
        let (status, body) = exchange(
            addr,
            format!("GET /hello HTTP/1.1\r\nHost: x\r\n{close}\r\n").as_bytes(),
        )
        .await;
        assert_eq!((status, body.as_str()), (200, "hi"));

        let (status, body) = exchange(
            addr,
            format!("GET /nope HTTP/1.1\r\nHost: x\r\n{close}\r\n").as_bytes(),
        )
        .await;
        assert_eq!(status, 404);
        assert_eq!(json_error(&body).0, "not_found");

        let (status, body) = exchange(
            addr,
            format!("POST /hello HTTP/1.1\r\nHost: x\r\n{close}Content-Length: 0\r\n\r\n")
                .as_bytes(),
        )
        .await;
        assert_eq!(status, 405);
        assert_eq!(json_error(&body).0, "method_not_allowed");

        let big = "x".repeat(2048);
        let (status, body) = exchange(
            addr,
            format!(
                "POST /echo HTTP/1.1\r\nHost: x\r\n{close}Content-Length: {}\r\n\r\n{big}",
                big.len()
            )
            .as_bytes(),
        )
        .await;
        assert_eq!(status, 413);
        assert_eq!(json_error(&body).0, "payload_too_large");

        // Chunked, so no length is declared: counted while read.
        let (status, body) = exchange(
            addr,
            format!(
                "POST /echo HTTP/1.1\r\nHost: x\r\n{close}Transfer-Encoding: chunked\r\n\r\n\
                 800\r\n{big}\r\n0\r\n\r\n"
            )
            .as_bytes(),
        )
        .await;
        assert_eq!(status, 413);
        assert_eq!(json_error(&body).0, "payload_too_large");

        let (status, body) = exchange(
            addr,
            format!("POST /echo HTTP/1.1\r\nHost: x\r\n{close}Content-Length: 4\r\n\r\nabcd")
                .as_bytes(),
        )
        .await;
        assert_eq!((status, body.as_str()), (200, "abcd"));
        shutdown.cancel();
    }

    #[tokio::test]
    async fn only_reads_are_open_to_other_origins() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = readable_from_any_origin(Router::new().route(
            "/item",
            get(|| async { "read" }).post(|| async { "written" }),
        ));
        let shutdown = CancellationToken::new();
        tokio::spawn(serve(listener, app, limits(), shutdown.clone()));
        let head = |method: &str| {
            format!("{method} /item HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        };
        for (method, open) in [("GET", true), ("HEAD", true), ("POST", false)] {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            stream
                .write_all(head(method).as_bytes())
                .await
                .expect("send");
            let mut response = String::new();
            stream.read_to_string(&mut response).await.expect("read");
            assert!(response.starts_with("HTTP/1.1 200"), "{method}: {response}");
            assert_eq!(
                response
                    .to_ascii_lowercase()
                    .contains("access-control-allow-origin: *"),
                open,
                "{method}: {response}"
            );
        }
        shutdown.cancel();
    }

    #[tokio::test]
    async fn a_client_writing_a_large_oversized_body_reads_the_413() {
        // Far larger than loopback socket buffers: without reading the rest of the body first,
        // the server's close resets the connection while the client is still writing.
        let limits = HttpLimits {
            max_body_bytes: 8 << 20,
            body_read_timeout: Duration::from_secs(10),
            ..limits()
        };
        let (addr, shutdown) = start(limits).await;
        let body = "x".repeat(12 << 20);
        let request = format!(
            "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let (status, answer) = exchange(addr, request.as_bytes()).await;
        assert_eq!(status, 413);
        assert_eq!(json_error(&answer).0, "payload_too_large");
        shutdown.cancel();
    }

    #[tokio::test]
    async fn a_slowloris_client_is_disconnected() {
        let limits = limits();
        let (addr, shutdown) = start(limits).await;
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
            .await
            .expect("send");
        // One more header line at a steady pace, never the blank line that ends the head.
        let drip = async {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if stream.write_all(b"X-Slow: 1\r\n").await.is_err() {
                    return;
                }
            }
        };
        let started = Instant::now();
        tokio::time::timeout(Duration::from_secs(5), drip)
            .await
            .expect("the server stops the drip");
        let took = started.elapsed();
        assert!(
            took < limits.header_read_timeout * 4,
            "closed after {took:?}"
        );
        shutdown.cancel();
    }

    #[tokio::test]
    async fn silent_and_idle_connections_are_closed() {
        let limits = limits();
        let (addr, shutdown) = start(limits).await;
        let mut silent = TcpStream::connect(addr).await.expect("connect");
        let took = closed_within(&mut silent, Duration::from_secs(5)).await;
        assert!(took >= limits.header_read_timeout / 2, "{took:?}");

        // Kept alive after one answered request, then nothing.
        let mut idle = TcpStream::connect(addr).await.expect("connect");
        idle.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .expect("send");
        closed_within(&mut idle, Duration::from_secs(5)).await;

        // A body that never completes: 408 in the JSON shape.
        let mut slow_body = TcpStream::connect(addr).await.expect("connect");
        slow_body
            .write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
            .await
            .expect("send");
        let mut response = String::new();
        tokio::time::timeout(
            Duration::from_secs(5),
            slow_body.read_to_string(&mut response),
        )
        .await
        .expect("answered")
        .ok();
        assert!(response.starts_with("HTTP/1.1 408"), "{response}");
        assert!(response.contains("\"request_timeout\""), "{response}");
        shutdown.cancel();
    }

    #[tokio::test]
    async fn connections_beyond_the_cap_are_refused_until_one_closes() {
        for (total, per_peer, message) in [(2, 8, "already serves 2"), (8, 2, "already holds 2")] {
            let limits = HttpLimits {
                max_connections: total,
                max_connections_per_peer: per_peer,
                header_read_timeout: Duration::from_secs(30),
                ..limits()
            };
            refused_beyond(limits, 2, message).await;
        }
    }

    /// With `limits` allowing `allowed` connections from here, one more is refused with
    /// `message`, and served again once one closes.
    async fn refused_beyond(limits: HttpLimits, allowed: usize, message: &str) {
        let (addr, shutdown) = start(limits).await;
        let mut held = Vec::new();
        for _ in 0..allowed {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            // A served connection answers: proof it holds a slot.
            stream
                .write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .expect("send");
            let mut buffer = [0u8; 256];
            let read = stream.read(&mut buffer).await.expect("answer");
            assert!(buffer[..read].starts_with(b"HTTP/1.1 200"));
            held.push(stream);
        }
        let (status, body) = exchange(addr, b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").await;
        assert_eq!(status, 503);
        let (code, why) = json_error(&body);
        assert_eq!(code, "overloaded");
        assert!(why.contains(message), "{why}");

        drop(held.pop());
        // The slot frees once the server sees the close: wait for it, bounded.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let (status, _) = exchange(
                addr,
                b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            )
            .await;
            if status == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "the slot was never freed");
            tokio::task::yield_now().await;
        }
        shutdown.cancel();
    }
}
