//! Deploys and wires the liquidity layer over an existing messaging deployment, and funds it.
//!
//! [`deploy_liquidity`]: on every domain a `Connext` (dispatching through the domain's `Home`, authenticating
//! deliveries through its `ConnectionManager`) enrolled with every other domain's `Connext`, the sequencer and
//! relayer approved, the two demo routers set up (each its own owner), a `DemoReceiver`; the demo asset `DEMO`
//! (a `DemoToken`) on the first domain, registered as canonical there and as a `BridgeToken` representation on
//! every other domain. It then mints `DEMO` to the user and gives both routers liquidity on the home domain, and
//! records all of it in the manifest's `liquidity` sections.
//!
//! Router liquidity on the other domains is in representations, which only the bridge mints: [`bridge_liquidity`]
//! sends it there with real transfers, so it needs the messaging agents running.

use crate::{
    accounts::{DevAccounts, Role},
    deploy::{
        confirm_all, created, deployer_provider, submit, DeployConfig, DeployError, Endpoint,
    },
};
use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    sol_types::SolEvent,
};
use futures::future::try_join_all;
use nxtp_bindings::{BridgeToken, Connext, DemoReceiver, DemoToken};
use nxtp_deployment::{AssetDeployment, LiquidityDeployment, Manifest};
use nxtp_primitives::{Domain, TransferStatus};
use std::{collections::BTreeMap, time::Duration};

/// The demo asset's symbol in the manifest.
pub const DEMO_SYMBOL: &str = "DEMO";
/// The manifest's `contracts` key of each domain's `DemoReceiver`.
pub const DEMO_RECEIVER: &str = "DemoReceiver";
/// The demo asset's decimals.
pub const DEMO_DECIMALS: u8 = 18;

/// One whole `DEMO` in base units.
pub fn demo_units(whole: u64) -> U256 {
    U256::from(whole) * U256::from(10u64).pow(U256::from(DEMO_DECIMALS))
}

/// How the liquidity layer is funded.
#[derive(Clone, Debug)]
pub struct LiquidityConfig {
    /// `DEMO` minted to the user on the home domain.
    pub user_funds: U256,
    /// `DEMO` [`bridge_liquidity`] sends the user on every other domain.
    pub user_remote_funds: U256,
    /// How long [`bridge_liquidity`] waits for a transfer to be reconciled.
    pub bridge_timeout: Duration,
    /// Each router's liquidity on every domain.
    pub router_liquidity: U256,
    /// How long to wait for any one transaction to be mined.
    pub receipt_timeout: Duration,
}

impl Default for LiquidityConfig {
    /// 1,000,000 `DEMO` for the user at home and 10,000 elsewhere, 1,000 per router per domain.
    fn default() -> Self {
        Self {
            user_funds: demo_units(1_000_000),
            user_remote_funds: demo_units(10_000),
            bridge_timeout: Duration::from_secs(180),
            router_liquidity: demo_units(1_000),
            receipt_timeout: Duration::from_secs(60),
        }
    }
}

impl LiquidityConfig {
    fn deploy_config(&self) -> DeployConfig {
        DeployConfig {
            receipt_timeout: self.receipt_timeout,
            ..DeployConfig::default()
        }
    }
}

/// The roles set up as routers.
pub const ROUTERS: [Role; 2] = [Role::RouterA, Role::RouterB];

/// Deploys, wires and funds the liquidity layer on every domain of `manifest` (whose messaging layer must be
/// deployed), recording it in the manifest. The first domain is the home of `DEMO`.
pub async fn deploy_liquidity(
    manifest: &mut Manifest,
    accounts: &DevAccounts,
    config: &LiquidityConfig,
) -> Result<(), DeployError> {
    let deploy_config = config.deploy_config();
    let funding = config;
    let Some((&home_domain, _)) = manifest.domains.iter().next() else {
        return Err(DeployError::NoDomains);
    };
    let providers = deployer_providers(manifest, accounts)?;
    let owner = accounts.address(Role::Deployer);

    // Phase 1: Connext and the receiver everywhere, the canonical token at home.
    let deployed = try_join_all(manifest.domains.iter().map(|(&domain, deployment)| {
        let provider = &providers[&domain];
        let config = &deploy_config;
        async move {
            let mut sent = vec![
                submit(domain, "deploy Connext", config, async {
                    Connext::deploy_builder(
                        provider,
                        domain.get(),
                        owner,
                        deployment.home,
                        deployment.connection_manager,
                        owner,
                    )
                    .send()
                    .await
                })
                .await?,
                submit(domain, "deploy DemoReceiver", config, async {
                    DemoReceiver::deploy_builder(provider).send().await
                })
                .await?,
            ];
            if domain == home_domain {
                sent.push(
                    submit(domain, "deploy DemoToken", config, async {
                        DemoToken::deploy_builder(
                            provider,
                            "Demo".to_owned(),
                            DEMO_SYMBOL.to_owned(),
                            DEMO_DECIMALS,
                        )
                        .send()
                        .await
                    })
                    .await?,
                );
            }
            let receipts = confirm_all(domain, sent).await?;
            let addresses = receipts
                .iter()
                .map(|(step, receipt)| created(domain, step, receipt))
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, DeployError>((domain, addresses))
        }
    }))
    .await?;
    let mut connexts = BTreeMap::new();
    let mut receivers = BTreeMap::new();
    let mut token = Address::ZERO;
    for (domain, addresses) in deployed {
        connexts.insert(domain, addresses[0]);
        receivers.insert(domain, addresses[1]);
        if let Some(&canonical) = addresses.get(2) {
            token = canonical;
        }
    }
    let canonical_id = token.into_word();

    // Phase 2: representations elsewhere (each names its Connext, so it waits for phase 1).
    let representations = try_join_all(connexts.iter().filter(|(&d, _)| d != home_domain).map(
        |(&domain, &connext)| {
            let provider = &providers[&domain];
            let config = &deploy_config;
            async move {
                let sent = vec![
                    submit(domain, "deploy the DEMO BridgeToken", config, async {
                        BridgeToken::deploy_builder(
                            provider,
                            "Demo".to_owned(),
                            DEMO_SYMBOL.to_owned(),
                            DEMO_DECIMALS,
                            connext,
                        )
                        .send()
                        .await
                    })
                    .await?,
                ];
                let receipts = confirm_all(domain, sent).await?;
                let (step, receipt) = &receipts[0];
                Ok::<_, DeployError>((domain, created(domain, step, receipt)?))
            }
        },
    ))
    .await?;
    let mut locals: BTreeMap<Domain, Address> = representations.into_iter().collect();
    locals.insert(home_domain, token);

    // Phase 3: wiring, registration, approvals and the home domain's funding.
    let sequencer = accounts.address(Role::Sequencer);
    let relayer = accounts.address(Role::Relayer);
    try_join_all(connexts.iter().map(|(&domain, &address)| {
        let provider = &providers[&domain];
        let config = &deploy_config;
        let connexts = &connexts;
        let local = locals[&domain];
        async move {
            let connext = Connext::new(address, provider);
            let mut sent = Vec::new();
            for (&remote, &remote_connext) in connexts.iter().filter(|(&d, _)| d != domain) {
                sent.push(
                    submit(
                        domain,
                        format!("enroll the Connext of {remote}"),
                        config,
                        async {
                            connext
                                .setRemoteConnext(remote.get(), remote_connext.into_word())
                                .send()
                                .await
                        },
                    )
                    .await?,
                );
            }
            sent.push(if domain == home_domain {
                submit(domain, "register DEMO as canonical", config, async {
                    connext
                        .setupCanonicalAsset(local, U256::from(u128::MAX))
                        .send()
                        .await
                })
                .await?
            } else {
                submit(domain, "register the DEMO representation", config, async {
                    connext
                        .setupRepresentation(canonical_id, home_domain.get(), local)
                        .send()
                        .await
                })
                .await?
            });
            sent.push(
                submit(domain, "approve the sequencer", config, async {
                    connext.setSequencerApproval(sequencer, true).send().await
                })
                .await?,
            );
            sent.push(
                submit(domain, "approve the relayer", config, async {
                    connext.setRelayerApproval(relayer, true).send().await
                })
                .await?,
            );
            for role in ROUTERS {
                let router = accounts.address(role);
                sent.push(
                    submit(domain, format!("set up {role}"), config, async {
                        connext
                            .setupRouter(router, router, Address::ZERO)
                            .send()
                            .await
                    })
                    .await?,
                );
            }
            confirm_all(domain, sent).await?;
            if domain == home_domain {
                fund_home(domain, &connext, local, accounts, funding, config).await?;
            }
            Ok::<_, DeployError>(())
        }
    }))
    .await?;

    for (domain, deployment) in manifest.domains.iter_mut() {
        deployment
            .contracts
            .insert(DEMO_RECEIVER.to_owned(), receivers[domain]);
        deployment.liquidity = Some(LiquidityDeployment {
            connext: connexts[domain],
            assets: BTreeMap::from([(
                DEMO_SYMBOL.to_owned(),
                AssetDeployment {
                    local: locals[domain],
                    canonical_domain: home_domain,
                    canonical_id,
                    decimals: DEMO_DECIMALS,
                },
            )]),
        });
    }
    Ok(())
}

/// Mints the user's `DEMO` and adds each router's liquidity on the home domain, once the routers are set up.
async fn fund_home(
    domain: Domain,
    connext: &Connext::ConnextInstance<&DynProvider>,
    token: Address,
    accounts: &DevAccounts,
    funding: &LiquidityConfig,
    config: &DeployConfig,
) -> Result<(), DeployError> {
    let demo = DemoToken::new(token, connext.provider());
    let deployer = accounts.address(Role::Deployer);
    let total = funding.router_liquidity * U256::from(ROUTERS.len());
    let sent = vec![
        submit(domain, "mint the user's DEMO", config, async {
            demo.mint(accounts.address(Role::User), funding.user_funds)
                .send()
                .await
        })
        .await?,
        submit(domain, "mint the routers' DEMO", config, async {
            demo.mint(deployer, total).send().await
        })
        .await?,
        submit(
            domain,
            "approve Connext for the routers' DEMO",
            config,
            async { demo.approve(*connext.address(), U256::MAX).send().await },
        )
        .await?,
    ];
    // Confirmed first: the additions' gas is estimated against the minted funds and the approval.
    confirm_all(domain, sent).await?;
    let mut sent = Vec::new();
    for role in ROUTERS {
        let router = accounts.address(role);
        sent.push(
            submit(domain, format!("add {role}'s liquidity"), config, async {
                connext
                    .addRouterLiquidity(router, token, funding.router_liquidity)
                    .send()
                    .await
            })
            .await?,
        );
    }
    confirm_all(domain, sent).await?;
    Ok(())
}

/// Sends each router's liquidity and the user's funds from the home domain to every other domain with real
/// slow-path transfers (the deployer their delegate), and adds the routers' liquidity there. Needs the messaging
/// agents running; a slow-path executor may run too (whoever executes first, the funds arrive once).
pub async fn bridge_liquidity(
    manifest: &Manifest,
    accounts: &DevAccounts,
    config: &LiquidityConfig,
) -> Result<(), DeployError> {
    let deploy_config = config.deploy_config();
    let providers = deployer_providers(manifest, accounts)?;
    let deployer = accounts.address(Role::Deployer);
    let user = accounts.address(Role::User);
    let Some(&home_domain) = manifest.domains.keys().next() else {
        return Err(DeployError::NoDomains);
    };
    let home_liquidity = liquidity_of(home_domain, manifest)?;
    let token = demo_asset(home_domain, home_liquidity)?.local;
    let home_connext = Connext::new(home_liquidity.connext, &providers[&home_domain]);
    let routers_total = config.router_liquidity * U256::from(ROUTERS.len());
    let remotes: Vec<Domain> = manifest
        .domains
        .keys()
        .copied()
        .filter(|&domain| domain != home_domain)
        .collect();

    // Every transfer from home first: one Home, one tree, so they share the messaging round trip.
    let demo = DemoToken::new(token, &providers[&home_domain]);
    let needed = (routers_total + config.user_remote_funds) * U256::from(remotes.len());
    let mut sent = vec![
        submit(
            home_domain,
            "mint the DEMO to bridge",
            &deploy_config,
            async { demo.mint(deployer, needed).send().await },
        )
        .await?,
    ];
    for &remote in &remotes {
        for (to, amount) in [(deployer, routers_total), (user, config.user_remote_funds)] {
            sent.push(
                submit(
                    home_domain,
                    format!("xcall DEMO to {remote}"),
                    &deploy_config,
                    async {
                        home_connext
                            .xcall(
                                remote.get(),
                                to,
                                token,
                                deployer,
                                amount,
                                U256::ZERO,
                                Bytes::new(),
                                U256::ZERO,
                            )
                            .send()
                            .await
                    },
                )
                .await?,
            );
        }
    }
    let receipts = confirm_all(home_domain, sent).await?;
    let mut transfers = Vec::new();
    for (step, receipt) in &receipts[1..] {
        let xcalled = receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| Connext::XCalled::decode_log(&log.inner).ok())
            .ok_or_else(|| DeployError::Step {
                domain: home_domain,
                step: step.clone(),
                source: "the receipt has no XCalled event".into(),
            })?;
        transfers.push(xcalled.data.params);
    }

    // Each destination: wait for the messages, execute the slow path, add the routers' liquidity.
    try_join_all(remotes.iter().map(|&remote| {
        let provider = &providers[&remote];
        let transfers: Vec<&Connext::TransferInfo> = transfers
            .iter()
            .filter(|params| params.destinationDomain == remote.get())
            .collect();
        let deploy_config = &deploy_config;
        async move {
            let liquidity = liquidity_of(remote, manifest)?;
            let local = demo_asset(remote, liquidity)?.local;
            let connext = Connext::new(liquidity.connext, provider);
            for params in transfers {
                // Its own provider: a send that loses the race with the executor must not leave a hole in
                // the cached nonces of the provider used next.
                let executing = Connext::new(
                    liquidity.connext,
                    uncached_provider(manifest, remote, accounts)?,
                );
                complete_slow(remote, &executing, params, config.bridge_timeout).await?;
            }
            let representation = BridgeToken::new(local, provider);
            // Confirmed first: the additions' gas is estimated against the approval.
            let approval = submit(
                remote,
                "approve Connext for the routers' DEMO",
                deploy_config,
                async {
                    representation
                        .approve(liquidity.connext, U256::MAX)
                        .send()
                        .await
                },
            )
            .await?;
            confirm_all(remote, vec![approval]).await?;
            let mut sent = Vec::new();
            for role in ROUTERS {
                let router = accounts.address(role);
                sent.push(
                    submit(
                        remote,
                        format!("add {role}'s liquidity"),
                        deploy_config,
                        async {
                            connext
                                .addRouterLiquidity(router, local, config.router_liquidity)
                                .send()
                                .await
                        },
                    )
                    .await?,
                );
            }
            confirm_all(remote, sent).await?;
            Ok::<_, DeployError>(())
        }
    }))
    .await?;
    Ok(())
}

/// Waits until `params` is reconciled on `domain`, then executes it by the slow path as its delegate, unless
/// someone else (the executor) already did.
async fn complete_slow(
    domain: Domain,
    connext: &Connext::ConnextInstance<DynProvider>,
    params: &Connext::TransferInfo,
    timeout: Duration,
) -> Result<(), DeployError> {
    let transfer_id = nxtp_primitives::transfer_id(&params.clone().into());
    let step = format!("complete the bootstrap transfer {transfer_id}");
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let raw = connext
            .transferStatus(transfer_id)
            .call()
            .await
            .map_err(|err| DeployError::step(domain, step.clone(), err))?;
        let status = TransferStatus::try_from(raw)
            .map_err(|err| DeployError::step(domain, step.clone(), err))?;
        match status {
            TransferStatus::Completed => return Ok(()),
            TransferStatus::Reconciled => {
                let args = Connext::ExecuteArgs {
                    params: params.clone(),
                    routers: Vec::new(),
                    routerSignatures: Vec::new(),
                    sequencer: Address::ZERO,
                    sequencerSignature: Bytes::new(),
                };
                // Losing a race with the executor is fine: the next read sees Completed.
                if let Ok(pending) = connext.execute(args).send().await {
                    let _ = confirm_all(domain, vec![(step.clone(), pending)]).await;
                }
            }
            _ => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(DeployError::Step {
                domain,
                step,
                source: format!(
                    "still {status:?} after {timeout:?}: are the messaging agents running?"
                )
                .into(),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A provider signing as the deployer that asks the node for the nonce of every transaction.
fn uncached_provider(
    manifest: &Manifest,
    domain: Domain,
    accounts: &DevAccounts,
) -> Result<DynProvider, DeployError> {
    let rpc_url = &manifest.domains[&domain].rpc_url;
    let url = rpc_url
        .parse()
        .map_err(|err| DeployError::step(domain, format!("RPC URL {rpc_url:?}"), err))?;
    Ok(ProviderBuilder::new()
        .wallet(EthereumWallet::from(
            accounts.signer(Role::Deployer).clone(),
        ))
        .connect_http(url)
        .erased())
}

fn deployer_providers(
    manifest: &Manifest,
    accounts: &DevAccounts,
) -> Result<BTreeMap<Domain, DynProvider>, DeployError> {
    manifest
        .domains
        .iter()
        .map(|(&domain, deployment)| {
            let endpoint = Endpoint {
                domain,
                rpc_url: deployment.rpc_url.clone(),
            };
            deployer_provider(&endpoint, accounts).map(|provider| (domain, provider))
        })
        .collect()
}

fn liquidity_of(domain: Domain, manifest: &Manifest) -> Result<&LiquidityDeployment, DeployError> {
    manifest.liquidity(domain).ok_or_else(|| DeployError::Step {
        domain,
        step: "read the manifest".to_owned(),
        source: "the liquidity layer is not deployed".into(),
    })
}

fn demo_asset(
    domain: Domain,
    liquidity: &LiquidityDeployment,
) -> Result<&AssetDeployment, DeployError> {
    liquidity
        .assets
        .get(DEMO_SYMBOL)
        .ok_or_else(|| DeployError::Step {
            domain,
            step: "read the manifest".to_owned(),
            source: "DEMO is not registered".into(),
        })
}
