//! `Connext`'s `XCalled`, read one way everywhere: decoded, its transfer id recomputed from its
//! params, and its origin checked against the chain it was read from. Every signature, auction and
//! execution keys on that id, so an event whose id does not hash its params, or that claims another
//! origin, is refused rather than recorded.

use crate::Connext;
use alloy::{
    primitives::{Address, Log, B256, U256},
    sol_types::SolEvent,
};
use nxtp_primitives::{transfer_id, Domain, TransferInfo};

/// A checked `XCalled`: `transfer_id` is the hash of `params`, and `params` left the domain the event
/// was read on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XCalled {
    /// The transfer's id, `transfer_id(&params)`.
    pub transfer_id: B256,
    /// Everything hashed into the id.
    pub params: TransferInfo,
    /// The leaf the origin's `Home` holds for the transfer's message.
    pub message_hash: B256,
    /// The asset the sender put in on the origin.
    pub asset: Address,
    /// How much of it, in its base units.
    pub amount: U256,
    /// The local (bridged) asset on the origin.
    pub local: Address,
}

/// Why a log is not a usable `XCalled`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XCalledError {
    /// The log is not an `XCalled`, or its data does not decode as one.
    #[error("cannot decode XCalled: {0}")]
    Undecodable(String),
    /// The event's id is not the hash of its params.
    #[error("transfer id {claimed} is not the hash of its params ({computed})")]
    IdMismatch {
        /// The id the event carries.
        claimed: B256,
        /// The hash of its params.
        computed: B256,
    },
    /// The params name another origin than the chain the event was read on.
    #[error("origin domain {claimed} is not domain {read_on}, where the event was read")]
    WrongOrigin {
        /// The origin the params name.
        claimed: u32,
        /// The domain whose chain emitted the event.
        read_on: Domain,
    },
}

impl XCalled {
    /// Decodes `log`, read from `read_on`'s chain, and checks it (see [`XCalledError`]).
    pub fn decode(log: &Log, read_on: Domain) -> Result<Self, XCalledError> {
        let event = Connext::XCalled::decode_log(log)
            .map_err(|err| XCalledError::Undecodable(err.to_string()))?
            .data;
        Self::check(event, read_on)
    }

    /// Checks an already decoded event read from `read_on`'s chain.
    pub fn check(event: Connext::XCalled, read_on: Domain) -> Result<Self, XCalledError> {
        let params = TransferInfo::from(event.params);
        let computed = transfer_id(&params);
        if computed != event.transferId {
            return Err(XCalledError::IdMismatch {
                claimed: event.transferId,
                computed,
            });
        }
        if params.originDomain != read_on.get() {
            return Err(XCalledError::WrongOrigin {
                claimed: params.originDomain,
                read_on,
            });
        }
        Ok(Self {
            transfer_id: computed,
            params,
            message_hash: event.messageHash,
            asset: event.asset,
            amount: event.amount,
            local: event.local,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{Bytes, LogData};

    const ORIGIN: Domain = Domain(1000);

    fn params() -> TransferInfo {
        TransferInfo {
            originDomain: ORIGIN.get(),
            destinationDomain: 2000,
            canonicalDomain: 1000,
            to: Address::repeat_byte(1),
            delegate: Address::repeat_byte(2),
            receiveLocal: false,
            callData: Bytes::new(),
            slippage: U256::from(30),
            originSender: Address::repeat_byte(3),
            bridgedAmt: U256::from(5),
            normalizedIn: U256::from(5),
            nonce: U256::from(7),
            canonicalId: B256::repeat_byte(4),
        }
    }

    fn log_of(params: TransferInfo, transfer_id: B256) -> Log {
        let event = Connext::XCalled {
            transferId: transfer_id,
            nonce: params.nonce,
            messageHash: B256::repeat_byte(9),
            params: params.into(),
            asset: Address::repeat_byte(5),
            amount: U256::from(5),
            local: Address::repeat_byte(5),
            messageBody: Bytes::from(vec![0; 100]),
        };
        Log {
            address: Address::repeat_byte(0xcc),
            data: event.encode_log_data(),
        }
    }

    #[test]
    fn a_consistent_event_decodes() {
        let id = transfer_id(&params());
        let event = XCalled::decode(&log_of(params(), id), ORIGIN).expect("valid XCalled");
        assert_eq!(event.transfer_id, id);
        assert_eq!(event.params, params());
        assert_eq!(event.message_hash, B256::repeat_byte(9));
        assert_eq!(event.amount, U256::from(5));
    }

    #[test]
    fn an_id_that_does_not_hash_the_params_is_refused() {
        let claimed = B256::repeat_byte(0xee);
        let err = XCalled::decode(&log_of(params(), claimed), ORIGIN).expect_err("refused");
        assert_eq!(
            err,
            XCalledError::IdMismatch {
                claimed,
                computed: transfer_id(&params())
            }
        );
    }

    #[test]
    fn an_event_naming_another_origin_is_refused() {
        let mut foreign = params();
        foreign.originDomain = 3000;
        let id = transfer_id(&foreign);
        let err = XCalled::decode(&log_of(foreign, id), ORIGIN).expect_err("refused");
        assert_eq!(
            err,
            XCalledError::WrongOrigin {
                claimed: 3000,
                read_on: ORIGIN
            }
        );
    }

    #[test]
    fn another_event_or_truncated_data_is_refused() {
        let id = transfer_id(&params());
        let mut other = log_of(params(), id);
        let mut topics = other.data.topics().to_vec();
        topics[0] = B256::repeat_byte(0x01);
        other.data = LogData::new_unchecked(topics, other.data.data.clone());
        assert!(matches!(
            XCalled::decode(&other, ORIGIN),
            Err(XCalledError::Undecodable(_))
        ));

        let mut truncated = log_of(params(), id);
        let data = truncated.data.data.slice(..64);
        truncated.data = LogData::new_unchecked(truncated.data.topics().to_vec(), data);
        assert!(matches!(
            XCalled::decode(&truncated, ORIGIN),
            Err(XCalledError::Undecodable(_))
        ));
    }
}
