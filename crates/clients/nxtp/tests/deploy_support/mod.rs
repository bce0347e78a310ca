//! What the `nxtp deploy` tests share: anvil chains started outside the devnet, a deploy config for them,
//! and the `nxtp` binary run to completion or in the background.

#![allow(dead_code)]

use alloy::{primitives::B256, signers::local::PrivateKeySigner};
use nxtp_toolchain::{anvil, AnvilInstance, SLOTS_IN_AN_EPOCH};
use std::{
    path::Path,
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

/// One chain of a test: its domain, chain id and block time.
pub struct TestChain {
    pub domain: u32,
    pub chain_id: u64,
    pub anvil: AnvilInstance,
}

/// Starts an anvil with `chain_id` mining a block every `block_time` seconds (a fraction allowed), its
/// `finalized` block two blocks behind its head.
pub fn chain(domain: u32, chain_id: u64, block_time: &str) -> TestChain {
    let anvil = anvil()
        .chain_id(chain_id)
        .arg("--block-time")
        .arg(block_time)
        .arg("--slots-in-an-epoch")
        .arg(SLOTS_IN_AN_EPOCH.to_string())
        .spawn();
    TestChain {
        domain,
        chain_id,
        anvil,
    }
}

/// The development key `index` of `chain` (the same on every test chain).
pub fn dev_key(chain: &TestChain, index: usize) -> B256 {
    B256::from_slice(&chain.anvil.keys()[index].to_bytes())
}

/// The signer of [`dev_key`].
pub fn dev_signer(chain: &TestChain, index: usize) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&dev_key(chain, index)).expect("dev key")
}

/// The roles of a test deployment, by development account.
pub const DEPLOYER: usize = 0;
pub const UPDATER: usize = 1;
pub const CHECKPOINTER: usize = 2;
pub const WATCHER: usize = 3;
pub const SEQUENCER: usize = 4;
pub const RELAYER: usize = 5;
pub const ROUTER: usize = 6;
pub const PROCESSOR: usize = 7;
pub const MESSAGE_RELAYER: usize = 8;
pub const USER: usize = 9;
/// The owner proposed for every contract (it would accept with its own key).
pub const OWNER: usize = 10;

/// A deploy config for `chains` (as `(domain, chain_id, rpc_url)`), the deployer's key in `DEPLOYER_KEY`,
/// every role a development account of `first` (the contracts handed to [`OWNER`]), the DEMO asset (a DemoToken) homed on the first domain,
/// a fraud window of `window` seconds, and `services` recorded if given.
pub fn deploy_toml(
    first: &TestChain,
    chains: &[(u32, u64, String)],
    window: u32,
    services: Option<(&str, &str)>,
) -> String {
    let address = |index: usize| first.anvil.addresses()[index];
    let mut out = format!(
        "manifest = \"deployment/manifest.json\"\n\
         deployer = {{ env = \"DEPLOYER_KEY\" }}\n\
         optimistic_seconds = {window}\n\
         min_optimistic_seconds = 0\n\
         receipt_timeout_secs = 60\n\n\
         [roles]\n\
         updater = \"{}\"\n\
         watchers = [\"{}\"]\n\
         sequencers = [\"{}\"]\n\
         relayers = [\"{}\"]\n\
         routers = [\"{}\"]\n\
         relayer_fee_vault = \"{}\"\n\
         owner = \"{}\"\n",
        address(UPDATER),
        address(WATCHER),
        address(SEQUENCER),
        address(RELAYER),
        address(ROUTER),
        address(DEPLOYER),
        address(OWNER),
    );
    if let Some((sequencer, relayer)) = services {
        out.push_str(&format!(
            "\n[services]\nsequencer_url = \"{sequencer}\"\nrelayer_url = \"{relayer}\"\n"
        ));
    }
    for (domain, chain_id, rpc_url) in chains {
        out.push_str(&format!(
            "\n[[chains]]\ndomain = {domain}\nchain_id = {chain_id}\nrpc_url = \"{rpc_url}\"\n"
        ));
    }
    if let Some((home, ..)) = chains.first() {
        out.push_str(&format!(
            "\n[[assets]]\nsymbol = \"DEMO\"\nhome = {home}\ntoken = \"demo\"\nname = \"Demo\"\ndecimals = 18\n"
        ));
    }
    out
}

/// `nxtp <args>` in `dir` with `envs`, run to completion.
pub fn nxtp(dir: &Path, args: &[&str], envs: &[(&str, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nxtp"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("NXTP_MANIFEST");
    for (name, value) in envs {
        command.env(name, value);
    }
    command.output().expect("runs nxtp")
}

/// `nxtp <args>` in `dir` with `envs`, in the background, its output appended to `log`.
pub fn spawn_nxtp(dir: &Path, args: &[&str], envs: &[(&str, String)], log: &Path) -> Child {
    let file = std::fs::File::options()
        .create(true)
        .append(true)
        .open(log)
        .expect("log");
    let mut command = Command::new(env!("CARGO_BIN_EXE_nxtp"));
    command
        .current_dir(dir)
        .args(args)
        .env_remove("NXTP_MANIFEST")
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("log"))
        .stderr(file);
    for (name, value) in envs {
        command.env(name, value);
    }
    command.spawn().expect("spawns nxtp")
}

/// Children killed (SIGKILL) and reaped when dropped.
#[derive(Default)]
pub struct Processes(pub Vec<(String, Child)>);

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child) in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Processes {
    /// Panics, showing its log, if any process has exited.
    pub fn check_running(&mut self, logs: &Path) {
        for (name, child) in &mut self.0 {
            if let Ok(Some(status)) = child.try_wait() {
                let log =
                    std::fs::read_to_string(logs.join(format!("{name}.log"))).unwrap_or_default();
                panic!("{name} exited ({status}):\n{log}");
            }
        }
    }
}

/// Polls `check` every 100 ms until it is true, for at most `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Text of an output's stdout and stderr.
pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
