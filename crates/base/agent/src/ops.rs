//! The operations HTTP server every agent runs: `/metrics` in the Prometheus text format and
//! `/health` for probes, on the shared hardened server ([`crate::http`]).

use crate::{
    health::{Health, HealthStatus},
    http::{serve, HttpLimits},
};
use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use prometheus::{Encoder, Registry, TextEncoder};
use serde::Serialize;
use std::{io, net::SocketAddr};
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

/// Why the ops server failed.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The configured address.
        addr: SocketAddr,
        /// The I/O failure.
        source: io::Error,
    },
    /// Serving stopped with an I/O error.
    #[error("ops server failed: {0}")]
    Serve(#[source] io::Error),
    /// The server task panicked.
    #[error("ops server task panicked: {message}")]
    Panicked {
        /// The panic's message.
        message: String,
    },
}

#[derive(Clone)]
struct OpsState {
    agent: &'static str,
    registry: Registry,
    health: Health,
}

/// A running ops server.
#[derive(Debug)]
pub struct OpsServer {
    local_addr: SocketAddr,
    task: JoinHandle<io::Result<()>>,
}

impl OpsServer {
    /// Binds `addr` (port 0 picks a free port) and serves until `shutdown` is cancelled.
    pub async fn start(
        addr: SocketAddr,
        agent: &'static str,
        registry: Registry,
        health: Health,
        shutdown: CancellationToken,
    ) -> Result<Self, OpsError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| OpsError::Bind { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| OpsError::Bind { addr, source })?;
        let router = Router::new()
            .route("/metrics", get(metrics))
            .route("/health", get(health_check))
            .with_state(OpsState {
                agent,
                registry,
                health,
            });
        let task = tokio::spawn(serve(listener, router, HttpLimits::default(), shutdown));
        Ok(Self { local_addr, task })
    }

    /// The address actually bound, which differs from the configured one for port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Waits for the server to stop (after its shutdown token is cancelled).
    pub async fn stopped(self) -> Result<(), OpsError> {
        match self.task.await {
            Ok(served) => served.map_err(OpsError::Serve),
            Err(error) => Err(OpsError::Panicked {
                message: crate::tasks::join_error_message(error),
            }),
        }
    }
}

async fn metrics(State(state): State<OpsState>) -> Response {
    let mut body = Vec::new();
    let encoder = TextEncoder::new();
    match encoder.encode(&state.registry.gather(), &mut body) {
        Ok(()) => ([(header::CONTENT_TYPE, encoder.format_type())], body).into_response(),
        Err(err) => {
            tracing::error!(%err, "cannot encode metrics");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[derive(Serialize)]
struct HealthBody {
    agent: &'static str,
    #[serde(flatten)]
    status: HealthStatus,
}

async fn health_check(State(state): State<OpsState>) -> (StatusCode, Json<HealthBody>) {
    let status = state.health.status();
    let code = match status {
        HealthStatus::Healthy => StatusCode::OK,
        HealthStatus::Unhealthy { .. } => StatusCode::SERVICE_UNAVAILABLE,
    };
    let body = HealthBody {
        agent: state.agent,
        status,
    };
    (code, Json(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_http::get;
    use prometheus::IntCounter;

    #[tokio::test]
    async fn serves_health_and_metrics_on_loopback() {
        let registry = Registry::new();
        let counter = IntCounter::new("nxtp_test_events_total", "events seen").expect("counter");
        registry
            .register(Box::new(counter.clone()))
            .expect("register");
        counter.inc_by(3);
        let health = Health::new();
        let shutdown = CancellationToken::new();
        let addr = "127.0.0.1:0".parse().expect("addr");
        let server = OpsServer::start(addr, "tester", registry, health.clone(), shutdown.clone())
            .await
            .expect("binds");
        let bound = server.local_addr();
        assert_ne!(bound.port(), 0);

        let (status, body) = get(bound, "/health").await;
        assert_eq!(status, 503);
        assert_eq!(
            body,
            r#"{"agent":"tester","status":"unhealthy","reason":"starting"}"#
        );

        health.set_healthy();
        let (status, body) = get(bound, "/health").await;
        assert_eq!(status, 200);
        assert_eq!(body, r#"{"agent":"tester","status":"healthy"}"#);

        let (status, body) = get(bound, "/metrics").await;
        assert_eq!(status, 200);
        assert!(body.contains("nxtp_test_events_total 3"), "{body}");

        let (status, body) = get(bound, "/nope").await;
        assert_eq!(status, 404);
        assert!(body.starts_with(r#"{"error":"not_found""#), "{body}");

        shutdown.cancel();
        server.stopped().await.expect("stops cleanly");
    }

    #[tokio::test]
    async fn bind_failure_names_the_address() {
        let taken = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = taken.local_addr().expect("addr");
        let err = OpsServer::start(
            addr,
            "tester",
            Registry::new(),
            Health::new(),
            CancellationToken::new(),
        )
        .await
        .expect_err("port taken");
        assert!(err.to_string().contains(&addr.to_string()), "{err}");
    }
}
