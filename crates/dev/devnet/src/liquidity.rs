//! The devnet's liquidity layer: deployed and wired by [`nxtp_deployment::deploy_liquidity`], then funded.
//!
//! [`deploy_liquidity`]: the library's deployment as [`liquidity_plan`] describes it (the development accounts
//! in their roles, the two demo routers, a `DemoReceiver` on every domain, the demo asset `DEMO`, a `DemoToken`
//! homed on the first domain with a `BridgeToken` representation on every other domain, all recorded in the
//! manifest's `liquidity` sections); it then mints `DEMO` to the user and gives both routers liquidity on the
//! home domain.
//!
//! Router liquidity on the other domains is in representations, which only the bridge mints: [`bridge_liquidity`]
//! sends it there with real transfers, so it needs the messaging agents running.

use crate::accounts::{DevAccounts, Role};
use alloy::{
    primitives::{Address, Bytes, U256},
    providers::DynProvider,
};
use futures::future::try_join_all;
use nxtp_bindings::{execute_args, BridgeToken, Connext, DemoToken, Fronting, XCalled};
pub use nxtp_deployment::DEMO_RECEIVER;
use nxtp_deployment::{
    transactions::{confirm_all, signing_provider, submit, uncached_signing_provider},
    AssetDeployment, AssetPlan, CanonicalToken, DeployError, Endpoint, LiquidityDeployment,
    LiquidityPlan, Manifest,
};
use nxtp_primitives::{Domain, TransferStatus};
use std::{collections::BTreeMap, time::Duration};

/// The demo asset's symbol in the manifest.
pub const DEMO_SYMBOL: &str = "DEMO";
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

/// The roles set up as routers.
pub const ROUTERS: [Role; 2] = [Role::RouterA, Role::RouterB];

/// The devnet's liquidity layer: the development accounts in their roles, the deployer the relayers' fee
/// vault, the [`ROUTERS`], and `DEMO` (a `DemoToken`) homed on the first domain of `manifest`.
pub fn liquidity_plan(
    manifest: &Manifest,
    accounts: &DevAccounts,
    config: &LiquidityConfig,
) -> Result<LiquidityPlan, DeployError> {
    let Some(&home_domain) = manifest.domains.keys().next() else {
        return Err(DeployError::NoDomains);
    };
    Ok(LiquidityPlan {
        sequencer: accounts.address(Role::Sequencer),
        relayer: accounts.address(Role::Relayer),
        relayer_fee_vault: accounts.address(Role::Deployer),
        routers: ROUTERS.iter().map(|&role| accounts.address(role)).collect(),
        assets: vec![AssetPlan {
            symbol: DEMO_SYMBOL.to_owned(),
            name: "Demo".to_owned(),
            decimals: DEMO_DECIMALS,
            home: home_domain,
            canonical: CanonicalToken::DeployDemoToken,
            cap: U256::from(u128::MAX),
        }],
        demo_receiver: true,
        receipt_timeout: config.receipt_timeout,
    })
}

/// Deploys and wires the liquidity layer on every domain of `manifest` (whose messaging layer must be
/// deployed) as [`liquidity_plan`] says, recording it in the manifest, then funds it on `DEMO`'s home
/// domain: the user's `DEMO` and each router's liquidity.
pub async fn deploy_liquidity(
    manifest: &mut Manifest,
    accounts: &DevAccounts,
    config: &LiquidityConfig,
) -> Result<(), DeployError> {
    let plan = liquidity_plan(manifest, accounts, config)?;
    nxtp_deployment::deploy_liquidity(manifest, accounts.signer(Role::Deployer), &plan).await?;
    let Some(&home_domain) = manifest.domains.keys().next() else {
        return Err(DeployError::NoDomains);
    };
    let home_liquidity = liquidity_of(home_domain, manifest)?;
    let token = demo_asset(home_domain, home_liquidity)?.local;
    let providers = deployer_providers(manifest, accounts)?;
    let connext = Connext::new(home_liquidity.connext, &providers[&home_domain]);
    fund_home(home_domain, &connext, token, accounts, config).await
}

/// Mints the user's `DEMO` and adds each router's liquidity on the home domain, once the routers are set up.
async fn fund_home(
    domain: Domain,
    connext: &Connext::ConnextInstance<&DynProvider>,
    token: Address,
    accounts: &DevAccounts,
    funding: &LiquidityConfig,
) -> Result<(), DeployError> {
    let timeout = funding.receipt_timeout;
    let demo = DemoToken::new(token, connext.provider());
    let deployer = accounts.address(Role::Deployer);
    let total = funding.router_liquidity * U256::from(ROUTERS.len());
    let sent = vec![
        submit(domain, "mint the user's DEMO", timeout, async {
            demo.mint(accounts.address(Role::User), funding.user_funds)
                .send()
                .await
        })
        .await?,
        submit(domain, "mint the routers' DEMO", timeout, async {
            demo.mint(deployer, total).send().await
        })
        .await?,
        submit(
            domain,
            "approve Connext for the routers' DEMO",
            timeout,
            async { demo.approve(*connext.address(), U256::MAX).send().await },
        )
        .await?,
    ];
    // Confirmed first: the additions' gas is estimated against the minted funds and the approval.
    confirm_all(domain, sent).await?;
    add_routers_liquidity(domain, connext, token, funding, accounts).await
}

/// Adds each of the [`ROUTERS`]' liquidity in `asset` on `domain`, from the deployer's funds (which
/// `connext` must be approved to take).
async fn add_routers_liquidity(
    domain: Domain,
    connext: &Connext::ConnextInstance<&DynProvider>,
    asset: Address,
    funding: &LiquidityConfig,
    accounts: &DevAccounts,
) -> Result<(), DeployError> {
    let mut sent = Vec::new();
    for role in ROUTERS {
        let router = accounts.address(role);
        let step = format!("add {role}'s liquidity");
        sent.push(
            submit(domain, step, funding.receipt_timeout, async {
                connext
                    .addRouterLiquidity(router, asset, funding.router_liquidity)
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
    let timeout = config.receipt_timeout;
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
        submit(home_domain, "mint the DEMO to bridge", timeout, async {
            demo.mint(deployer, needed).send().await
        })
        .await?,
    ];
    for &remote in &remotes {
        for (to, amount) in [(deployer, routers_total), (user, config.user_remote_funds)] {
            sent.push(
                submit(
                    home_domain,
                    format!("xcall DEMO to {remote}"),
                    timeout,
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
            .find_map(|log| XCalled::decode(&log.inner, home_domain).ok())
            .ok_or_else(|| {
                DeployError::refused(
                    home_domain,
                    step.clone(),
                    "the receipt has no XCalled event",
                )
            })?;
        transfers.push(xcalled);
    }

    // Each destination: wait for the messages, execute the slow path, add the routers' liquidity.
    try_join_all(remotes.iter().map(|&remote| {
        let provider = &providers[&remote];
        let transfers: Vec<&XCalled> = transfers
            .iter()
            .filter(|xcalled| xcalled.params.destinationDomain == remote.get())
            .collect();
        async move {
            let liquidity = liquidity_of(remote, manifest)?;
            let local = demo_asset(remote, liquidity)?.local;
            let connext = Connext::new(liquidity.connext, provider);
            for xcalled in transfers {
                // Its own provider: a send that loses the race with the executor must not leave a hole in
                // the cached nonces of the provider used next.
                let executing = Connext::new(
                    liquidity.connext,
                    uncached_provider(manifest, remote, accounts)?,
                );
                complete_slow(remote, &executing, xcalled, config.bridge_timeout).await?;
            }
            let representation = BridgeToken::new(local, provider);
            // Confirmed first: the additions' gas is estimated against the approval.
            let approval = submit(
                remote,
                "approve Connext for the routers' DEMO",
                timeout,
                async {
                    representation
                        .approve(liquidity.connext, U256::MAX)
                        .send()
                        .await
                },
            )
            .await?;
            confirm_all(remote, vec![approval]).await?;
            add_routers_liquidity(remote, &connext, local, config, accounts).await
        }
    }))
    .await?;
    Ok(())
}

/// Waits until the transfer `xcalled` started is reconciled on `domain`, then executes it by the slow path as
/// its delegate, unless someone else (the executor) already did.
async fn complete_slow(
    domain: Domain,
    connext: &Connext::ConnextInstance<DynProvider>,
    xcalled: &XCalled,
    timeout: Duration,
) -> Result<(), DeployError> {
    let transfer_id = xcalled.transfer_id;
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
                let args = execute_args(&xcalled.params, Fronting::default());
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
    uncached_signing_provider(
        &endpoint_of(manifest, domain),
        accounts.signer(Role::Deployer),
    )
}

/// A provider per domain of `manifest`, signing as the deployer with locally counted nonces.
fn deployer_providers(
    manifest: &Manifest,
    accounts: &DevAccounts,
) -> Result<BTreeMap<Domain, DynProvider>, DeployError> {
    manifest
        .domains
        .keys()
        .map(|&domain| {
            signing_provider(
                &endpoint_of(manifest, domain),
                accounts.signer(Role::Deployer),
            )
            .map(|provider| (domain, provider))
        })
        .collect()
}

fn endpoint_of(manifest: &Manifest, domain: Domain) -> Endpoint {
    Endpoint {
        domain,
        rpc_url: manifest.domains[&domain].rpc_url.clone(),
    }
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
