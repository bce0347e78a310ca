//! Inputs the fuzz targets (`fuzz/`) found, replayed as ordinary tests so `make test` keeps them.

use alloy::primitives::{keccak256, B256};
use nxtp_primitives::{branch_root, merkle::MAX_LEAVES, MerkleError, MultiProof, TREE_DEPTH};

/// `fuzz/corpus/multiproof/regression-max-leaves-single`: a one-leaf multiproof at index
/// `2^32 - 1` (one past the last leaf a tree can hold) is refused, as the contracts refuse that
/// index for single and batch proofs alike, although `branch_root` would compute a root for it.
/// Any other index gives exactly the single proof's root.
#[test]
fn one_leaf_multiproof_at_max_leaves_is_refused() {
    let leaf = keccak256(b"leaf");
    let path: [B256; TREE_DEPTH] = std::array::from_fn(|i| keccak256([i as u8]));
    let at = |index: u32| MultiProof {
        leaves: vec![leaf],
        indices: vec![index],
        proof: path.to_vec(),
    };
    assert_eq!(
        at(MAX_LEAVES).root(),
        Err(MerkleError::InvalidMultiproofIndices)
    );
    for index in [0, 1, MAX_LEAVES - 1] {
        assert_eq!(at(index).root(), Ok(branch_root(leaf, &path, index)));
    }
}
