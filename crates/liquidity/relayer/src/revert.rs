//! Why a job failed, in words: a revert is decoded against the called contract's custom
//! errors, so a caller reads `InvalidTransferStatus { .. }` rather than revert bytes.

use alloy::{
    primitives::Bytes,
    sol_types::{decode_revert_reason, SolInterface},
};
use nxtp_api::relayer::JobKind;
use nxtp_bindings::{Connext, Replica};
use nxtp_chain::FailureReason;
use std::fmt::Debug;

/// The reason a job of `kind` failed, starting with the contract's error name when the call
/// reverted with one of its custom errors.
pub fn explain(kind: JobKind, reason: &FailureReason) -> String {
    match reason {
        FailureReason::Reverted { data } => match kind {
            JobKind::Execute => custom::<Connext::ConnextErrors>(data),
            JobKind::Process => custom::<Replica::ReplicaErrors>(data),
        }
        .or_else(|| decode_revert_reason(data))
        .unwrap_or_else(|| format!("the call reverts with data {data}")),
        other => other.to_string(),
    }
}

/// The custom error `data` encodes, as `Name { field: value, .. }`.
fn custom<E: SolInterface + Debug>(data: &Bytes) -> Option<String> {
    let error = E::abi_decode(data).ok()?;
    // The enum's Debug is `Variant(Variant { fields })`: keep the inner struct's.
    let debug = format!("{error:?}");
    let inner = debug
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .map_or(debug.clone(), str::to_owned);
    Some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{B256, U256};

    #[test]
    fn connext_errors_are_named_with_their_fields() {
        let data = Connext::ConnextErrors::InvalidTransferStatus(Connext::InvalidTransferStatus {
            transferId: B256::repeat_byte(0x11),
            status: 2,
        })
        .abi_encode();
        let text = explain(
            JobKind::Execute,
            &FailureReason::Reverted { data: data.into() },
        );
        assert!(text.starts_with("InvalidTransferStatus {"), "{text}");
        assert!(text.contains("status: 2"), "{text}");
    }

    #[test]
    fn replica_errors_plain_reverts_and_other_failures_are_explained() {
        let data = Replica::ReplicaErrors::AlreadyProcessed(Replica::AlreadyProcessed {
            index: U256::from(3),
        })
        .abi_encode();
        let text = explain(
            JobKind::Process,
            &FailureReason::Reverted { data: data.into() },
        );
        assert!(text.starts_with("AlreadyProcessed {"), "{text}");

        let unknown = explain(
            JobKind::Execute,
            &FailureReason::Reverted {
                data: Bytes::from_static(&[0xde, 0xad, 0xbe, 0xef]),
            },
        );
        assert_eq!(unknown, "the call reverts with data 0xdeadbeef");

        let dropped = explain(JobKind::Execute, &FailureReason::Dropped { nonce: 4 });
        assert!(dropped.contains("nonce 4"), "{dropped}");
    }
}
