//! What a height decides: a batch of releases of reserved liquidity, observations of routers'
//! balances on chain, and auction results, each with the signed bids it included and the routers
//! they select.

use crate::wire::{Reader, Wire, WireError, Writer};
use alloy::primitives::{keccak256, Address, Bytes, B256, U256};
use malachitebft_app_channel::app::types::core::Value;
use nxtp_primitives::ConnextSigningDomain;
use std::fmt;

/// Length of an EIP-712 signature (`r || s || v`), of bids and of selections.
pub const SIGNATURE_BYTES: usize = 65;

/// The encoding version of a [`Batch`]; a batch of another version is refused. Version 2 added
/// observations and the cause of each release.
const BATCH_VERSION: u8 = 2;

/// The wire tag of [`ReleaseCause::Executed`].
const RELEASE_EXECUTED: u8 = 1;
/// The wire tag of [`ReleaseCause::Expired`].
const RELEASE_EXPIRED: u8 = 2;

/// The liquidity of one asset on one destination (as the single sequencer keys its
/// reservations).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pool {
    /// The destination domain.
    pub destination: u32,
    /// The asset's canonical domain.
    pub canonical_domain: u32,
    /// The asset's canonical id.
    pub canonical_id: B256,
}

/// The facts of a transfer an auction needs, as the origin chain states them. A node votes for
/// an auction only if its own view of the transfer agrees ([`crate::TransferSource`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TransferTerms {
    /// The transfer.
    pub transfer_id: B256,
    /// The chain id of the destination.
    pub destination_chain_id: u64,
    /// The destination `Connext`, which verifies the bids and the selection.
    pub destination_connext: Address,
    /// The liquidity fronted from.
    pub pool: Pool,
    /// The amount the routers front together.
    pub to_front: U256,
    /// The destination's `maxRoutersPerTransfer`.
    pub max_routers: u32,
}

impl TransferTerms {
    /// The EIP-712 domain of the destination `Connext`.
    pub fn signing_domain(&self) -> ConnextSigningDomain {
        ConnextSigningDomain::new(self.destination_chain_id, self.destination_connext)
    }
}

/// One router's signed offer to be one of `path_length` routers of a transfer.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SignedBid {
    /// The router.
    pub router: Address,
    /// How many routers it offers to share the transfer with.
    pub path_length: u32,
    /// Its EIP-712 `RouterBid` signature (65 bytes).
    pub signature: Bytes,
}

/// One transfer's auction result: the bids included, and the routers they select (in order).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Auction {
    /// The transfer.
    pub terms: TransferTerms,
    /// The bids, sorted by router then path length, without duplicates.
    pub bids: Vec<SignedBid>,
    /// The routers selected by [`crate::selection::select`] from the bids.
    pub routers: Vec<Address>,
}

/// A transfer's execute as its destination's `Connext` recorded it (a confirmed `Executed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ExecuteEnd {
    /// The destination block holding the execute.
    pub block: u64,
    /// Whether routers fronted it (their balances dropped), rather than the slow path.
    pub fast: bool,
}

/// Why a reservation ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReleaseCause {
    /// The transfer's execute ended on its destination, fast or by the slow path.
    Executed(ExecuteEnd),
    /// No execute ended within the ledger's expiry ([`crate::Ledger::expired`]): a transfer
    /// decided but never executed fast does not hold its routers' liquidity for ever.
    Expired,
}

/// The end of one decided transfer's reservation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Release {
    /// The transfer.
    pub transfer_id: B256,
    /// Why its reservation ends.
    pub cause: ReleaseCause,
}

/// A router's balance in a pool (its `routerBalance` of the pool's local asset on the
/// destination's `Connext`) as read at a confirmed block of the destination. A node votes for
/// an observation only if its own read at that block agrees ([`crate::TransferSource`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Observation {
    /// The pool (its destination is the chain read).
    pub pool: Pool,
    /// The router.
    pub router: Address,
    /// The number of the block read at.
    pub block: u64,
    /// Its hash: nodes on different branches cannot agree on a balance.
    pub block_hash: B256,
    /// The router's balance at that block.
    pub balance: U256,
}

/// A height's decided value, applied in the order of its fields: releases, then observations,
/// then auctions.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Batch {
    /// New auction results, applied in order.
    pub auctions: Vec<Auction>,
    /// Reservations that end: their liquidity is released.
    pub releases: Vec<Release>,
    /// Routers' balances read on chain, sorted by pool then router, one per router and pool.
    pub observations: Vec<Observation>,
}

impl Batch {
    /// Whether the batch decides nothing.
    pub fn is_empty(&self) -> bool {
        self.auctions.is_empty() && self.releases.is_empty() && self.observations.is_empty()
    }
}

/// The id of a batch: the keccak256 of its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BatchId(pub B256);

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Value for Batch {
    type Id = BatchId;

    fn id(&self) -> BatchId {
        BatchId(keccak256(self.to_wire()))
    }
}

impl Wire for BatchId {
    fn encode(&self, out: &mut Writer) {
        self.0.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self(B256::decode(input)?))
    }
}

impl Wire for Pool {
    fn encode(&self, out: &mut Writer) {
        out.u32(self.destination);
        out.u32(self.canonical_domain);
        self.canonical_id.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            destination: input.u32()?,
            canonical_domain: input.u32()?,
            canonical_id: B256::decode(input)?,
        })
    }
}

impl Wire for TransferTerms {
    fn encode(&self, out: &mut Writer) {
        self.transfer_id.encode(out);
        out.u64(self.destination_chain_id);
        self.destination_connext.encode(out);
        self.pool.encode(out);
        self.to_front.encode(out);
        out.u32(self.max_routers);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            transfer_id: B256::decode(input)?,
            destination_chain_id: input.u64()?,
            destination_connext: Address::decode(input)?,
            pool: Pool::decode(input)?,
            to_front: U256::decode(input)?,
            max_routers: input.u32()?,
        })
    }
}

impl Wire for SignedBid {
    fn encode(&self, out: &mut Writer) {
        self.router.encode(out);
        out.u32(self.path_length);
        self.signature.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            router: Address::decode(input)?,
            path_length: input.u32()?,
            signature: Bytes::decode(input)?,
        })
    }
}

impl Wire for Auction {
    fn encode(&self, out: &mut Writer) {
        self.terms.encode(out);
        out.seq(&self.bids);
        out.seq(&self.routers);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            terms: TransferTerms::decode(input)?,
            bids: input.seq()?,
            routers: input.seq()?,
        })
    }
}

impl Wire for Release {
    fn encode(&self, out: &mut Writer) {
        self.transfer_id.encode(out);
        match self.cause {
            ReleaseCause::Executed(end) => {
                out.u8(RELEASE_EXECUTED);
                out.u64(end.block);
                out.bool(end.fast);
            }
            ReleaseCause::Expired => out.u8(RELEASE_EXPIRED),
        }
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        let transfer_id = B256::decode(input)?;
        let cause = match input.u8()? {
            RELEASE_EXECUTED => ReleaseCause::Executed(ExecuteEnd {
                block: input.u64()?,
                fast: input.bool()?,
            }),
            RELEASE_EXPIRED => ReleaseCause::Expired,
            tag => return Err(WireError::invalid("release cause", tag)),
        };
        Ok(Self { transfer_id, cause })
    }
}

impl Wire for Observation {
    fn encode(&self, out: &mut Writer) {
        self.pool.encode(out);
        self.router.encode(out);
        out.u64(self.block);
        self.block_hash.encode(out);
        self.balance.encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        Ok(Self {
            pool: Pool::decode(input)?,
            router: Address::decode(input)?,
            block: input.u64()?,
            block_hash: B256::decode(input)?,
            balance: U256::decode(input)?,
        })
    }
}

impl Wire for Batch {
    fn encode(&self, out: &mut Writer) {
        out.u8(BATCH_VERSION);
        out.seq(&self.auctions);
        out.seq(&self.releases);
        out.seq(&self.observations);
    }
    fn decode(input: &mut Reader<'_>) -> Result<Self, WireError> {
        let version = input.u8()?;
        if version != BATCH_VERSION {
            return Err(WireError::invalid("batch version", version));
        }
        Ok(Self {
            auctions: input.seq()?,
            releases: input.seq()?,
            observations: input.seq()?,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn terms(id: u8, to_front: u64) -> TransferTerms {
        TransferTerms {
            transfer_id: B256::repeat_byte(id),
            destination_chain_id: 31337,
            destination_connext: Address::repeat_byte(0xcc),
            pool: Pool {
                destination: 2,
                canonical_domain: 1,
                canonical_id: B256::repeat_byte(0xaa),
            },
            to_front: U256::from(to_front),
            max_routers: 4,
        }
    }

    #[test]
    fn batches_round_trip_and_ids_follow_the_content() {
        let batch = Batch {
            auctions: vec![Auction {
                terms: terms(1, 100),
                bids: vec![SignedBid {
                    router: Address::repeat_byte(1),
                    path_length: 1,
                    signature: Bytes::from(vec![7; 65]),
                }],
                routers: vec![Address::repeat_byte(1)],
            }],
            releases: vec![
                Release {
                    transfer_id: B256::repeat_byte(9),
                    cause: ReleaseCause::Executed(ExecuteEnd {
                        block: 12,
                        fast: true,
                    }),
                },
                Release {
                    transfer_id: B256::repeat_byte(8),
                    cause: ReleaseCause::Expired,
                },
            ],
            observations: vec![Observation {
                pool: terms(1, 100).pool,
                router: Address::repeat_byte(1),
                block: 40,
                block_hash: B256::repeat_byte(4),
                balance: U256::from(5_000),
            }],
        };
        let bytes = batch.to_wire();
        assert_eq!(Batch::from_wire(&bytes), Ok(batch.clone()));
        assert_ne!(batch.id(), Batch::default().id());
        let mut other = batch.clone();
        other.auctions[0].routers.clear();
        assert_ne!(batch.id(), other.id());

        let mut observed = batch.clone();
        observed.observations[0].balance = U256::from(5_001);
        assert_ne!(batch.id(), observed.id());

        let mut future = bytes.clone();
        future[0] = 3;
        assert!(Batch::from_wire(&future).is_err());
        assert!(Batch::from_wire(&bytes[..bytes.len() - 1]).is_err());

        // A release cause this build does not know, and a `fast` flag that is not 0 or 1.
        let mut unknown = Release {
            transfer_id: B256::repeat_byte(8),
            cause: ReleaseCause::Expired,
        }
        .to_wire();
        unknown[32] = 3;
        assert!(matches!(
            Release::from_wire(&unknown),
            Err(WireError::Invalid {
                what: "release cause",
                ..
            })
        ));
        let mut executed = batch.releases[0].to_wire();
        let last = executed.len() - 1;
        executed[last] = 2;
        assert!(matches!(
            Release::from_wire(&executed),
            Err(WireError::Invalid { what: "bool", .. })
        ));
    }
}
