//! Child processes of the devnet: each runs in its own process group with stdout and stderr appended
//! to one log file, and is stopped with SIGTERM to the whole group, then SIGKILL after a grace period.
//!
//! Own process groups keep a terminal's Ctrl-C (delivered to the whole foreground group) away from the
//! children, so the devnet alone decides the order in which things stop and nothing restarts a child
//! that is merely shutting down.
//!
//! Nothing outlives the devnet: every group is handed to the [`watchdog`], which stops it if the devnet
//! dies without stopping it (SIGKILL included), and every child carries its run folder in
//! [`RunDir::OWNER_ENV`](crate::RunDir::OWNER_ENV), so the next devnet on that folder can find and stop
//! anything that escaped both (see [`crate::run_dir`]).

mod watchdog;

use crate::RunDir;
use rustix::process::{kill_process_group, test_kill_process_group, Pid, Signal};
use std::{
    fs::{File, OpenOptions},
    io::{self, Write},
    path::Path,
    process::{ExitStatus, Stdio},
    time::{Duration, Instant},
};
use tokio::process::{Child, Command};

/// Opens `path` for appending (creating it), for a child's stdout and stderr.
pub(crate) fn open_log(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Appends one line from the devnet itself to a child's log, so the log tells the whole story of the
/// process (starts, exits, restarts). Best effort: a log line is not worth failing over.
pub(crate) fn log_line(path: &Path, line: &str) {
    if let Ok(mut file) = open_log(path) {
        let _ = writeln!(file, "[nxtp devnet] {line}");
    }
}

/// A child leading its own process group. Dropping it kills the whole group, so an early return or a
/// panic never leaves processes behind, including grandchildren: the pinned `anvil` is a node wrapper
/// that runs the real binary as its child, and killing only the wrapper would orphan the chain.
#[derive(Debug)]
pub(crate) struct GroupChild {
    child: Child,
    group: Option<Pid>,
    finished: bool,
}

/// Spawns `command` in a new process group with stdin closed and stdout and stderr appended to `log`.
/// The folder of `log` is the run folder the child belongs to (see [`RunDir::OWNER_ENV`]).
pub(crate) fn spawn_logged(mut command: Command, log: &Path) -> io::Result<GroupChild> {
    let stdout = open_log(log)?;
    let stderr = stdout.try_clone()?;
    if let Some(run_dir) = log.parent() {
        command.env(RunDir::OWNER_ENV, run_dir);
    }
    command
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .process_group(0)
        .kill_on_drop(true);
    let child = command.spawn()?;
    let group = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(Pid::from_raw);
    if let Some(group) = group {
        watchdog::watch(group);
    }
    Ok(GroupChild {
        child,
        group,
        finished: false,
    })
}

/// How a child ended when it was stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// It exited within the grace period after SIGTERM (or had already exited).
    Gracefully(ExitStatus),
    /// It ignored SIGTERM and was killed.
    Killed(ExitStatus),
}

impl GroupChild {
    /// The leader's process id while it runs.
    pub(crate) fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// The leader's exit status if it has exited.
    pub(crate) fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// Waits for the leader to exit, then kills whatever is left of its group (a crashed agent's
    /// children must not outlive it into the next restart).
    pub(crate) async fn wait(&mut self) -> io::Result<ExitStatus> {
        let status = self.child.wait().await?;
        self.kill_group();
        Ok(status)
    }

    /// Stops the group: SIGTERM, then SIGKILL for whatever is still alive after `grace` (the leader
    /// or anything else in its group). Returns once the leader is reaped and no member of the group is
    /// still running, so a stopped chain's port is closed on return.
    pub(crate) async fn terminate(&mut self, grace: Duration) -> io::Result<Stopped> {
        let deadline = Instant::now() + grace;
        let status = match self.child.try_wait()? {
            Some(status) => Some(status),
            None => {
                signal_group(self.group, Signal::TERM);
                match tokio::time::timeout_at(deadline.into(), self.child.wait()).await {
                    Ok(status) => Some(status?),
                    Err(_) => None,
                }
            }
        };
        // The leader may exit before the rest of its group (the anvil wrapper re-raises the signal on
        // itself at once): wait for the others too, within the same grace period.
        let group_gone = status.is_some() && self.group_gone_by(deadline).await;
        if !group_gone {
            signal_group(self.group, Signal::KILL);
        }
        let leader = match status {
            Some(status) => status,
            None => self.child.wait().await?,
        };
        self.group_gone_by(Instant::now() + KILL_WAIT).await;
        self.finish();
        Ok(if status.is_some() && group_gone {
            Stopped::Gracefully(leader)
        } else {
            Stopped::Killed(leader)
        })
    }

    /// Polls until no member of the group is running (zombies aside) or `deadline` passes.
    async fn group_gone_by(&self, deadline: Instant) -> bool {
        let Some(group) = self.group else {
            return true;
        };
        loop {
            if !group_running(group) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn kill_group(&mut self) {
        signal_group(self.group, Signal::KILL);
        self.finish();
    }

    /// Marks the group as stopped, for this handle and for the watchdog.
    fn finish(&mut self) {
        if !self.finished {
            self.finished = true;
            if let Some(group) = self.group {
                watchdog::forget(group);
            }
        }
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        if !self.finished {
            signal_group(self.group, Signal::KILL);
            self.finish();
        }
    }
}

/// How long to wait for a killed group to disappear.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// Whether any process of group `group` is running (not a zombie). Reads `/proc`; where there is none,
/// asks the kernel whether the group exists at all.
fn group_running(group: Pid) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return test_kill_process_group(group).is_ok();
    };
    let group = group.as_raw_nonzero().get();
    entries.flatten().any(|entry| {
        let is_pid = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.bytes().all(|b| b.is_ascii_digit()));
        is_pid
            && std::fs::read_to_string(entry.path().join("stat"))
                .ok()
                .and_then(|stat| running_in_group(&stat))
                == Some(group)
    })
}

/// The process group of a running (not zombie or dead) process, from its `/proc/<pid>/stat` line:
/// `pid (comm) state ppid pgrp …`, where `comm` may itself contain spaces and parentheses.
fn running_in_group(stat: &str) -> Option<i32> {
    let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
    let state = fields.next()?;
    let _ppid = fields.next()?;
    let group = fields.next()?.parse().ok()?;
    (!matches!(state, "Z" | "X" | "x")).then_some(group)
}

/// Signals the process group led by `pid`; a group that no longer exists is not an error.
fn signal_group(pid: Option<Pid>, signal: Signal) {
    if let Some(pid) = pid {
        let _ = kill_process_group(pid, signal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_give_the_group_of_running_processes_only() {
        assert_eq!(running_in_group("42 (anvil) S 1 40 40 0 -1"), Some(40));
        assert_eq!(running_in_group("42 (a (b) c) R 1 7 7 0"), Some(7));
        assert_eq!(running_in_group("42 (anvil) Z 1 40 40 0"), None);
        assert_eq!(running_in_group("garbage"), None);
    }
}
