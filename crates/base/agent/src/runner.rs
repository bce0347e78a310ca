//! The lifecycle every agent shares, so each agent's entry point is one call:
//! `nxtp_agent::run::<Updater>(&config_path).await`.
//!
//! Load config, start logging, install signal handlers, serve `/metrics` and `/health`, run
//! the agent until it returns or shutdown is requested, then stop the ops server.

use crate::{
    config::{self, ConfigError},
    health::Health,
    logging::{init_logging, LogFormat, LoggingError},
    ops::{OpsError, OpsServer},
    shutdown::cancel_on_signal,
};
use prometheus::Registry;
use serde::{de::DeserializeOwned, Deserialize};
use std::{collections::HashMap, error::Error, future::Future, io, net::SocketAddr, path::Path};
use tokio_util::sync::CancellationToken;

/// The `[telemetry]` section every agent config carries.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    /// Address of the ops server; port 0 picks a free port, logged at startup.
    pub listen: SocketAddr,
    /// Log line format.
    #[serde(default)]
    pub log_format: LogFormat,
    /// `EnvFilter` directives, e.g. `info,nxtp_updater=debug`.
    #[serde(default = "default_log_filter")]
    pub log_filter: String,
}

fn default_log_filter() -> String {
    "info".to_owned()
}

/// What the runtime hands an agent.
#[derive(Clone, Debug)]
pub struct AgentContext {
    /// Cancelled when the agent should stop; child tokens stop the agent's own tasks.
    pub shutdown: CancellationToken,
    /// The agent's health as served on `/health`; starts unhealthy until the agent says
    /// otherwise.
    pub health: Health,
    /// Where the agent registers its metrics; every series carries an `agent` label.
    pub metrics: Registry,
    /// The address the ops server actually bound.
    pub ops_addr: SocketAddr,
}

/// One off-chain agent.
pub trait Agent {
    /// Name used in logs, the metrics `agent` label and `/health`.
    const NAME: &'static str;
    /// The agent's configuration, loaded from its TOML file.
    type Config: DeserializeOwned + Send;
    /// What makes the agent give up.
    type Error: Error + Send + Sync + 'static;

    /// The telemetry section of `config`.
    fn telemetry(config: &Self::Config) -> &TelemetryConfig;

    /// Does the agent's work until `ctx.shutdown` is cancelled (then returns `Ok`) or a fatal
    /// error occurs.
    fn run(
        config: Self::Config,
        ctx: AgentContext,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Why an agent stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The configuration did not load.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Logging could not start.
    #[error(transparent)]
    Logging(#[from] LoggingError),
    /// Signal handlers could not be installed.
    #[error("cannot install signal handlers: {0}")]
    Signals(#[source] io::Error),
    /// The metrics registry could not be created.
    #[error("cannot create metrics registry: {0}")]
    Metrics(#[from] prometheus::Error),
    /// The ops server failed.
    #[error(transparent)]
    Ops(#[from] OpsError),
    /// The agent itself failed.
    #[error("{agent} failed: {source}")]
    Agent {
        /// The agent's name.
        agent: &'static str,
        /// Its error.
        source: Box<dyn Error + Send + Sync>,
    },
}

/// Runs agent `A` with the config file at `config_path` until SIGINT or SIGTERM.
pub async fn run<A: Agent>(config_path: &Path) -> Result<(), RunError> {
    let config: A::Config = config::load(config_path)?;
    let telemetry = A::telemetry(&config);
    match init_logging(telemetry.log_format, &telemetry.log_filter) {
        // Another component of this process set up logging first; keep its output.
        Ok(()) | Err(LoggingError::AlreadyInstalled) => {}
        Err(err) => return Err(err.into()),
    }
    let shutdown = cancel_on_signal().map_err(RunError::Signals)?;
    run_until::<A>(config, shutdown).await
}

/// Runs agent `A` with an already loaded config until `shutdown` is cancelled or the agent
/// returns; for supervisors and tests that own the process's logging and signals.
pub async fn run_until<A: Agent>(
    config: A::Config,
    shutdown: CancellationToken,
) -> Result<(), RunError> {
    let listen = A::telemetry(&config).listen;
    let labels = HashMap::from([("agent".to_owned(), A::NAME.to_owned())]);
    let metrics = Registry::new_custom(None, Some(labels))?;
    let health = Health::counting(&metrics)?;
    // The ops server outlives the agent's own shutdown, so probes see it wind down.
    let ops_shutdown = CancellationToken::new();
    let ops = OpsServer::start(
        listen,
        A::NAME,
        metrics.clone(),
        health.clone(),
        ops_shutdown.clone(),
    )
    .await?;
    let ops_addr = ops.local_addr();
    tracing::info!(agent = A::NAME, %ops_addr, "agent started");

    let ctx = AgentContext {
        shutdown: shutdown.clone(),
        health,
        metrics,
        ops_addr,
    };
    let outcome = A::run(config, ctx).await;
    // Stop whatever the agent left running on child tokens, then the ops server.
    shutdown.cancel();
    ops_shutdown.cancel();
    let ops_outcome = ops.stopped().await;
    outcome.map_err(|err| RunError::Agent {
        agent: A::NAME,
        source: Box::new(err),
    })?;
    ops_outcome?;
    tracing::info!(agent = A::NAME, "agent stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_http::get;
    use std::{io::Write, sync::Arc, time::Duration};
    use tokio::sync::Notify;

    /// An agent whose behaviour its config chooses.
    struct TestAgent;

    #[derive(Deserialize)]
    struct TestConfig {
        telemetry: TelemetryConfig,
        mode: Mode,
        /// Notified once a waiting agent is up, so a test stops it mid-run.
        #[serde(skip)]
        started: Arc<Notify>,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        /// Checks its own endpoints, then returns.
        Probe,
        /// Reports healthy and waits for shutdown.
        Wait,
        /// Fails at once.
        Fail,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("test agent: {0}")]
    struct TestError(String);

    impl Agent for TestAgent {
        const NAME: &'static str = "test-agent";
        type Config = TestConfig;
        type Error = TestError;

        fn telemetry(config: &TestConfig) -> &TelemetryConfig {
            &config.telemetry
        }

        async fn run(config: TestConfig, ctx: AgentContext) -> Result<(), TestError> {
            match config.mode {
                Mode::Probe => {
                    let counter = prometheus::IntCounter::new("nxtp_probe_total", "probes")
                        .map_err(|e| TestError(e.to_string()))?;
                    ctx.metrics
                        .register(Box::new(counter.clone()))
                        .map_err(|e| TestError(e.to_string()))?;
                    counter.inc();
                    let (unready, _) = get(ctx.ops_addr, "/health").await;
                    ctx.health.set_healthy();
                    let (ready, _) = get(ctx.ops_addr, "/health").await;
                    let (_, metrics) = get(ctx.ops_addr, "/metrics").await;
                    let labelled = metrics.contains(r#"nxtp_probe_total{agent="test-agent"} 1"#);
                    match (unready, ready, labelled) {
                        (503, 200, true) => Ok(()),
                        other => Err(TestError(format!("unexpected {other:?}: {metrics}"))),
                    }
                }
                Mode::Wait => {
                    ctx.health.set_healthy();
                    config.started.notify_one();
                    ctx.shutdown.cancelled().await;
                    Ok(())
                }
                Mode::Fail => Err(TestError("boom".into())),
            }
        }
    }

    fn config(mode: &str) -> TestConfig {
        let text = format!("mode = \"{mode}\"\n[telemetry]\nlisten = \"127.0.0.1:0\"");
        toml::from_str(&text).expect("test config")
    }

    #[tokio::test]
    async fn agent_sees_its_own_health_and_labelled_metrics() {
        run_until::<TestAgent>(config("probe"), CancellationToken::new())
            .await
            .expect("probe passes");
    }

    #[tokio::test]
    async fn shutdown_token_stops_the_agent() {
        let shutdown = CancellationToken::new();
        let trigger = shutdown.clone();
        let config = config("wait");
        let started = Arc::clone(&config.started);
        tokio::spawn(async move {
            started.notified().await;
            trigger.cancel();
        });
        tokio::time::timeout(
            Duration::from_secs(10),
            run_until::<TestAgent>(config, shutdown),
        )
        .await
        .expect("stops on cancel")
        .expect("clean stop");
    }

    #[tokio::test]
    async fn agent_failure_is_reported_with_its_name() {
        let err = run_until::<TestAgent>(config("fail"), CancellationToken::new())
            .await
            .expect_err("fails");
        assert_eq!(err.to_string(), "test-agent failed: test agent: boom");
    }

    #[tokio::test]
    async fn run_loads_the_config_file_and_names_bad_fields() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        // `listen` is deliberately not a socket address: the error must name the field.
        file.write_all(b"mode = \"probe\"\n[telemetry]\nlisten = \"nowhere\"\n")
            .expect("write");
        let err = run::<TestAgent>(file.path()).await.expect_err("bad listen");
        assert!(err.to_string().starts_with("telemetry.listen: "), "{err}");

        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(
            b"mode = \"probe\"\n[telemetry]\nlisten = \"127.0.0.1:0\"\nlog_filter = \"warn\"\n",
        )
        .expect("write");
        run::<TestAgent>(file.path()).await.expect("probe passes");
    }
}
