//! The built `nxtp` binary: `nxtp devnet` deploys and writes its manifest, stops everything cleanly on
//! SIGINT or with `--exit-after-deploy`, leaves nothing running when it is SIGKILLed, stops what a dead
//! devnet left before reusing its folder, and reports failures with their causes and a non-zero exit.

use nxtp_deployment::Manifest;
use nxtp_devnet::RunDir;
use rustix::process::{kill_process, Pid, Signal};
use std::{
    io::{BufRead, BufReader, Read},
    net::TcpStream,
    os::unix::{ffi::OsStrExt, process::CommandExt},
    path::Path,
    process::{Child, Command, ExitStatus, Output, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

fn nxtp() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nxtp"));
    command.env_remove("NXTP_ROOT").env_remove("NXTP_ANVIL");
    command
}

/// Waits for `child` to exit, killing it (and failing) after `limit`.
fn wait(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("nxtp did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs `command` to completion within `limit`.
fn run(mut command: Command, limit: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nxtp");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        text
    });
    let status = wait(&mut child, limit);
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

fn port_open(rpc_url: &str) -> bool {
    TcpStream::connect(rpc_url.trim_start_matches("http://")).is_ok()
}

/// `nxtp devnet <args> --run-dir <run_dir>`.
fn devnet(args: &[&str], run_dir: &Path) -> Command {
    let mut command = nxtp();
    command
        .arg("devnet")
        .args(args)
        .arg("--run-dir")
        .arg(run_dir);
    command
}

/// The stdout of a run that succeeded; panics with the status and both outputs otherwise.
fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{}\n{stdout}\n{stderr}",
        output.status
    );
    stdout
}

/// Panics naming the first of `expected` that `text` does not contain.
fn assert_mentions(text: &str, expected: &[&str]) {
    for expected in expected {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

/// Panics if any chain of `manifest` still listens.
fn assert_chains_stopped(manifest: &Manifest) {
    for deployment in manifest.domains.values() {
        assert!(
            !port_open(&deployment.rpc_url),
            "{} still open",
            deployment.rpc_url
        );
    }
}

fn check_manifest(run_dir: &Path, chains: usize) -> Manifest {
    let manifest = Manifest::load(&run_dir.join("manifest.json")).expect("manifest");
    assert_eq!(manifest.domains.len(), chains);
    assert_eq!(manifest.optimistic_seconds, 5, "the default window");
    for (domain, deployment) in &manifest.domains {
        assert_eq!(deployment.replicas.len(), chains - 1, "{domain}");
        assert!(deployment.contracts.contains_key("RecordingRecipient"));
        assert!(run_dir.join(format!("anvil-{domain}.log")).is_file());
    }
    for role in [
        "deployer",
        "updater",
        "watcher",
        "message_relayer",
        "processor",
    ] {
        assert!(manifest.dev_keys.contains_key(role), "{role}");
    }
    manifest
}

/// Starts `nxtp devnet <args>` on `run_dir` and returns once it reports running, with the lines it
/// printed so far.
fn start_running(args: &[&str], run_dir: &Path) -> (Child, mpsc::Receiver<String>) {
    let mut child = devnet(args, run_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn nxtp");
    let stdout = child.stdout.take().expect("stdout");
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match received.recv_timeout(left) {
            Ok(line) if line.starts_with("Running. Press Ctrl-C") => break,
            Ok(_) => {}
            Err(err) => {
                let _ = child.kill();
                panic!("the devnet never reported running: {err}");
            }
        }
    }
    (child, received)
}

/// The running processes (not zombies) whose environment names `run_dir` as their devnet's run
/// folder: every chain and agent a devnet started there, and their own children.
fn processes_of(run_dir: &Path) -> Vec<u32> {
    let mut marker = format!("{}=", RunDir::OWNER_ENV).into_bytes();
    marker.extend_from_slice(run_dir.as_os_str().as_bytes());
    let entries = std::fs::read_dir("/proc").expect("/proc");
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let running = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let state = stat
                        .get(stat.rfind(')')? + 1..)?
                        .split_whitespace()
                        .next()?;
                    Some(!matches!(state, "Z" | "X" | "x"))
                })
                .unwrap_or(false);
            running
                && std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|environ| {
                    environ
                        .split(|&byte| byte == 0)
                        .any(|entry| entry == marker.as_slice())
                })
        })
        .collect()
}

/// Waits until `done` holds, panicking with `what` after `limit`.
fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn exit_after_deploy_writes_the_manifest_and_leaves_nothing_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run_dir = dir.path().join("run");
    let command = devnet(
        &[
            "--chains",
            "2",
            "--block-time",
            "0.5",
            "--exit-after-deploy",
        ],
        &run_dir,
    );
    let stdout = succeeded(&run(command, Duration::from_secs(120)));

    let run_dir = run_dir.canonicalize().expect("run dir");
    let manifest = check_manifest(&run_dir, 2);
    assert_mentions(
        &stdout,
        &[
            "domain 1000",
            "domain 2000",
            "manifest.json",
            "updater-1000",
            "updater-2000",
            "message-relayer",
            "processor",
            "watcher",
            "relayer",
            "sequencer",
            "router_a",
            "router_b",
            "executor",
            "Connext",
            "sequencer API",
        ],
    );
    for deployment in manifest.domains.values() {
        assert!(stdout.contains(&deployment.rpc_url), "{stdout}");
    }
    assert_chains_stopped(&manifest);
}

#[test]
fn sigint_stops_the_devnet_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run_dir = dir.path().join("run");
    let (mut child, received) = start_running(&["--chains", "3"], &run_dir);
    let manifest = check_manifest(&run_dir.canonicalize().expect("run dir"), 3);
    for deployment in manifest.domains.values() {
        assert!(port_open(&deployment.rpc_url));
    }

    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid")).expect("pid");
    kill_process(pid, Signal::INT).expect("SIGINT");
    let status = wait(&mut child, Duration::from_secs(30));
    assert!(status.success(), "{status}");
    let rest: Vec<String> = received.try_iter().collect();
    assert!(rest.iter().any(|line| line == "Stopped."), "{rest:?}");
    assert_chains_stopped(&manifest);
}

#[test]
fn a_sigkilled_devnet_leaves_nothing_running_and_a_live_one_is_not_taken_over() {
    if !Path::new("/proc/self/environ").exists() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let run_dir = dir.path().join("run");
    let (mut child, _lines) = start_running(&["--chains", "3"], &run_dir);
    let run_dir = run_dir.canonicalize().expect("run dir");
    let manifest = check_manifest(&run_dir, 3);
    // 3 chains and 11 agents (and the real anvil under each wrapper, if the wrapper runs).
    let children = processes_of(&run_dir);
    assert!(children.len() >= 14, "{children:?}");

    // A second devnet on the folder is refused, naming the first; the first's files stay.
    let second = run(
        devnet(&["--exit-after-deploy"], &run_dir),
        Duration::from_secs(60),
    );
    assert_eq!(second.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains(&format!(
            "another devnet (pid {}) is running in",
            child.id()
        )),
        "{stderr}"
    );
    assert!(run_dir.join("manifest.json").is_file());
    assert_eq!(processes_of(&run_dir).len(), children.len());

    let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid")).expect("pid");
    kill_process(pid, Signal::KILL).expect("SIGKILL");
    wait(&mut child, Duration::from_secs(10));
    wait_until(
        Duration::from_secs(30),
        "every chain and agent of the killed devnet stops",
        || processes_of(&run_dir).is_empty(),
    );
    assert_chains_stopped(&manifest);
}

#[test]
fn a_devnet_stops_what_a_dead_one_left_before_emptying_its_folder() {
    if !Path::new("/proc/self/environ").exists() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let run_dir = dir.path().join("run");
    std::fs::create_dir(&run_dir).expect("mkdir");
    let run_dir = run_dir.canonicalize().expect("run dir");
    // What a killed devnet leaves: its (unlocked) lock file, its files, and, were the watchdog
    // killed with it, a child still running in its own process group.
    std::fs::write(run_dir.join("devnet.lock"), "4194303\n").expect("lock");
    std::fs::write(run_dir.join("agent.log"), "old").expect("log");
    let mut survivor = Command::new("sleep")
        .arg("600")
        .env(RunDir::OWNER_ENV, &run_dir)
        .stdin(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("spawn the survivor");
    assert_eq!(processes_of(&run_dir), [survivor.id()]);

    let command = devnet(
        &[
            "--chains",
            "1",
            "--block-time",
            "0.5",
            "--exit-after-deploy",
        ],
        &run_dir,
    );
    succeeded(&run(command, Duration::from_secs(120)));
    let status = wait(&mut survivor, Duration::from_secs(5));
    assert!(status.code().is_none(), "stopped by a signal: {status}");
    assert!(
        !run_dir.join("agent.log").exists(),
        "the old run's files are gone"
    );
    assert!(processes_of(&run_dir).is_empty());
}

#[test]
fn a_failure_is_reported_with_its_causes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = devnet(&["--exit-after-deploy"], &dir.path().join("run"));
    command.arg("--anvil").arg(dir.path().join("no-anvil"));
    let output = run(command, Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: cannot start the chains\n  caused by: anvil not found at"),
        "{stderr}"
    );
}

#[test]
fn bad_depth_options_are_refused_before_anything_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (args, expected) in [
        (
            &["--confirmations", "many"][..],
            "invalid value 'many' for '--confirmations <CONFIRMATIONS>': expected a whole number of blocks",
        ),
        (
            &["--finality", "safe"][..],
            "expected `finalized` or a depth in blocks (at least 1)",
        ),
        (&["--slots-in-an-epoch", "0"][..], "expected 1 to 1024 slots"),
        (
            &["--confirmations", "3", "--finality", "2"][..],
            "--finality 2 is shallower than --confirmations 3",
        ),
    ] {
        let mut command = devnet(&["--exit-after-deploy"], &dir.path().join("run"));
        command.args(args);
        let output = run(command, Duration::from_secs(60));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_ne!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!dir.path().join("run").exists(), "{args:?}: nothing started");
    }
}

#[test]
fn a_folder_that_is_not_a_devnets_is_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "keep me").expect("write");
    let command = devnet(&["--exit-after-deploy"], dir.path());
    let output = run(command, Duration::from_secs(60));
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: cannot use the run folder\n  caused by:")
            && stderr.contains("is not a devnet run folder"),
        "{stderr}"
    );
    assert!(dir.path().join("notes.txt").is_file());
}

#[test]
fn exit_after_demo_completes_every_demo_transfer_and_exits_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run_dir = dir.path().join("run");
    let command = devnet(
        &[
            "--block-time",
            "0.5",
            "--optimistic-seconds",
            "2",
            "--exit-after-demo",
        ],
        &run_dir,
    );
    let stdout = succeeded(&run(command, Duration::from_secs(300)));
    assert_mentions(
        &stdout,
        &[
            "demo: fast transfer: CompletedFast as expected",
            "demo: calldata transfer: CompletedFast as expected",
            "demo: slow transfer: CompletedSlow as expected",
            "demo: every transfer completed as expected",
        ],
    );
    // Each transfer's progression is printed with its timing: the slow one is seen waiting on
    // its origin, then completed. (Whether `Reconciled` shows between them depends on whether a
    // status poll falls between reconcile and the executor's execute, so it is not asserted.)
    let slow: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("demo: slow ") && line.contains("s  "))
        .collect();
    assert!(
        slow.first().is_some_and(|line| line.contains("XCalled"))
            && slow
                .last()
                .is_some_and(|line| line.contains("CompletedSlow")),
        "{stdout}"
    );
    let manifest = Manifest::load(&run_dir.join("manifest.json")).expect("manifest");
    assert_chains_stopped(&manifest);
}

#[test]
fn exit_after_demo_fails_naming_why_when_the_demo_cannot_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run_dir = dir.path().join("run");
    let command = devnet(
        &["--chains", "1", "--block-time", "0.5", "--exit-after-demo"],
        &run_dir,
    );
    let output = run(command, Duration::from_secs(120));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("the devnet cannot run the demo: it needs at least two chains"),
        "{stderr}"
    );
}
