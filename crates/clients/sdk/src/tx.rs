//! Sending one contract call: simulated first (so a revert is decoded and nothing is sent), then mined.

use crate::{config::Timing, error::SdkError};
use alloy::{
    contract::{CallBuilder, CallDecoder},
    primitives::{Address, B256},
    providers::Provider,
    rpc::types::TransactionReceipt,
    sol_types::SolEvent,
};
use nxtp_primitives::Domain;

/// A mined transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxOutcome {
    /// Its hash.
    pub tx: B256,
    /// The block it was mined in.
    pub block: u64,
}

/// Gas added to every estimate. An `xcall` inserts into the Home's Merkle tree, whose cost depends on how many
/// levels the new leaf climbs (up to 32 storage reads), so a transaction mined after other senders' can need
/// more than was estimated; unused gas is not paid.
const GAS_HEADROOM: u64 = 70_000;

/// Simulates `call`, sends it with headroom over its gas estimate, and waits for its receipt; refuses a revert
/// at either step.
pub(crate) async fn send<P: Provider, D: CallDecoder>(
    domain: Domain,
    action: &'static str,
    call: CallBuilder<P, D>,
    timing: Timing,
) -> Result<TransactionReceipt, SdkError> {
    call.call_raw()
        .await
        .map_err(|err| SdkError::from_contract(domain, action, err))?;
    let estimate = call
        .estimate_gas()
        .await
        .map_err(|err| SdkError::from_contract(domain, action, err))?;
    let pending = call
        .gas(
            estimate
                .saturating_add(estimate / 5)
                .saturating_add(GAS_HEADROOM),
        )
        .send()
        .await
        .map_err(|err| SdkError::from_contract(domain, action, err))?;
    let tx = *pending.tx_hash();
    let receipt = pending
        .with_timeout(Some(timing.receipt_timeout))
        .get_receipt()
        .await
        .map_err(|err| SdkError::Rpc {
            domain,
            action,
            source: Box::new(err),
        })?;
    if !receipt.status() {
        return Err(SdkError::TxFailed { domain, action, tx });
    }
    Ok(receipt)
}

/// Where a receipt was mined.
pub(crate) fn outcome(receipt: &TransactionReceipt) -> TxOutcome {
    TxOutcome {
        tx: receipt.transaction_hash,
        block: receipt.block_number.unwrap_or_default(),
    }
}

/// The first `E` that `emitter` logged in `receipt`.
pub(crate) fn event<E: SolEvent>(
    receipt: &TransactionReceipt,
    emitter: Address,
    domain: Domain,
    action: &'static str,
) -> Result<E, SdkError> {
    receipt
        .inner
        .logs()
        .iter()
        .filter(|log| log.address() == emitter)
        .find_map(|log| log.log_decode::<E>().ok())
        .map(|log| log.inner.data)
        .ok_or(SdkError::MissingEvent {
            domain,
            action,
            tx: receipt.transaction_hash,
            event: E::SIGNATURE,
        })
}
