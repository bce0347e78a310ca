//! What the crate's unit tests share.

use alloy::primitives::{Address, Bytes, B256, U256};
use nxtp_primitives::TransferInfo;

/// A plain transfer of `amount` from domain 1000 to 2000 (canonical on 1000): no calldata, no
/// slippage, nonce 0. Tests that need other terms override fields with struct update syntax.
pub(crate) fn transfer(amount: u64) -> TransferInfo {
    TransferInfo {
        originDomain: 1000,
        destinationDomain: 2000,
        canonicalDomain: 1000,
        to: Address::repeat_byte(1),
        delegate: Address::ZERO,
        receiveLocal: false,
        callData: Bytes::new(),
        slippage: U256::ZERO,
        originSender: Address::repeat_byte(2),
        bridgedAmt: U256::from(amount),
        normalizedIn: U256::from(amount),
        nonce: U256::ZERO,
        canonicalId: B256::repeat_byte(3),
    }
}
