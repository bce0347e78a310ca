//! A height's decided value, `nxtp_consensus::Batch`, in its canonical encoding
//! (`nxtp_consensus::wire`): the bytes a proposer's part, a sync response and the node's store
//! carry, whose keccak256 is the value id every node votes on.

use crate::budget;
use alloy::{
    primitives::{keccak256, Address, Bytes, B256, U256},
    signers::local::PrivateKeySigner,
};
use malachitebft_app_channel::app::types::core::Value;
use nxtp_consensus::{
    signing::selection_signer,
    wire::{Wire, WireError},
    Auction, Batch, ExecuteEnd, Observation, Pool, Release, ReleaseCause, SignedBid, TransferTerms,
};
use nxtp_primitives::{recover_digest, sign_digest};

/// Decodes `data` as a batch within the allocation budget and checks that the encoding is
/// canonical (what decodes re-encodes to the same bytes, so one batch has one id), that the id
/// is the keccak256 of those bytes, that refusals describe the input, and that the signatures a
/// node recovers from a decoded batch (each bid's, and a selection signature) never panic.
pub fn check(data: &[u8]) {
    match budget::within(budget::for_input(data.len()), || Batch::from_wire(data)) {
        Ok(batch) => {
            assert_eq!(batch.to_wire(), data, "decode then encode is exact");
            assert_eq!(batch.id().0, keccak256(data));
            for auction in &batch.auctions {
                let domain = auction.terms.signing_domain();
                for bid in &auction.bids {
                    let digest = domain
                        .router_bid_digest(auction.terms.transfer_id, bid.path_length as usize);
                    let _ = recover_digest(digest, &bid.signature);
                    let _ = selection_signer(auction, &bid.signature);
                }
            }
        }
        Err(err) => refusal_describes(&err, data.len()),
    }
}

/// A refusal's figures fit an input of `len` bytes.
pub fn refusal_describes(err: &WireError, len: usize) {
    match *err {
        WireError::Truncated { needed, left } => {
            assert!(needed > left, "{err}");
            assert!(left <= len, "{err}");
        }
        WireError::Trailing(extra) => assert!(extra > 0 && extra <= len, "{err}"),
        WireError::Invalid { .. } => {}
    }
}

/// Batches as nodes decide them: none, releases only (each cause), one auction with one router,
/// and two auctions sharing routers with a release and the routers' observed balances, with bids signed by real router keys and the same transfer terms the
/// consensus tests use.
pub fn samples() -> Vec<Batch> {
    let routers: Vec<PrivateKeySigner> = (1..=4u8)
        .map(|i| PrivateKeySigner::from_bytes(&B256::repeat_byte(i)).expect("a valid key"))
        .collect();
    let one = auction(terms(1, 100), &routers[..1], 1);
    let shared = auction(terms(2, 400), &routers, 2);
    let again = auction(terms(3, 50), &routers[2..], 1);
    vec![
        Batch::default(),
        Batch {
            releases: vec![
                Release {
                    transfer_id: B256::repeat_byte(9),
                    cause: ReleaseCause::Executed(ExecuteEnd {
                        block: 120,
                        fast: true,
                    }),
                },
                Release {
                    transfer_id: B256::repeat_byte(10),
                    cause: ReleaseCause::Expired,
                },
            ],
            ..Batch::default()
        },
        Batch {
            auctions: vec![one],
            ..Batch::default()
        },
        Batch {
            releases: vec![Release {
                transfer_id: B256::repeat_byte(1),
                cause: ReleaseCause::Executed(ExecuteEnd {
                    block: 121,
                    fast: false,
                }),
            }],
            observations: routers
                .iter()
                .map(|router| Observation {
                    pool: pool(),
                    router: router.address(),
                    block: 122,
                    block_hash: B256::repeat_byte(0xbb),
                    balance: U256::from(250),
                })
                .collect(),
            auctions: vec![shared, again],
        },
    ]
}

/// The seed inputs: each sample batch's encoding.
pub fn seeds() -> Vec<Vec<u8>> {
    samples().iter().map(Wire::to_wire).collect()
}

fn terms(id: u8, to_front: u64) -> TransferTerms {
    TransferTerms {
        transfer_id: B256::repeat_byte(id),
        destination_chain_id: 31337,
        destination_connext: Address::repeat_byte(0xcc),
        pool: pool(),
        to_front: U256::from(to_front),
        max_routers: 4,
    }
}

fn pool() -> Pool {
    Pool {
        destination: 2,
        canonical_domain: 1,
        canonical_id: B256::repeat_byte(0xaa),
    }
}

/// An auction whose routers each bid `path_length`, the first `path_length` of them selected.
fn auction(terms: TransferTerms, routers: &[PrivateKeySigner], path_length: u32) -> Auction {
    let digest = terms
        .signing_domain()
        .router_bid_digest(terms.transfer_id, path_length as usize);
    let mut bids: Vec<SignedBid> = routers
        .iter()
        .map(|router| SignedBid {
            router: router.address(),
            path_length,
            signature: Bytes::copy_from_slice(&sign_digest(router, digest).expect("signs")),
        })
        .collect();
    bids.sort();
    let selected = bids
        .iter()
        .take(path_length as usize)
        .map(|bid| bid.router)
        .collect();
    Auction {
        terms,
        bids,
        routers: selected,
    }
}
