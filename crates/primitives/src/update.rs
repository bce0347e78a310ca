//! What the messaging layer's keys sign: the updater's root updates and the watchers' fraud
//! notices. Each is a hash signed with `personal_sign` (see [`crate::signature`]).

use crate::Domain;
use alloy::primitives::{keccak256, Address, B256};

/// Suffix that scopes every hash to this protocol, so an updater key's signature can never be
/// replayed as some other protocol's attestation.
pub const DOMAIN_HASH_SUFFIX: &[u8; 4] = b"NXTP";

/// `keccak256(abi.encodePacked(uint32 domain, "NXTP"))`: scopes signatures to one `Home`.
pub fn home_domain_hash(domain: Domain) -> B256 {
    let mut preimage = [0u8; 8];
    preimage[..4].copy_from_slice(&domain.get().to_be_bytes());
    preimage[4..].copy_from_slice(DOMAIN_HASH_SUFFIX);
    keccak256(preimage)
}

/// `keccak256(abi.encodePacked(homeDomainHash, oldRoot, newRoot))`: the updater's claim that
/// `domain`'s `Home` moved from `old_root` to `new_root`.
pub fn update_hash(domain: Domain, old_root: B256, new_root: B256) -> B256 {
    let mut preimage = [0u8; 96];
    preimage[..32].copy_from_slice(home_domain_hash(domain).as_slice());
    preimage[32..64].copy_from_slice(old_root.as_slice());
    preimage[64..].copy_from_slice(new_root.as_slice());
    keccak256(preimage)
}

/// `keccak256(abi.encodePacked(homeDomainHash(domain), uint32 domain, address updater, address replica))`:
/// a watcher's notice that `updater` of `domain` signed fraud, which halts `replica` (one notice per
/// Replica, so it cannot be replayed against a Replica enrolled later).
pub fn watcher_notice_hash(domain: Domain, updater: Address, replica: Address) -> B256 {
    let mut preimage = [0u8; 76];
    preimage[..32].copy_from_slice(home_domain_hash(domain).as_slice());
    preimage[32..36].copy_from_slice(&domain.get().to_be_bytes());
    preimage[36..56].copy_from_slice(updater.as_slice());
    preimage[56..].copy_from_slice(replica.as_slice());
    keccak256(preimage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{address, hex, B256};

    #[test]
    fn home_domain_hash_packs_domain_then_suffix() {
        assert_eq!(
            home_domain_hash(Domain(1000)),
            keccak256(hex!("000003e8" "4e585450"))
        );
    }

    #[test]
    fn update_hash_packs_three_words() {
        let (old, new) = (B256::repeat_byte(0xaa), B256::repeat_byte(0xbb));
        let mut preimage = home_domain_hash(Domain(7)).to_vec();
        preimage.extend_from_slice(&[0xaa; 32]);
        preimage.extend_from_slice(&[0xbb; 32]);
        assert_eq!(update_hash(Domain(7), old, new), keccak256(preimage));
    }

    #[test]
    fn watcher_notice_hash_packs_domain_and_addresses() {
        let updater = address!("0x00112233445566778899aabbccddeeff00112233");
        let replica = address!("0x33333333333333333333333333333333333333ff");
        let mut preimage = home_domain_hash(Domain(2000)).to_vec();
        preimage.extend_from_slice(&hex!(
            "000007d0" "00112233445566778899aabbccddeeff00112233" "33333333333333333333333333333333333333ff"
        ));
        assert_eq!(
            watcher_notice_hash(Domain(2000), updater, replica),
            keccak256(preimage)
        );
    }
}
