//! The supervisor with real child processes (small shell scripts standing in for agents): restarts
//! with capped exponential backoff, backoff reset after a healthy run, graceful stop, SIGKILL after the
//! grace period for a process (group) that ignores SIGTERM.
//!
//! Agents run as `<program> <subcommand> --config <file>`; here the program is `/bin/sh` and the
//! "subcommand" is the script, so each script sees `--config <file>` as `$1 $2`.

use nxtp_devnet::{AgentSpec, AgentStatus, Supervisor, SupervisorConfig};
use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

fn script(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(format!("{name}.sh"));
    std::fs::write(&path, body).expect("write script");
    path.display().to_string()
}

fn config(dir: &Path) -> SupervisorConfig {
    SupervisorConfig {
        program: PathBuf::from("/bin/sh"),
        run_dir: dir.to_owned(),
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(400),
        stable_after: Duration::from_secs(30),
        grace: Duration::from_secs(5),
    }
}

fn spec(name: &str, script: String) -> AgentSpec {
    AgentSpec {
        name: name.to_owned(),
        subcommand: script,
        config_toml: format!("name = \"{name}\"\n"),
    }
}

async fn wait_for(
    supervisor: &Supervisor,
    what: &str,
    done: impl Fn(&AgentStatus) -> bool,
) -> AgentStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = supervisor.status().remove(0);
        if done(&status) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn log(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(format!("{name}.log"))).expect("agent log")
}

/// Delays announced in "restarting in …" lines, in order.
fn restart_delays(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|line| line.split("restarting in ").nth(1))
        .map(str::to_owned)
        .collect()
}

/// Whether `pid` is a live process (not gone, not a zombie).
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesized command name.
        Ok(stat) => {
            !matches!(stat.rsplit(')').next().map(str::trim_start), Some(s) if s.starts_with('Z') || s.starts_with('X'))
        }
        Err(_) => false,
    }
}

#[tokio::test]
async fn a_crashing_agent_is_restarted_with_capped_exponential_backoff() {
    let dir = tempfile::tempdir().expect("tempdir");
    let crash = script(
        dir.path(),
        "crash",
        "echo \"run with $1 $(cat \"$2\")\"; echo oops >&2; exit 3\n",
    );
    let started = Instant::now();
    let supervisor =
        Supervisor::start(vec![spec("crasher", crash)], config(dir.path())).expect("start");
    let status = wait_for(&supervisor, "five starts", |s| s.starts >= 5).await;
    let elapsed = started.elapsed();
    supervisor.shutdown().await;

    assert_eq!(status.last_exit.as_deref(), Some("exited (exit status: 3)"));
    // Four waits of at least 100 + 200 + 400 + 400 ms happened before the fifth start.
    assert!(elapsed >= Duration::from_millis(1100), "{elapsed:?}");
    let log = log(dir.path(), "crasher");
    assert_eq!(
        restart_delays(&log)[..4],
        ["100ms", "200ms", "400ms", "400ms"],
        "{log}"
    );
    assert!(
        log.contains("run with --config name = \"crasher\""),
        "stdout and the generated config reach the agent: {log}"
    );
    assert!(log.contains("oops"), "stderr is logged too: {log}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("crasher.toml")).expect("config"),
        "name = \"crasher\"\n"
    );
}

#[tokio::test]
async fn a_healthy_run_resets_the_backoff() {
    let dir = tempfile::tempdir().expect("tempdir");
    let flaky = script(dir.path(), "flaky", "sleep 0.3; exit 1\n");
    let mut config = config(dir.path());
    config.stable_after = Duration::from_millis(200);
    let supervisor = Supervisor::start(vec![spec("flaky", flaky)], config).expect("start");
    wait_for(&supervisor, "four starts", |s| s.starts >= 4).await;
    supervisor.shutdown().await;
    let log = log(dir.path(), "flaky");
    let delays = restart_delays(&log);
    assert!(delays.len() >= 3, "{log}");
    assert!(delays.iter().all(|d| d == "100ms"), "{log}");
}

#[tokio::test]
async fn shutdown_stops_an_agent_with_sigterm_and_does_not_restart_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let polite = script(
        dir.path(),
        "polite",
        "trap 'echo got TERM; exit 0' TERM\necho ready\nwhile true; do sleep 0.05; done\n",
    );
    let supervisor =
        Supervisor::start(vec![spec("polite", polite)], config(dir.path())).expect("start");
    let running = wait_for(&supervisor, "the agent to be ready", |s| s.pid.is_some()).await;
    let pid = running.pid.expect("pid");
    // The trap is set before `ready` is printed.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !log(dir.path(), "polite").contains("ready") {
        assert!(Instant::now() < deadline, "agent never got ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stopping = Instant::now();
    supervisor.shutdown().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(3),
        "exited on SIGTERM, well within the grace period: {:?}",
        stopping.elapsed()
    );
    let log = log(dir.path(), "polite");
    assert_eq!(log.matches("] started `").count(), 1, "{log}");
    assert!(log.contains("got TERM"), "{log}");
    assert!(log.contains("stopped (exit status: 0)"), "{log}");
    assert!(!log.contains("restarting"), "{log}");
    assert!(!alive(pid));
}

#[tokio::test]
async fn an_agent_that_ignores_sigterm_is_killed_with_its_children() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stubborn = script(
        dir.path(),
        "stubborn",
        "trap '' TERM\nsleep 1000 &\necho $! > \"$(dirname \"$2\")/sleeper.pid\"\nwait\n",
    );
    let mut config = config(dir.path());
    config.grace = Duration::from_millis(500);
    let supervisor = Supervisor::start(vec![spec("stubborn", stubborn)], config).expect("start");
    let running = wait_for(&supervisor, "the agent to start", |s| s.pid.is_some()).await;
    let pid_file = dir.path().join("sleeper.pid");
    let deadline = Instant::now() + Duration::from_secs(10);
    let sleeper: u32 = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|text| text.trim().parse().ok())
        {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "the agent never started its child"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(alive(sleeper));

    let stopping = Instant::now();
    supervisor.shutdown().await;
    assert!(
        stopping.elapsed() >= Duration::from_millis(500),
        "waited out the grace period"
    );
    let log = log(dir.path(), "stubborn");
    assert!(
        log.contains("did not exit within 500ms of SIGTERM; killed"),
        "{log}"
    );
    assert!(!alive(running.pid.expect("pid")));
    // The whole process group went, not just its leader.
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(sleeper) {
        assert!(Instant::now() < deadline, "the agent's child survived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_program_that_cannot_start_is_retried_and_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = config(dir.path());
    config.program = dir.path().join("no-such-binary");
    let supervisor =
        Supervisor::start(vec![spec("ghost", "updater".to_owned())], config).expect("start");
    let status = wait_for(&supervisor, "a failed start", |s| s.last_exit.is_some()).await;
    assert_eq!(status.starts, 0);
    assert!(
        status
            .last_exit
            .as_deref()
            .is_some_and(|e| e.starts_with("could not start")),
        "{status:?}"
    );
    supervisor.shutdown().await;
    assert!(log(dir.path(), "ghost").contains("could not start"));
}

#[test]
fn specs_are_checked_before_anything_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let _guard = runtime.enter();
    let err = Supervisor::start(
        vec![spec("a", "x".into()), spec("a", "y".into())],
        config(dir.path()),
    )
    .expect_err("duplicate");
    assert_eq!(err.to_string(), "two agents are named \"a\"");
    assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
}
