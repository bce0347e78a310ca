//! `nxtp deploy` onto chains the devnet did not start, then the agents from `nxtp init` configs, then
//! transfers: the path an operator takes, through the real binary.
//!
//! Three anvils stand in for an L1 and two rollups (chain ids 1001, 1002, 1003; blocks every 2 s, 1 s and
//! 250 ms). The deployment is killed (SIGKILL) once its journal records [`KILLED_AFTER`] finished steps
//! and run again: it finishes without signing any step twice. Every agent then runs from the config
//! `nxtp init` wrote (keys in encrypted keystores), the router through the commands of
//! docs/router-operators.md: the test runs that guide's `sh` blocks, in order and as written, in one shell
//! (its deploy block is the third run of `nxtp deploy`, which sends nothing and writes the same manifest).
//! A slow transfer (1000 -> 2000, no router liquidity there), a fast one and one with calldata
//! (2000 -> 1000, fronted by the router) complete, followed with `nxtp status --wait`.

mod deploy_support;

use alloy::{
    primitives::U256, providers::ProviderBuilder, signers::local::PrivateKeySigner,
    sol_types::SolValue,
};
use deploy_support::*;
use nxtp_bindings::{DemoReceiver, DemoToken};
use nxtp_deployment::Manifest;
use std::{collections::BTreeMap, net::TcpListener, path::Path, process::Command, time::Duration};

/// Finished steps after which the first deployment is killed: phase one is 7 steps, so this lands in
/// the middle of phase two, transactions sent and not yet mined.
const KILLED_AFTER: usize = 9;
/// The test's fraud window: short, so the slow transfer completes within the test.
const WINDOW_SECONDS: u32 = 4;
/// Every keystore's password.
const PASSWORD: &str = "operator test password";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

/// The guide's `sh` blocks, in order.
fn guide_blocks() -> Vec<String> {
    let guide = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../docs/router-operators.md"),
    )
    .expect("docs/router-operators.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in guide.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), line) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// `(step, event)` of every journal line.
fn journal_events(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .map(|entry| {
            (
                entry["step"].as_str().unwrap_or_default().to_owned(),
                entry["event"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn count(events: &[(String, String)], event: &str) -> usize {
    events.iter().filter(|(_, e)| e == event).count()
}

/// Runs a user command, which must succeed; returns its stdout.
fn user(root: &Path, args: &[&str], envs: &[(&str, String)]) -> String {
    let output = nxtp(root, args, envs);
    assert!(output.status.success(), "nxtp {args:?}: {}", text(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn transfer_id(xcall_stdout: &str) -> String {
    xcall_stdout
        .lines()
        .find_map(|line| line.strip_prefix("transfer id:"))
        .map(|id| id.trim().to_owned())
        .unwrap_or_else(|| panic!("no transfer id in {xcall_stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_init_and_transfer_on_three_chains() {
    let chains = [
        chain(1000, 1001, "2"),
        chain(2000, 1002, "1"),
        chain(3000, 1003, "0.25"),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    let logs = root.join("logs");
    std::fs::create_dir_all(&logs).expect("logs");
    let (sequencer_port, relayer_port) = (free_port(), free_port());
    let sequencer_url = format!("http://127.0.0.1:{sequencer_port}");
    let relayer_url = format!("http://127.0.0.1:{relayer_port}");
    let endpoints: Vec<(u32, u64, String)> = chains
        .iter()
        .map(|chain| (chain.domain, chain.chain_id, chain.anvil.endpoint()))
        .collect();
    std::fs::write(
        root.join("deploy.toml"),
        deploy_toml(
            &chains[0],
            &endpoints,
            WINDOW_SECONDS,
            Some((&sequencer_url, &relayer_url)),
        ),
    )
    .expect("deploy.toml");

    // Keystores, one per key, as an operator keeps them.
    let roles = [
        ("sequencer", SEQUENCER),
        ("relayer", RELAYER),
        ("updater", UPDATER),
        ("checkpointer", CHECKPOINTER),
        ("watcher", WATCHER),
        ("processor", PROCESSOR),
        ("message_relayer", MESSAGE_RELAYER),
        ("router", ROUTER),
    ];
    let keys = root.join("keys");
    std::fs::create_dir_all(&keys).expect("keys");
    let mut envs: Vec<(&str, String)> = vec![
        ("DEPLOYER_KEY", dev_key(&chains[0], DEPLOYER).to_string()),
        ("USER_KEY", dev_key(&chains[0], USER).to_string()),
    ];
    let password_vars: Vec<String> = roles
        .iter()
        .map(|(role, _)| format!("NXTP_{}_PASSWORD", role.to_uppercase()))
        .collect();
    for ((role, index), var) in roles.iter().zip(&password_vars) {
        PrivateKeySigner::encrypt_keystore(
            &keys,
            &mut rand::thread_rng(),
            dev_key(&chains[0], *index),
            PASSWORD,
            Some(format!("{role}.json").as_str()),
        )
        .expect("keystore");
        envs.push((var.as_str(), PASSWORD.to_owned()));
    }

    // 1. A deployment killed midway, then resumed.
    let journal = root.join("deployment/manifest.json.journal");
    let mut first = spawn_nxtp(
        root,
        &["deploy", "--config", "deploy.toml"],
        &envs,
        &logs.join("deploy-killed.log"),
    );
    wait_until("the journal's first steps", Duration::from_secs(60), || {
        if let Ok(Some(status)) = first.try_wait() {
            panic!(
                "the deployment ended before it was killed ({status}): {}",
                std::fs::read_to_string(logs.join("deploy-killed.log")).unwrap_or_default()
            );
        }
        count(&journal_events(&journal), "done") >= KILLED_AFTER
    });
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");
    let killed = journal_events(&journal);
    let resumed = nxtp(root, &["deploy", "--config", "deploy.toml"], &envs);
    assert!(resumed.status.success(), "resumed: {}", text(&resumed));
    let events = journal_events(&journal);
    let mut signed: BTreeMap<&str, usize> = BTreeMap::new();
    for (step, event) in &events {
        if event == "sent" {
            *signed.entry(step).or_default() += 1;
        }
    }
    assert!(
        signed.values().all(|&times| times == 1),
        "a step was signed twice: {signed:?}"
    );
    assert_eq!(count(&events, "done"), signed.len(), "every step done once");
    assert!(count(&killed, "done") < signed.len(), "killed midway");
    let manifest_path = root.join("deployment/manifest.json");
    let manifest_text = std::fs::read_to_string(&manifest_path).expect("manifest");
    let manifest = Manifest::load(&manifest_path).expect("manifest loads");
    assert_eq!(manifest.optimistic_seconds, WINDOW_SECONDS);
    assert_eq!(manifest.domains.len(), 3);
    for (chain, (domain, deployment)) in chains.iter().zip(&manifest.domains) {
        assert_eq!(
            (chain.domain, chain.chain_id),
            (domain.get(), deployment.chain_id)
        );
        assert_eq!(deployment.replicas.len(), 2);
    }

    // Wired by the deployer, then offered to the configured owner (two-step: it accepts with its key).
    for (chain, deployment) in chains.iter().zip(manifest.domains.values()) {
        let provider = ProviderBuilder::new().connect_http(chain.anvil.endpoint_url());
        let home = nxtp_bindings::Home::new(deployment.home, &provider);
        let pending = home.pendingOwner().call().await.expect("pendingOwner");
        assert_eq!(pending, chain.anvil.addresses()[OWNER]);
    }

    // 2. Every agent but the router from `nxtp init`.
    let manifest_arg = "deployment/manifest.json";
    let fast = [
        "--telemetry-listen",
        "127.0.0.1:0",
        "--confirmations",
        "1",
        "--poll-interval-ms",
        "100",
        "--data-dir",
        "data",
    ];
    let mut agents: Vec<(String, Vec<String>, &str)> = vec![
        (
            "sequencer".into(),
            vec![
                "--api-listen".into(),
                format!("127.0.0.1:{sequencer_port}"),
                "--auction-window-ms".into(),
                "500".into(),
            ],
            "sequencer",
        ),
        (
            "relayer".into(),
            vec!["--api-listen".into(), format!("127.0.0.1:{relayer_port}")],
            "relayer",
        ),
        ("watcher".into(), vec![], "watcher"),
        ("processor".into(), vec![], "processor"),
        ("message-relayer".into(), vec![], "message-relayer"),
        ("executor".into(), vec![], "executor"),
    ];
    for chain in &chains {
        agents.push((
            format!("updater-{}", chain.domain),
            vec![
                "--domain".into(),
                chain.domain.to_string(),
                "--checkpointer-keystore".into(),
                "keys/checkpointer.json".into(),
                "--keystore".into(),
                "keys/updater.json".into(),
                "--password-env".into(),
                "NXTP_UPDATER_PASSWORD".into(),
            ],
            "updater",
        ));
    }
    let mut running = Processes::default();
    for (name, extra, subcommand) in &agents {
        let role = if subcommand == &"updater" {
            "updater"
        } else {
            name.as_str()
        };
        let out = format!("{name}.toml");
        let mut args = vec!["init", role, "--manifest", manifest_arg, "--out", &out];
        args.extend(fast);
        args.extend(extra.iter().map(String::as_str));
        user(root, &args, &envs);
        running.0.push((
            name.clone(),
            spawn_nxtp(
                root,
                &[subcommand, "--config", &out],
                &envs,
                &logs.join(format!("{name}.log")),
            ),
        ));
    }

    wait_until("every agent started", Duration::from_secs(60), || {
        running.check_running(&logs);
        agents.iter().all(|(name, ..)| {
            std::fs::read_to_string(logs.join(format!("{name}.log")))
                .is_ok_and(|log| log.contains("agent started"))
        })
    });
    eprintln!("deployed, killed, resumed; every agent up");

    // 3. The router operator's guide, as written: deploy (a third time), init, add liquidity, run, watch.
    let demo = manifest.domains[&nxtp_primitives::Domain(1000)]
        .liquidity
        .as_ref()
        .expect("liquidity")
        .assets["DEMO"]
        .local;
    let router = chains[0].anvil.addresses()[ROUTER];
    let user_address = chains[0].anvil.addresses()[USER];
    let home = ProviderBuilder::new()
        .wallet(dev_signer(&chains[0], USER))
        .connect_http(chains[0].anvil.endpoint_url());
    let token = DemoToken::new(demo, &home);
    for to in [router, user_address] {
        token
            .mint(
                to,
                U256::from(1_000u64) * U256::from(10u64).pow(U256::from(18u64)),
            )
            .send()
            .await
            .expect("mint")
            .get_receipt()
            .await
            .expect("minted");
    }
    // Deployed now, while this provider's nonces are its own (the user's CLI commands send later).
    let receiver = DemoReceiver::deploy(&home).await.expect("DemoReceiver");
    let router_metrics = format!("127.0.0.1:{}", free_port());
    let script = guide_blocks().join("");
    assert!(
        script.contains("nxtp deploy --config deploy.toml")
            && script.contains("nxtp init router")
            && script.contains("nxtp router add-liquidity")
            && script.contains("nxtp router-agent")
            && script.contains("/metrics"),
        "the guide lost a step: {script}"
    );
    let bin = Path::new(env!("CARGO_BIN_EXE_nxtp"))
        .parent()
        .expect("bin dir")
        .to_owned();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut guide = Command::new("sh");
    guide
        .arg("-eu")
        .arg("-c")
        .arg(&script)
        .current_dir(root)
        .env("PATH", path)
        .env("ROUTER_METRICS", &router_metrics)
        .env("ROUTER_ADDRESS", router.to_string());
    for (name, value) in &envs {
        guide.env(name, value);
    }
    let output = guide.output().expect("runs the guide");
    let router_pid = std::fs::read_to_string(root.join("router.pid")).unwrap_or_default();
    let _router = KillOnDrop(router_pid.trim().parse().ok());
    assert!(
        output.status.success(),
        "the guide's commands failed: {}\nrouter log: {}",
        text(&output),
        std::fs::read_to_string(root.join("router.log")).unwrap_or_default()
    );
    let shown = text(&output);
    assert!(
        shown.contains("healthy") && shown.contains("nxtp_router_balance"),
        "{shown}"
    );
    assert_eq!(
        std::fs::read_to_string(&manifest_path).expect("manifest"),
        manifest_text,
        "the third deployment wrote another manifest"
    );
    assert_eq!(
        count(&journal_events(&journal), "sent"),
        signed.len(),
        "the third deployment sent something"
    );
    running.check_running(&logs);
    eprintln!("the guide's commands ran; the router is up");

    // 4. Transfers: slow (no router liquidity on 2000), then fast and with calldata back to 1000.
    envs.push(("NXTP_MANIFEST", manifest_path.display().to_string()));
    let to = user_address.to_string();
    let slow = transfer_id(&user(
        root,
        &[
            "xcall",
            "--origin",
            "1000",
            "--destination",
            "2000",
            "--asset",
            "DEMO",
            "--amount",
            "50",
            "--to",
            &to,
            "--approve",
            "--key-env",
            "USER_KEY",
        ],
        &envs,
    ));
    let followed = user(
        root,
        &[
            "status",
            &slow,
            "--wait",
            "--until",
            "completed-slow",
            "--timeout",
            "120",
        ],
        &envs,
    );
    assert!(followed.contains("CompletedSlow"), "{followed}");
    eprintln!("slow transfer completed");
    running.check_running(&logs);

    let fast_id = transfer_id(&user(
        root,
        &[
            "xcall",
            "--origin",
            "2000",
            "--destination",
            "1000",
            "--asset",
            "DEMO",
            "--amount",
            "10",
            "--to",
            &to,
            "--approve",
            "--key-env",
            "USER_KEY",
        ],
        &envs,
    ));
    let followed = user(
        root,
        &["status", &fast_id, "--wait", "--timeout", "120"],
        &envs,
    );
    assert!(followed.contains("CompletedFast"), "{followed}");

    let calldata = (user_address, String::from("from the operator test")).abi_encode_params();
    let calldata = format!("0x{}", alloy::primitives::hex::encode(calldata));
    let receiver_address = receiver.address().to_string();
    let with_calldata = transfer_id(&user(
        root,
        &[
            "xcall",
            "--origin",
            "2000",
            "--destination",
            "1000",
            "--asset",
            "DEMO",
            "--amount",
            "5",
            "--to",
            &receiver_address,
            "--calldata",
            &calldata,
            "--approve",
            "--key-env",
            "USER_KEY",
        ],
        &envs,
    ));
    let followed = user(
        root,
        &["status", &with_calldata, "--wait", "--timeout", "120"],
        &envs,
    );
    assert!(followed.contains("CompletedFast"), "{followed}");
    let calls = receiver.calls().call().await.expect("calls");
    assert_eq!(calls, U256::from(1u64), "the receiver ran once");
    running.check_running(&logs);
}

/// The router the guide started in the background, SIGKILLed when the test ends.
struct KillOnDrop(Option<i32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
    }
}
