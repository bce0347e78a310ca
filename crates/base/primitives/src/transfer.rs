//! A transfer's identity (what routers and the sequencer sign about it is in
//! [`crate::typed_data`]).

use alloy::{
    primitives::{keccak256, B256},
    sol,
    sol_types::SolValue,
};

sol! {
    /// Everything that defines a transfer; the destination recomputes its id from these fields on
    /// every call, so a field cannot change without changing the id.
    #[derive(Debug, PartialEq, Eq, Hash)]
    struct TransferInfo {
        /// Domain where `xcall` happened.
        uint32 originDomain;
        /// Domain where the funds are delivered.
        uint32 destinationDomain;
        /// Home domain of the bridged asset.
        uint32 canonicalDomain;
        /// Receiver of the funds, and of `xReceive` when `callData` is set.
        address to;
        /// May raise slippage or ask for the local asset on the destination.
        address delegate;
        /// Deliver the local (canonical or representation) asset instead of the adopted one.
        bool receiveLocal;
        /// Passed to `to.xReceive`; empty for a plain transfer.
        bytes callData;
        /// Largest loss the sender accepts, in basis points.
        uint256 slippage;
        /// Caller of `xcall` on the origin.
        address originSender;
        /// Amount bridged, in local-asset units.
        uint256 bridgedAmt;
        /// Amount put in, normalized to 18 decimals.
        uint256 normalizedIn;
        /// The origin's transfer counter.
        uint256 nonce;
        /// The bridged asset's id on its home domain.
        bytes32 canonicalId;
    }
}

/// `keccak256(abi.encode(info))`, Solidity's encoding of the struct as one value: because the
/// struct is dynamic (`callData`), the encoding starts with a 0x20 offset word.
pub fn transfer_id(info: &TransferInfo) -> B256 {
    keccak256(info.abi_encode())
}

/// A transfer's status on its destination, as `Connext.transferStatus` reports it. The variants are
/// in the contract's order, which is Connext's `DestinationTransferStatus` (`None, Reconciled,
/// Executed, Completed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransferStatus {
    /// Not yet executed nor reconciled.
    None,
    /// The message arrived before any router fronted it; waiting for the slow-path execute.
    Reconciled,
    /// Fronted by routers; waiting for the message that reimburses them.
    Executed,
    /// Delivered and reconciled.
    Completed,
}

/// A status value outside the contract's enum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a transfer status")]
pub struct UnknownTransferStatus(pub u8);

impl TryFrom<u8> for TransferStatus {
    type Error = UnknownTransferStatus;

    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Ok(match value {
            0 => Self::None,
            1 => Self::Reconciled,
            2 => Self::Executed,
            3 => Self::Completed,
            other => return Err(UnknownTransferStatus(other)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, b256, Address, Bytes, U256};

    fn word(value: u64) -> [u8; 32] {
        U256::from(value).to_be_bytes()
    }

    fn address_word(address: Address) -> [u8; 32] {
        address.into_word().0
    }

    fn sample() -> TransferInfo {
        TransferInfo {
            originDomain: 1000,
            destinationDomain: 2000,
            canonicalDomain: 1000,
            to: address!("0x1111111111111111111111111111111111111111"),
            delegate: address!("0x2222222222222222222222222222222222222222"),
            receiveLocal: true,
            callData: Bytes::from_static(&[0xca, 0xfe]),
            slippage: U256::from(30),
            originSender: address!("0x3333333333333333333333333333333333333333"),
            bridgedAmt: U256::from(1_000_000),
            normalizedIn: U256::from(999_999),
            nonce: U256::from(5),
            canonicalId: b256!(
                "0x0000000000000000000000004444444444444444444444444444444444444444"
            ),
        }
    }

    /// Built word by word from the ABI spec, independently of the encoder under test.
    #[test]
    fn statuses_follow_the_contract_enum() {
        assert_eq!(TransferStatus::try_from(0), Ok(TransferStatus::None));
        assert_eq!(TransferStatus::try_from(1), Ok(TransferStatus::Reconciled));
        assert_eq!(TransferStatus::try_from(2), Ok(TransferStatus::Executed));
        assert_eq!(TransferStatus::try_from(3), Ok(TransferStatus::Completed));
        assert_eq!(TransferStatus::try_from(4), Err(UnknownTransferStatus(4)));
    }

    #[test]
    fn transfer_id_hashes_the_struct_as_one_abi_value() {
        let info = sample();
        let mut expected = Vec::new();
        expected.extend(word(0x20)); // offset of the (dynamic) struct
        expected.extend(word(1000));
        expected.extend(word(2000));
        expected.extend(word(1000));
        expected.extend(address_word(info.to));
        expected.extend(address_word(info.delegate));
        expected.extend(word(1));
        expected.extend(word(13 * 32)); // offset of callData within the struct
        expected.extend(word(30));
        expected.extend(address_word(info.originSender));
        expected.extend(word(1_000_000));
        expected.extend(word(999_999));
        expected.extend(word(5));
        expected.extend(info.canonicalId.0);
        expected.extend(word(2)); // callData length
        let mut data = [0u8; 32];
        data[..2].copy_from_slice(&[0xca, 0xfe]);
        expected.extend(data);

        assert_eq!(info.abi_encode(), expected);
        assert_eq!(transfer_id(&info), keccak256(&expected));
    }

    #[test]
    fn transfer_id_commits_to_calldata_and_nonce() {
        let base = transfer_id(&sample());
        let mut changed = sample();
        changed.callData = Bytes::new();
        assert_ne!(transfer_id(&changed), base);
        let mut changed = sample();
        changed.nonce = U256::from(6);
        assert_ne!(transfer_id(&changed), base);
    }
}
