//! What the end-to-end transfer tests share: a devnet with every agent running, used through the SDK
//! as an integrator would, plus readers for what the tests check on chain.

pub mod agents;
pub mod ledger;
pub mod plan;

use alloy::{
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{Filter, Log},
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use nxtp_api::sequencer::{SequencerClient, TransferView};
use nxtp_bindings::Connext;
use nxtp_deployment::Manifest;
use nxtp_devnet::{AgentList, Devnet, DevnetConfig};
use nxtp_primitives::Domain;
use nxtp_sdk::{AssetRef, Sdk, Timing};
use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

/// The demo asset's symbol.
pub const DEMO: &str = "DEMO";
/// How long one transfer may take to complete, even by the slow path on loaded CI machines.
pub const COMPLETION_TIMEOUT: Duration = Duration::from_secs(150);
/// Upper bound of every other wait.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A running devnet and an SDK over it, acting as the `user` dev key.
pub struct World {
    pub devnet: Devnet,
    pub manifest: Manifest,
    pub sdk: Arc<Sdk>,
    pub sequencer: SequencerClient,
    pub user: PrivateKeySigner,
    pub demo: AssetRef,
    /// `DEMO`'s home: the first domain.
    pub home: Domain,
    /// Holds the run folder, which the devnet locks; dropped last.
    _run: tempfile::TempDir,
}

impl World {
    /// Starts a devnet with fast blocks, a short optimistic window and a short auction window,
    /// running `agents`, its routers' liquidity bridged to every domain.
    pub async fn start(agents: AgentList) -> Self {
        Self::start_with(agents, |_| {}).await
    }

    /// As [`World::start`], with `configure` changing the devnet's config last (chains, agent
    /// options, ...).
    pub async fn start_with(agents: AgentList, configure: impl FnOnce(&mut DevnetConfig)) -> Self {
        let run = tempfile::tempdir().expect("run folder");
        let mut config = DevnetConfig::new(
            nxtp_devnet::locate_anvil(None),
            run.path().join("devnet"),
            env!("CARGO_BIN_EXE_nxtp").into(),
        );
        config.block_time = Duration::from_millis(500);
        // Long enough that a fast execute (a few blocks after the xcall) lands before the reconcile
        // even on a loaded machine; short enough that slow paths stay quick.
        config.optimistic_seconds = 4;
        config.agent_options.auction_window = Duration::from_millis(300);
        config.grace = Duration::from_secs(5);
        config.agents = agents;
        configure(&mut config);
        let run_dir = config.run_dir.clone();
        let devnet = match Devnet::start(config).await {
            Ok(devnet) => devnet,
            Err(err) => {
                print_log_tails(&run_dir);
                panic!("devnet starts: {err:?}");
            }
        };
        let manifest = devnet.manifest().clone();
        let services = manifest
            .services
            .clone()
            .expect("the devnet runs the services");
        let sequencer_url: nxtp_sdk::Url = services.sequencer_url.parse().expect("sequencer url");
        let sdk = Sdk::from_manifest(&manifest, Some(sequencer_url.clone()))
            .expect("sdk over the manifest")
            .with_timing(Timing {
                receipt_timeout: TIMEOUT,
                poll_interval: Duration::from_millis(250),
            });
        let user = signer(&manifest, "user");
        let home = *manifest.domains.keys().next().expect("a domain");
        Self {
            sequencer: SequencerClient::new(sequencer_url).expect("sequencer client"),
            sdk: Arc::new(sdk),
            user,
            demo: DEMO.parse().expect("asset ref"),
            home,
            manifest,
            devnet,
            _run: run,
        }
    }

    /// Every domain, home first.
    pub fn domains(&self) -> Vec<Domain> {
        self.manifest.domains.keys().copied().collect()
    }

    /// A dev key of the manifest.
    pub fn key(&self, role: &str) -> PrivateKeySigner {
        signer(&self.manifest, role)
    }

    /// The routers' addresses: `router_a`, `router_b`.
    pub fn routers(&self) -> [Address; 2] {
        [
            self.key("router_a").address(),
            self.key("router_b").address(),
        ]
    }

    pub fn reader(&self, domain: Domain) -> DynProvider {
        let deployment = self.manifest.domain(domain).expect("deployed domain");
        ProviderBuilder::new()
            .connect_http(deployment.rpc_url.parse().expect("rpc url"))
            .erased()
    }

    pub fn connext(&self, domain: Domain) -> Address {
        self.manifest
            .liquidity(domain)
            .expect("liquidity layer")
            .connext
    }

    /// `DEMO`'s local token on `domain` (the canonical token at home, a representation elsewhere).
    pub fn local_demo(&self, domain: Domain) -> Address {
        self.manifest
            .liquidity(domain)
            .expect("liquidity layer")
            .assets[DEMO]
            .local
    }

    /// The `DemoReceiver` on `domain`.
    pub fn receiver(&self, domain: Domain) -> Address {
        self.manifest.domain(domain).expect("domain").contracts["DemoReceiver"]
    }

    /// The relayer fee the sequencer quotes from `origin` to `destination`.
    pub async fn quote(&self, origin: Domain, destination: Domain) -> U256 {
        self.sequencer
            .quote(origin, destination)
            .await
            .expect("sequencer quotes")
            .relayer_fee
    }

    /// The sequencer's view of a transfer.
    pub async fn view(&self, transfer_id: B256) -> TransferView {
        self.sequencer
            .transfer(transfer_id)
            .await
            .unwrap_or_else(|err| panic!("sequencer view of {transfer_id}: {err}"))
    }

    /// Every log of `event` emitted by `domain`'s Connext about `transfer_id`.
    pub async fn connext_logs<E: SolEvent>(&self, domain: Domain, transfer_id: B256) -> Vec<Log> {
        let filter = Filter::new()
            .address(self.connext(domain))
            .event_signature(E::SIGNATURE_HASH)
            .topic1(transfer_id)
            .from_block(0);
        self.reader(domain)
            .get_logs(&filter)
            .await
            .expect("reads Connext logs")
    }

    /// Checks the transfer was executed exactly once and reconciled exactly once on its destination,
    /// and nowhere else.
    pub async fn assert_executed_and_reconciled_once(
        &self,
        transfer_id: B256,
        destination: Domain,
    ) {
        for domain in self.domains() {
            let executed = self
                .connext_logs::<Connext::Executed>(domain, transfer_id)
                .await
                .len();
            let reconciled = self
                .connext_logs::<Connext::Reconciled>(domain, transfer_id)
                .await
                .len();
            let expected = usize::from(domain == destination);
            assert_eq!(
                (executed, reconciled),
                (expected, expected),
                "transfer {transfer_id}: Executed and Reconciled events on domain {domain}"
            );
        }
    }

    /// The pid of the supervised agent `name`, once it runs.
    pub async fn agent_pid(&self, name: &str) -> u32 {
        eventually(&format!("{name} running"), TIMEOUT, || async {
            self.devnet
                .supervisor()
                .status()
                .into_iter()
                .find(|agent| agent.name == name)
                .unwrap_or_else(|| panic!("no agent {name}"))
                .pid
        })
        .await
    }

    /// Stops `origin`'s updater until the guard is dropped: no message sent from `origin` meanwhile
    /// is delivered, so a transfer from there cannot be reconciled before the test lets it.
    pub async fn hold_messages_from(&self, origin: Domain) -> agents::Paused {
        let updater = nxtp_devnet::updater_agent::name(origin);
        agents::Paused::new(self.agent_pid(&updater).await, &updater)
    }

    /// How many times the supervisor started `name`.
    pub fn agent_starts(&self, name: &str) -> u32 {
        self.devnet
            .supervisor()
            .status()
            .into_iter()
            .find(|agent| agent.name == name)
            .unwrap_or_else(|| panic!("no agent {name}"))
            .starts
    }
}

/// The manifest's dev key of `role`.
pub fn signer(manifest: &Manifest, role: &str) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&manifest.dev_keys[role]).expect("valid dev key")
}

/// Prints the end of every log in the devnet's run folder (its chains' and agents'), which the
/// temporary folder takes with it: what a failed start leaves to diagnose it.
fn print_log_tails(run_dir: &std::path::Path) {
    const TAIL_LINES: usize = 40;
    let Ok(entries) = std::fs::read_dir(run_dir) else {
        return;
    };
    let mut logs: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
        .collect();
    logs.sort();
    for log in logs {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(TAIL_LINES)..];
        eprintln!("==== {} (last {} lines)", log.display(), tail.len());
        for line in tail {
            eprintln!("{line}");
        }
    }
}

/// Polls `check` every 100 ms until it yields `Some`, failing after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
