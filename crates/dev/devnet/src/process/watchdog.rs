//! The devnet's watchdog: a small process that outlives the devnet only long enough to stop every
//! child group the devnet left running, however the devnet ended (SIGKILL and crashes included).
//!
//! Why a watchdog rather than `PR_SET_PDEATHSIG` in each child: setting it between fork and exec needs
//! `unsafe` (the workspace forbids it); it is not inherited across fork, so the pinned anvil's Node
//! wrapper would die but the real anvil it runs would not; and it fires when the *thread* that spawned
//! the child exits, not the process. The watchdog instead reads a pipe whose only writer is the devnet
//! (Rust opens pipes close-on-exec, so no child inherits the write end): the devnet writes `+<group>`
//! when it starts a process group and `-<group>` once that group is stopped. When the pipe reads
//! end-of-file the devnet is gone: the watchdog sends SIGTERM to each group still listed, waits up to
//! [`GRACE`] for them to go, then sends SIGKILL. Signalling the group reaches grandchildren too.
//!
//! It is a POSIX shell script so that it needs no binary of its own; it leads its own process group
//! and ignores SIGINT and SIGHUP, so a terminal's Ctrl-C or a kill of the devnet's group does not take
//! it down with the devnet. If it cannot start, the devnet runs without it (and a later devnet on the
//! same run folder still stops what this one left, see [`crate::run_dir`]).

use rustix::process::Pid;
use std::{
    io::Write,
    os::unix::process::CommandExt,
    process::{ChildStdin, Command, Stdio},
    sync::{Mutex, OnceLock, PoisonError},
    time::Duration,
};

/// How long the children have to exit after SIGTERM once the devnet is gone: the supervisor's default
/// grace.
pub(crate) const GRACE: Duration = Duration::from_secs(10);

/// The script: `$1` is the grace period in tenths of a second.
const SCRIPT: &str = r#"
trap '' INT HUP
groups=' '
while IFS= read -r line; do
  case $line in
    +*) groups="$groups${line#+} " ;;
    -*) g=${line#-}
        case $groups in *" $g "*) groups="${groups%% $g *} ${groups#* $g }" ;; esac ;;
  esac
done
for g in $groups; do kill -s TERM -- "-$g" 2>/dev/null; done
ticks=0
while [ "$ticks" -lt "$1" ]; do
  alive=
  for g in $groups; do kill -s 0 -- "-$g" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && exit 0
  sleep 0.1
  ticks=$((ticks + 1))
done
for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done
"#;

/// The write end of the watchdog's pipe, once started (`None` if it could not start).
static WATCHDOG: OnceLock<Mutex<Option<ChildStdin>>> = OnceLock::new();

fn pipe() -> &'static Mutex<Option<ChildStdin>> {
    WATCHDOG.get_or_init(|| Mutex::new(start()))
}

fn start() -> Option<ChildStdin> {
    let ticks = GRACE.as_millis() / 100;
    let spawned = Command::new("/bin/sh")
        .arg("-c")
        .arg(SCRIPT)
        .arg("nxtp-devnet-watchdog")
        .arg(ticks.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    match spawned {
        // The child is never waited for: it lives as long as this process does (then exits on EOF).
        Ok(mut child) => child.stdin.take(),
        Err(err) => {
            tracing::warn!(error = %err, "cannot start the devnet's watchdog: a SIGKILL of the devnet would leave its children running");
            None
        }
    }
}

fn send(line: &str) {
    let mut guard = pipe().lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(stdin) = guard.as_mut() {
        if let Err(err) = writeln!(stdin, "{line}") {
            tracing::warn!(error = %err, "the devnet's watchdog is gone: a SIGKILL of the devnet would leave its children running");
            *guard = None;
        }
    }
}

/// Asks the watchdog to stop `group` if this process dies before [`forget`]ting it.
pub(crate) fn watch(group: Pid) {
    send(&format!("+{}", group.as_raw_nonzero()));
}

/// Tells the watchdog `group` is stopped (its id may be reused by anything from now on).
pub(crate) fn forget(group: Pid) {
    send(&format!("-{}", group.as_raw_nonzero()));
}
