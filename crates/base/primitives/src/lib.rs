//! Protocol types and encodings shared by every nxtp agent, each matching its Solidity
//! counterpart byte for byte: domains, messages and their Merkle tree, transfer ids, and the
//! EIP-712 statements that updaters, watchers, routers and sequencers sign; and [`Classify`], the
//! one test of whether a failure is worth retrying.

pub mod address;
pub mod classify;
pub mod domain;
pub mod fees;
pub mod merkle;
pub mod message;
pub mod redact;
pub mod signature;
pub mod transfer;
pub mod typed_data;

pub use address::{checked, parse_checked_address, AddressError, CheckedAddress};
pub use classify::Classify;
pub use domain::{address_to_bytes32, bytes32_to_address, Domain, NotAnAddress};
pub use merkle::{branch_root, MerkleError, MerklePath, MerkleTree, MultiProof, Proof, TREE_DEPTH};
pub use message::{Message, MessageBody, MessageError, MAX_MESSAGE_BODY_BYTES};
pub use redact::{looks_like_key, redact_keys};
pub use signature::{check_canonical, recover_digest, sign_digest, SignatureError};
pub use transfer::{transfer_id, TransferInfo, TransferStatus, UnknownTransferStatus};
pub use typed_data::{ConnextSigningDomain, HomeSigningDomain, ManagerSigningDomain};
