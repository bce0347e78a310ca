//! The checks of a bid that need no chain: at least one signature, valid path lengths, and each
//! signature recovering to the bidding router under the contracts' strict rules.

use crate::selection::valid_path_length;
use alloy::primitives::Bytes;
use nxtp_api::sequencer::{ApiError, BidRequest, ErrorCode};
use nxtp_primitives::{recover_personal, router_bid_hash};

/// The contracts' upper bound of `maxRoutersPerTransfer`: the most a path length can be before
/// the transfer (and so its destination's own maximum) is known.
pub const MAX_ROUTERS: u32 = 5;

/// The bid's `(path length, signature)` pairs once every one is valid for at most `max_routers`
/// routers; otherwise the refusal to send back.
pub fn check(bid: &BidRequest, max_routers: u32) -> Result<Vec<(u32, Bytes)>, ApiError> {
    if bid.signatures.is_empty() {
        return Err(ApiError::new(
            ErrorCode::Malformed,
            "a bid carries at least one signature",
        ));
    }
    if let Some(n) = bid
        .signatures
        .keys()
        .find(|&&n| !valid_path_length(n, max_routers))
    {
        return Err(ApiError::new(
            ErrorCode::InvalidPathLength,
            format!("path length {n} is not a power of two between 1 and {max_routers}"),
        ));
    }
    for (&n, signature) in &bid.signatures {
        let hash = router_bid_hash(bid.transfer_id, n as usize);
        match recover_personal(hash, signature) {
            Ok(signer) if signer == bid.router => {}
            Ok(signer) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidSignature,
                    format!(
                        "the signature for path length {n} recovers to {signer}, not to router {}",
                        bid.router
                    ),
                ))
            }
            Err(err) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidSignature,
                    format!("the signature for path length {n} is refused: {err}"),
                ))
            }
        }
    }
    Ok(bid
        .signatures
        .iter()
        .map(|(&n, signature)| (n, signature.clone()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::{primitives::B256, signers::local::PrivateKeySigner};
    use nxtp_primitives::sign_personal;
    use std::collections::BTreeMap;

    fn signed(signer: &PrivateKeySigner, id: B256, lengths: &[u32]) -> BidRequest {
        let signatures = lengths
            .iter()
            .map(|&n| {
                let signature =
                    sign_personal(signer, router_bid_hash(id, n as usize)).expect("signs");
                (n, Bytes::copy_from_slice(&signature))
            })
            .collect();
        BidRequest {
            router: signer.address(),
            transfer_id: id,
            signatures,
        }
    }

    #[test]
    fn accepts_valid_signatures() {
        let router = PrivateKeySigner::random();
        let bid = signed(&router, B256::repeat_byte(1), &[1, 2, 4]);
        let accepted = check(&bid, 5).expect("valid");
        assert_eq!(
            accepted.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            [1, 2, 4]
        );
    }

    #[test]
    fn refuses_each_bad_bid_with_its_code() {
        let router = PrivateKeySigner::random();
        let other = PrivateKeySigner::random();
        let id = B256::repeat_byte(1);
        let code = |bid: &BidRequest, max| check(bid, max).expect_err("refused").error;

        let mut empty = signed(&router, id, &[1]);
        empty.signatures = BTreeMap::new();
        assert_eq!(code(&empty, 5), ErrorCode::Malformed);

        for lengths in [&[0][..], &[3], &[8]] {
            let mut bid = signed(&router, id, &[1]);
            let signature = bid.signatures[&1].clone();
            bid.signatures.insert(lengths[0], signature);
            assert_eq!(code(&bid, 5), ErrorCode::InvalidPathLength, "{lengths:?}");
        }
        assert_eq!(
            code(&signed(&router, id, &[4]), 2),
            ErrorCode::InvalidPathLength
        );

        let mut forged = signed(&other, id, &[1]);
        forged.router = router.address();
        assert_eq!(code(&forged, 5), ErrorCode::InvalidSignature);

        // Signed for another path length: recovers to someone else.
        let mut swapped = signed(&router, id, &[1, 2]);
        let one = swapped.signatures[&1].clone();
        swapped.signatures.insert(2, one);
        assert_eq!(code(&swapped, 5), ErrorCode::InvalidSignature);

        let mut short = signed(&router, id, &[1]);
        short.signatures.insert(1, Bytes::from_static(&[1, 2, 3]));
        assert_eq!(code(&short, 5), ErrorCode::InvalidSignature);
    }
}
