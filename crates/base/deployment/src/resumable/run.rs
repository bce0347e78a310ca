//! Running a deployment: the checks before the first transaction, then the phases, each step journaled.

use super::{
    key,
    steps::{self, phase_steps, Step, PHASES},
    ChainPlan, Entry, Journal, Known, Plan, StepState,
};
use crate::{AssetDeployment, DeployError, DomainDeployment, LiquidityDeployment, Manifest};
use alloy::{
    eips::eip1559::Eip1559Estimation,
    eips::eip2718::Encodable2718,
    network::{EthereumWallet, NetworkTransactionBuilder, TransactionBuilder},
    primitives::{Bytes, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
};
use futures::future::try_join_all;
use nxtp_bindings::Home;
use nxtp_primitives::Domain;
use std::{
    collections::{BTreeMap, BTreeSet},
    time::{Duration, Instant},
};

/// Gas budgeted per call when estimating what a deployment costs (the real calls use 50k-100k).
const CALL_GAS_BUDGET: u64 = 150_000;
/// How often a pending transaction's receipt is asked for.
const RECEIPT_POLL: Duration = Duration::from_millis(100);

/// A provider on `chain` that signs nothing (transactions are signed here and sent raw).
fn provider(chain: &ChainPlan) -> Result<DynProvider, DeployError> {
    let url = chain.rpc_url.parse().map_err(|err| {
        DeployError::step(chain.domain, format!("RPC URL {:?}", chain.rpc_url), err)
    })?;
    Ok(ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_http(url)
        .erased())
}

/// Checks, before any transaction: distinct non-zero domains, every RPC reachable and reporting its
/// configured chain id, and the deployer holding, on every chain, what the steps left to run cost at the
/// node's current fees (gas estimated from each step's size) plus the updater's bond if it is still due.
pub async fn preflight(
    plan: &Plan,
    deployer: &PrivateKeySigner,
    journal: &Journal,
) -> Result<(), DeployError> {
    check_domains(plan)?;
    let known = Known::from_journal(journal);
    try_join_all(plan.chains.iter().map(|chain| {
        let known = &known;
        async move {
            let provider = provider(chain)?;
            let unreachable = |err: alloy::transports::TransportError| DeployError::Unreachable {
                domain: chain.domain,
                rpc_url: chain.rpc_url.clone(),
                reason: err.to_string(),
            };
            let reported = provider.get_chain_id().await.map_err(unreachable)?;
            if reported != chain.chain_id {
                return Err(DeployError::ChainIdMismatch {
                    domain: chain.domain,
                    rpc_url: chain.rpc_url.clone(),
                    configured: chain.chain_id,
                    reported,
                });
            }
            let mut gas = 0u64;
            let mut value = U256::ZERO;
            for phase in 0..PHASES {
                for step in phase_steps(
                    phase,
                    chain.domain,
                    plan,
                    known,
                    &provider,
                    deployer.address(),
                ) {
                    if matches!(
                        journal.state(&key(chain.domain, &step.name)),
                        Some(StepState::Done { .. })
                    ) {
                        continue;
                    }
                    gas += match step.artifact {
                        // Creation: the code deposit (200 a byte), calldata and execution, with room.
                        Some(_) => {
                            let size = step.tx.input.input().map_or(0, |input| input.len());
                            100_000 + 260 * size as u64
                        }
                        None => CALL_GAS_BUDGET,
                    };
                    value += step.tx.value.unwrap_or_default();
                }
            }
            let fees = provider
                .estimate_eip1559_fees()
                .await
                .map_err(unreachable)?;
            let needed = U256::from(gas) * U256::from(fees.max_fee_per_gas) + value;
            let balance = provider
                .get_balance(deployer.address())
                .await
                .map_err(unreachable)?;
            if balance < needed {
                return Err(DeployError::InsufficientFunds {
                    domain: chain.domain,
                    deployer: deployer.address(),
                    balance,
                    needed,
                });
            }
            Ok(())
        }
    }))
    .await?;
    Ok(())
}

fn check_domains(plan: &Plan) -> Result<(), DeployError> {
    super::check_sequencer_quorum(&plan.sequencers, plan.sequencer_threshold)?;
    if plan.chains.is_empty() {
        return Err(DeployError::NoDomains);
    }
    let mut seen = BTreeSet::new();
    for chain in &plan.chains {
        if chain.domain.get() == 0 {
            return Err(DeployError::ZeroDomain);
        }
        if !seen.insert(chain.domain) {
            return Err(DeployError::DuplicateDomain(chain.domain));
        }
    }
    Ok(())
}

/// Runs (or resumes) the deployment `journal` records, after [`preflight`], and returns its manifest.
pub async fn deploy(
    plan: &Plan,
    deployer: &PrivateKeySigner,
    journal: &Journal,
) -> Result<Manifest, DeployError> {
    preflight(plan, deployer, journal).await?;
    let providers: BTreeMap<Domain, DynProvider> = plan
        .chains
        .iter()
        .map(|chain| provider(chain).map(|provider| (chain.domain, provider)))
        .collect::<Result<_, _>>()?;
    let wallet = EthereumWallet::from(deployer.clone());
    for phase in 0..PHASES {
        let mut known = Known::from_journal(journal);
        if phase == 1 {
            // Every Replica starts from its remote Home's committed root.
            for chain in &plan.chains {
                let home = known.address(chain.domain, steps::HOME);
                let root = Home::new(home, &providers[&chain.domain])
                    .committedRoot()
                    .call()
                    .await
                    .map_err(|err| {
                        DeployError::step(chain.domain, "read Home.committedRoot", err)
                    })?;
                known.roots.insert(chain.domain, root);
            }
        }
        let known = &known;
        let wallet = &wallet;
        try_join_all(plan.chains.iter().map(|chain| {
            let provider = &providers[&chain.domain];
            async move {
                let steps = phase_steps(
                    phase,
                    chain.domain,
                    plan,
                    known,
                    provider,
                    deployer.address(),
                );
                run_steps(
                    chain,
                    steps,
                    provider,
                    wallet,
                    journal,
                    plan.receipt_timeout,
                )
                .await
            }
        }))
        .await?;
    }
    manifest(plan, journal)
}

/// Sends the steps of one phase on one chain that the journal does not show done, together, and waits
/// for them: steps journaled `sent` are re-broadcast as signed, the others signed with the next nonces.
async fn run_steps(
    chain: &ChainPlan,
    steps: Vec<Step>,
    provider: &DynProvider,
    wallet: &EthereumWallet,
    journal: &Journal,
    timeout: Duration,
) -> Result<(), DeployError> {
    let domain = chain.domain;
    let mut waiting: Vec<(Step, B256)> = Vec::new();
    let mut new = Vec::new();
    for step in steps {
        match journal.state(&key(domain, &step.name)) {
            Some(StepState::Done { tx, created, .. }) => {
                // Skipped only once the chain still shows it (a chain reset would not), and what it
                // created still holds code.
                let receipt = provider
                    .get_transaction_receipt(tx)
                    .await
                    .map_err(|err| DeployError::step(domain, &step.name, err))?;
                let mut shown = receipt.is_some_and(|receipt| receipt.status());
                if let (true, Some(address)) = (shown, created) {
                    let code = provider
                        .get_code_at(address)
                        .await
                        .map_err(|err| DeployError::step(domain, &step.name, err))?;
                    shown = !code.is_empty();
                }
                if !shown {
                    return Err(DeployError::refused(
                        domain,
                        &step.name,
                        format!(
                            "the journal has it done in {tx}, which the chain does not show: \
                             a journal of another chain?"
                        ),
                    ));
                }
            }
            Some(StepState::Sent { tx, raw }) => {
                // Killed after journaling it: the node may never have seen it. The same signed bytes
                // cannot be mined twice, so re-sending is safe. A refusal is fine when the node knows
                // the transaction: pending ("already known") or mined, even since the kill ("nonce
                // too low"); either way it is waited for below.
                if let Err(err) = provider.send_raw_transaction(&raw).await {
                    let known = provider
                        .get_transaction_by_hash(tx)
                        .await
                        .map_err(|err| DeployError::step(domain, &step.name, err))?
                        .is_some();
                    if !known {
                        return Err(DeployError::step(
                            domain,
                            format!("{}: re-send {tx}", step.name),
                            err,
                        ));
                    }
                }
                waiting.push((step, tx));
            }
            None => new.push(step),
        }
    }
    if !new.is_empty() {
        let from = wallet.default_signer().address();
        let nonce = provider
            .get_transaction_count(from)
            .pending()
            .await
            .map_err(|err| DeployError::step(domain, "read the deployer's nonce", err))?;
        let fees = provider
            .estimate_eip1559_fees()
            .await
            .map_err(|err| DeployError::step(domain, "estimate fees", err))?;
        for (offset, step) in new.into_iter().enumerate() {
            let (hash, raw) =
                sign(chain, &step, provider, wallet, nonce + offset as u64, &fees).await?;
            journal.record(Entry::Sent {
                step: key(domain, &step.name),
                tx: hash,
                raw: raw.clone(),
            })?;
            // The receipt is polled below, as for re-sent steps.
            let _pending = provider
                .send_raw_transaction(&raw)
                .await
                .map_err(|err| DeployError::step(domain, &step.name, err))?;
            waiting.push((step, hash));
        }
    }
    try_join_all(waiting.into_iter().map(|(step, tx)| async move {
        let receipt = wait_for_receipt(domain, &step.name, provider, tx, timeout).await?;
        if !receipt.status() {
            return Err(DeployError::Reverted {
                domain,
                step: step.name,
                tx,
            });
        }
        let created = match step.artifact {
            Some(_) => Some(crate::transactions::created(domain, &step.name, &receipt)?),
            None => None,
        };
        journal.record(Entry::Done {
            step: key(domain, &step.name),
            tx,
            created,
            block: receipt.block_number.unwrap_or_default(),
        })?;
        Ok::<_, DeployError>(())
    }))
    .await?;
    Ok(())
}

/// `step` as a signed transaction with `nonce` (gas estimated with a fifth more, fees from `fees`): its
/// hash and its bytes.
async fn sign(
    chain: &ChainPlan,
    step: &Step,
    provider: &DynProvider,
    wallet: &EthereumWallet,
    nonce: u64,
    fees: &Eip1559Estimation,
) -> Result<(B256, Bytes), DeployError> {
    let domain = chain.domain;
    let tx = step.tx.clone().with_from(wallet.default_signer().address());
    let gas = provider
        .estimate_gas(tx.clone())
        .await
        .map_err(|err| DeployError::step(domain, format!("{}: estimate gas", step.name), err))?;
    let envelope = tx
        .with_nonce(nonce)
        .with_chain_id(chain.chain_id)
        .with_gas_limit(gas + gas / 5)
        .with_max_fee_per_gas(fees.max_fee_per_gas * 2)
        .with_max_priority_fee_per_gas(fees.max_priority_fee_per_gas)
        .build(wallet)
        .await
        .map_err(|err| DeployError::step(domain, format!("{}: sign", step.name), err))?;
    Ok((*envelope.tx_hash(), envelope.encoded_2718().into()))
}

async fn wait_for_receipt(
    domain: Domain,
    step: &str,
    provider: &DynProvider,
    tx: B256,
    timeout: Duration,
) -> Result<TransactionReceipt, DeployError> {
    let start = Instant::now();
    loop {
        let receipt = provider
            .get_transaction_receipt(tx)
            .await
            .map_err(|err| DeployError::step(domain, format!("{step}: wait for {tx}"), err))?;
        if let Some(receipt) = receipt {
            return Ok(receipt);
        }
        if start.elapsed() > timeout {
            return Err(DeployError::refused(
                domain,
                step,
                format!("{tx} not mined within {timeout:?}"),
            ));
        }
        tokio::time::sleep(RECEIPT_POLL).await;
    }
}

/// The deployment the journal records, as a manifest (its `services` left to the caller).
pub fn manifest(plan: &Plan, journal: &Journal) -> Result<Manifest, DeployError> {
    let done = journal.done();
    let known = Known::from_journal(journal);
    let mut domains = BTreeMap::new();
    for chain in &plan.chains {
        let domain = chain.domain;
        let address = |step: &str| {
            known
                .created
                .get(&key(domain, step))
                .copied()
                .ok_or_else(|| DeployError::refused(domain, step, "not done"))
        };
        let deploy_block = done
            .get(&key(domain, steps::HOME))
            .map(|(_, _, block)| *block)
            .unwrap_or_default();
        let replicas = plan
            .chains
            .iter()
            .filter(|remote| remote.domain != domain)
            .map(|remote| Ok((remote.domain, address(&steps::replica(remote.domain))?)))
            .collect::<Result<_, DeployError>>()?;
        let assets = plan
            .assets
            .iter()
            .map(|asset| {
                let canonical = known.canonical_token(plan, asset);
                let local = if asset.home == domain {
                    canonical
                } else {
                    address(&steps::bridge_token(&asset.symbol))?
                };
                Ok((
                    asset.symbol.clone(),
                    AssetDeployment {
                        local,
                        canonical_domain: asset.home,
                        canonical_id: canonical.into_word(),
                        decimals: asset.decimals,
                    },
                ))
            })
            .collect::<Result<_, DeployError>>()?;
        domains.insert(
            domain,
            DomainDeployment {
                chain_id: chain.chain_id,
                rpc_url: chain.rpc_url.clone(),
                deploy_block,
                home: address(steps::HOME)?,
                connection_manager: address(steps::CONNECTION_MANAGER)?,
                replicas,
                updater: plan.updater,
                contracts: BTreeMap::new(),
                liquidity: Some(LiquidityDeployment {
                    connext: address(steps::CONNEXT)?,
                    assets,
                }),
            },
        );
    }
    Ok(Manifest {
        optimistic_seconds: plan.optimistic_seconds,
        domains,
        dev_keys: BTreeMap::new(),
        services: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::Address;
    use alloy::signers::local::PrivateKeySigner;

    fn chain(domain: u32) -> ChainPlan {
        ChainPlan {
            domain: Domain(domain),
            rpc_url: "http://127.0.0.1:1".to_owned(),
            chain_id: 1,
        }
    }

    fn plan(chains: Vec<ChainPlan>) -> Plan {
        Plan {
            chains,
            optimistic_seconds: 1800,
            min_optimistic_seconds: 1800,
            required_bond: U256::from(1u64),
            updater: Address::repeat_byte(1),
            watchers: vec![],
            sequencers: vec![],
            sequencer_threshold: 1,
            relayers: vec![],
            routers: vec![],
            relayer_fee_vault: Address::repeat_byte(2),
            owner: None,
            assets: vec![],
            receipt_timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn domains_must_be_distinct_and_nonzero() {
        assert!(matches!(
            check_domains(&plan(vec![])),
            Err(DeployError::NoDomains)
        ));
        assert!(matches!(
            check_domains(&plan(vec![chain(0)])),
            Err(DeployError::ZeroDomain)
        ));
        assert!(matches!(
            check_domains(&plan(vec![chain(1000), chain(1000)])),
            Err(DeployError::DuplicateDomain(Domain(1000)))
        ));
        assert!(check_domains(&plan(vec![chain(1000), chain(2000)])).is_ok());
    }

    #[test]
    fn the_sequencer_threshold_must_fit_the_set() {
        let mut plan = plan(vec![chain(1000)]);
        assert!(
            check_domains(&plan).is_ok(),
            "1 with no sequencer, as a new Connext"
        );
        plan.sequencers = vec![Address::repeat_byte(1), Address::repeat_byte(2)];
        plan.sequencer_threshold = 2;
        assert!(check_domains(&plan).is_ok());
        plan.sequencer_threshold = 3;
        assert!(matches!(
            check_domains(&plan),
            Err(DeployError::SequencerThreshold {
                threshold: 3,
                sequencers: 2
            })
        ));
        plan.sequencer_threshold = 0;
        assert!(matches!(
            check_domains(&plan),
            Err(DeployError::SequencerThreshold { threshold: 0, .. })
        ));
        plan.sequencer_threshold = 1;
        plan.sequencers.push(Address::repeat_byte(1));
        assert!(matches!(
            check_domains(&plan),
            Err(DeployError::DuplicateSequencer(twice)) if twice == Address::repeat_byte(1)
        ));
    }

    /// Killed after journaling a signed transaction and before handing it to the node: the next run
    /// sends those very bytes (the Home lands at the deployer's first nonce), every step is sent once (the
    /// deployer's nonce counts the journal's steps), the deployment checks out on chain, and a further run
    /// sends nothing and returns the same manifest.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_step_journaled_but_never_sent_is_sent_as_signed() {
        let anvils = [
            nxtp_toolchain::spawn_anvil(1001),
            nxtp_toolchain::spawn_anvil(1002),
        ];
        let chains: Vec<ChainPlan> = anvils
            .iter()
            .zip([1000, 2000])
            .map(|(anvil, domain)| ChainPlan {
                domain: Domain(domain),
                rpc_url: anvil.endpoint(),
                chain_id: anvil.chain_id(),
            })
            .collect();
        let accounts = anvils[0].addresses();
        let mut plan = plan(chains);
        plan.updater = accounts[1];
        plan.watchers = vec![accounts[2]];
        // A quorum: three sequencers, two of whom must sign (a step beyond the default, checked by verify).
        plan.sequencers = vec![accounts[3], accounts[6], accounts[7]];
        plan.sequencer_threshold = 2;
        plan.relayers = vec![accounts[4]];
        plan.routers = vec![accounts[5]];
        plan.receipt_timeout = Duration::from_secs(30);
        plan.assets = vec![crate::AssetPlan {
            symbol: "DEMO".into(),
            name: "Demo".into(),
            decimals: 18,
            home: Domain(1000),
            canonical: crate::CanonicalToken::DeployDemoToken,
            cap: U256::from(u128::MAX),
        }];
        let deployer =
            PrivateKeySigner::from_bytes(&B256::from_slice(&anvils[0].keys()[0].to_bytes()))
                .expect("key");
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::open(&dir.path().join("manifest.json.journal")).expect("journal");

        let first = &plan.chains[0];
        let node = provider(first).expect("provider");
        let wallet = EthereumWallet::from(deployer.clone());
        let steps = phase_steps(
            0,
            first.domain,
            &plan,
            &Known::default(),
            &node,
            deployer.address(),
        );
        let home = &steps[0];
        assert_eq!(home.name, steps::HOME);
        let fees = node.estimate_eip1559_fees().await.expect("fees");
        let (tx, raw) = sign(first, home, &node, &wallet, 0, &fees)
            .await
            .expect("signed");
        journal
            .record(Entry::Sent {
                step: key(first.domain, &home.name),
                tx,
                raw,
            })
            .expect("journaled");

        let manifest = deploy(&plan, &deployer, &journal).await.expect("deployed");
        assert_eq!(
            manifest.domains[&first.domain].home,
            deployer.address().create(0),
            "the journaled transaction, not a new one"
        );
        crate::resumable::verify(&plan, &manifest, &journal)
            .await
            .expect("checks out on chain");
        let mut other_threshold = plan.clone();
        other_threshold.sequencer_threshold = 3;
        let refused = crate::resumable::verify(&other_threshold, &manifest, &journal).await;
        assert!(
            matches!(&refused, Err(DeployError::Check { what, .. }) if what.contains("sequencer threshold is 2")),
            "a threshold other than the plan's is caught: {refused:?}"
        );
        let sent_on_first = || {
            journal
                .done()
                .keys()
                .filter(|step| step.starts_with("1000/"))
                .count() as u64
        };
        let nonce = node
            .get_transaction_count(deployer.address())
            .await
            .expect("nonce");
        assert_eq!(nonce, sent_on_first(), "every step sent once");

        let again = deploy(&plan, &deployer, &journal).await.expect("again");
        assert_eq!(again, manifest);
        let after = node
            .get_transaction_count(deployer.address())
            .await
            .expect("nonce");
        assert_eq!(after, nonce, "nothing sent again");

        // A journal naming the Home as the ConnectionManager: its creation code is not that artifact's.
        let home_tx = match journal.state(&key(first.domain, steps::HOME)) {
            Some(StepState::Done { tx, .. }) => tx,
            other => panic!("the Home is not done: {other:?}"),
        };
        journal
            .record(Entry::Done {
                step: key(first.domain, steps::CONNECTION_MANAGER),
                tx: home_tx,
                created: Some(manifest.domains[&first.domain].home),
                block: 1,
            })
            .expect("journaled");
        let err = crate::resumable::verify(&plan, &manifest, &journal)
            .await
            .expect_err("another contract's code");
        assert!(
            err.to_string()
                .contains("was not created from this build's artifact"),
            "{err}"
        );
    }
}
