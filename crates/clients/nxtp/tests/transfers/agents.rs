//! Controlling agents from a test: SIGKILL, pausing one (SIGSTOP) so an ordering the test depends on
//! cannot race, and running a router outside the supervisor so that once killed it stays down.

use nxtp_deployment::Manifest;
use nxtp_devnet::{default_agents, router_agent, AgentOptions, AgentSpec};
use rustix::process::{kill_process, Pid, Signal};
use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

/// The router the test runs itself.
pub const OWN_ROUTER: &str = "router_a";

/// SIGKILL: the process gets no chance to finish anything.
pub fn sigkill(pid: u32, name: &str) {
    signal(pid, Signal::KILL, name);
}

fn signal(pid: u32, signal: Signal, name: &str) {
    let pid = Pid::from_raw(i32::try_from(pid).expect("pid fits")).expect("non-zero pid");
    kill_process(pid, signal).unwrap_or_else(|err| panic!("{signal:?} to {name}: {err}"));
}

/// A process stopped with SIGSTOP until this is dropped (SIGCONT), so a failing test never
/// leaves it frozen.
pub struct Paused {
    pid: u32,
    name: String,
}

impl Paused {
    pub fn new(pid: u32, name: &str) -> Self {
        signal(pid, Signal::STOP, name);
        Self {
            pid,
            name: name.to_owned(),
        }
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        // Not `signal`: a panic while a failing test unwinds would abort it, hiding the failure.
        if let Some(pid) = i32::try_from(self.pid).ok().and_then(Pid::from_raw) {
            if let Err(err) = kill_process(pid, Signal::CONT) {
                eprintln!("cannot resume {}: {err}", self.name);
            }
        }
    }
}

/// The devnet's agents without [`OWN_ROUTER`], which the test runs as a [`DetachedAgent`]
/// ([`start_own_router`]).
pub fn all_but_own_router(
    manifest: &Manifest,
    run_dir: &Path,
    options: &AgentOptions,
) -> Vec<AgentSpec> {
    default_agents(manifest, run_dir, options)
        .into_iter()
        .filter(|agent| agent.name != OWN_ROUTER)
        .collect()
}

/// An agent the test runs itself, outside the supervisor, from a config it wrote: once killed it
/// stays down until the test restarts it. Killed when dropped.
pub struct DetachedAgent {
    /// The `nxtp` subcommand that runs it.
    subcommand: &'static str,
    name: String,
    child: Option<Child>,
    config: PathBuf,
    log: PathBuf,
}

impl DetachedAgent {
    /// Writes `config` to `<name>.toml` in `run_dir` and starts `nxtp <subcommand>` on it, its
    /// output appended to `<name>.log` there.
    pub fn start(run_dir: &Path, subcommand: &'static str, name: &str, config: &str) -> Self {
        let path = run_dir.join(format!("{name}.toml"));
        std::fs::write(&path, config).unwrap_or_else(|err| panic!("writes {name}'s config: {err}"));
        let mut agent = Self {
            subcommand,
            name: name.to_owned(),
            child: None,
            config: path,
            log: run_dir.join(format!("{name}.log")),
        };
        agent.restart();
        agent
    }

    /// Starts it again (after [`DetachedAgent::kill`]), on the same config, database and log.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "{} already runs", self.name);
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap_or_else(|err| panic!("opens {}: {err}", self.log.display()));
        let child = Command::new(env!("CARGO_BIN_EXE_nxtp"))
            .arg(self.subcommand)
            .arg("--config")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clones the log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|err| panic!("spawns {}: {err}", self.name));
        self.child = Some(child);
    }

    /// Its pid, while it runs.
    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .unwrap_or_else(|| panic!("{} is not running", self.name))
            .id()
    }

    /// SIGKILL, and reaped.
    pub fn kill(&mut self) {
        let name = &self.name;
        let mut child = self
            .child
            .take()
            .unwrap_or_else(|| panic!("{name} is not running"));
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!(
                "{name} had already exited ({status}); see {}",
                self.log.display()
            );
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }
}

impl Drop for DetachedAgent {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts [`OWN_ROUTER`] as a [`DetachedAgent`], with the devnet's generated config.
pub fn start_own_router(manifest: &Manifest, run_dir: &Path) -> DetachedAgent {
    let services = manifest.services.as_ref().expect("services");
    let config = router_agent::config_toml(
        manifest,
        run_dir,
        OWN_ROUTER,
        &services.sequencer_url,
        &AgentOptions::default(),
    )
    .expect("router config");
    DetachedAgent::start(run_dir, "router-agent", OWN_ROUTER, &config)
}
