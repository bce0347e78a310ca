//! An agent under test, running in this process.

use nxtp_agent::{Agent, CancellationToken, LogFormat, RunError, TelemetryConfig};
use std::marker::PhantomData;
use tokio::task::JoinHandle;

/// Telemetry on a free loopback port, plain logs.
pub fn telemetry() -> TelemetryConfig {
    TelemetryConfig {
        listen: "127.0.0.1:0".parse().expect("a socket address"),
        log_format: LogFormat::Plain,
        log_filter: "info".to_owned(),
    }
}

/// Agent `A` running on a task of the test's runtime until stopped.
pub struct Running<A> {
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), RunError>>,
    agent: PhantomData<A>,
}

impl<A: Agent + 'static> Running<A>
where
    A::Config: 'static,
{
    /// Starts it with `config`; its logs go to the test's output (shown when a test fails).
    pub fn start(config: A::Config) -> Self {
        // Another test of the binary may have set the subscriber up already.
        let _ = nxtp_agent::logging::init_logging(LogFormat::Plain, "info");
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(nxtp_agent::run_until::<A>(config, shutdown.clone()));
        Self {
            shutdown,
            task,
            agent: PhantomData,
        }
    }

    /// Cancels it, which drops each of its tasks at whatever await it is at, as a crash there
    /// would; asserts it had run without error.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(crate::TIMEOUT, self.task)
            .await
            .expect("stops in time")
            .expect("did not panic")
            .expect("ran without error");
    }
}

/// Agent `A` on its own runtime and threads, which [`Crashable::crash`] drops without any
/// shutdown: every task stops at whatever await it was at, as in a process killed there.
pub struct Crashable<A> {
    runtime: Option<tokio::runtime::Runtime>,
    agent: PhantomData<A>,
}

impl<A: Agent + 'static> Crashable<A>
where
    A::Config: 'static,
{
    /// Starts it with `config`.
    pub fn start(config: A::Config) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("builds a runtime");
        runtime.spawn(nxtp_agent::run_until::<A>(config, CancellationToken::new()));
        Self {
            runtime: Some(runtime),
            agent: PhantomData,
        }
    }
}

impl<A> Crashable<A> {
    /// Kills it where it stands.
    pub fn crash(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl<A> Drop for Crashable<A> {
    fn drop(&mut self) {
        self.shut_down();
    }
}
