//! What is on chain, checked against the build and the plan: every contract the journal says was
//! created holds code and was created from this build's artifact, and the wiring is in place.

use super::{key, steps, Journal, Known, Plan};
use crate::{DeployError, Manifest};
use alloy::{
    consensus::Transaction,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
};
use futures::future::try_join_all;
use nxtp_bindings::{ConnectionManager, Connext};
use nxtp_primitives::Domain;

fn mismatch(domain: Domain, what: impl Into<String>) -> DeployError {
    DeployError::Check {
        domain,
        what: what.into(),
    }
}

/// Checks `manifest` (the deployment `journal` records) on chain: for every contract created, code at its
/// address and a creation transaction whose input starts with this build's creation code (so what runs is
/// what the build compiled); every Replica enrolled for its remote domain and every watcher permitted;
/// every Connext naming its Home as gateway and its ConnectionManager as inbox, enrolling every remote
/// Connext, approving the plan's sequencers, relayers and routers, and registering every asset's local token.
pub async fn verify(
    plan: &Plan,
    manifest: &Manifest,
    journal: &Journal,
) -> Result<(), DeployError> {
    let known = Known::from_journal(journal);
    let done = journal.done();
    try_join_all(plan.chains.iter().map(|chain| {
        let known = &known;
        let done = &done;
        async move {
            let domain = chain.domain;
            let url = chain.rpc_url.parse().map_err(|err| {
                DeployError::step(domain, format!("RPC URL {:?}", chain.rpc_url), err)
            })?;
            let provider: DynProvider = ProviderBuilder::new()
                .disable_recommended_fillers()
                .connect_http(url)
                .erased();
            let rpc = |what: &str, err: &dyn std::fmt::Display| {
                mismatch(domain, format!("{what}: {err}"))
            };
            let deployment = manifest
                .domain(domain)
                .ok_or_else(|| mismatch(domain, "not in the manifest"))?;
            // Code, against the build's artifacts.
            for phase in 0..steps::PHASES {
                for step in steps::phase_steps(
                    phase,
                    domain,
                    plan,
                    known,
                    &provider,
                    Address::ZERO,
                ) {
                    let Some(artifact) = step.artifact else {
                        continue;
                    };
                    let Some(&(tx, Some(address), _)) = done.get(&key(domain, &step.name)) else {
                        return Err(mismatch(domain, format!("{}: not done", step.name)));
                    };
                    let code = provider
                        .get_code_at(address)
                        .await
                        .map_err(|err| rpc("read code", &err))?;
                    if code.is_empty() {
                        return Err(mismatch(domain, format!("{}: no code at {address}", step.name)));
                    }
                    let creation = provider
                        .get_transaction_by_hash(tx)
                        .await
                        .map_err(|err| rpc("read a creation transaction", &err))?
                        .ok_or_else(|| mismatch(domain, format!("{}: {tx} unknown", step.name)))?;
                    if !creation.input().starts_with(artifact) {
                        return Err(mismatch(
                            domain,
                            format!(
                                "{}: {address} was not created from this build's artifact",
                                step.name
                            ),
                        ));
                    }
                }
            }
            // Messaging wiring.
            let manager = ConnectionManager::new(deployment.connection_manager, &provider);
            for (&remote, &replica) in &deployment.replicas {
                let enrolled = manager
                    .domainToReplica(remote.get())
                    .call()
                    .await
                    .map_err(|err| rpc("read domainToReplica", &err))?;
                if enrolled != replica {
                    return Err(mismatch(
                        domain,
                        format!("the Replica of {remote} is {enrolled}, not {replica}"),
                    ));
                }
                for &watcher in &plan.watchers {
                    let permitted = manager
                        .watcherPermission(watcher, remote.get())
                        .call()
                        .await
                        .map_err(|err| rpc("read watcherPermission", &err))?;
                    if !permitted {
                        return Err(mismatch(
                            domain,
                            format!("the watcher {watcher} is not permitted for {remote}"),
                        ));
                    }
                }
            }
            // Liquidity wiring.
            let Some(liquidity) = &deployment.liquidity else {
                return Err(mismatch(domain, "no liquidity layer"));
            };
            let connext = Connext::new(liquidity.connext, &provider);
            let gateway = connext
                .gateway()
                .call()
                .await
                .map_err(|err| rpc("read gateway", &err))?;
            let inbox = connext
                .inbox()
                .call()
                .await
                .map_err(|err| rpc("read inbox", &err))?;
            if gateway != deployment.home || inbox != deployment.connection_manager {
                return Err(mismatch(
                    domain,
                    format!("Connext's gateway/inbox are {gateway}/{inbox}, not the Home/ConnectionManager"),
                ));
            }
            for (&remote, remote_deployment) in &manifest.domains {
                let Some(remote_liquidity) = remote_deployment.liquidity.as_ref() else {
                    continue;
                };
                if remote == domain {
                    continue;
                }
                let enrolled = connext
                    .remoteConnext(remote.get())
                    .call()
                    .await
                    .map_err(|err| rpc("read remoteConnext", &err))?;
                if enrolled != remote_liquidity.connext.into_word() {
                    return Err(mismatch(
                        domain,
                        format!("the Connext of {remote} is not enrolled"),
                    ));
                }
            }
            for &sequencer in &plan.sequencers {
                let approved = connext
                    .approvedSequencers(sequencer)
                    .call()
                    .await
                    .map_err(|err| rpc("read approvedSequencers", &err))?;
                if !approved {
                    return Err(mismatch(domain, format!("the sequencer {sequencer} is not approved")));
                }
            }
            let threshold = connext
                .sequencerThreshold()
                .call()
                .await
                .map_err(|err| rpc("read sequencerThreshold", &err))?;
            if threshold != plan.sequencer_threshold {
                return Err(mismatch(
                    domain,
                    format!(
                        "the sequencer threshold is {threshold}, not {}",
                        plan.sequencer_threshold
                    ),
                ));
            }
            let approved_count = connext
                .approvedSequencerCount()
                .call()
                .await
                .map_err(|err| rpc("read approvedSequencerCount", &err))?;
            if approved_count as usize != plan.sequencers.len() {
                return Err(mismatch(
                    domain,
                    format!(
                        "{approved_count} sequencers are approved, not the plan's {}",
                        plan.sequencers.len()
                    ),
                ));
            }
            for &relayer in &plan.relayers {
                let approved = connext
                    .approvedRelayers(relayer)
                    .call()
                    .await
                    .map_err(|err| rpc("read approvedRelayers", &err))?;
                if !approved {
                    return Err(mismatch(domain, format!("the relayer {relayer} is not approved")));
                }
            }
            for &router in &plan.routers {
                let approved = connext
                    .getRouterApproval(router)
                    .call()
                    .await
                    .map_err(|err| rpc("read getRouterApproval", &err))?;
                if !approved {
                    return Err(mismatch(domain, format!("the router {router} is not approved")));
                }
            }
            for (symbol, asset) in &liquidity.assets {
                let local = connext
                    .localAsset(asset.canonical_domain.get(), asset.canonical_id)
                    .call()
                    .await
                    .map_err(|err| rpc("read localAsset", &err))?;
                if local != asset.local {
                    return Err(mismatch(
                        domain,
                        format!("{symbol} is registered as {local}, not {}", asset.local),
                    ));
                }
            }
            Ok::<_, DeployError>(())
        }
    }))
    .await?;
    Ok(())
}
