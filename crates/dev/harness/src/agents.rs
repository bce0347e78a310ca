//! The messaging agents, in-process, each on its own task with the config the devnet would give it.

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

/// The running messaging agents.
pub struct MessagingAgents {
    shutdown: CancellationToken,
    tasks: Vec<(String, JoinHandle<Result<(), RunError>>)>,
}

impl MessagingAgents {
    /// Starts an updater per domain, the message relayer, the processor and the watcher for `manifest`, their
    /// configs and databases in `dir`. The devnet's other agents are left out.
    pub async fn start(manifest: &Manifest, dir: &Path) -> Result<Self, AgentsError> {
        let options = AgentOptions::default();
        // The watcher acts on the head, as these tests have always run it.
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
        let mut agents = Self {
            shutdown: CancellationToken::new(),
            tasks: Vec::new(),
        };
        for spec in specs {
            let started = match spec.subcommand.as_str() {
                "updater" => agents.spawn::<nxtp_updater::Updater>(&spec, dir),
                "message-relayer" => {
                    agents.spawn::<nxtp_message_relayer::MessageRelayer>(&spec, dir)
                }
                "processor" => agents.spawn::<nxtp_processor::Processor>(&spec, dir),
                "watcher" => agents.spawn::<nxtp_watcher::Watcher>(&spec, dir),
                _ => Ok(()),
            };
            if let Err(err) = started {
                agents.stop().await;
                return Err(err);
            }
        }
        Ok(agents)
    }

    fn spawn<A: Agent + 'static>(&mut self, spec: &AgentSpec, dir: &Path) -> Result<(), AgentsError>
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
                Ok(Err(err)) => eprintln!("messaging agent {name} failed: {err}"),
                Err(err) => eprintln!("messaging agent {name} panicked: {err}"),
            }
        }
    }
}
