//! The checks of a bid that need no chain: at least one signature, valid path lengths, and each
//! signature, under the contracts' strict rules, recovering to the bidding router from the EIP-712
//! `RouterBid` digest of the transfer's destination `Connext`; while the transfer is not known
//! yet, of the destination the bid names, or else of some served destination. Which one it was is
//! kept with the bid: once the transfer is known, a bid signed for its own destination needs no
//! second recovery, and any other is checked again against it.

use crate::selection::valid_path_length;
use alloy::primitives::Bytes;
use nxtp_api::sequencer::{ApiError, BidRequest, ErrorCode};
use nxtp_primitives::{check_canonical, recover_digest, ConnextSigningDomain, Domain};

/// The contracts' upper bound of `maxRoutersPerTransfer`: the most a path length can be before
/// the transfer (and so its destination's own maximum) is known.
pub const MAX_ROUTERS: u32 = 5;

/// A bid whose signatures all passed [`check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    /// Its `(path length, signature)` pairs.
    pub signatures: Vec<(u32, Bytes)>,
    /// The destination whose `Connext` every signature recovered to the router under.
    pub signed_for: Domain,
}

/// The bid once every signature is valid for at most `max_routers` routers and recovers to the
/// router under one of `destinations`, tried in order (the transfer's destination when the
/// transfer is known; before, the one the bid names, or else every served one); otherwise the
/// refusal to send back. A bid is for one transfer, so all its signatures are for one destination.
pub fn check(
    bid: &BidRequest,
    max_routers: u32,
    destinations: &[(Domain, &ConnextSigningDomain)],
) -> Result<Checked, ApiError> {
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
        check_canonical(signature).map_err(|err| {
            ApiError::new(
                ErrorCode::InvalidSignature,
                format!("the signature for path length {n} is refused: {err}"),
            )
        })?;
    }
    let mut refusal = ApiError::new(
        ErrorCode::InvalidSignature,
        "no served destination to check the signatures against",
    );
    for &(domain, signing) in destinations {
        let all_signed = bid.signatures.iter().try_for_each(|(&n, signature)| {
            verify(signing, bid.transfer_id, bid.router, n, signature)
        });
        match all_signed {
            Ok(()) => {
                return Ok(Checked {
                    signatures: bid
                        .signatures
                        .iter()
                        .map(|(&n, signature)| (n, signature.clone()))
                        .collect(),
                    signed_for: domain,
                })
            }
            Err(err) => refusal = err,
        }
    }
    Err(refusal)
}

/// Checks that `router` signed the bid on `transfer_id` for `path_length` routers, for the
/// destination `Connext` whose EIP-712 domain is `destination`.
pub fn verify(
    destination: &ConnextSigningDomain,
    transfer_id: alloy::primitives::B256,
    router: alloy::primitives::Address,
    path_length: u32,
    signature: &[u8],
) -> Result<(), ApiError> {
    let digest = destination.router_bid_digest(transfer_id, path_length as usize);
    match recover_digest(digest, signature) {
        Ok(signer) if signer == router => Ok(()),
        Ok(signer) => Err(ApiError::new(
            ErrorCode::InvalidSignature,
            format!(
                "the signature for path length {path_length} recovers to {signer}, not to router \
                 {router} (signed for another transfer, path length, chain or Connext?)"
            ),
        )),
        Err(err) => Err(ApiError::new(
            ErrorCode::InvalidSignature,
            format!("the signature for path length {path_length} is refused: {err}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::Address;
    use alloy::{primitives::B256, signers::local::PrivateKeySigner};
    use nxtp_primitives::sign_digest;
    use std::collections::BTreeMap;

    const HERE: Domain = Domain(2000);
    const THERE: Domain = Domain(3000);

    fn connext() -> ConnextSigningDomain {
        ConnextSigningDomain::new(31337, Address::repeat_byte(0xcc))
    }

    fn signed(signer: &PrivateKeySigner, id: B256, lengths: &[u32]) -> BidRequest {
        signed_for(&connext(), signer, id, lengths)
    }

    fn signed_for(
        domain: &ConnextSigningDomain,
        signer: &PrivateKeySigner,
        id: B256,
        lengths: &[u32],
    ) -> BidRequest {
        let signatures = lengths
            .iter()
            .map(|&n| {
                let signature =
                    sign_digest(signer, domain.router_bid_digest(id, n as usize)).expect("signs");
                (n, Bytes::copy_from_slice(&signature))
            })
            .collect();
        BidRequest {
            router: signer.address(),
            transfer_id: id,
            destination: None,
            signatures,
        }
    }

    #[test]
    fn accepts_valid_signatures() {
        let router = PrivateKeySigner::random();
        let bid = signed(&router, B256::repeat_byte(1), &[1, 2, 4]);
        let accepted = check(&bid, 5, &[(HERE, &connext())]).expect("valid");
        assert_eq!(
            accepted
                .signatures
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>(),
            [1, 2, 4]
        );
        assert_eq!(accepted.signed_for, HERE);
    }

    #[test]
    fn refuses_each_bad_bid_with_its_code() {
        let router = PrivateKeySigner::random();
        let other = PrivateKeySigner::random();
        let id = B256::repeat_byte(1);
        let code = |bid: &BidRequest, max| {
            check(bid, max, &[(HERE, &connext())])
                .expect_err("refused")
                .error
        };

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

    #[test]
    fn refuses_bids_signed_for_another_chain_or_connext() {
        let router = PrivateKeySigner::random();
        let id = B256::repeat_byte(1);
        let here = connext();
        for elsewhere in [
            ConnextSigningDomain::new(31338, Address::repeat_byte(0xcc)),
            ConnextSigningDomain::new(31337, Address::repeat_byte(0xdd)),
        ] {
            let bid = signed_for(&elsewhere, &router, id, &[1, 2]);
            assert!(check(&bid, 5, &[(THERE, &elsewhere)]).is_ok());
            assert_eq!(
                check(&bid, 5, &[(HERE, &here)]).expect_err("refused").error,
                ErrorCode::InvalidSignature
            );
            // Transfer not known yet: signed for one of the served destinations is enough for
            // now, and which one is told; the destination itself refuses it later.
            let checked = check(&bid, 5, &[(HERE, &here), (THERE, &elsewhere)]).expect("valid");
            assert_eq!(checked.signed_for, THERE);
            assert!(verify(&here, id, router.address(), 1, &bid.signatures[&1]).is_err());
            assert!(check(&bid, 5, &[]).is_err(), "no destination served");

            // Signatures for two destinations in one bid: no destination has them all.
            let mut mixed = bid.clone();
            let for_here = signed_for(&here, &router, id, &[2]);
            mixed.signatures.insert(2, for_here.signatures[&2].clone());
            assert_eq!(
                check(&mixed, 5, &[(HERE, &here), (THERE, &elsewhere)])
                    .expect_err("refused")
                    .error,
                ErrorCode::InvalidSignature
            );
        }
    }
}
