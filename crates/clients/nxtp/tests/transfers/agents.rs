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

/// The devnet's agents without [`OWN_ROUTER`], which the test runs as a [`RouterProcess`].
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

/// [`OWN_ROUTER`] run by the test with the devnet's generated config: it is not restarted when
/// killed. Killed when dropped.
pub struct RouterProcess {
    child: Option<Child>,
    config: PathBuf,
    log: PathBuf,
}

impl RouterProcess {
    /// Writes the router's config next to the devnet's and starts it.
    pub fn start(manifest: &Manifest, run_dir: &Path) -> Self {
        let services = manifest.services.as_ref().expect("services");
        let config = router_agent::config_toml(
            manifest,
            run_dir,
            OWN_ROUTER,
            &services.sequencer_url,
            &AgentOptions::default(),
        )
        .expect("router config");
        let path = run_dir.join(format!("{OWN_ROUTER}.toml"));
        std::fs::write(&path, config).expect("writes router config");
        let mut router = Self {
            child: None,
            config: path,
            log: run_dir.join(format!("{OWN_ROUTER}.log")),
        };
        router.restart();
        router
    }

    /// Starts the router again (after [`RouterProcess::kill`]), on the same database.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "{OWN_ROUTER} already runs");
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("opens router log");
        let child = Command::new(env!("CARGO_BIN_EXE_nxtp"))
            .arg("router-agent")
            .arg("--config")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clones log"))
            .stderr(log)
            .spawn()
            .expect("spawns the router");
        self.child = Some(child);
    }

    /// SIGKILL, and reaped.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("the router runs");
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!(
                "{OWN_ROUTER} had already exited ({status}); see {}",
                self.log.display()
            );
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }
}

impl Drop for RouterProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
