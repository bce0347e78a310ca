//! Deploys and wires the messaging contracts on any set of chains, and describes the result as a
//! [`Manifest`].
//!
//! On every domain: a `Home` (the updater's bond deposited), a `ConnectionManager`, one `Replica` per
//! other domain (starting from that domain's Home's committed root, enrolled in the manager), the
//! watcher permitted for every remote domain, and (unless [`DeployConfig::recording_recipient`] is off) a
//! `RecordingRecipient` as a message sink for tests and demos. Transactions that do not depend on each other
//! are sent together and the domains are deployed in parallel, so with interval mining the whole deployment
//! takes a few blocks, not one per transaction.

use crate::{
    transactions::{confirm_all, created, signing_provider, submit},
    DeployError, DomainDeployment, Manifest,
};
use alloy::{
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider},
    signers::local::PrivateKeySigner,
};
use futures::future::try_join_all;
use nxtp_bindings::{ConnectionManager, Home, RecordingRecipient, Replica};
use nxtp_primitives::Domain;
use std::{collections::BTreeMap, time::Duration};

/// The manifest's `contracts` key of each domain's `RecordingRecipient`.
pub const RECORDING_RECIPIENT: &str = "RecordingRecipient";

/// One chain to deploy to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The protocol domain it plays.
    pub domain: Domain,
    /// Its JSON-RPC endpoint.
    pub rpc_url: String,
}

/// Deployment parameters.
#[derive(Clone, Debug)]
pub struct DeployConfig {
    /// Each Replica's optimistic window.
    pub optimistic_seconds: u32,
    /// Each Replica's floor on its window, fixed at deployment.
    pub min_optimistic_seconds: u32,
    /// The bond each Home requires of its updater; the deployer deposits exactly this much.
    pub required_bond: U256,
    /// How long to wait for any one transaction to be mined.
    pub receipt_timeout: Duration,
    /// Deploy a `RecordingRecipient` on every domain (listed in the manifest's `contracts` as
    /// [`RECORDING_RECIPIENT`]): a message sink for tests and demos, of no use on a live deployment.
    pub recording_recipient: bool,
}

impl Default for DeployConfig {
    /// A devnet's: a 5-second window, no floor, a 1 ether bond, a `RecordingRecipient`.
    fn default() -> Self {
        Self {
            optimistic_seconds: 5,
            min_optimistic_seconds: 0,
            required_bond: U256::from(10u64).pow(U256::from(18u64)),
            receipt_timeout: Duration::from_secs(60),
            recording_recipient: true,
        }
    }
}

/// Who the messaging contracts name besides their owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessagingRoles {
    /// The updater every Home and Replica accepts roots from (the deployer deposits its bond).
    pub updater: Address,
    /// The watcher every ConnectionManager permits to halt the Replicas of every remote domain.
    pub watcher: Address,
}

/// What phase one leaves on a domain.
struct Core {
    provider: DynProvider,
    rpc_url: String,
    chain_id: u64,
    deploy_block: u64,
    home: Address,
    connection_manager: Address,
    recipient: Option<Address>,
}

/// Deploys and wires the messaging layer on `endpoints` (each a distinct domain), `deployer` deploying and
/// owning every contract (and paying the updater's bonds), and returns its manifest (no `dev_keys`, no
/// `services`: those are the caller's to add).
pub async fn deploy_messaging(
    endpoints: &[Endpoint],
    deployer: &PrivateKeySigner,
    roles: &MessagingRoles,
    config: &DeployConfig,
) -> Result<Manifest, DeployError> {
    check_endpoints(endpoints)?;
    let MessagingRoles { updater, watcher } = *roles;
    let owner = deployer.address();
    let timeout = config.receipt_timeout;

    // Phase 1: the contracts that need nothing else.
    let cores = try_join_all(
        endpoints
            .iter()
            .map(|endpoint| deploy_core(endpoint, deployer, roles, config)),
    )
    .await?;
    let cores: BTreeMap<Domain, Core> = endpoints
        .iter()
        .map(|endpoint| endpoint.domain)
        .zip(cores)
        .collect();

    // Every Replica starts from its remote Home's committed root, read from that Home.
    let mut roots = BTreeMap::new();
    for (&domain, core) in &cores {
        let root = Home::new(core.home, &core.provider)
            .committedRoot()
            .call()
            .await
            .map_err(|err| DeployError::step(domain, "read Home.committedRoot", err))?;
        roots.insert(domain, root);
    }

    // Phase 2: the bond and the Replicas. Each Replica names its remote Home by chain id (read from
    // that chain's node) and address: the signing domain of the updates it verifies.
    let replicas = try_join_all(cores.iter().map(|(&domain, core)| {
        let remotes: Vec<(Domain, B256, u64, Address)> = roots
            .iter()
            .filter(|(&remote, _)| remote != domain)
            .map(|(&remote, &root)| (remote, root, cores[&remote].chain_id, cores[&remote].home))
            .collect();
        async move {
            let home = Home::new(core.home, &core.provider);
            let mut sent = vec![
                submit(domain, "Home.depositBond", timeout, async {
                    home.depositBond(updater)
                        .value(config.required_bond)
                        .send()
                        .await
                })
                .await?,
            ];
            for &(remote, root, remote_chain_id, remote_home) in &remotes {
                let step = format!("deploy Replica of {remote}");
                sent.push(
                    submit(domain, step, timeout, async {
                        Replica::deploy_builder(
                            &core.provider,
                            domain.get(),
                            remote.get(),
                            U256::from(remote_chain_id),
                            remote_home,
                            updater,
                            root,
                            config.optimistic_seconds,
                            config.min_optimistic_seconds,
                            core.connection_manager,
                            owner,
                            // The first Replica of `remote` on this domain: nothing came before it.
                            Address::ZERO,
                        )
                        .send()
                        .await
                    })
                    .await?,
                );
            }
            let receipts = confirm_all(domain, sent).await?;
            let replicas: BTreeMap<Domain, Address> = remotes
                .iter()
                .zip(&receipts[1..])
                .map(|(&(remote, ..), (step, receipt))| {
                    created(domain, step, receipt).map(|address| (remote, address))
                })
                .collect::<Result<_, _>>()?;
            Ok::<_, DeployError>((domain, replicas))
        }
    }))
    .await?;
    let replicas: BTreeMap<Domain, BTreeMap<Domain, Address>> = replicas.into_iter().collect();

    // Phase 3: enroll the Replicas and permit the watcher.
    try_join_all(cores.iter().map(|(&domain, core)| {
        let replicas = &replicas[&domain];
        async move {
            let manager = ConnectionManager::new(core.connection_manager, &core.provider);
            let mut sent = Vec::new();
            for (&remote, &replica) in replicas {
                sent.push(
                    submit(
                        domain,
                        format!("enroll Replica of {remote}"),
                        timeout,
                        async { manager.enrollReplica(replica).send().await },
                    )
                    .await?,
                );
                sent.push(
                    submit(
                        domain,
                        format!("permit the watcher for {remote}"),
                        timeout,
                        async {
                            manager
                                .setWatcherPermission(watcher, remote.get(), true)
                                .send()
                                .await
                        },
                    )
                    .await?,
                );
            }
            confirm_all(domain, sent).await?;
            Ok::<_, DeployError>(())
        }
    }))
    .await?;

    let domains = cores
        .into_iter()
        .map(|(domain, core)| {
            let deployment = DomainDeployment {
                chain_id: core.chain_id,
                rpc_url: core.rpc_url,
                deploy_block: core.deploy_block,
                home: core.home,
                connection_manager: core.connection_manager,
                replicas: replicas.get(&domain).cloned().unwrap_or_default(),
                updater,
                contracts: core
                    .recipient
                    .map(|recipient| (RECORDING_RECIPIENT.to_owned(), recipient))
                    .into_iter()
                    .collect(),
                liquidity: None,
            };
            (domain, deployment)
        })
        .collect();
    Ok(Manifest {
        optimistic_seconds: config.optimistic_seconds,
        domains,
        dev_keys: BTreeMap::new(),
        services: None,
    })
}

fn check_endpoints(endpoints: &[Endpoint]) -> Result<(), DeployError> {
    if endpoints.is_empty() {
        return Err(DeployError::NoDomains);
    }
    let mut seen = std::collections::BTreeSet::new();
    for endpoint in endpoints {
        if endpoint.domain.get() == 0 {
            return Err(DeployError::ZeroDomain);
        }
        if !seen.insert(endpoint.domain) {
            return Err(DeployError::DuplicateDomain(endpoint.domain));
        }
    }
    Ok(())
}

/// Phase 1 on one domain: Home, ConnectionManager and the recipient, sent together.
async fn deploy_core(
    endpoint: &Endpoint,
    deployer: &PrivateKeySigner,
    roles: &MessagingRoles,
    config: &DeployConfig,
) -> Result<Core, DeployError> {
    let domain = endpoint.domain;
    let provider = signing_provider(endpoint, deployer)?;
    let chain_id = provider
        .get_chain_id()
        .await
        .map_err(|err| DeployError::step(domain, format!("reach {}", endpoint.rpc_url), err))?;
    let owner = deployer.address();
    let timeout = config.receipt_timeout;
    let updater = roles.updater;
    let mut sent = vec![
        submit(domain, "deploy Home", timeout, async {
            Home::deploy_builder(
                &provider,
                domain.get(),
                updater,
                owner,
                config.required_bond,
            )
            .send()
            .await
        })
        .await?,
        submit(domain, "deploy ConnectionManager", timeout, async {
            ConnectionManager::deploy_builder(&provider, domain.get(), owner)
                .send()
                .await
        })
        .await?,
    ];
    if config.recording_recipient {
        sent.push(
            submit(domain, "deploy RecordingRecipient", timeout, async {
                RecordingRecipient::deploy_builder(&provider).send().await
            })
            .await?,
        );
    }
    let receipts = confirm_all(domain, sent).await?;
    let deploy_block = receipts
        .iter()
        .filter_map(|(_, receipt)| receipt.block_number)
        .min()
        .unwrap_or_default();
    // In the order sent: Home, ConnectionManager, then the recipient if asked for.
    let addresses = receipts
        .iter()
        .map(|(step, receipt)| created(domain, step, receipt))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Core {
        rpc_url: endpoint.rpc_url.clone(),
        chain_id,
        deploy_block,
        home: addresses[0],
        connection_manager: addresses[1],
        recipient: addresses.get(2).copied(),
        provider,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(domain: u32) -> Endpoint {
        Endpoint {
            domain: Domain(domain),
            rpc_url: "http://127.0.0.1:1".to_owned(),
        }
    }

    #[test]
    fn endpoints_must_be_distinct_nonzero_domains() {
        assert!(matches!(check_endpoints(&[]), Err(DeployError::NoDomains)));
        assert!(matches!(
            check_endpoints(&[endpoint(0)]),
            Err(DeployError::ZeroDomain)
        ));
        assert!(matches!(
            check_endpoints(&[endpoint(1000), endpoint(1000)]),
            Err(DeployError::DuplicateDomain(Domain(1000)))
        ));
        assert!(check_endpoints(&[endpoint(1000), endpoint(2000)]).is_ok());
    }
}
