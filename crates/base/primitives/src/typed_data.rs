//! What every nxtp key signs, as EIP-712 typed data: the statement's struct and the signing domain of
//! the contract that verifies it. A digest is `keccak256("\x19\x01" || domainSeparator ||
//! hashStruct(message))`, the domain being `EIP712Domain(string name,string version,uint256
//! chainId,address verifyingContract)` with version "1". Naming the chain id and the verifying
//! contract makes a signature worthless on any other chain or deployment.
//!
//! | statement | signer | verifier (domain name) |
//! |---|---|---|
//! | [`RouterBid`] | router | destination `Connext` ("nxtp Connext") |
//! | [`RouterSelection`] | sequencer | destination `Connext` ("nxtp Connext") |
//! | [`Update`] | updater | origin `Home` ("nxtp Home"), and every `Replica` of it |
//! | [`WatcherNotice`] | watcher | destination `ConnectionManager` ("nxtp ConnectionManager") |
//!
//! The Solidity side is `SignatureVerifier`, `EIP712`, `LiquidityHashes` and `MessagingHashes`;
//! `contracts/test/vectors/*.json` holds digests both sides must agree on.

use crate::Domain;
use alloy::{
    primitives::{keccak256, Address, B256, U256},
    sol,
    sol_types::{Eip712Domain, SolStruct},
};
use std::borrow::Cow;

/// The EIP-712 domain name of a `Connext`.
pub const CONNEXT_NAME: &str = "nxtp Connext";
/// The EIP-712 domain name of a `Home`.
pub const HOME_NAME: &str = "nxtp Home";
/// The EIP-712 domain name of a `ConnectionManager`.
pub const CONNECTION_MANAGER_NAME: &str = "nxtp ConnectionManager";
/// The version of every nxtp signing domain.
pub const VERSION: &str = "1";

sol! {
    /// A router's bid to front a transfer as one of `pathLength` routers sharing it.
    #[derive(Debug, PartialEq, Eq)]
    struct RouterBid {
        /// The transfer.
        bytes32 transferId;
        /// How many routers share the transfer (each fronts an equal share).
        uint256 pathLength;
    }

    /// The sequencer's choice of the routers (in order) that front a transfer.
    #[derive(Debug, PartialEq, Eq)]
    struct RouterSelection {
        /// The transfer.
        bytes32 transferId;
        /// The chosen routers, in the order `execute` receives them.
        address[] routers;
    }

    /// The updater's claim that the Home of `homeDomain` moved from `oldRoot` to `newRoot`.
    #[derive(Debug, PartialEq, Eq)]
    struct Update {
        /// The origin domain whose Home produced the roots.
        uint32 homeDomain;
        /// The committed root the update starts from.
        bytes32 oldRoot;
        /// The root it moves to.
        bytes32 newRoot;
    }

    /// A watcher's notice that `updater`, signing for `homeDomain`, committed fraud: it halts
    /// `replica` (only that one).
    #[derive(Debug, PartialEq, Eq)]
    struct WatcherNotice {
        /// The origin domain whose updater was caught.
        uint32 homeDomain;
        /// The caught updater key.
        address updater;
        /// The Replica to halt.
        address replica;
    }
}

fn eip712_domain(name: &'static str, chain_id: u64, verifying_contract: Address) -> Eip712Domain {
    Eip712Domain::new(
        Some(Cow::Borrowed(name)),
        Some(Cow::Borrowed(VERSION)),
        Some(U256::from(chain_id)),
        Some(verifying_contract),
        None,
    )
}

/// `keccak256("\x19\x01" || separator || struct_hash)`.
fn typed_digest(separator: B256, struct_hash: B256) -> B256 {
    let mut preimage = [0u8; 66];
    preimage[0] = 0x19;
    preimage[1] = 0x01;
    preimage[2..34].copy_from_slice(separator.as_slice());
    preimage[34..].copy_from_slice(struct_hash.as_slice());
    keccak256(preimage)
}

/// One verifying contract's signing domain: its name, chain id and address, and the separator
/// computed once from them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct SigningDomain {
    name: &'static str,
    chain_id: u64,
    verifying_contract: Address,
    separator: B256,
}

impl SigningDomain {
    fn new(name: &'static str, chain_id: u64, verifying_contract: Address) -> Self {
        Self {
            name,
            chain_id,
            verifying_contract,
            separator: eip712_domain(name, chain_id, verifying_contract).separator(),
        }
    }

    fn eip712(&self) -> Eip712Domain {
        eip712_domain(self.name, self.chain_id, self.verifying_contract)
    }

    fn digest(&self, statement: &impl SolStruct) -> B256 {
        typed_digest(self.separator, statement.eip712_hash_struct())
    }
}

/// The signing domain of one `Connext`: router bids and sequencer selections it verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnextSigningDomain(SigningDomain);

impl ConnextSigningDomain {
    /// The domain of the `Connext` at `connext` on chain `chain_id`.
    pub fn new(chain_id: u64, connext: Address) -> Self {
        Self(SigningDomain::new(CONNEXT_NAME, chain_id, connext))
    }

    /// The EIP-712 domain.
    pub fn eip712(&self) -> Eip712Domain {
        self.0.eip712()
    }

    /// The domain separator.
    pub fn separator(&self) -> B256 {
        self.0.separator
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.0.chain_id
    }

    /// The verifying `Connext`.
    pub fn connext(&self) -> Address {
        self.0.verifying_contract
    }

    /// What a router signs to bid on `transfer_id` as one of `path_length` routers.
    pub fn router_bid_digest(&self, transfer_id: B256, path_length: usize) -> B256 {
        self.0.digest(&RouterBid {
            transferId: transfer_id,
            pathLength: U256::from(path_length),
        })
    }

    /// What the sequencer signs to pick `routers` (in order) for `transfer_id`.
    pub fn router_selection_digest(&self, transfer_id: B256, routers: &[Address]) -> B256 {
        self.0.digest(&RouterSelection {
            transferId: transfer_id,
            routers: routers.to_vec(),
        })
    }
}

/// The signing domain of one `Home`: the updates of its domain, verified by the Home and by
/// every Replica of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HomeSigningDomain {
    home_domain: Domain,
    domain: SigningDomain,
}

impl HomeSigningDomain {
    /// The domain of the `Home` of `home_domain` at `home` on chain `chain_id`.
    pub fn new(home_domain: Domain, chain_id: u64, home: Address) -> Self {
        Self {
            home_domain,
            domain: SigningDomain::new(HOME_NAME, chain_id, home),
        }
    }

    /// The nxtp domain whose Home this is.
    pub fn home_domain(&self) -> Domain {
        self.home_domain
    }

    /// The EIP-712 domain.
    pub fn eip712(&self) -> Eip712Domain {
        self.domain.eip712()
    }

    /// The domain separator.
    pub fn separator(&self) -> B256 {
        self.domain.separator
    }

    /// The chain id of the Home's chain.
    pub fn chain_id(&self) -> u64 {
        self.domain.chain_id
    }

    /// The Home.
    pub fn home(&self) -> Address {
        self.domain.verifying_contract
    }

    /// What the updater signs to move the Home from `old_root` to `new_root`.
    pub fn update_digest(&self, old_root: B256, new_root: B256) -> B256 {
        self.domain.digest(&Update {
            homeDomain: self.home_domain.get(),
            oldRoot: old_root,
            newRoot: new_root,
        })
    }
}

/// The signing domain of one `ConnectionManager`: the watcher notices it acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ManagerSigningDomain(SigningDomain);

impl ManagerSigningDomain {
    /// The domain of the `ConnectionManager` at `manager` on chain `chain_id`.
    pub fn new(chain_id: u64, manager: Address) -> Self {
        Self(SigningDomain::new(
            CONNECTION_MANAGER_NAME,
            chain_id,
            manager,
        ))
    }

    /// The EIP-712 domain.
    pub fn eip712(&self) -> Eip712Domain {
        self.0.eip712()
    }

    /// The domain separator.
    pub fn separator(&self) -> B256 {
        self.0.separator
    }

    /// What a watcher signs to halt `replica`, the Replica of `home_domain` whose updater
    /// `updater` it caught.
    pub fn watcher_notice_digest(
        &self,
        home_domain: Domain,
        updater: Address,
        replica: Address,
    ) -> B256 {
        self.0.digest(&WatcherNotice {
            homeDomain: home_domain.get(),
            updater,
            replica,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::address;

    /// The EIP-712 digest computed by hand from the type strings.
    fn by_hand(name: &str, chain_id: u64, contract: Address, struct_hash: B256) -> B256 {
        let mut domain = Vec::new();
        domain.extend_from_slice(
            keccak256(
                "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
            )
            .as_slice(),
        );
        domain.extend_from_slice(keccak256(name).as_slice());
        domain.extend_from_slice(keccak256("1").as_slice());
        domain.extend_from_slice(&U256::from(chain_id).to_be_bytes::<32>());
        domain.extend_from_slice(contract.into_word().as_slice());
        let mut digest = vec![0x19, 0x01];
        digest.extend_from_slice(keccak256(domain).as_slice());
        digest.extend_from_slice(struct_hash.as_slice());
        keccak256(digest)
    }

    fn words(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    const CONTRACT: Address = address!("0x00112233445566778899aabbccddeeff00112233");

    #[test]
    fn router_bid_matches_the_type_string() {
        let id = B256::repeat_byte(0x11);
        let struct_hash = keccak256(words(&[
            keccak256("RouterBid(bytes32 transferId,uint256 pathLength)").as_slice(),
            id.as_slice(),
            &U256::from(3).to_be_bytes::<32>(),
        ]));
        assert_eq!(
            ConnextSigningDomain::new(10, CONTRACT).router_bid_digest(id, 3),
            by_hand("nxtp Connext", 10, CONTRACT, struct_hash)
        );
    }

    #[test]
    fn router_selection_hashes_the_array_words() {
        let id = B256::repeat_byte(0x22);
        let routers = [Address::repeat_byte(0xaa), Address::repeat_byte(0xbb)];
        let array = keccak256(words(&[
            routers[0].into_word().as_slice(),
            routers[1].into_word().as_slice(),
        ]));
        let struct_hash = keccak256(words(&[
            keccak256("RouterSelection(bytes32 transferId,address[] routers)").as_slice(),
            id.as_slice(),
            array.as_slice(),
        ]));
        assert_eq!(
            ConnextSigningDomain::new(1, CONTRACT).router_selection_digest(id, &routers),
            by_hand("nxtp Connext", 1, CONTRACT, struct_hash)
        );
    }

    #[test]
    fn update_and_notice_match_their_type_strings() {
        let (old, new) = (B256::repeat_byte(0xaa), B256::repeat_byte(0xbb));
        let struct_hash = keccak256(words(&[
            keccak256("Update(uint32 homeDomain,bytes32 oldRoot,bytes32 newRoot)").as_slice(),
            &U256::from(1000).to_be_bytes::<32>(),
            old.as_slice(),
            new.as_slice(),
        ]));
        assert_eq!(
            HomeSigningDomain::new(Domain(1000), 31337, CONTRACT).update_digest(old, new),
            by_hand("nxtp Home", 31337, CONTRACT, struct_hash)
        );

        let (updater, replica) = (Address::repeat_byte(0x01), Address::repeat_byte(0x02));
        let struct_hash = keccak256(words(&[
            keccak256("WatcherNotice(uint32 homeDomain,address updater,address replica)")
                .as_slice(),
            &U256::from(2000).to_be_bytes::<32>(),
            updater.into_word().as_slice(),
            replica.into_word().as_slice(),
        ]));
        assert_eq!(
            ManagerSigningDomain::new(5, CONTRACT).watcher_notice_digest(
                Domain(2000),
                updater,
                replica
            ),
            by_hand("nxtp ConnectionManager", 5, CONTRACT, struct_hash)
        );
    }

    #[test]
    fn digests_equal_alloys_signing_hash() {
        let domain = ConnextSigningDomain::new(42, CONTRACT);
        let bid = RouterBid {
            transferId: B256::repeat_byte(5),
            pathLength: U256::from(2),
        };
        assert_eq!(
            domain.router_bid_digest(B256::repeat_byte(5), 2),
            bid.eip712_signing_hash(&domain.eip712())
        );
        let home = HomeSigningDomain::new(Domain(7), 42, CONTRACT);
        let update = Update {
            homeDomain: 7,
            oldRoot: B256::repeat_byte(1),
            newRoot: B256::repeat_byte(2),
        };
        assert_eq!(
            home.update_digest(B256::repeat_byte(1), B256::repeat_byte(2)),
            update.eip712_signing_hash(&home.eip712())
        );
    }

    #[test]
    fn chain_and_contract_change_every_digest() {
        let id = B256::repeat_byte(0x33);
        let other = Address::repeat_byte(0x44);
        let here = ConnextSigningDomain::new(1, CONTRACT);
        assert_ne!(
            here.router_bid_digest(id, 1),
            ConnextSigningDomain::new(2, CONTRACT).router_bid_digest(id, 1)
        );
        assert_ne!(
            here.router_bid_digest(id, 1),
            ConnextSigningDomain::new(1, other).router_bid_digest(id, 1)
        );
        let home = HomeSigningDomain::new(Domain(1000), 1, CONTRACT);
        assert_ne!(
            home.update_digest(id, id),
            HomeSigningDomain::new(Domain(1000), 1, other).update_digest(id, id)
        );
        assert_ne!(
            home.update_digest(id, id),
            HomeSigningDomain::new(Domain(1000), 2, CONTRACT).update_digest(id, id)
        );
    }
}
