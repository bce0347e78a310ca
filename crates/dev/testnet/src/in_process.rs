//! Agents running in the test's process, each on its own task with the config the devnet would give it.
//!
//! This crate depends on no agent crate (their tests depend on it), so which agent type runs a spec is the
//! caller's to say: a [`Launch`] matches a spec's subcommand to an agent type and calls
//! [`InProcessAgents::spawn`] with it. The `nxtp` binary's tests, which link every agent, give one.

use nxtp_agent::{Agent, CancellationToken, ConfigError, RunError};
use nxtp_deployment::Manifest;
use nxtp_devnet::{AgentOptions, AgentSpec};
use std::path::Path;
use tokio::task::JoinHandle;

/// Why the agents could not start.
#[derive(Debug, thiserror::Error)]
pub enum AgentsError {
    /// A generated config could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The config file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A generated config does not load.
    #[error("the devnet's config of {agent} does not load")]
    Config {
        /// The agent.
        agent: String,
        /// Why.
        #[source]
        source: Box<ConfigError>,
    },
}

/// Starts the agent a spec describes, by its subcommand, with [`InProcessAgents::spawn`]; a subcommand it
/// does not run is left out (`Ok`).
pub type Launch = fn(&mut InProcessAgents, &AgentSpec, &Path) -> Result<(), AgentsError>;

/// The devnet's messaging agents for `manifest` (an updater per domain, the message relayer, the processor
/// and the watcher), their databases in `dir`. The watcher acts on the head, as these tests have always run
/// it; the others take the devnet's default options.
pub fn messaging_agent_specs(manifest: &Manifest, dir: &Path) -> Vec<AgentSpec> {
    let options = AgentOptions::default();
    let watcher = AgentOptions {
        confirmations: 0,
        ..AgentOptions::default()
    };
    let mut specs = nxtp_devnet::updater_agent::specs(manifest, dir, &options);
    specs.extend(nxtp_devnet::message_relayer_agent::spec(
        manifest, dir, &options,
    ));
    specs.extend(nxtp_devnet::processor_agent::spec(manifest, dir, &options));
    specs.extend(nxtp_devnet::watcher_agent::spec(manifest, dir, &watcher));
    specs
}

/// Running agents.
pub struct InProcessAgents {
    shutdown: CancellationToken,
    tasks: Vec<(String, JoinHandle<Result<(), RunError>>)>,
}

impl InProcessAgents {
    /// Starts every agent of `specs` that `launch` runs, their configs and databases in `dir`; on a failure
    /// stops those already started.
    pub async fn start(
        specs: &[AgentSpec],
        dir: &Path,
        launch: Launch,
    ) -> Result<Self, AgentsError> {
        let mut agents = Self {
            shutdown: CancellationToken::new(),
            tasks: Vec::new(),
        };
        for spec in specs {
            if let Err(err) = launch(&mut agents, spec, dir) {
                agents.stop().await;
                return Err(err);
            }
        }
        Ok(agents)
    }

    /// Writes `spec`'s config to `<dir>/<name>.toml`, loads it as agent `A`'s and runs `A` on a task.
    pub fn spawn<A: Agent + 'static>(
        &mut self,
        spec: &AgentSpec,
        dir: &Path,
    ) -> Result<(), AgentsError>
    where
        A::Config: Send + 'static,
    {
        let path = dir.join(format!("{}.toml", spec.name));
        std::fs::write(&path, &spec.config_toml).map_err(|source| AgentsError::Write {
            path: path.display().to_string(),
            source,
        })?;
        let config: A::Config =
            nxtp_agent::config::load(&path).map_err(|source| AgentsError::Config {
                agent: spec.name.clone(),
                source: Box::new(source),
            })?;
        let shutdown = self.shutdown.child_token();
        self.tasks.push((
            spec.name.clone(),
            tokio::spawn(nxtp_agent::run_until::<A>(config, shutdown)),
        ));
        Ok(())
    }

    /// Stops every agent and waits for it; an agent that had failed is reported on stderr (tests see it).
    pub async fn stop(self) {
        self.shutdown.cancel();
        for (name, task) in self.tasks {
            match task.await {
                Ok(Ok(())) => {}
                Ok(Err(err)) => eprintln!("agent {name} failed: {err}"),
                Err(err) => eprintln!("agent {name} panicked: {err}"),
            }
        }
    }
}
