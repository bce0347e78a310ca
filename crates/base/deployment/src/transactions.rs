//! Sending a deployment's transactions: a signing provider per chain, transactions handed to the node
//! without waiting for each (so independent ones land in the same blocks), then their receipts checked.

use crate::{DeployError, Endpoint};
use alloy::{
    network::{Ethereum, EthereumWallet},
    primitives::Address,
    providers::{DynProvider, PendingTransactionBuilder, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
    transports::http::reqwest::Url,
};
use futures::future::try_join_all;
use nxtp_primitives::Domain;
use std::{future::Future, time::Duration};

/// A provider on `endpoint` that signs as `signer`. Nonces are counted locally, so several transactions
/// can be in flight at once.
pub fn signing_provider(
    endpoint: &Endpoint,
    signer: &PrivateKeySigner,
) -> Result<DynProvider, DeployError> {
    let url = parse_url(endpoint)?;
    Ok(ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_cached_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(url)
        .erased())
}

/// A provider on `endpoint` that signs as `signer` and asks the node for the nonce of every transaction:
/// for a sender that may lose a race with another sender of the same key, where a locally counted nonce
/// would be left with a hole.
pub fn uncached_signing_provider(
    endpoint: &Endpoint,
    signer: &PrivateKeySigner,
) -> Result<DynProvider, DeployError> {
    let url = parse_url(endpoint)?;
    Ok(ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(url)
        .erased())
}

fn parse_url(endpoint: &Endpoint) -> Result<Url, DeployError> {
    endpoint.rpc_url.parse().map_err(|err| {
        DeployError::step(
            endpoint.domain,
            format!("RPC URL {:?}", endpoint.rpc_url),
            err,
        )
    })
}

/// A transaction handed to the node, with what it is for.
pub type Sent = (String, PendingTransactionBuilder<Ethereum>);

/// Sends one transaction (gas estimated, nonce assigned, handed to the node) without waiting for it to
/// be mined; its receipt is awaited for at most `receipt_timeout`. Transactions of one domain are
/// submitted one after another so nonces go out in order.
pub async fn submit(
    domain: Domain,
    step: impl Into<String>,
    receipt_timeout: Duration,
    send: impl Future<Output = Result<PendingTransactionBuilder<Ethereum>, alloy::contract::Error>>,
) -> Result<Sent, DeployError> {
    let step = step.into();
    match send.await {
        Ok(pending) => Ok((step, pending.with_timeout(Some(receipt_timeout)))),
        Err(err) => Err(DeployError::step(domain, step, err)),
    }
}

/// Waits for every transaction in `sent` to be mined and checks that none reverted.
pub async fn confirm_all(
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
pub fn created(
    domain: Domain,
    step: &str,
    receipt: &TransactionReceipt,
) -> Result<Address, DeployError> {
    receipt
        .contract_address
        .ok_or_else(|| DeployError::refused(domain, step, "the receipt names no created contract"))
}
