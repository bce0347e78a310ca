//! What the processor's and the watcher's binary tests share: the messaging net of
//! `nxtp_testnet` with one-second blocks (the updater's and relayer's jobs done by hand), and the
//! built `nxtp` run as an agent process that can be SIGKILLed.

#![allow(dead_code, unreachable_pub)]

use nxtp_testnet::TIMEOUT;
use std::{
    fs::File,
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

// Each test binary uses its own part of the fixture.
#[allow(unused_imports)]
pub use nxtp_testnet::{eventually, TestNet as Net};

/// The built `nxtp` running one agent, its output appended to a log file. Killed (SIGKILL) when
/// dropped.
pub struct AgentProcess {
    /// Behind a mutex so polls can check on it through a shared reference.
    child: Mutex<Child>,
    log: PathBuf,
    /// How many runs had started in the log before this one: a restarted agent appends to the
    /// log of the run it replaces.
    earlier_starts: usize,
}

/// The log's lines saying an agent started.
fn start_lines(log: &str) -> impl DoubleEndedIterator<Item = &str> {
    log.lines().filter(|line| line.contains("agent started"))
}

impl AgentProcess {
    /// `nxtp <subcommand> --config <config>` with `env` set.
    pub fn spawn(subcommand: &str, config: &Path, log: &Path, env: &[(&str, &str)]) -> Self {
        let earlier_starts = start_lines(&std::fs::read_to_string(log).unwrap_or_default()).count();
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .expect("opens the log");
        let err = out.try_clone().expect("clones the log");
        let child = Command::new(env!("CARGO_BIN_EXE_nxtp"))
            .arg(subcommand)
            .arg("--config")
            .arg(config)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawns nxtp");
        Self {
            child: Mutex::new(child),
            log: log.to_owned(),
            earlier_starts,
        }
    }

    fn child(&self) -> MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// SIGKILL: no shutdown, no flushing, whatever the agent was doing.
    pub fn kill(self) {
        let mut child = self.child();
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }

    /// Panics with the log if the process has exited.
    pub fn assert_running(&self) {
        let exited = self.child().try_wait().expect("try_wait");
        if let Some(status) = exited {
            panic!("the agent exited ({status}):\n{}", self.log_text());
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The ops server's address, from this run's "agent started" line of the log (once it has
    /// started).
    pub async fn ops_addr(&self) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let log = self.log_text();
            if let Some(addr) = start_lines(&log)
                .nth(self.earlier_starts)
                .and_then(|line| line.split("ops_addr=").nth(1))
                .and_then(|rest| rest.split_whitespace().next())
            {
                return addr.to_owned();
            }
            assert!(Instant::now() < deadline, "no ops address in:\n{log}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        let mut child = self.child();
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// `GET path` on `addr`: the status code and the body.
pub fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).expect("connects to the ops server");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("sends");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("reads");
    let (head, body) = response.split_once("\r\n\r\n").expect("header end");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("status line");
    (status, body.to_owned())
}

/// The least block the agent serving `ops` has indexed on `domain`'s chain, over its indexer
/// streams there (`nxtp_chain_indexed_block`); `None` before it indexed any.
pub fn indexed_block(ops: &str, domain: u32) -> Option<u64> {
    let (_, metrics) = http_get(ops, "/metrics");
    let chain = format!("chain=\"{domain}\"");
    metrics
        .lines()
        .filter(|line| line.starts_with("nxtp_chain_indexed_block{") && line.contains(&chain))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .min()
}

/// Whether the agent serving `ops` answers healthy and has read each `(domain, block)` chain up
/// to that block: what a test waits on before asserting that the agent did *not* do something
/// about those blocks. A restarted indexer reports only blocks it reads anew, so each block must
/// be one mined after the agent started.
pub fn caught_up(ops: &str, blocks: &[(u32, u64)]) -> bool {
    http_get(ops, "/health").0 == 200
        && blocks
            .iter()
            .all(|&(domain, block)| indexed_block(ops, domain).is_some_and(|read| read >= block))
}

/// Runs `nxtp <args>` to its exit: the exit code and stderr.
pub fn run_to_exit(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_nxtp"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("runs nxtp");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
