//! What a transfer's receiver needs on the destination: the gas of its `xReceive`, simulated as the destination's
//! `Connext` would call it, and the `execute` gas that implies.
//!
//! `Connext.execute` hands `xReceive` all the gas the relayer supplies but a reserve it keeps to finish, less the
//! 1/64 EIP-150 withholds; a receiver failing with less than `xReceiveGasLimit` reverts the whole `execute` (it stays
//! retryable with more gas). Integrators sending calldata use this estimate before `xcall` to check their receiver
//! runs, and to see what the relayer will spend delivering it.

use crate::{client::Sdk, error::SdkError, revert::Revert};
use alloy::{
    primitives::{Address, Bytes, B256, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    sol_types::SolCall,
};
use nxtp_primitives::Domain;

alloy::sol! {
    /// The receiver's entry point, as `Connext.execute` calls it.
    interface IXReceiver {
        function xReceive(
            bytes32 transferId,
            uint256 amount,
            address asset,
            address originSender,
            uint32 origin,
            bytes callData
        ) external returns (bytes memory);
    }
}

/// Gas `Connext.execute` keeps back from `xReceive` to finish after it (`XRECEIVE_GAS_RESERVE` in `Connext.sol`).
pub const XRECEIVE_GAS_RESERVE: u64 = 10_000;

/// An approximation of what `Connext.execute` itself spends around the receiver: checks, router signatures and
/// debits, the token transfer, events. Measured at about 106k (fast path, one router) and 138k (three routers)
/// in `bench/results/gas.json`; rounded up so the estimate covers a few routers and long calldata.
pub const EXECUTE_OVERHEAD_GAS: u64 = 150_000;

/// What a transaction pays before running any code (Ethereum's intrinsic gas).
const TRANSACTION_BASE_GAS: u64 = 21_000;
/// What the destination `Connext`'s first call to the receiver pays for the cold account (EIP-2929), which a
/// simulated transaction addressed to the receiver does not (its `to` starts warm).
const COLD_ACCOUNT_ACCESS_GAS: u64 = 2_600;

/// How the transfer reaches the receiver, which decides the `originSender` it sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryPath {
    /// Routers front the transfer: nothing is proven yet, so `originSender` is zero.
    Fast,
    /// Executed after reconciliation: `originSender` is the authentic sender on the origin.
    Slow {
        /// The `xcall`'s sender on the origin.
        origin_sender: Address,
    },
}

impl DeliveryPath {
    /// The `originSender` the receiver is called with.
    pub fn origin_sender(self) -> Address {
        match self {
            Self::Fast => Address::ZERO,
            Self::Slow { origin_sender } => origin_sender,
        }
    }
}

/// The `xReceive` call to simulate on the destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XReceiveCall {
    /// The receiver: the transfer's `to`.
    pub receiver: Address,
    /// The origin domain.
    pub origin: Domain,
    /// Fast or slow, which sets `originSender`.
    pub path: DeliveryPath,
    /// The transfer id passed along (zero by default: not yet known before `xcall`).
    pub transfer_id: B256,
    /// The amount delivered, in base units. The simulation moves no tokens, so a receiver that spends what it
    /// received sees only what it already holds.
    pub amount: U256,
    /// The token delivered on the destination (its local asset).
    pub asset: Address,
    /// The transfer's calldata.
    pub call_data: Bytes,
}

impl XReceiveCall {
    /// A fast-path call of `receiver` from `origin` with `call_data`, delivering nothing (zero amount, asset and
    /// transfer id); set the fields to simulate a particular transfer.
    pub fn new(receiver: Address, origin: Domain, call_data: Bytes) -> Self {
        Self {
            receiver,
            origin,
            path: DeliveryPath::Fast,
            transfer_id: B256::ZERO,
            amount: U256::ZERO,
            asset: Address::ZERO,
            call_data,
        }
    }

    /// The ABI-encoded `xReceive` call.
    fn calldata(&self) -> Bytes {
        IXReceiver::xReceiveCall {
            transferId: self.transfer_id,
            amount: self.amount,
            asset: self.asset,
            originSender: self.path.origin_sender(),
            origin: self.origin.get(),
            callData: self.call_data.clone(),
        }
        .abi_encode()
        .into()
    }
}

/// What a receiver's `xReceive` needs on the destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XReceiveGas {
    /// The gas `xReceive` itself needs, as `Connext` calls it (simulated).
    pub receiver_gas: u64,
    /// An approximation of the `execute` gas that delivers it: the receiver's gas, its 1/64 (EIP-150), the reserve
    /// `Connext` keeps to finish, and [`EXECUTE_OVERHEAD_GAS`]. The relayer estimates the real figure itself.
    pub execute_gas: u64,
    /// The destination's `xReceiveGasLimit`.
    pub x_receive_gas_limit: u64,
    /// Whether the receiver needs more than `xReceiveGasLimit`: it still runs when the relayer supplies the gas,
    /// but `Connext` protects it from being starved into a recorded failure only up to the limit (governance may
    /// raise it for such receivers).
    pub above_limit: bool,
}

impl XReceiveGas {
    /// The figures for a receiver needing `receiver_gas` on a destination whose limit is `x_receive_gas_limit`.
    pub fn new(receiver_gas: u64, x_receive_gas_limit: u64) -> Self {
        // Connext passes on `(gasleft - reserve) * 63/64`: to pass `receiver_gas`, it must hold 64/63 of it.
        let with_eip150 = receiver_gas.saturating_add(receiver_gas.div_ceil(63));
        let execute_gas = with_eip150
            .saturating_add(XRECEIVE_GAS_RESERVE)
            .saturating_add(EXECUTE_OVERHEAD_GAS);
        Self {
            receiver_gas,
            execute_gas,
            x_receive_gas_limit,
            above_limit: receiver_gas > x_receive_gas_limit,
        }
    }
}

impl Sdk {
    /// Simulates `xReceive` on the receiver of `destination` as the destination's `Connext` calls it
    /// (`eth_estimateGas` from `Connext`), and returns the gas it needs, the `execute` gas that implies, and
    /// whether it is above the destination's `xReceiveGasLimit`. Refuses a receiver with no code (a fast-path
    /// `execute` would revert) and, with [`SdkError::ReceiverReverted`] and its decoded revert, one that reverts.
    ///
    /// The simulation moves no tokens and runs against the destination's current state, so a receiver whose cost
    /// depends on either may need more when the transfer arrives.
    ///
    /// ```no_run
    /// # async fn demo(sdk: nxtp_sdk::Sdk, receiver: alloy::primitives::Address, call_data: alloy::primitives::Bytes) -> Result<(), nxtp_sdk::SdkError> {
    /// use nxtp_primitives::Domain;
    /// use nxtp_sdk::{DeliveryPath, XReceiveCall};
    ///
    /// let mut call = XReceiveCall::new(receiver, Domain(1000), call_data);
    /// call.path = DeliveryPath::Slow { origin_sender: alloy::primitives::Address::repeat_byte(1) };
    /// let gas = sdk.estimate_xreceive_gas(Domain(2000), &call).await?;
    /// println!("xReceive needs {} gas, execute about {}", gas.receiver_gas, gas.execute_gas);
    /// if gas.above_limit {
    ///     println!("above the destination's xReceiveGasLimit of {}", gas.x_receive_gas_limit);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn estimate_xreceive_gas(
        &self,
        destination: Domain,
        call: &XReceiveCall,
    ) -> Result<XReceiveGas, SdkError> {
        let connext = self.connext(destination).await?;
        let limit =
            connext.xReceiveGasLimit().call().await.map_err(|err| {
                SdkError::from_contract(destination, "Connext.xReceiveGasLimit", err)
            })?;
        let reader = self.reader(destination).await?;
        let code = reader
            .get_code_at(call.receiver)
            .await
            .map_err(|err| SdkError::Rpc {
                domain: destination,
                action: "eth_getCode",
                source: Box::new(err),
            })?;
        if code.is_empty() {
            return Err(SdkError::ReceiverNotContract {
                domain: destination,
                receiver: call.receiver,
            });
        }
        let input = call.calldata();
        let request = TransactionRequest::default()
            .from(*connext.address())
            .to(call.receiver)
            .input(input.clone().into());
        let estimate = reader.estimate_gas(request).await.map_err(|err| {
            match Revert::from_transport(&err) {
                Some(revert) => SdkError::ReceiverReverted {
                    domain: destination,
                    receiver: call.receiver,
                    revert,
                },
                None => SdkError::Rpc {
                    domain: destination,
                    action: "xReceive gas estimate",
                    source: Box::new(err),
                },
            }
        })?;
        Ok(XReceiveGas::new(
            receiver_gas(estimate, &input),
            u64::from(limit),
        ))
    }
}

/// The gas of the call alone from a transaction's estimate: less the transaction's intrinsic cost (which
/// `Connext`'s internal call does not pay), plus the cold access of the receiver (which it does).
fn receiver_gas(estimate: u64, input: &[u8]) -> u64 {
    let calldata_gas: u64 = input
        .iter()
        .map(|&byte| if byte == 0 { 4 } else { 16 })
        .sum();
    estimate
        .saturating_sub(TRANSACTION_BASE_GAS + calldata_gas)
        .saturating_add(COLD_ACCOUNT_ACCESS_GAS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execute_gas_adds_eip150_the_reserve_and_the_overhead() {
        let gas = XReceiveGas::new(630_000, 1_000_000);
        assert_eq!(
            gas.execute_gas,
            640_000 + XRECEIVE_GAS_RESERVE + EXECUTE_OVERHEAD_GAS
        );
        assert!(!gas.above_limit);
        assert!(XReceiveGas::new(1_000_001, 1_000_000).above_limit);
        assert!(!XReceiveGas::new(1_000_000, 1_000_000).above_limit);
    }

    #[test]
    fn the_fast_path_hides_the_sender() {
        let sender = Address::repeat_byte(7);
        assert_eq!(DeliveryPath::Fast.origin_sender(), Address::ZERO);
        assert_eq!(
            DeliveryPath::Slow {
                origin_sender: sender
            }
            .origin_sender(),
            sender
        );
        let mut call = XReceiveCall::new(Address::ZERO, Domain(1000), Bytes::new());
        call.path = DeliveryPath::Slow {
            origin_sender: sender,
        };
        let decoded = IXReceiver::xReceiveCall::abi_decode(&call.calldata()).expect("decodes");
        assert_eq!(decoded.originSender, sender);
        assert_eq!(decoded.origin, 1000);
    }

    #[test]
    fn intrinsic_gas_is_taken_off_and_the_cold_access_added() {
        let input = [0u8, 1, 0, 2];
        assert_eq!(
            receiver_gas(21_000 + 40 + 5_000, &input),
            5_000 + COLD_ACCOUNT_ACCESS_GAS
        );
        assert_eq!(receiver_gas(0, &input), COLD_ACCOUNT_ACCESS_GAS);
    }
}
