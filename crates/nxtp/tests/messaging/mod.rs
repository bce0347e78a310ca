//! What the messaging agents' binary tests share: the messaging net of `nxtp_testnet` laid out
//! as the devnet lays it out, the built `nxtp` run as an agent process, and a reader for the
//! agents' databases.

#![allow(dead_code, unreachable_pub)]

use nxtp_testnet::{Mining, Options};
use rusqlite::{Connection, OpenFlags};
use std::{
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Mutex, PoisonError},
    time::Duration,
};

// Each test binary uses its own part of the fixture.
#[allow(unused_imports)]
pub use nxtp_testnet::{assert_one_new_root_per_old_root, eventually, TestNet as Net, TIMEOUT};

/// `chains` anvils for domains 1000, 2000, … mining a block every 250 ms, with every messaging
/// contract deployed and the manifest written where the devnet writes it
/// (`<dir>/manifest.json`), so the devnet's generated agent configs apply as they are.
pub async fn start(chains: usize) -> Net {
    let options = Options::numbered(chains).mining(Mining::every_ms(250));
    Net::start(options).await.expect("the net starts")
}

/// The built `nxtp` running `<subcommand> --config <config>`, its output appended to `log`.
pub struct AgentProcess {
    /// Behind a mutex so polls can check on it through a shared reference.
    child: Mutex<Child>,
    pub log: PathBuf,
}

impl AgentProcess {
    pub fn spawn(subcommand: &str, config: &Path, log: &Path) -> Self {
        let out = File::options()
            .create(true)
            .append(true)
            .open(log)
            .expect("opens log");
        let err = out.try_clone().expect("clones log");
        let child = Command::new(env!("CARGO_BIN_EXE_nxtp"))
            .arg(subcommand)
            .arg("--config")
            .arg(config)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("spawns nxtp");
        Self {
            child: Mutex::new(child),
            log: log.to_owned(),
        }
    }

    fn child(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// SIGKILL: the process gets no chance to finish anything.
    pub fn kill(self) {
        let mut child = self.child();
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }

    /// Fails the test (showing the log) if the process has exited.
    pub fn assert_running(&self) {
        let exited = self.child().try_wait().expect("try_wait");
        if let Some(status) = exited {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            panic!("the agent exited ({status}):\n{log}");
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

/// Runs `nxtp <args>` to completion: (exit code, stderr).
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

/// Reads an agent's database without writing to it (no migrations: the agent owns it), with
/// `read`; `None` until the agent has created its tables.
pub fn read_db<T>(db: &Path, read: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Option<T> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).ok()?;
    conn.busy_timeout(Duration::from_secs(5))
        .expect("sets busy timeout");
    match read(&conn) {
        Ok(value) => Some(value),
        Err(err) if err.to_string().contains("no such table") => None,
        Err(err) => panic!("cannot read {}: {err}", db.display()),
    }
}
