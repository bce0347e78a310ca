//! The benchmark's users: fresh keys funded by the deployer, each sending its share of the transfers one
//! after another (the next once the previous `xcall` is mined), all senders at once.

use crate::lifecycle::BoxError;
use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, B256, U256},
    providers::{PendingTransactionBuilder, Provider, ProviderBuilder},
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use futures::future::try_join_all;
use nxtp_bindings::DemoToken;
use nxtp_deployment::Manifest;
use nxtp_primitives::Domain;
use nxtp_sdk::{AssetRef, RelayerFee, Sdk, XcallRequest};
use std::{
    collections::{BTreeMap, BTreeSet},
    time::Instant,
};

/// Ether each sender gets for gas and relayer fees.
const SENDER_ETH: u64 = 10;

/// One transfer as sent.
#[derive(Clone, Debug)]
pub struct Sent {
    /// Its id.
    pub transfer_id: B256,
    /// Where it goes.
    pub destination: Domain,
    /// The origin block whose `XCalled` carries it.
    pub origin_block: u64,
    /// The native relayer fee paid (the sequencer's quote).
    pub relayer_fee: U256,
}

/// `count` fresh keys, each given [`SENDER_ETH`] and `demo` of the home domain's `DemoToken` (which anyone may
/// mint) by the deployer, and each letting the home `Connext` pull its `DEMO`.
pub async fn fund(
    manifest: &Manifest,
    sdk: &Sdk,
    home: Domain,
    count: usize,
    demo: U256,
) -> Result<Vec<PrivateKeySigner>, BoxError> {
    let deployment = manifest
        .domains
        .get(&home)
        .ok_or("the manifest has no home domain")?;
    let token = demo_on(manifest, home)?;
    let deployer = manifest
        .dev_keys
        .get("deployer")
        .ok_or("the manifest has no deployer key")?;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(PrivateKeySigner::from_bytes(
            deployer,
        )?))
        .connect_http(deployment.rpc_url.parse()?);
    let senders: Vec<PrivateKeySigner> = (0..count).map(|_| PrivateKeySigner::random()).collect();

    // Sent one after another (so the nonces follow), mined together.
    let mut pending: Vec<PendingTransactionBuilder<_>> = Vec::with_capacity(2 * count);
    let eth = U256::from(SENDER_ETH) * U256::from(10u64).pow(U256::from(18u64));
    for sender in &senders {
        let address: Address = sender.address();
        let gas = TransactionRequest::default()
            .with_to(address)
            .with_value(eth);
        pending.push(provider.send_transaction(gas).await?);
        pending.push(
            DemoToken::new(token, &provider)
                .mint(address, demo)
                .send()
                .await?,
        );
    }
    for tx in pending {
        let receipt = tx.get_receipt().await?;
        if !receipt.status() {
            return Err(format!("funding transaction {} failed", receipt.transaction_hash).into());
        }
    }
    let asset = demo_ref()?;
    try_join_all(
        senders
            .iter()
            .map(|sender| sdk.approve(sender, home, &asset, U256::MAX)),
    )
    .await?;
    Ok(senders)
}

/// Sends `plan` (one destination per transfer, `amount` of `DEMO` each, the relayer fee the sequencer quotes for
/// the route) from `home` with [`Sdk::xcall`], as an integrator would: sender `i` sends transfers `i`,
/// `i + senders`, … in order, each once the previous is mined. Returns every transfer, in the plan's order.
pub async fn send_all(
    sdk: &Sdk,
    senders: &[PrivateKeySigner],
    home: Domain,
    plan: &[Domain],
    amount: U256,
) -> Result<Vec<Sent>, BoxError> {
    let asset = demo_ref()?;
    let mut fees = BTreeMap::new();
    for &destination in plan.iter().collect::<BTreeSet<_>>() {
        let quote = sdk.quote(home, destination, &asset, amount).await?;
        let fee = quote
            .relayer_fee
            .ok_or("the SDK has no sequencer to quote")?;
        fees.insert(destination, fee);
    }
    let started = Instant::now();
    let per_sender = try_join_all(senders.iter().enumerate().map(|(index, sender)| {
        let (fees, asset) = (&fees, &asset);
        async move {
            let mut sent = Vec::new();
            for (position, &destination) in
                plan.iter().enumerate().skip(index).step_by(senders.len())
            {
                let mut request =
                    XcallRequest::new(home, destination, asset.clone(), amount, sender.address());
                request.relayer_fee = RelayerFee::Wei(fees[&destination]);
                let receipt = sdk.xcall(sender, &request).await?;
                sent.push((
                    position,
                    Sent {
                        transfer_id: receipt.transfer_id,
                        destination,
                        origin_block: receipt.origin_block,
                        relayer_fee: receipt.relayer_fee,
                    },
                ));
            }
            Ok::<_, BoxError>(sent)
        }
    }))
    .await?;
    let mut all: Vec<(usize, Sent)> = per_sender.into_iter().flatten().collect();
    all.sort_by_key(|(position, _)| *position);
    println!(
        "sent {} transfers in {:.1} s",
        all.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(all.into_iter().map(|(_, sent)| sent).collect())
}

/// `DEMO`'s token on `domain`.
fn demo_on(manifest: &Manifest, domain: Domain) -> Result<Address, BoxError> {
    Ok(manifest
        .domains
        .get(&domain)
        .and_then(|deployment| deployment.liquidity.as_ref())
        .and_then(|liquidity| liquidity.assets.get(nxtp_devnet::liquidity::DEMO_SYMBOL))
        .ok_or_else(|| format!("domain {domain} has no DEMO"))?
        .local)
}

fn demo_ref() -> Result<AssetRef, BoxError> {
    Ok(nxtp_devnet::liquidity::DEMO_SYMBOL.parse()?)
}
