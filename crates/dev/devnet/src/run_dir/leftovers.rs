//! Processes a dead devnet left running in its run folder, found by the folder they carry in
//! [`RunDir::OWNER_ENV`], and stopped.
//!
//! Matching the environment rather than recorded process ids means a reused id never gets an unrelated
//! process killed, and a grandchild whose parent died (the real anvil under a killed Node wrapper) is
//! still found.

use crate::RunDir;
use rustix::process::{kill_process, Pid, Signal};
use std::{
    os::unix::ffi::OsStrExt,
    path::Path,
    time::{Duration, Instant},
};

/// How long leftovers have to exit after SIGTERM: the supervisor's default grace.
const GRACE: Duration = Duration::from_secs(10);
/// How long to wait for killed leftovers to disappear.
const KILL_WAIT: Duration = Duration::from_secs(5);
/// How often to look whether they are gone.
const POLL: Duration = Duration::from_millis(50);

/// Stops every process (other than this one) whose environment names `run_dir` as its devnet's run
/// folder: SIGTERM, then SIGKILL for those still running after a grace period. Returns their ids.
pub(super) fn stop(run_dir: &Path) -> Vec<u32> {
    let found = find(run_dir);
    if found.is_empty() {
        return found;
    }
    signal_all(&found, Signal::TERM);
    if !all_gone_by(&found, Instant::now() + GRACE) {
        signal_all(&found, Signal::KILL);
        all_gone_by(&found, Instant::now() + KILL_WAIT);
    }
    found
}

/// The ids of running processes (this one aside) carrying `run_dir` in [`RunDir::OWNER_ENV`]. Processes
/// whose environment cannot be read (another user's, or gone meanwhile) are not ours to stop.
fn find(run_dir: &Path) -> Vec<u32> {
    let mut marker = format!("{}=", RunDir::OWNER_ENV).into_bytes();
    marker.extend_from_slice(run_dir.as_os_str().as_bytes());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let own = std::process::id();
    let mut found: Vec<u32> = entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| pid != own && running(pid))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| {
                environ
                    .split(|&byte| byte == 0)
                    .any(|entry| entry == marker.as_slice())
            })
        })
        .collect();
    found.sort_unstable();
    found
}

fn signal_all(pids: &[u32], signal: Signal) {
    for pid in pids {
        if let Some(pid) = i32::try_from(*pid).ok().and_then(Pid::from_raw) {
            // Gone already is fine.
            let _ = kill_process(pid, signal);
        }
    }
}

/// Polls until none of `pids` is running or `deadline` passes; whether they all went.
fn all_gone_by(pids: &[u32], deadline: Instant) -> bool {
    loop {
        if !pids.iter().any(|&pid| running(pid)) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

/// Whether `pid` is a running process (not a zombie waiting for its parent to reap it).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .is_some_and(|stat| state_of(&stat).is_some_and(|state| !matches!(state, "Z" | "X" | "x")))
}

/// The state field of a `/proc/<pid>/stat` line: `pid (comm) state …`, where `comm` may itself contain
/// spaces and parentheses.
fn state_of(stat: &str) -> Option<&str> {
    stat.get(stat.rfind(')')? + 1..)?.split_whitespace().next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Command, Stdio};

    #[test]
    fn stat_lines_give_the_state() {
        assert_eq!(state_of("42 (anvil) S 1 40 40 0 -1"), Some("S"));
        assert_eq!(state_of("42 (a (b) c) Z 1 7 7 0"), Some("Z"));
        assert_eq!(state_of("garbage"), None);
    }

    #[test]
    fn only_processes_of_the_folder_are_stopped() {
        if !Path::new("/proc/self/environ").exists() {
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let ours = dir.path().join("run");
        let theirs = dir.path().join("run-other");
        let sleeper = |folder: &Path| {
            Command::new("sleep")
                .arg("600")
                .env(RunDir::OWNER_ENV, folder)
                .stdin(Stdio::null())
                .spawn()
                .expect("spawn sleep")
        };
        let mut left = sleeper(&ours);
        let mut other = sleeper(&theirs);
        assert_eq!(stop(&ours), [left.id()]);
        assert!(left.wait().expect("wait").code().is_none(), "signalled");
        assert!(other.try_wait().expect("try_wait").is_none(), "untouched");
        let _ = other.kill();
        let _ = other.wait();
    }
}
