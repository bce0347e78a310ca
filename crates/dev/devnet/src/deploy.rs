//! Deploys and wires the messaging contracts on any set of chains, and describes the result as a
//! [`Manifest`].
//!
//! On every domain: a `Home` (the updater's bond deposited), a `ConnectionManager`, one `Replica` per
//! other domain (starting from that domain's Home's committed root, enrolled in the manager), the
//! watcher permitted for every remote domain, and a `RecordingRecipient` as a message sink for tests and
//! demos. Transactions that do not depend on each other are sent together and the domains are deployed
//! in parallel, so with interval mining the whole deployment takes a few blocks, not one per transaction.

use crate::accounts::{DevAccounts, Role};
use alloy::{
    network::{Ethereum, EthereumWallet},
    primitives::{Address, B256, U256},
    providers::{DynProvider, PendingTransactionBuilder, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    transports::http::reqwest::Url,
};
use futures::future::try_join_all;
use nxtp_bindings::{ConnectionManager, Home, RecordingRecipient, Replica};
use nxtp_deployment::{DomainDeployment, Manifest};
use nxtp_primitives::Domain;
use std::{collections::BTreeMap, error::Error as StdError, future::Future, time::Duration};

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
}

impl Default for DeployConfig {
    /// A devnet's: a 5-second window, no floor, a 1 ether bond.
    fn default() -> Self {
        Self {
            optimistic_seconds: 5,
            min_optimistic_seconds: 0,
            required_bond: U256::from(10u64).pow(U256::from(18u64)),
            receipt_timeout: Duration::from_secs(60),
        }
    }
}

/// Why a deployment failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// Nothing to deploy to.
    #[error("no domains to deploy to")]
    NoDomains,
    /// Domain zero is not a domain.
    #[error("domain 0 is not valid")]
    ZeroDomain,
    /// One domain listed twice.
    #[error("domain {0} is listed twice")]
    DuplicateDomain(Domain),
    /// A step failed.
    #[error("domain {domain}: {step}")]
    Step {
        /// Where.
        domain: Domain,
        /// What was being done.
        step: String,
        /// Why it failed.
        source: Box<dyn StdError + Send + Sync>,
    },
    /// A transaction was mined but reverted.
    #[error("domain {domain}: {step}: transaction {tx} reverted")]
    Reverted {
        /// Where.
        domain: Domain,
        /// What was being done.
        step: String,
        /// The transaction.
        tx: B256,
    },
}

impl DeployError {
    pub(crate) fn step(
        domain: Domain,
        step: impl Into<String>,
        source: impl StdError + Send + Sync + 'static,
    ) -> Self {
        Self::Step {
            domain,
            step: step.into(),
            source: Box::new(source),
        }
    }
}

/// What phase one leaves on a domain.
struct Core {
    provider: DynProvider,
    rpc_url: String,
    chain_id: u64,
    deploy_block: u64,
    home: Address,
    connection_manager: Address,
    recipient: Address,
}

/// Deploys and wires everything on `endpoints` (each a distinct domain), with `accounts`' deployer as
/// the deployer and owner of every contract, and returns the manifest (including the development keys).
pub async fn deploy(
    endpoints: &[Endpoint],
    accounts: &DevAccounts,
    config: &DeployConfig,
) -> Result<Manifest, DeployError> {
    check_endpoints(endpoints)?;
    let updater = accounts.address(Role::Updater);
    let watcher = accounts.address(Role::Watcher);
    let owner = accounts.address(Role::Deployer);

    // Phase 1: the contracts that need nothing else.
    let cores = try_join_all(
        endpoints
            .iter()
            .map(|endpoint| deploy_core(endpoint, accounts, config)),
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
                submit(domain, "Home.depositBond", config, async {
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
                    submit(domain, step, config, async {
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
                        config,
                        async { manager.enrollReplica(replica).send().await },
                    )
                    .await?,
                );
                sent.push(
                    submit(
                        domain,
                        format!("permit the watcher for {remote}"),
                        config,
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
                contracts: BTreeMap::from([(RECORDING_RECIPIENT.to_owned(), core.recipient)]),
                liquidity: None,
            };
            (domain, deployment)
        })
        .collect();
    Ok(Manifest {
        optimistic_seconds: config.optimistic_seconds,
        domains,
        dev_keys: accounts.manifest_keys(),
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
    accounts: &DevAccounts,
    config: &DeployConfig,
) -> Result<Core, DeployError> {
    let domain = endpoint.domain;
    let provider = deployer_provider(endpoint, accounts)?;
    let chain_id = provider
        .get_chain_id()
        .await
        .map_err(|err| DeployError::step(domain, format!("reach {}", endpoint.rpc_url), err))?;
    let owner = accounts.address(Role::Deployer);
    let updater = accounts.address(Role::Updater);
    let sent = vec![
        submit(domain, "deploy Home", config, async {
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
        submit(domain, "deploy ConnectionManager", config, async {
            ConnectionManager::deploy_builder(&provider, domain.get(), owner)
                .send()
                .await
        })
        .await?,
        submit(domain, "deploy RecordingRecipient", config, async {
            RecordingRecipient::deploy_builder(&provider).send().await
        })
        .await?,
    ];
    let receipts = confirm_all(domain, sent).await?;
    let deploy_block = receipts
        .iter()
        .filter_map(|(_, receipt)| receipt.block_number)
        .min()
        .unwrap_or_default();
    let [home, connection_manager, recipient] = [0, 1, 2].map(|i| {
        let (step, receipt) = &receipts[i];
        created(domain, step, receipt)
    });
    Ok(Core {
        rpc_url: endpoint.rpc_url.clone(),
        chain_id,
        deploy_block,
        home: home?,
        connection_manager: connection_manager?,
        recipient: recipient?,
        provider,
    })
}

/// A provider that signs as the deployer. Nonces are counted locally, so several transactions can be in
/// flight at once.
pub(crate) fn deployer_provider(
    endpoint: &Endpoint,
    accounts: &DevAccounts,
) -> Result<DynProvider, DeployError> {
    let url: Url = endpoint.rpc_url.parse().map_err(|err| {
        DeployError::step(
            endpoint.domain,
            format!("RPC URL {:?}", endpoint.rpc_url),
            err,
        )
    })?;
    let wallet = EthereumWallet::from(accounts.signer(Role::Deployer).clone());
    Ok(ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_cached_nonce_management()
        .fetch_chain_id()
        .wallet(wallet)
        .connect_http(url)
        .erased())
}

/// A transaction handed to the node, with what it is for.
pub(crate) type Sent = (String, PendingTransactionBuilder<Ethereum>);

/// Sends one transaction (gas estimated, nonce assigned, handed to the node) without waiting for it to
/// be mined. Transactions of one domain are submitted one after another so nonces go out in order.
pub(crate) async fn submit(
    domain: Domain,
    step: impl Into<String>,
    config: &DeployConfig,
    send: impl Future<Output = Result<PendingTransactionBuilder<Ethereum>, alloy::contract::Error>>,
) -> Result<Sent, DeployError> {
    let step = step.into();
    match send.await {
        Ok(pending) => Ok((step, pending.with_timeout(Some(config.receipt_timeout)))),
        Err(err) => Err(DeployError::step(domain, step, err)),
    }
}

/// Waits for every transaction in `sent` to be mined and checks that none reverted.
pub(crate) async fn confirm_all(
    domain: Domain,
    sent: Vec<Sent>,
) -> Result<Vec<(String, TransactionReceipt)>, DeployError> {
    try_join_all(sent.into_iter().map(|(step, pending)| async move {
        let tx = *pending.tx_hash();
        let receipt = pending
            .get_receipt()
            .await
            .map_err(|err| DeployError::step(domain, format!("{step}: wait for {tx}"), err))?;
        if !receipt.status() {
            return Err(DeployError::Reverted { domain, step, tx });
        }
        Ok((step, receipt))
    }))
    .await
}

/// The address a deployment receipt created.
pub(crate) fn created(
    domain: Domain,
    step: &str,
    receipt: &TransactionReceipt,
) -> Result<Address, DeployError> {
    receipt.contract_address.ok_or_else(|| DeployError::Step {
        domain,
        step: step.to_owned(),
        source: "the receipt names no created contract".into(),
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
