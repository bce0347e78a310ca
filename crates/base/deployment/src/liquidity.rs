//! Deploys and wires the liquidity layer over an existing messaging deployment.
//!
//! [`deploy_liquidity`]: on every domain of the manifest a `Connext` (dispatching through the domain's
//! `Home`, authenticating deliveries through its `ConnectionManager`) enrolled with every other domain's
//! `Connext`, the sequencer and relayer approved, the routers set up (each its own owner), optionally a
//! `DemoReceiver`; every asset of the plan registered as canonical on its home domain (its token deployed
//! there first if the plan asks for a `DemoToken`) and as a `BridgeToken` representation, deployed for it,
//! on every other domain. All of it is recorded in the manifest's `liquidity` sections. Funding (minting,
//! router liquidity) is left to the caller: it is not deployment.

use crate::{
    transactions::{confirm_all, created, signing_provider, submit, Sent},
    AssetDeployment, DeployError, Endpoint, LiquidityDeployment, Manifest,
};
use alloy::{
    primitives::{Address, B256, U256},
    providers::DynProvider,
    signers::local::PrivateKeySigner,
};
use futures::future::try_join_all;
use nxtp_bindings::{BridgeToken, Connext, DemoReceiver, DemoToken};
use nxtp_primitives::Domain;
use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

/// The manifest's `contracts` key of each domain's `DemoReceiver`.
pub const DEMO_RECEIVER: &str = "DemoReceiver";

/// Where an asset's canonical token comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CanonicalToken {
    /// A token already deployed on the asset's home domain.
    Existing(Address),
    /// A `DemoToken` (anyone may mint it) deployed for the asset: for devnets and demos.
    DeployDemoToken,
}

/// One asset to register on every domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetPlan {
    /// Its symbol: the key of the manifest's `assets` on every domain.
    pub symbol: String,
    /// The name of the tokens deployed for it.
    pub name: String,
    /// Its decimals (the same on every domain).
    pub decimals: u8,
    /// Its home domain, where the canonical token lives.
    pub home: Domain,
    /// The canonical token.
    pub canonical: CanonicalToken,
    /// The cap on how much of it the home domain's `Connext` holds.
    pub cap: U256,
}

/// Who and what the liquidity layer names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiquidityPlan {
    /// The sequencer approved on every `Connext`.
    pub sequencer: Address,
    /// The relayer approved on every `Connext`.
    pub relayer: Address,
    /// Where every `Connext` sends relayer fees.
    pub relayer_fee_vault: Address,
    /// The routers set up on every `Connext`, each the owner of its own liquidity.
    pub routers: Vec<Address>,
    /// The assets registered on every domain.
    pub assets: Vec<AssetPlan>,
    /// Deploy a `DemoReceiver` on every domain (listed in `contracts` as [`DEMO_RECEIVER`]).
    pub demo_receiver: bool,
    /// How long to wait for any one transaction to be mined.
    pub receipt_timeout: Duration,
}

/// What phase one leaves on a domain.
struct Phase1 {
    connext: Address,
    receiver: Option<Address>,
    /// Canonical tokens deployed here, by symbol.
    tokens: BTreeMap<String, Address>,
}

/// Deploys and wires the liquidity layer on every domain of `manifest` (whose messaging layer must be
/// deployed), `deployer` deploying and owning every contract, and records it in the manifest.
pub async fn deploy_liquidity(
    manifest: &mut Manifest,
    deployer: &PrivateKeySigner,
    plan: &LiquidityPlan,
) -> Result<(), DeployError> {
    check_plan(manifest, plan)?;
    let providers: BTreeMap<Domain, DynProvider> = manifest
        .domains
        .iter()
        .map(|(&domain, deployment)| {
            let endpoint = Endpoint {
                domain,
                rpc_url: deployment.rpc_url.clone(),
            };
            signing_provider(&endpoint, deployer).map(|provider| (domain, provider))
        })
        .collect::<Result<_, _>>()?;
    let owner = deployer.address();
    let timeout = plan.receipt_timeout;

    // Phase 1: Connext and the receiver everywhere, the canonical tokens to deploy on their homes.
    let deployed = try_join_all(manifest.domains.iter().map(|(&domain, deployment)| {
        let provider = &providers[&domain];
        async move {
            let mut sent = vec![
                submit(domain, "deploy Connext", timeout, async {
                    Connext::deploy_builder(
                        provider,
                        domain.get(),
                        owner,
                        deployment.home,
                        deployment.connection_manager,
                        plan.relayer_fee_vault,
                    )
                    .send()
                    .await
                })
                .await?,
            ];
            if plan.demo_receiver {
                sent.push(
                    submit(domain, "deploy DemoReceiver", timeout, async {
                        DemoReceiver::deploy_builder(provider).send().await
                    })
                    .await?,
                );
            }
            let to_deploy: Vec<&AssetPlan> = plan
                .assets
                .iter()
                .filter(|asset| {
                    asset.home == domain && asset.canonical == CanonicalToken::DeployDemoToken
                })
                .collect();
            for asset in &to_deploy {
                sent.push(
                    submit(
                        domain,
                        format!("deploy the {} DemoToken", asset.symbol),
                        timeout,
                        async {
                            DemoToken::deploy_builder(
                                provider,
                                asset.name.clone(),
                                asset.symbol.clone(),
                                asset.decimals,
                            )
                            .send()
                            .await
                        },
                    )
                    .await?,
                );
            }
            let mut addresses = created_all(domain, sent).await?.into_iter();
            let mut next = || {
                addresses.next().ok_or_else(|| {
                    DeployError::refused(
                        domain,
                        "deploy the liquidity layer",
                        "a receipt is missing",
                    )
                })
            };
            let connext = next()?;
            let receiver = if plan.demo_receiver {
                Some(next()?)
            } else {
                None
            };
            let mut tokens = BTreeMap::new();
            for asset in to_deploy {
                tokens.insert(asset.symbol.clone(), next()?);
            }
            Ok::<_, DeployError>((
                domain,
                Phase1 {
                    connext,
                    receiver,
                    tokens,
                },
            ))
        }
    }))
    .await?;
    let phase1: BTreeMap<Domain, Phase1> = deployed.into_iter().collect();
    let connexts: BTreeMap<Domain, Address> = phase1
        .iter()
        .map(|(&domain, deployed)| (domain, deployed.connext))
        .collect();
    let canonical_tokens: BTreeMap<&str, Address> = plan
        .assets
        .iter()
        .map(|asset| {
            let token = match asset.canonical {
                CanonicalToken::Existing(token) => token,
                // `check_plan` made sure the home is in the manifest; phase 1 deployed it there.
                CanonicalToken::DeployDemoToken => phase1[&asset.home].tokens[&asset.symbol],
            };
            (asset.symbol.as_str(), token)
        })
        .collect();

    // Phase 2: the representations away from each asset's home (each names its Connext, so it waits for
    // phase 1).
    let representations = try_join_all(connexts.iter().map(|(&domain, &connext)| {
        let provider = &providers[&domain];
        async move {
            let away: Vec<&AssetPlan> = plan
                .assets
                .iter()
                .filter(|asset| asset.home != domain)
                .collect();
            let mut sent = Vec::new();
            for asset in &away {
                sent.push(
                    submit(
                        domain,
                        format!("deploy the {} BridgeToken", asset.symbol),
                        timeout,
                        async {
                            BridgeToken::deploy_builder(
                                provider,
                                asset.name.clone(),
                                asset.symbol.clone(),
                                asset.decimals,
                                connext,
                            )
                            .send()
                            .await
                        },
                    )
                    .await?,
                );
            }
            let addresses = created_all(domain, sent).await?;
            let locals: BTreeMap<String, Address> = away
                .iter()
                .map(|asset| asset.symbol.clone())
                .zip(addresses)
                .collect();
            Ok::<_, DeployError>((domain, locals))
        }
    }))
    .await?;
    // Each domain's local token of every asset: the canonical token at home, a representation elsewhere.
    let mut locals: BTreeMap<Domain, BTreeMap<String, Address>> =
        representations.into_iter().collect();
    for asset in &plan.assets {
        locals.entry(asset.home).or_default().insert(
            asset.symbol.clone(),
            canonical_tokens[asset.symbol.as_str()],
        );
    }

    // Phase 3: wiring, registration and approvals.
    try_join_all(connexts.iter().map(|(&domain, &address)| {
        let provider = &providers[&domain];
        let connexts = &connexts;
        let locals = &locals[&domain];
        let canonical_tokens = &canonical_tokens;
        async move {
            let connext = Connext::new(address, provider);
            let mut sent: Vec<Sent> = Vec::new();
            for (&remote, &remote_connext) in connexts.iter().filter(|(&d, _)| d != domain) {
                sent.push(
                    submit(
                        domain,
                        format!("enroll the Connext of {remote}"),
                        timeout,
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
            for asset in &plan.assets {
                let local = locals[&asset.symbol];
                sent.push(if asset.home == domain {
                    submit(
                        domain,
                        format!("register {} as canonical", asset.symbol),
                        timeout,
                        async { connext.setupCanonicalAsset(local, asset.cap).send().await },
                    )
                    .await?
                } else {
                    let canonical_id = canonical_tokens[asset.symbol.as_str()].into_word();
                    submit(
                        domain,
                        format!("register the {} representation", asset.symbol),
                        timeout,
                        async {
                            connext
                                .setupRepresentation(canonical_id, asset.home.get(), local)
                                .send()
                                .await
                        },
                    )
                    .await?
                });
            }
            sent.push(
                submit(domain, "approve the sequencer", timeout, async {
                    connext
                        .setSequencerApproval(plan.sequencer, true)
                        .send()
                        .await
                })
                .await?,
            );
            sent.push(
                submit(domain, "approve the relayer", timeout, async {
                    connext.setRelayerApproval(plan.relayer, true).send().await
                })
                .await?,
            );
            for &router in &plan.routers {
                sent.push(
                    submit(
                        domain,
                        format!("set up the router {router}"),
                        timeout,
                        async {
                            connext
                                .setupRouter(router, router, Address::ZERO)
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

    for (domain, deployment) in manifest.domains.iter_mut() {
        let deployed = &phase1[domain];
        if let Some(receiver) = deployed.receiver {
            deployment
                .contracts
                .insert(DEMO_RECEIVER.to_owned(), receiver);
        }
        let assets = plan
            .assets
            .iter()
            .map(|asset| {
                let canonical_id: B256 = canonical_tokens[asset.symbol.as_str()].into_word();
                let registered = AssetDeployment {
                    local: locals[domain][&asset.symbol],
                    canonical_domain: asset.home,
                    canonical_id,
                    decimals: asset.decimals,
                };
                (asset.symbol.clone(), registered)
            })
            .collect();
        deployment.liquidity = Some(LiquidityDeployment {
            connext: deployed.connext,
            assets,
        });
    }
    Ok(())
}

/// Makes `sequencers` (besides any already approved) approved on every `Connext` of `manifest` and sets
/// every `Connext`'s `sequencerThreshold` to `threshold`, `deployer` (their owner) sending; for a sequencer
/// network of several nodes (a new `Connext` requires one signature of one approved sequencer). The
/// approvals are mined before the threshold is set, since `Connext` refuses a threshold above the set.
pub async fn set_sequencer_quorum(
    manifest: &Manifest,
    deployer: &PrivateKeySigner,
    sequencers: &[Address],
    threshold: u32,
    receipt_timeout: Duration,
) -> Result<(), DeployError> {
    crate::resumable::check_sequencer_quorum(sequencers, threshold)?;
    try_join_all(
        manifest
            .domains
            .iter()
            .map(|(&domain, deployment)| async move {
                let liquidity = deployment.liquidity.as_ref().ok_or_else(|| {
                    DeployError::refused(domain, "set the sequencer quorum", "no Connext deployed")
                })?;
                let endpoint = Endpoint {
                    domain,
                    rpc_url: deployment.rpc_url.clone(),
                };
                let provider = signing_provider(&endpoint, deployer)?;
                let connext = Connext::new(liquidity.connext, &provider);
                let mut approvals = Vec::new();
                for &sequencer in sequencers {
                    approvals.push(
                        submit(
                            domain,
                            format!("approve the sequencer {sequencer}"),
                            receipt_timeout,
                            async { connext.setSequencerApproval(sequencer, true).send().await },
                        )
                        .await?,
                    );
                }
                confirm_all(domain, approvals).await?;
                let threshold_set = submit(
                    domain,
                    format!("set the sequencer threshold to {threshold}"),
                    receipt_timeout,
                    async {
                        connext
                            .setSequencerThreshold(U256::from(threshold))
                            .send()
                            .await
                    },
                )
                .await?;
                confirm_all(domain, vec![threshold_set]).await?;
                Ok::<_, DeployError>(())
            }),
    )
    .await?;
    Ok(())
}

/// Refuses a plan that cannot be deployed on `manifest`: no domains, an asset listed twice, or homed on a
/// domain the manifest does not have.
fn check_plan(manifest: &Manifest, plan: &LiquidityPlan) -> Result<(), DeployError> {
    let Some(&first) = manifest.domains.keys().next() else {
        return Err(DeployError::NoDomains);
    };
    let mut symbols = BTreeSet::new();
    for asset in &plan.assets {
        if !symbols.insert(asset.symbol.as_str()) {
            return Err(DeployError::refused(
                asset.home,
                "plan the liquidity layer",
                format!("the asset {} is listed twice", asset.symbol),
            ));
        }
        if !manifest.domains.contains_key(&asset.home) {
            return Err(DeployError::refused(
                first,
                "plan the liquidity layer",
                format!(
                    "the asset {} is homed on domain {}, which the manifest does not have",
                    asset.symbol, asset.home
                ),
            ));
        }
    }
    Ok(())
}

/// Waits for every deployment in `sent` and returns the addresses created, in order.
async fn created_all(domain: Domain, sent: Vec<Sent>) -> Result<Vec<Address>, DeployError> {
    confirm_all(domain, sent)
        .await?
        .iter()
        .map(|(step, receipt)| created(domain, step, receipt))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DomainDeployment;

    fn manifest(domains: &[u32]) -> Manifest {
        let domains = domains
            .iter()
            .map(|&id| {
                let deployment = DomainDeployment {
                    chain_id: u64::from(id),
                    rpc_url: format!("http://127.0.0.1:{id}"),
                    deploy_block: 1,
                    home: Address::repeat_byte(1),
                    connection_manager: Address::repeat_byte(2),
                    replicas: BTreeMap::new(),
                    updater: Address::repeat_byte(4),
                    contracts: BTreeMap::new(),
                    liquidity: None,
                };
                (Domain(id), deployment)
            })
            .collect();
        Manifest {
            optimistic_seconds: 5,
            domains,
            dev_keys: BTreeMap::new(),
            services: None,
        }
    }

    fn asset(symbol: &str, home: u32) -> AssetPlan {
        AssetPlan {
            symbol: symbol.to_owned(),
            name: symbol.to_owned(),
            decimals: 18,
            home: Domain(home),
            canonical: CanonicalToken::DeployDemoToken,
            cap: U256::MAX,
        }
    }

    fn plan(assets: Vec<AssetPlan>) -> LiquidityPlan {
        LiquidityPlan {
            sequencer: Address::repeat_byte(5),
            relayer: Address::repeat_byte(6),
            relayer_fee_vault: Address::repeat_byte(7),
            routers: vec![Address::repeat_byte(8)],
            assets,
            demo_receiver: false,
            receipt_timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn plans_are_checked_against_the_manifest() {
        assert!(matches!(
            check_plan(&manifest(&[]), &plan(vec![])),
            Err(DeployError::NoDomains)
        ));
        let two = manifest(&[1000, 2000]);
        assert!(check_plan(&two, &plan(vec![asset("A", 1000), asset("B", 2000)])).is_ok());
        let twice = check_plan(&two, &plan(vec![asset("A", 1000), asset("A", 2000)]))
            .expect_err("listed twice");
        assert!(
            twice.to_string().contains("plan the liquidity layer"),
            "{twice}"
        );
        let elsewhere =
            check_plan(&two, &plan(vec![asset("A", 3000)])).expect_err("home not deployed");
        assert!(
            format!("{:?}", elsewhere).contains("which the manifest does not have"),
            "{elsewhere:?}"
        );
    }
}
