//! The built `nxtp` binary: `nxtp devnet` deploys and writes its manifest, stops everything cleanly on
//! SIGINT or with `--exit-after-deploy`, and reports failures with their causes and a non-zero exit.

use nxtp_deployment::Manifest;
use rustix::process::{kill_process, Pid, Signal};
use std::{
    io::{BufRead, BufReader, Read},
    net::TcpStream,
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
    let mut child = devnet(&["--chains", "3"], &run_dir)
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
