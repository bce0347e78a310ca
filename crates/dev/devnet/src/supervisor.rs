//! Runs each agent as its own OS process and keeps it running.
//!
//! An agent is `<program> <subcommand> --config <run>/<name>.toml`, its stdout and stderr appended to
//! `<run>/<name>.log` (with the supervisor's own lines about starts, exits and restarts, prefixed
//! `[nxtp devnet]`). A process that exits is restarted after a delay that doubles with each quick
//! failure up to a cap, and starts again from the initial delay once a run lasted long enough. On
//! shutdown every agent's process group gets SIGTERM, and SIGKILL if it is still there after a grace
//! period.
//!
//! The supervisor knows nothing about what an agent does: the devnet turns the manifest into
//! [`AgentSpec`]s (one config file each) and hands them over.

use crate::process::{self, GroupChild, Stopped};
use std::{
    collections::BTreeSet,
    io,
    path::PathBuf,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};
use tokio::{process::Command, task::JoinHandle};
use tokio_util::sync::CancellationToken;

/// One agent to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentSpec {
    /// Unique name; also the stem of its config and log file names (letters, digits, `-`, `_`).
    pub name: String,
    /// The first argument to the program, e.g. `updater`.
    pub subcommand: String,
    /// The config file's content, written to `<run>/<name>.toml`.
    pub config_toml: String,
}

/// How agents are run.
#[derive(Clone, Debug)]
pub struct SupervisorConfig {
    /// The program every agent runs (the `nxtp` binary).
    pub program: PathBuf,
    /// Where config and log files go.
    pub run_dir: PathBuf,
    /// Delay before the first restart after a quick failure.
    pub initial_backoff: Duration,
    /// The most the delay grows to.
    pub max_backoff: Duration,
    /// A run at least this long counts as healthy: the next restart waits only `initial_backoff`.
    pub stable_after: Duration,
    /// How long an agent has to exit after SIGTERM before it is killed.
    pub grace: Duration,
}

impl SupervisorConfig {
    /// Defaults for a devnet: restarts after 1 s, 2 s, 4 s, … up to 30 s; a minute of uptime resets
    /// the delay; 10 s to exit after SIGTERM.
    pub fn new(program: PathBuf, run_dir: PathBuf) -> Self {
        Self {
            program,
            run_dir,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(30),
            stable_after: Duration::from_secs(60),
            grace: Duration::from_secs(10),
        }
    }
}

/// Where an agent's files are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentFiles {
    /// The agent's name.
    pub name: String,
    /// Its generated config.
    pub config: PathBuf,
    /// Its stdout and stderr.
    pub log: PathBuf,
}

/// What the supervisor knows about one agent right now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AgentStatus {
    /// The agent's name.
    pub name: String,
    /// The running process, if one is running.
    pub pid: Option<u32>,
    /// How many times a process was started.
    pub starts: u32,
    /// How the last process ended (or why it could not start).
    pub last_exit: Option<String>,
    /// While waiting to restart: the delay chosen.
    pub restart_delay: Option<Duration>,
    /// Set once the agent was stopped for shutdown.
    pub stopped: bool,
}

/// Why the agents could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    /// A name that cannot be a file name stem.
    #[error("agent name {0:?} must be non-empty letters, digits, '-' or '_'")]
    InvalidName(String),
    /// Two agents with one name.
    #[error("two agents are named {0:?}")]
    DuplicateName(String),
    /// A config file could not be written.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
}

/// The running agents. Dropping it stops them too, but only [`Supervisor::shutdown`] waits for that.
#[derive(Debug)]
pub struct Supervisor {
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    agents: Vec<AgentFiles>,
    status: Arc<Mutex<Vec<AgentStatus>>>,
}

impl Supervisor {
    /// Writes each agent's config and starts it. Must be called within a tokio runtime.
    pub fn start(specs: Vec<AgentSpec>, config: SupervisorConfig) -> Result<Self, SupervisorError> {
        check_names(&specs)?;
        let mut agents = Vec::with_capacity(specs.len());
        for spec in &specs {
            let files = AgentFiles {
                name: spec.name.clone(),
                config: config.run_dir.join(format!("{}.toml", spec.name)),
                log: config.run_dir.join(format!("{}.log", spec.name)),
            };
            std::fs::write(&files.config, &spec.config_toml).map_err(|source| {
                SupervisorError::Write {
                    path: files.config.clone(),
                    source,
                }
            })?;
            agents.push(files);
        }
        let status = Arc::new(Mutex::new(
            specs
                .iter()
                .map(|spec| AgentStatus {
                    name: spec.name.clone(),
                    ..AgentStatus::default()
                })
                .collect(),
        ));
        let cancel = CancellationToken::new();
        let config = Arc::new(config);
        let tasks = specs
            .into_iter()
            .zip(&agents)
            .enumerate()
            .map(|(index, (spec, files))| {
                let run = Run {
                    index,
                    subcommand: spec.subcommand,
                    files: files.clone(),
                    config: Arc::clone(&config),
                    status: Arc::clone(&status),
                    cancel: cancel.clone(),
                };
                tokio::spawn(run.supervise())
            })
            .collect();
        Ok(Self {
            cancel,
            tasks,
            agents,
            status,
        })
    }

    /// Each agent's files, in the order given.
    pub fn agents(&self) -> &[AgentFiles] {
        &self.agents
    }

    /// A snapshot of every agent's state, in the order given.
    pub fn status(&self) -> Vec<AgentStatus> {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops every agent (SIGTERM to each process group, SIGKILL after the grace period), in parallel,
    /// and waits until all have exited.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        for task in std::mem::take(&mut self.tasks) {
            if let Err(err) = task.await {
                tracing::error!(error = %err, "an agent's supervising task failed");
            }
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn check_names(specs: &[AgentSpec]) -> Result<(), SupervisorError> {
    let mut seen = BTreeSet::new();
    for spec in specs {
        let valid = !spec.name.is_empty()
            && spec
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(SupervisorError::InvalidName(spec.name.clone()));
        }
        if !seen.insert(spec.name.as_str()) {
            return Err(SupervisorError::DuplicateName(spec.name.clone()));
        }
    }
    Ok(())
}

/// One agent's supervising task.
struct Run {
    index: usize,
    subcommand: String,
    files: AgentFiles,
    config: Arc<SupervisorConfig>,
    status: Arc<Mutex<Vec<AgentStatus>>>,
    cancel: CancellationToken,
}

impl Run {
    async fn supervise(self) {
        let mut backoff = self.config.initial_backoff.min(self.config.max_backoff);
        while !self.cancel.is_cancelled() {
            let started = Instant::now();
            let outcome = match self.spawn() {
                Err(err) => format!("could not start: {err}"),
                Ok(mut child) => {
                    let pid = child.id();
                    self.update(|status| {
                        status.pid = pid;
                        status.starts += 1;
                        status.restart_delay = None;
                    });
                    self.log(&format!(
                        "started `{} {} --config {}` (pid {})",
                        self.config.program.display(),
                        self.subcommand,
                        self.files.config.display(),
                        pid.map_or_else(|| "?".to_owned(), |pid| pid.to_string()),
                    ));
                    tokio::select! {
                        biased;
                        () = self.cancel.cancelled() => {
                            self.stop(&mut child).await;
                            return;
                        }
                        exit = child.wait() => match exit {
                            Ok(status) => format!("exited ({status})"),
                            Err(err) => format!("could not be waited for: {err}"),
                        },
                    }
                }
            };
            let delay = if started.elapsed() >= self.config.stable_after {
                self.config.initial_backoff.min(self.config.max_backoff)
            } else {
                backoff
            };
            backoff = delay.saturating_mul(2).min(self.config.max_backoff);
            self.log(&format!("{outcome}; restarting in {delay:?}"));
            tracing::warn!(agent = %self.files.name, %outcome, ?delay, "agent ended; restarting");
            self.update(|status| {
                status.pid = None;
                status.last_exit = Some(outcome);
                status.restart_delay = Some(delay);
            });
            tokio::select! {
                biased;
                () = self.cancel.cancelled() => break,
                () = tokio::time::sleep(delay) => {}
            }
        }
        self.update(|status| status.stopped = true);
    }

    fn spawn(&self) -> io::Result<GroupChild> {
        let mut command = Command::new(&self.config.program);
        command
            .arg(&self.subcommand)
            .arg("--config")
            .arg(&self.files.config)
            .current_dir(&self.config.run_dir);
        process::spawn_logged(command, &self.files.log)
    }

    async fn stop(&self, child: &mut GroupChild) {
        let outcome = match child.terminate(self.config.grace).await {
            Ok(Stopped::Gracefully(status)) => format!("stopped ({status})"),
            Ok(Stopped::Killed(status)) => format!(
                "did not exit within {:?} of SIGTERM; killed ({status})",
                self.config.grace
            ),
            Err(err) => format!("could not be stopped: {err}"),
        };
        self.log(&outcome);
        tracing::info!(agent = %self.files.name, %outcome, "agent stopped");
        self.update(|status| {
            status.pid = None;
            status.last_exit = Some(outcome);
            status.stopped = true;
        });
    }

    fn log(&self, line: &str) {
        process::log_line(&self.files.log, line);
    }

    fn update(&self, change: impl FnOnce(&mut AgentStatus)) {
        let mut all = self.status.lock().unwrap_or_else(PoisonError::into_inner);
        change(&mut all[self.index]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> AgentSpec {
        AgentSpec {
            name: name.to_owned(),
            subcommand: "x".to_owned(),
            config_toml: String::new(),
        }
    }

    #[test]
    fn names_must_be_unique_file_stems() {
        assert!(check_names(&[spec("updater"), spec("message-relayer_2")]).is_ok());
        for bad in ["", "../x", "a b", "a/b", "a.b"] {
            assert!(
                matches!(
                    check_names(&[spec(bad)]),
                    Err(SupervisorError::InvalidName(_))
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            check_names(&[spec("a"), spec("a")]),
            Err(SupervisorError::DuplicateName(_))
        ));
    }
}
