//! What the chains say of a transfer beyond its stage: the destination's `execute` (its transaction and the amount
//! the recipient received after fees), what became of the call to its receiver, and the relayer fee paid.

use crate::{
    client::Sdk,
    error::SdkError,
    gas::{DeliveryPath, XReceiveCall},
    revert::Revert,
    status::SentTransfer,
};
use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};
use nxtp_bindings::Connext;
use nxtp_primitives::Domain;
use std::fmt;

/// The destination's `execute` of a transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The transaction.
    pub tx: B256,
    /// Its block.
    pub block: u64,
    /// What the recipient received, in base units of `asset`: after the routers' liquidity fee on the fast path,
    /// the whole amount on the slow path.
    pub amount: U256,
    /// The token delivered (the destination's local asset).
    pub asset: Address,
    /// Whether routers fronted it (the fast path).
    pub fast: bool,
}

/// What became of a transfer's call to its receiver's `xReceive`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// It ran and returned `return_data` (cut to 256 bytes by `Connext`).
    Succeeded {
        /// What `xReceive` returned.
        return_data: Bytes,
    },
    /// It failed on the slow path: the transfer completed, its funds stay with the receiver, and the call is not
    /// retried.
    Failed {
        /// Why, decoded.
        revert: Revert,
    },
    /// Not delivered yet, and it reverts when simulated as routers' fast `execute` would call it: that `execute`
    /// would revert too, so the transfer waits for the slow path (where a failure is recorded and the funds stay with
    /// the receiver).
    WouldRevert {
        /// Why, decoded.
        revert: Revert,
    },
}

impl CallOutcome {
    /// A short stable name: `succeeded`, `failed` or `would_revert`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Succeeded { .. } => "succeeded",
            Self::Failed { .. } => "failed",
            Self::WouldRevert { .. } => "would_revert",
        }
    }

    /// The decoded revert, when the call failed or would fail.
    pub fn revert(&self) -> Option<&Revert> {
        match self {
            Self::Succeeded { .. } => None,
            Self::Failed { revert } | Self::WouldRevert { revert } => Some(revert),
        }
    }
}

impl fmt::Display for CallOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Succeeded { .. } => f.write_str("xReceive succeeded"),
            Self::Failed { revert } => write!(
                f,
                "xReceive failed: {revert}; the funds stay with the receiver"
            ),
            Self::WouldRevert { revert } => write!(
                f,
                "xReceive reverts when simulated on the fast path: {revert}; routers cannot deliver it, so it waits \
                 for the slow path"
            ),
        }
    }
}

/// The native relayer fee of a transfer: what was paid on the origin, and what the sequencer asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeStatus {
    /// Wei paid so far: the `xcall`'s and every bump's (`TransferRelayerFeesIncreased` in the native token).
    pub paid: U256,
    /// The sequencer's quote, when the transfer still waits for routers and the sequencer answered.
    pub quote: Option<U256>,
}

impl FeeStatus {
    /// What a bump must add before the sequencer auctions the transfer, if anything.
    pub fn shortfall(&self) -> Option<U256> {
        self.quote
            .filter(|quote| *quote > self.paid)
            .map(|quote| quote - self.paid)
    }
}

impl Sdk {
    /// The destination's `execute` of `transfer_id`, if it happened.
    pub async fn delivery(
        &self,
        destination: Domain,
        transfer_id: B256,
    ) -> Result<Option<Delivery>, SdkError> {
        let logs = self
            .connext_logs(destination, Connext::Executed::SIGNATURE_HASH, transfer_id)
            .await?;
        let Some(log) = logs.last() else {
            return Ok(None);
        };
        let event = decode::<Connext::Executed>(log, destination)?;
        Ok(Some(Delivery {
            tx: log.transaction_hash.unwrap_or_default(),
            block: log.block_number.unwrap_or_default(),
            amount: event.amount,
            asset: event.local,
            fast: !event.routers.is_empty(),
        }))
    }

    /// What became of the transfer's call to its receiver: the recorded outcome once delivered; before, a
    /// simulation of the fast path's call, reported only if it reverts. `None` for a transfer without calldata, or
    /// with nothing to report yet.
    pub async fn call_outcome(
        &self,
        sent: &SentTransfer,
        transfer_id: B256,
        delivered: bool,
    ) -> Result<Option<CallOutcome>, SdkError> {
        let params = &sent.params;
        if params.callData.is_empty() {
            return Ok(None);
        }
        let destination = Domain(params.destinationDomain);
        if delivered {
            let logs = self
                .connext_logs(
                    destination,
                    Connext::ExternalCalldataExecuted::SIGNATURE_HASH,
                    transfer_id,
                )
                .await?;
            let Some(log) = logs.last() else {
                return Ok(None);
            };
            let event = decode::<Connext::ExternalCalldataExecuted>(log, destination)?;
            return Ok(Some(if event.success {
                CallOutcome::Succeeded {
                    return_data: event.returnData,
                }
            } else {
                CallOutcome::Failed {
                    revert: Revert::decode(event.returnData),
                }
            }));
        }
        let call = XReceiveCall {
            receiver: params.to,
            origin: Domain(params.originDomain),
            path: DeliveryPath::Fast,
            transfer_id,
            amount: params.bridgedAmt,
            asset: self
                .connext(destination)
                .await?
                .localAsset(params.canonicalDomain, params.canonicalId)
                .call()
                .await
                .map_err(|err| SdkError::from_contract(destination, "Connext.localAsset", err))?,
            call_data: params.callData.clone(),
        };
        match self.estimate_xreceive_gas(destination, &call).await {
            Ok(_) => Ok(None),
            Err(SdkError::ReceiverReverted { revert, .. }) => {
                Ok(Some(CallOutcome::WouldRevert { revert }))
            }
            Err(err) => Err(err),
        }
    }

    /// The native relayer fee paid for `transfer_id` on its origin so far.
    pub async fn relayer_fee_paid(
        &self,
        origin: Domain,
        transfer_id: B256,
    ) -> Result<U256, SdkError> {
        let logs = self
            .connext_logs(
                origin,
                Connext::TransferRelayerFeesIncreased::SIGNATURE_HASH,
                transfer_id,
            )
            .await?;
        let mut paid = U256::ZERO;
        for log in &logs {
            let event = decode::<Connext::TransferRelayerFeesIncreased>(log, origin)?;
            if event.asset.is_zero() {
                paid = paid.saturating_add(event.increase);
            }
        }
        Ok(paid)
    }

    /// `domain`'s `Connext` logs of one event about one transfer (its id the first topic), from the domain's
    /// first block.
    async fn connext_logs(
        &self,
        domain: Domain,
        event: B256,
        transfer_id: B256,
    ) -> Result<Vec<Log>, SdkError> {
        let settings = self.settings(domain)?;
        let filter = Filter::new()
            .address(settings.connext)
            .event_signature(event)
            .topic1(transfer_id)
            .from_block(settings.from_block);
        self.reader(domain)
            .await?
            .get_logs(&filter)
            .await
            .map_err(|err| SdkError::from_transport(domain, "read Connext logs", err))
    }
}

/// A log decoded as `E`, or the RPC failure it stands for (the node served a log that is not the event asked for).
fn decode<E: SolEvent>(log: &Log, domain: Domain) -> Result<E, SdkError> {
    log.log_decode::<E>()
        .map(|decoded| decoded.inner.data)
        .map_err(|err| SdkError::Rpc {
            domain,
            action: E::SIGNATURE,
            source: Box::new(err),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shortfall_is_what_the_quote_asks_beyond_the_paid() {
        let fee = |paid: u64, quote: Option<u64>| FeeStatus {
            paid: U256::from(paid),
            quote: quote.map(U256::from),
        };
        assert_eq!(fee(10, Some(25)).shortfall(), Some(U256::from(15)));
        assert_eq!(fee(25, Some(25)).shortfall(), None);
        assert_eq!(fee(30, Some(25)).shortfall(), None);
        assert_eq!(fee(0, None).shortfall(), None);
    }

    #[test]
    fn a_failed_call_says_where_the_funds_are() {
        let revert = Revert::decode(Bytes::new());
        let failed = CallOutcome::Failed {
            revert: revert.clone(),
        };
        assert!(failed
            .to_string()
            .ends_with("the funds stay with the receiver"));
        assert_eq!(failed.name(), "failed");
        assert_eq!(failed.revert(), Some(&revert));
        assert_eq!(
            CallOutcome::Succeeded {
                return_data: Bytes::new()
            }
            .revert(),
            None
        );
    }
}
