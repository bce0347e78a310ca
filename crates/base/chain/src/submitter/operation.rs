//! What the submitter persists about one operation: the call it makes and where it stands.
//!
//! ```text
//! Queued ──simulate──▶ Simulated ──nonce, sign, send──▶ Submitted ──receipt, depth──▶ Confirmed
//!   │                      │                              │    ▲ bump fees (same nonce)
//!   └──────────────────────┴──▶ Failed ◀──────────────────┘────┘
//! ```
//!
//! An operation fails before it has a nonce (its call reverts in simulation, or the endpoint
//! keeps failing), or after it is mined (it reverted on chain, or another transaction took its
//! nonce). Once it has a nonce it is never given up on otherwise: failing it would leave a gap
//! in the nonces that stalls every later transaction of the signer.

use alloy::{
    primitives::{Address, Bytes, TxKind, B256, U256},
    rpc::types::TransactionRequest,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An operation's id, unique within its store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OperationId(pub i64);

impl fmt::Display for OperationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "op#{}", self.0)
    }
}

/// The call an operation makes: everything else about the transaction (nonce, gas, fees) is
/// the submitter's to choose.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The contract called, or a creation.
    pub to: TxKind,
    /// Wei sent along.
    pub value: U256,
    /// Calldata (or init code).
    pub input: Bytes,
}

impl Call {
    /// The call in `request`; `None` when it names no recipient (`to`), which a request meant
    /// as a creation states with `TxKind::Create`.
    pub fn from_request(request: &TransactionRequest) -> Option<Self> {
        Some(Self {
            to: request.to?,
            value: request.value.unwrap_or_default(),
            input: request.input.input().cloned().unwrap_or_default(),
        })
    }

    /// A request for this call from `from`, with nothing else filled in.
    pub(crate) fn request(&self, from: Address) -> TransactionRequest {
        TransactionRequest {
            from: Some(from),
            to: Some(self.to),
            value: Some(self.value),
            input: self.input.clone().into(),
            ..TransactionRequest::default()
        }
    }
}

/// One operation, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// Its id.
    pub id: OperationId,
    /// The caller's idempotency key.
    pub key: String,
    /// What it calls.
    pub call: Call,
    /// Whether a reverting simulation is retried instead of failing the operation.
    pub retry_reverts: bool,
    /// With `retry_reverts`, when (milliseconds since the Unix epoch) a revert stops being
    /// retried and fails the operation; `None`: retried for as long as it reverts.
    pub retry_reverts_until_ms: Option<u64>,
    /// Where it stands.
    pub state: OperationState,
}

/// Where an operation stands; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OperationState {
    /// Accepted, not yet simulated (or to be simulated again).
    Queued,
    /// The call succeeded in simulation; it will be sent with this gas limit.
    Simulated {
        /// Estimated gas plus the configured margin.
        gas_limit: u64,
    },
    /// Signed with a nonce and broadcast; waiting to be mined deep enough.
    Submitted(Submission),
    /// Mined successfully and `confirmations` deep.
    Confirmed(Inclusion),
    /// Will never be mined successfully.
    Failed(FailureReason),
}

impl OperationState {
    /// The final state as a [`FinalState`], `None` while the operation is in flight.
    pub fn final_state(&self) -> Option<FinalState> {
        match self {
            Self::Confirmed(inclusion) => Some(FinalState::Confirmed(inclusion.clone())),
            Self::Failed(reason) => Some(FinalState::Failed(reason.clone())),
            Self::Queued | Self::Simulated { .. } | Self::Submitted(_) => None,
        }
    }
}

/// A sent operation: one nonce, and every transaction signed for it (one per fee level).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// The signer's nonce the transactions use.
    pub nonce: u64,
    /// Their gas limit.
    pub gas_limit: u64,
    /// Every signed transaction, oldest first; any of them may be the one mined.
    pub attempts: Vec<Attempt>,
}

impl Submission {
    /// The newest transaction (the highest fees).
    pub fn latest(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// The hashes of every transaction signed for the nonce.
    pub fn hashes(&self) -> impl Iterator<Item = B256> + '_ {
        self.attempts.iter().map(|attempt| attempt.hash)
    }
}

/// One signed transaction of a submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// Its hash.
    pub hash: B256,
    /// Its fees.
    pub fees: Fees,
    /// When it was signed (milliseconds since the Unix epoch); bumps count from here.
    pub signed_at_ms: u64,
    /// The signed transaction, kept to broadcast again after a restart or a dropped mempool.
    pub raw: Bytes,
}

/// EIP-1559 fees of a transaction, in wei per gas.
///
/// Stored as hex quantities, as in JSON-RPC: serde's tagged enums cannot carry `u128` numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fees {
    /// `maxFeePerGas`.
    #[serde(with = "alloy::serde::quantity")]
    pub max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas`.
    #[serde(with = "alloy::serde::quantity")]
    pub max_priority_fee_per_gas: u128,
}

/// Where a confirmed operation's transaction was mined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inclusion {
    /// The transaction mined (one of the submission's attempts).
    pub tx_hash: B256,
    /// The block that holds it.
    pub block_number: u64,
    /// That block's hash.
    pub block_hash: B256,
    /// Gas the transaction used.
    pub gas_used: u64,
}

/// Why an operation failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum FailureReason {
    /// The call reverted in simulation (before any nonce was used), with this revert data:
    /// decode it with the called contract's error types.
    #[error("the call reverts (revert data {data})")]
    Reverted {
        /// The revert data (empty for a bare `revert()`).
        data: Bytes,
    },
    /// The transaction was mined but reverted. A receipt carries no revert data; replay the
    /// call at the block's parent to see why.
    #[error("transaction {tx_hash} reverted in block {block_number}")]
    RevertedOnChain {
        /// The mined transaction.
        tx_hash: B256,
        /// Its block.
        block_number: u64,
    },
    /// A transaction this submitter did not sign took the nonce (another process uses the same
    /// key): the operation's call never ran.
    #[error("nonce {nonce} was used by a transaction this submitter did not send")]
    Dropped {
        /// The lost nonce.
        nonce: u64,
    },
    /// The endpoint kept failing before the operation could be sent.
    #[error("RPC failed {attempts} times before sending: {message}")]
    Rpc {
        /// How many tries failed.
        attempts: u32,
        /// The last error.
        message: String,
    },
}

impl FailureReason {
    /// A short label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Reverted { .. } => "reverted",
            Self::RevertedOnChain { .. } => "reverted_on_chain",
            Self::Dropped { .. } => "dropped",
            Self::Rpc { .. } => "rpc",
        }
    }
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FinalState {
    /// Mined successfully, `confirmations` deep.
    Confirmed(Inclusion),
    /// Failed, for this reason.
    Failed(FailureReason),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_json() {
        let states = [
            OperationState::Queued,
            OperationState::Simulated { gas_limit: 21_000 },
            OperationState::Submitted(Submission {
                nonce: 7,
                gas_limit: 60_000,
                attempts: vec![Attempt {
                    hash: B256::repeat_byte(1),
                    fees: Fees {
                        max_fee_per_gas: u128::MAX,
                        max_priority_fee_per_gas: 1,
                    },
                    signed_at_ms: 1_700_000_000_000,
                    raw: Bytes::from_static(&[2, 0xf8]),
                }],
            }),
            OperationState::Failed(FailureReason::Reverted {
                data: Bytes::from_static(&[0xde, 0xad]),
            }),
            OperationState::Failed(FailureReason::Dropped { nonce: 3 }),
        ];
        for state in states {
            let json = serde_json::to_string(&state).expect("serializes");
            let back: OperationState = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, state, "{json}");
        }
    }

    #[test]
    fn call_takes_only_recipient_value_and_input() {
        let to = Address::repeat_byte(9);
        let request = TransactionRequest::default()
            .to(to)
            .value(U256::from(5))
            .input(Bytes::from_static(b"call").into())
            .nonce(99)
            .gas_limit(1);
        let call = Call::from_request(&request).expect("has a recipient");
        assert_eq!(call.to, TxKind::Call(to));
        assert_eq!(call.value, U256::from(5));
        assert_eq!(&call.input[..], b"call");
        let rebuilt = call.request(Address::ZERO);
        assert_eq!(rebuilt.nonce, None);
        assert_eq!(rebuilt.gas, None);
        assert!(Call::from_request(&TransactionRequest::default()).is_none());
    }
}
