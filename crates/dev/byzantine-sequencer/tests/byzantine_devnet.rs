//! One Byzantine node of four, its own process (`nxtp-byzantine-sequencer`), with the three honest
//! `nxtp sequencer` processes of the devnet's sequencer network over three anvil chains
//! (`sequencerThreshold` 3). In the first test, on each of its turns it proposes a selection the
//! rule did not make; in the second, it proposes honestly and streams a second valid batch
//! signed for the same height and round (equivocation). In both, every precommit of its signs a
//! router set the network did not decide. Transfers still complete fast; every execute carries the
//! routers the honest nodes decided and only their signatures, as does every honest node's
//! certificate; each transfer is executed once; the honest nodes log the refusal of its proposals,
//! or its equivocation, with its address, and keep the equivocation's two signed parts. Without a
//! `[consensus]` section the build refuses to start. Transfers are sent once a height the
//! Byzantine node proposed was decided: started after the others, it is heard late at first.
//!
//! The devnet's other agents run as the `nxtp` binary beside this crate's (`make test` builds both;
//! alone: `cargo build -p nxtp` first).

use alloy::{
    primitives::{Address, B256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use nxtp_consensus::{signing::part_signer, Height, NodeKey, NodeStore, Validator, ValidatorSet};
use nxtp_deployment::Manifest;
use nxtp_devnet::{
    default_agents, executes::mined_executes, liquidity::demo_units, locate_anvil, sequencer_agent,
    AgentOptions, AgentSpec, Devnet, DevnetConfig, Supervisor, SupervisorConfig,
};
use nxtp_primitives::Domain;
use nxtp_sdk::{Sdk, Stage, Timing, XcallRequest};
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

/// The nodes of the network.
const NODES: usize = 4;
/// The Byzantine node: router `b` posts its bids to node 1, so the Byzantine node holds bids to
/// rig on its turns.
const BYZANTINE: usize = 1;
/// How long one transfer may take to complete on a loaded machine.
const COMPLETION_TIMEOUT: Duration = Duration::from_secs(150);
/// How long the honest nodes may take to decide their first height.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Transfers sent at once, and the most such rounds before the Byzantine node must have had a
/// turn while holding a bid.
const PER_ROUND: usize = 3;
const MAX_ROUNDS: usize = 3;
/// What an honest node logs when it refuses a proposal (`nxtp_consensus::app`), and the reason
/// it gives for a selection the rule did not make (`nxtp_consensus::validity`): the evidence.
const PROPOSAL_REFUSED: &str = "Refusing a proposal that breaks the rules";
const RIGGED: &str = "does not follow the rule";
/// What an honest node logs when a proposer signed two batches for one height and round
/// (`nxtp_consensus::parts`).
const EQUIVOCATION: &str = "equivocation";
/// The build's subcommands: how it misbehaves.
const RIGGING: &str = "sequencer";
const EQUIVOCATING: &str = "equivocating-sequencer";

/// The `nxtp` binary the devnet's agents run: beside this crate's binary in the target folder.
fn nxtp_binary() -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_nxtp-byzantine-sequencer")).with_file_name("nxtp");
    assert!(
        path.exists(),
        "the devnet's agents run {}: build it first (`cargo build -p nxtp`)",
        path.display()
    );
    path
}

/// The devnet's agents but the Byzantine node's, which the test runs from its own binary.
fn all_but_byzantine(
    manifest: &Manifest,
    run_dir: &Path,
    options: &AgentOptions,
) -> Vec<AgentSpec> {
    let byzantine = sequencer_agent::node_name(BYZANTINE);
    default_agents(manifest, run_dir, options)
        .into_iter()
        .filter(|agent| agent.name != byzantine)
        .collect()
}

/// Runs the Byzantine node on node [`BYZANTINE`]'s generated config, supervised like the others,
/// misbehaving as `subcommand` says.
fn start_byzantine(devnet: &Devnet, subcommand: &str) -> Supervisor {
    let manifest = devnet.manifest();
    let services = manifest.services.as_ref().expect("services");
    let config = sequencer_agent::node_config_toml(
        manifest,
        devnet.run_dir(),
        BYZANTINE,
        &services.relayer_url,
        devnet.agent_options(),
    )
    .expect("the node's config");
    let spec = AgentSpec {
        name: sequencer_agent::node_name(BYZANTINE),
        subcommand: subcommand.to_owned(),
        config_toml: config,
    };
    let program = PathBuf::from(env!("CARGO_BIN_EXE_nxtp-byzantine-sequencer"));
    Supervisor::start(
        vec![spec],
        SupervisorConfig::new(program, devnet.run_dir().to_owned()),
    )
    .expect("the Byzantine node starts")
}

/// Waits until each node in `among` has decided a height, so the network runs before transfers
/// are sent. One that does not fails the test with its supervisor status: a stale `nxtp` binary
/// refusing the devnet's config shows there.
async fn deciding(devnet: &Devnet, among: &[usize]) {
    let deadline = Instant::now() + READY_TIMEOUT;
    for &index in among {
        let name = sequencer_agent::node_name(index);
        let ops = devnet.ops_addresses()[&name];
        loop {
            let height = nxtp_testnet::http_get(ops, "/metrics")
                .await
                .and_then(|(_, body)| {
                    let line = body
                        .lines()
                        .find(|line| line.starts_with("nxtp_sequencer_consensus_height"))?;
                    line.rsplit(' ').next()?.parse::<u64>().ok()
                });
            if height.is_some_and(|height| height > 0) {
                break;
            }
            if Instant::now() > deadline {
                let status = devnet.supervisor().status();
                let status = status.iter().find(|agent| agent.name == name);
                panic!(
                    "{name} decided nothing in {READY_TIMEOUT:?}: {status:?} (is {} stale? \
                     `cargo build -p nxtp`)",
                    nxtp_binary().display()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Runs the Byzantine build on the devnet's single-sequencer config (no `[consensus]` section): it
/// refuses to start, saying why, before opening a database.
fn assert_refuses_a_single_sequencer_config(devnet: &Devnet) {
    let dir = tempfile::tempdir().expect("a folder");
    let manifest = devnet.manifest();
    let services = manifest.services.as_ref().expect("services");
    let api = "127.0.0.1:0".parse().expect("an address");
    let config = sequencer_agent::config_toml(
        manifest,
        dir.path(),
        api,
        &services.relayer_url,
        devnet.agent_options(),
    )
    .expect("a single sequencer's config");
    let path = dir.path().join("single.toml");
    std::fs::write(&path, config).expect("writes the config");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_nxtp-byzantine-sequencer"))
        .args(["sequencer", "--config"])
        .arg(&path)
        .output()
        .expect("runs the Byzantine build");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success() && stderr.contains("needs a [consensus] section"),
        "refused: {output:?}"
    );
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("lists the folder")
        .filter_map(|entry| Some(entry.ok()?.file_name()))
        .collect();
    assert_eq!(files, ["single.toml"], "nothing opened or written");
}

fn signer(manifest: &Manifest, role: &str) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&manifest.dev_keys[role]).expect("a dev key")
}

fn reader(manifest: &Manifest, domain: Domain) -> DynProvider {
    let rpc = &manifest.domain(domain).expect("domain").rpc_url;
    ProviderBuilder::new()
        .connect_http(rpc.parse().expect("rpc url"))
        .erased()
}

/// A sent transfer.
struct Sent {
    id: B256,
    destination: Domain,
}

/// Sends `count` transfers of 10 DEMO from `origin`, to the other domains in turn, then waits for
/// each to complete on the fast path with one router.
async fn send_and_complete(
    sdk: &Arc<Sdk>,
    user: &PrivateKeySigner,
    origin: Domain,
    destinations: &[Domain],
    count: usize,
) -> Vec<Sent> {
    let mut sent = Vec::new();
    for index in 0..count {
        let destination = destinations[index % destinations.len()];
        let to = PrivateKeySigner::random().address();
        let demo = "DEMO".parse().expect("asset ref");
        let mut request = XcallRequest::new(origin, destination, demo, demo_units(10), to);
        request.auto_approve = true;
        let receipt = sdk.xcall(user, &request).await.expect("xcall");
        sent.push(Sent {
            id: receipt.transfer_id,
            destination,
        });
    }
    let waits: Vec<_> = sent
        .iter()
        .map(|transfer| {
            let (sdk, id) = (Arc::clone(sdk), transfer.id);
            tokio::spawn(async move {
                sdk.wait_for(id, Stage::CompletedFast, COMPLETION_TIMEOUT, |_| {})
                    .await
                    .unwrap_or_else(|err| panic!("{id} did not complete: {err}"))
                    .report
            })
        })
        .collect();
    for wait in waits {
        let report = wait.await.expect("the wait");
        assert_eq!(report.stage, Stage::CompletedFast, "{}", report.transfer_id);
        assert_eq!(report.routers.len(), 1, "{}'s routers", report.transfer_id);
    }
    sent
}

/// The lines of the logs of the nodes `among` that name `node` and hold every one of `words`.
fn log_lines(run_dir: &Path, among: &[usize], node: Address, words: &[&str]) -> Vec<String> {
    let node = node.to_string().to_lowercase();
    let mut lines = Vec::new();
    for &index in among {
        let log = run_dir.join(format!("{}.log", sequencer_agent::node_name(index)));
        let text = std::fs::read_to_string(&log)
            .unwrap_or_else(|err| panic!("reads {}: {err}", log.display()));
        lines.extend(
            text.lines()
                .filter(|line| {
                    words.iter().all(|word| line.contains(word))
                        && line.to_lowercase().contains(&node)
                })
                .map(str::to_owned),
        );
    }
    lines
}

/// The lines of the logs of the nodes `among` that refuse a proposal of `node` for its selection:
/// the evidence that it proposed a rigged one.
fn rigged_refusals(run_dir: &Path, among: &[usize], node: Address) -> Vec<String> {
    log_lines(run_dir, among, node, &[PROPOSAL_REFUSED, RIGGED])
}

/// The lines of the logs of the nodes `among` that report `node`'s equivocation.
fn equivocations(run_dir: &Path, among: &[usize], node: Address) -> Vec<String> {
    log_lines(run_dir, among, node, &[EQUIVOCATION])
}

/// The devnet of four nodes whose node [`BYZANTINE`] runs this build's `subcommand`.
struct ByzantineDevnet {
    devnet: Devnet,
    byzantine: Supervisor,
    manifest: Manifest,
    run_dir: PathBuf,
    sdk: Arc<Sdk>,
    user: PrivateKeySigner,
    /// Every node's address, by index.
    nodes: Vec<Address>,
    /// The indices of the honest nodes.
    honest: Vec<usize>,
    domains: Vec<Domain>,
}

impl ByzantineDevnet {
    /// Starts it in `run`, once the honest nodes decide.
    async fn start(run: &Path, subcommand: &str) -> Self {
        let mut config = DevnetConfig::new(locate_anvil(None), run.join("devnet"), nxtp_binary());
        config.block_time = Duration::from_millis(500);
        // Long enough that the fast path wins even when the Byzantine node's turns and first
        // looks at routers' balances cost rounds; the slow path is not what these tests are
        // about.
        config.optimistic_seconds = 12;
        config.grace = Duration::from_secs(5);
        config.agents = all_but_byzantine;
        config.agent_options.sequencers = NODES;
        let devnet = Devnet::start(config).await.expect("the devnet starts");
        let byzantine = start_byzantine(&devnet, subcommand);
        let manifest = devnet.manifest().clone();
        let run_dir = devnet.run_dir().to_owned();
        let services = manifest.services.clone().expect("services");
        let sdk = Arc::new(
            Sdk::from_manifest(
                &manifest,
                Some(services.sequencer_url.parse().expect("url")),
            )
            .expect("sdk")
            .with_timing(Timing {
                receipt_timeout: Duration::from_secs(60),
                poll_interval: Duration::from_millis(250),
            }),
        );
        let user = signer(&manifest, "user");
        let nodes: Vec<Address> = (0..NODES)
            .map(|index| signer(&manifest, &sequencer_agent::node_key_name(index)).address())
            .collect();
        let honest: Vec<usize> = (0..NODES).filter(|index| *index != BYZANTINE).collect();
        let domains: Vec<Domain> = manifest.domains.keys().copied().collect();
        deciding(&devnet, &honest).await;
        let net = Self {
            devnet,
            byzantine,
            manifest,
            run_dir,
            sdk,
            user,
            nodes,
            honest,
            domains,
        };
        net.byzantine_proposal_decided().await;
        net
    }

    /// The sequencer set.
    fn sequencers(&self) -> ValidatorSet {
        ValidatorSet::new((0..NODES).map(|index| {
            let secret = &self.manifest.dev_keys[&sequencer_agent::node_key_name(index)];
            let key = NodeKey::from_secret(secret).expect("a node key");
            Validator::new(key.public_key(), 1)
        }))
    }

    /// Waits until an honest node has decided a height in a round the Byzantine node proposed.
    /// Started after the others, it is heard late at first: its first turns are lost to the
    /// propose timeout, empty ones too. Transfers sent only once it is heard make its turns
    /// count, so what the test sees of it is its misbehaviour, not its late start.
    async fn byzantine_proposal_decided(&self) {
        let sequencers = self.sequencers();
        let store = &self.honest_stores()[0];
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut from = Height(1);
        loop {
            let decided = store
                .decided(from, Height(u64::from(u32::MAX)))
                .await
                .expect("reads the store");
            if decided
                .iter()
                .any(|height| height.proposer(&sequencers).0 == self.liar())
            {
                return;
            }
            if let Some(last) = decided.last() {
                from = Height(last.height.0 + 1);
            }
            assert!(
                Instant::now() < deadline,
                "no height proposed by {} decided in {READY_TIMEOUT:?}",
                self.liar()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The Byzantine node's address.
    fn liar(&self) -> Address {
        self.nodes[BYZANTINE]
    }

    /// Sends rounds of transfers from the first domain to the others, each completing fast, until
    /// `shown` holds (at most [`MAX_ROUNDS`]): whether the Byzantine node's turn or another's
    /// comes first for a transfer depends on the heights.
    async fn send_until(&self, shown: impl Fn() -> bool) -> Vec<Sent> {
        let (home, others) = (self.domains[0], &self.domains[1..]);
        let mut sent = Vec::new();
        for _ in 0..MAX_ROUNDS {
            sent.extend(send_and_complete(&self.sdk, &self.user, home, others, PER_ROUND).await);
            if shown() {
                break;
            }
        }
        sent
    }

    /// The honest nodes' stores.
    fn honest_stores(&self) -> Vec<NodeStore> {
        self.honest
            .iter()
            .map(|&index| {
                let home = sequencer_agent::node_home(&self.run_dir, index);
                NodeStore::open(&home.join("consensus.sqlite")).expect("an honest node's store")
            })
            .collect()
    }

    /// Each transfer of `sent` executed once, on its destination, with the routers the honest
    /// nodes decided and only honest signatures, at least the threshold; the honest nodes'
    /// certificates hold none of the Byzantine node's signatures either.
    async fn assert_executed_once_as_the_honest_nodes_certified(&self, sent: &[Sent]) {
        let (manifest, nodes, honest, liar) =
            (&self.manifest, &self.nodes, &self.honest, self.liar());
        let threshold = self
            .devnet
            .agent_options()
            .consensus
            .as_ref()
            .expect("a sequencer network")
            .threshold;
        let threshold = usize::try_from(threshold).expect("threshold");
        let stores = self.honest_stores();
        for transfer in sent {
            for &domain in &self.domains {
                let chain_id = manifest.domain(domain).expect("domain").chain_id;
                let connext = manifest.liquidity(domain).expect("liquidity").connext;
                let executes =
                    mined_executes(&reader(manifest, domain), chain_id, connext, transfer.id)
                        .await
                        .expect("reads the executes");
                if domain != transfer.destination {
                    assert!(executes.is_empty(), "{} executed on {domain}", transfer.id);
                    continue;
                }
                assert_eq!(executes.len(), 1, "{} executed once", transfer.id);
                let execute = &executes[0];
                assert!(
                    execute.sequencers.len() >= threshold
                        && execute
                            .sequencers
                            .iter()
                            .all(|signer| *signer != liar && nodes.contains(signer)),
                    "{}: signed by {:?}, honest are {honest:?} of {nodes:?}",
                    transfer.id,
                    execute.sequencers
                );
                for (store, &index) in stores.iter().zip(honest) {
                    let certified = store
                        .certified(transfer.id)
                        .await
                        .expect("reads the store")
                        .unwrap_or_else(|| panic!("node {index} decided {}", transfer.id));
                    assert_eq!(
                        certified.routers, execute.routers,
                        "{}: node {index} decided the routers executed",
                        transfer.id
                    );
                    assert!(
                        certified.signatures.len() >= threshold
                            && certified
                                .signatures
                                .iter()
                                .all(|(signer, _)| *signer != liar),
                        "{}: node {index} certified without {liar}'s signature",
                        transfer.id
                    );
                }
            }
        }
    }

    /// The Byzantine node ran throughout (its misbehaviour, not a crash, is what the others
    /// saw), then everything stops.
    async fn assert_ran_throughout_and_stop(self) {
        let status = self.byzantine.status();
        assert_eq!(
            (status[0].starts, status[0].pid.is_some()),
            (1, true),
            "the Byzantine node ran once, throughout: {status:?}"
        );
        self.byzantine.shutdown().await;
        self.devnet.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_byzantine_node_in_its_own_process_neither_routes_nor_signs_a_transfer() {
    let run = tempfile::tempdir().expect("run folder");
    let net = ByzantineDevnet::start(run.path(), RIGGING).await;
    let liar = net.liar();

    let sent = net
        .send_until(|| !rigged_refusals(&net.run_dir, &net.honest, liar).is_empty())
        .await;

    // The evidence, in the honest nodes' logs: its rigged proposals refused, naming it. (Its
    // precommits' signatures are refused too when one reaches a node before it decided, and left
    // out of the certificate when not: checked in the stores, not in the logs.)
    assert!(
        !rigged_refusals(&net.run_dir, &net.honest, liar).is_empty(),
        "an honest node refused a rigged proposal of {liar} in {} transfers",
        sent.len()
    );
    net.assert_executed_once_as_the_honest_nodes_certified(&sent)
        .await;
    assert_refuses_a_single_sequencer_config(&net.devnet);
    net.assert_ran_throughout_and_stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_equivocating_node_in_its_own_process_is_caught_and_every_transfer_executes_once() {
    let run = tempfile::tempdir().expect("run folder");
    let net = ByzantineDevnet::start(run.path(), EQUIVOCATING).await;
    let liar = net.liar();

    let sent = net
        .send_until(|| !equivocations(&net.run_dir, &net.honest, liar).is_empty())
        .await;

    // An honest node's log names the equivocation and the equivocator.
    let lines = equivocations(&net.run_dir, &net.honest, liar);
    assert!(
        !lines.is_empty(),
        "an honest node reported {liar}'s equivocation in {} transfers",
        sent.len()
    );
    // And keeps it: two different batches for one height and round, both signed by it.
    let network = net.sequencers().network_id();
    let mut kept = Vec::new();
    for store in net.honest_stores() {
        kept.extend(store.equivocations().await.expect("reads the evidence"));
    }
    assert!(
        !kept.is_empty(),
        "an honest node kept the evidence: {lines:?}"
    );
    for evidence in &kept {
        assert_eq!(evidence.proposer.0, liar, "{evidence:?}");
        let (held, conflicting) = (&evidence.held, &evidence.conflicting);
        assert_eq!(
            (
                held.height,
                held.round,
                conflicting.height,
                conflicting.round
            ),
            (
                evidence.height,
                evidence.round,
                evidence.height,
                evidence.round
            )
        );
        assert_ne!(held.value, conflicting.value, "two different batches");
        for part in [held, conflicting] {
            assert_eq!(
                part_signer(network, part).map(|signer| signer.0),
                Some(liar)
            );
        }
    }

    // Nothing lost to it: every transfer executed once, fast, as the honest nodes certified.
    net.assert_executed_once_as_the_honest_nodes_certified(&sent)
        .await;
    net.assert_ran_throughout_and_stop().await;
}
