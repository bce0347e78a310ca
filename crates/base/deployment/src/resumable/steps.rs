//! What a deployment sends, phase by phase: every step's transaction, built from the plan and from what
//! earlier phases created (read back from the journal), so a resumed deployment plans exactly the steps
//! a first run would.

use super::{Known, Plan};
use crate::CanonicalToken;
use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::DynProvider,
    rpc::types::TransactionRequest,
};
use nxtp_bindings::{BridgeToken, ConnectionManager, Connext, DemoToken, Home, Replica};
use nxtp_primitives::Domain;

/// How many phases a deployment has; a phase starts once every domain finished the previous one.
pub const PHASES: usize = 4;

/// One transaction of the deployment.
pub struct Step {
    /// Its name within its domain (the journal's key is `<domain>/<name>`).
    pub name: String,
    /// The transaction, without nonce, gas or fees.
    pub tx: TransactionRequest,
    /// For a contract creation, the artifact's creation code the transaction's input starts with.
    pub artifact: Option<&'static Bytes>,
}

fn deploy(name: impl Into<String>, tx: TransactionRequest, artifact: &'static Bytes) -> Step {
    Step {
        name: name.into(),
        tx,
        artifact: Some(artifact),
    }
}

fn call(name: impl Into<String>, tx: TransactionRequest) -> Step {
    Step {
        name: name.into(),
        tx,
        artifact: None,
    }
}

/// The journal's name of `domain`'s Home deployment, and so on: the keys [`Known`] looks addresses up by.
pub const HOME: &str = "deploy Home";
/// See [`HOME`].
pub const CONNECTION_MANAGER: &str = "deploy ConnectionManager";
/// See [`HOME`].
pub const CONNEXT: &str = "deploy Connext";

/// The step deploying the Replica of `remote`.
pub fn replica(remote: Domain) -> String {
    format!("deploy the Replica of {remote}")
}

/// The step deploying the DemoToken of `symbol` on its home domain.
pub fn demo_token(symbol: &str) -> String {
    format!("deploy the {symbol} DemoToken")
}

/// The step deploying the BridgeToken representing `symbol` away from its home.
pub fn bridge_token(symbol: &str) -> String {
    format!("deploy the {symbol} BridgeToken")
}

/// The steps of `phase` (0-based) on `domain`. Addresses not yet known (only when counting steps before
/// anything ran) read as zero.
pub fn phase_steps(
    phase: usize,
    domain: Domain,
    plan: &Plan,
    known: &Known,
    provider: &DynProvider,
    deployer: Address,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let home = known.address(domain, HOME);
    let manager = known.address(domain, CONNECTION_MANAGER);
    let connext = known.address(domain, CONNEXT);
    let remotes: Vec<Domain> = plan
        .chains
        .iter()
        .map(|chain| chain.domain)
        .filter(|&remote| remote != domain)
        .collect();
    match phase {
        0 => {
            steps.push(deploy(
                HOME,
                Home::deploy_builder(
                    provider,
                    domain.get(),
                    plan.updater,
                    deployer,
                    plan.required_bond,
                )
                .into_transaction_request(),
                &Home::BYTECODE,
            ));
            steps.push(deploy(
                CONNECTION_MANAGER,
                ConnectionManager::deploy_builder(provider, domain.get(), deployer)
                    .into_transaction_request(),
                &ConnectionManager::BYTECODE,
            ));
            for asset in plan.assets.iter().filter(|asset| {
                asset.home == domain && asset.canonical == CanonicalToken::DeployDemoToken
            }) {
                steps.push(deploy(
                    demo_token(&asset.symbol),
                    DemoToken::deploy_builder(
                        provider,
                        asset.name.clone(),
                        asset.symbol.clone(),
                        asset.decimals,
                    )
                    .into_transaction_request(),
                    &DemoToken::BYTECODE,
                ));
            }
        }
        1 => {
            steps.push(call(
                "deposit the updater's bond",
                Home::new(home, provider)
                    .depositBond(plan.updater)
                    .value(plan.required_bond)
                    .into_transaction_request(),
            ));
            for &remote in &remotes {
                let remote_chain_id = plan.chain_id(remote).unwrap_or_default();
                steps.push(deploy(
                    replica(remote),
                    Replica::deploy_builder(
                        provider,
                        domain.get(),
                        remote.get(),
                        U256::from(remote_chain_id),
                        known.address(remote, HOME),
                        plan.updater,
                        known.roots.get(&remote).copied().unwrap_or(B256::ZERO),
                        plan.optimistic_seconds,
                        plan.min_optimistic_seconds,
                        manager,
                        deployer,
                        // The first Replica of `remote` on this domain: nothing came before it.
                        Address::ZERO,
                    )
                    .into_transaction_request(),
                    &Replica::BYTECODE,
                ));
            }
            steps.push(deploy(
                CONNEXT,
                Connext::deploy_builder(
                    provider,
                    domain.get(),
                    deployer,
                    home,
                    manager,
                    plan.relayer_fee_vault,
                )
                .into_transaction_request(),
                &Connext::BYTECODE,
            ));
        }
        2 => {
            let manager_contract = ConnectionManager::new(manager, provider);
            for &remote in &remotes {
                steps.push(call(
                    format!("enroll the Replica of {remote}"),
                    manager_contract
                        .enrollReplica(known.address(domain, &replica(remote)))
                        .into_transaction_request(),
                ));
                for &watcher in &plan.watchers {
                    steps.push(call(
                        format!("permit the watcher {watcher} for {remote}"),
                        manager_contract
                            .setWatcherPermission(watcher, remote.get(), true)
                            .into_transaction_request(),
                    ));
                }
            }
            for asset in plan.assets.iter().filter(|asset| asset.home != domain) {
                steps.push(deploy(
                    bridge_token(&asset.symbol),
                    BridgeToken::deploy_builder(
                        provider,
                        asset.name.clone(),
                        asset.symbol.clone(),
                        asset.decimals,
                        connext,
                    )
                    .into_transaction_request(),
                    &BridgeToken::BYTECODE,
                ));
            }
        }
        _ => {
            let contract = Connext::new(connext, provider);
            for &remote in &remotes {
                steps.push(call(
                    format!("enroll the Connext of {remote}"),
                    contract
                        .setRemoteConnext(remote.get(), known.address(remote, CONNEXT).into_word())
                        .into_transaction_request(),
                ));
            }
            for asset in &plan.assets {
                let canonical = known.canonical_token(plan, asset);
                let tx = if asset.home == domain {
                    contract
                        .setupCanonicalAsset(canonical, asset.cap)
                        .into_transaction_request()
                } else {
                    contract
                        .setupRepresentation(
                            canonical.into_word(),
                            asset.home.get(),
                            known.address(domain, &bridge_token(&asset.symbol)),
                        )
                        .into_transaction_request()
                };
                steps.push(call(format!("register {}", asset.symbol), tx));
            }
            for &sequencer in &plan.sequencers {
                steps.push(call(
                    format!("approve the sequencer {sequencer}"),
                    contract
                        .setSequencerApproval(sequencer, true)
                        .into_transaction_request(),
                ));
            }
            // A new Connext already requires one signature; only another threshold needs a step.
            if plan.sequencer_threshold != super::DEFAULT_SEQUENCER_THRESHOLD {
                steps.push(call(
                    format!(
                        "set the sequencer threshold to {}",
                        plan.sequencer_threshold
                    ),
                    contract
                        .setSequencerThreshold(U256::from(plan.sequencer_threshold))
                        .into_transaction_request(),
                ));
            }
            for &relayer in &plan.relayers {
                steps.push(call(
                    format!("approve the relayer {relayer}"),
                    contract
                        .setRelayerApproval(relayer, true)
                        .into_transaction_request(),
                ));
            }
            for &router in &plan.routers {
                steps.push(call(
                    format!("set up the router {router}"),
                    contract
                        .setupRouter(router, router, Address::ZERO)
                        .into_transaction_request(),
                ));
            }
            if let Some(owner) = plan.owner.filter(|&owner| owner != deployer) {
                // Two-step ownership: the owner accepts on each contract, from its own key.
                let mut owned = vec![("Home", home), ("ConnectionManager", manager)];
                owned.extend(
                    remotes
                        .iter()
                        .map(|&remote| ("Replica", known.address(domain, &replica(remote)))),
                );
                owned.push(("Connext", connext));
                for (index, (name, address)) in owned.into_iter().enumerate() {
                    steps.push(call(
                        format!("propose {owner} as owner of {name} {index}"),
                        Home::new(address, provider)
                            .transferOwnership(owner)
                            .into_transaction_request(),
                    ));
                }
            }
        }
    }
    steps
}
