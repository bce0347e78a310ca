//! The runtime every nxtp off-chain agent shares: configuration with environment overrides,
//! signing-key loading, logging, one hardened HTTP server for every agent API ([`http`]), an ops
//! server (`/metrics`, `/health`) on it, SQLite storage with
//! cursors, and graceful shutdown, tied together by [`run`].
//!
//! The kit an agent's start-up is written with: [`TaskSet`] runs its tasks as one (the first
//! failure, or panic, stops the rest), [`Classify`] tells its retry loops what is worth retrying
//! ([`StepFailure`]: a step to retry, or the agent's end),
//! [`Health`] is the board its tasks report progress to, and [`clock::now_ms`] is the one clock.

pub mod clock;
pub mod config;
pub mod failure;
pub mod health;
pub mod http;
pub mod logging;
pub mod ops;
pub mod runner;
pub mod secret;
pub mod shutdown;
pub mod storage;
pub mod tasks;

#[cfg(test)]
mod test_http;

pub use config::ConfigError;
pub use failure::{Classify, StepFailure};
pub use health::{Health, HealthStatus};
pub use http::{HttpError, HttpLimits};
pub use logging::LogFormat;
pub use runner::{run, run_until, Agent, AgentContext, RunError, TelemetryConfig};
pub use secret::{KeySource, SecretError, SecretString};
pub use storage::{Cursor, Schema, StorageError, Store};
pub use tasks::{TaskError, TaskSet};

/// Re-exported so agents register metrics against the same `prometheus` version as the ops
/// server encodes.
pub use prometheus;
/// Re-exported so agents share the runtime's cancellation type.
pub use tokio_util::sync::CancellationToken;
