//! The depth-32 incremental Merkle tree `Home` keeps over message leaves (the eth2 deposit
//! contract's construction, as in Nomad), with inclusion proofs for `Replica.prove`.
//!
//! Unfilled positions hold the zero hashes `Z[0] = 0`, `Z[h + 1] = keccak256(Z[h] || Z[h])`, so the
//! empty tree's root is `Z[32]`.

use alloy::primitives::{keccak256, B256};
use std::sync::LazyLock;

mod multiproof;

pub use multiproof::MultiProof;

/// Height of the tree: leaves sit at height 0, the root at height `TREE_DEPTH`.
pub const TREE_DEPTH: usize = 32;

/// Most leaves a tree holds. One short of `2^32`, as in the contracts, so a count always fits in
/// a `uint32`.
pub const MAX_LEAVES: u32 = u32::MAX;

/// The 32 sibling hashes proving one leaf, ordered from the leaf's sibling up to the root's
/// children.
pub type MerklePath = [B256; TREE_DEPTH];

static ZERO_HASHES: LazyLock<[B256; TREE_DEPTH + 1]> = LazyLock::new(|| {
    let mut zeros = [B256::ZERO; TREE_DEPTH + 1];
    for height in 0..TREE_DEPTH {
        zeros[height + 1] = hash_pair(zeros[height], zeros[height]);
    }
    zeros
});

/// `Z[h]`: the root of an empty subtree of height `h`, for `h` in `0..=32`.
pub fn zero_hashes() -> &'static [B256; TREE_DEPTH + 1] {
    &ZERO_HASHES
}

/// The root a proof implies: the contracts' `branchRoot`.
///
/// Bit `h` of `index` says whether the node at height `h` is a right child (its sibling on the
/// left) or a left child.
pub fn branch_root(leaf: B256, path: &MerklePath, index: u32) -> B256 {
    path.iter()
        .enumerate()
        .fold(leaf, |node, (height, sibling)| {
            if (u64::from(index) >> height) & 1 == 1 {
                hash_pair(*sibling, node)
            } else {
                hash_pair(node, *sibling)
            }
        })
}

/// Why a tree operation was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MerkleError {
    /// The tree already holds [`MAX_LEAVES`].
    #[error("merkle tree is full")]
    Full,
    /// A snapshot asked for more leaves than the tree holds.
    #[error("tree holds {count} leaves, cannot show it at {requested}")]
    CountOutOfRange {
        /// Leaves asked for.
        requested: u32,
        /// Leaves held.
        count: u32,
    },
    /// A proof asked for a leaf outside the snapshot.
    #[error("no leaf {index} in a tree of {count} leaves")]
    IndexOutOfRange {
        /// Leaf asked for.
        index: u32,
        /// Leaves in the snapshot.
        count: u32,
    },
    /// A multiproof's indices are empty, not strictly increasing, not one per leaf, or include
    /// [`MAX_LEAVES`].
    #[error("multiproof indices must be strictly increasing, one per leaf, below 2^32 - 1")]
    InvalidMultiproofIndices,
    /// A multiproof has too few or too many sibling hashes.
    #[error("multiproof has the wrong number of sibling hashes")]
    InvalidMultiproofLength,
}

/// An inclusion proof: `leaf` sits at `index` under [`Proof::root`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// The proven leaf.
    pub leaf: B256,
    /// Its position in the tree.
    pub index: u32,
    /// Its siblings, bottom up.
    pub path: MerklePath,
}

impl Proof {
    /// The root this proof proves inclusion under.
    pub fn root(&self) -> B256 {
        branch_root(self.leaf, &self.path, self.index)
    }
}

/// A tree that keeps every leaf, so it can prove any of them under its current root or any
/// earlier one.
///
/// Only complete subtrees are stored (`levels[h][j]` covers leaves `j * 2^h .. (j + 1) * 2^h`,
/// all present): about two nodes per leaf, and an insert hashes once on average. Nodes on the
/// right edge, part filled and part zero, are recomputed per query in at most 32 hashes, so
/// any snapshot of the tree is available without storing it.
#[derive(Clone, Debug, Default)]
pub struct MerkleTree {
    // A complete node at height 32 would need 2^32 leaves, one more than `MAX_LEAVES`.
    levels: [Vec<B256>; TREE_DEPTH],
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves inserted.
    pub fn count(&self) -> u32 {
        // `insert` keeps the length within `MAX_LEAVES`, so this cannot truncate.
        self.levels[0].len() as u32
    }

    /// The leaves, in insertion order.
    pub fn leaves(&self) -> &[B256] {
        &self.levels[0]
    }

    /// Appends a leaf and returns its index.
    pub fn insert(&mut self, leaf: B256) -> Result<u32, MerkleError> {
        let index = self.count();
        if index == MAX_LEAVES {
            return Err(MerkleError::Full);
        }
        let mut node = leaf;
        for level in &mut self.levels {
            level.push(node);
            // An odd length means the new node is a left child still waiting for its sibling.
            match level.as_slice() {
                [.., left, right] if level.len() % 2 == 0 => node = hash_pair(*left, *right),
                _ => break,
            }
        }
        Ok(index)
    }

    /// The current root.
    pub fn root(&self) -> B256 {
        self.frontier(self.count())[TREE_DEPTH]
    }

    /// The root the tree had when it held its first `count` leaves.
    pub fn root_at(&self, count: u32) -> Result<B256, MerkleError> {
        self.check_count(count)?;
        Ok(self.frontier(count)[TREE_DEPTH])
    }

    /// A proof of leaf `index` under the current root.
    pub fn proof(&self, index: u32) -> Result<Proof, MerkleError> {
        self.proof_at(index, self.count())
    }

    /// A proof of leaf `index` under [`MerkleTree::root_at`]`(count)`: a `Replica` proves against
    /// the root it has accepted, which may lag the `Home`'s latest.
    pub fn proof_at(&self, index: u32, count: u32) -> Result<Proof, MerkleError> {
        self.check_count(count)?;
        if index >= count {
            return Err(MerkleError::IndexOutOfRange { index, count });
        }
        let frontier = self.frontier(count);
        let path = std::array::from_fn(|height| {
            let sibling = (u64::from(index) >> height) ^ 1;
            self.node(&frontier, count, height, sibling)
        });
        Ok(Proof {
            leaf: self.levels[0][index as usize],
            index,
            path,
        })
    }

    fn check_count(&self, requested: u32) -> Result<(), MerkleError> {
        let count = self.count();
        if requested > count {
            return Err(MerkleError::CountOutOfRange { requested, count });
        }
        Ok(())
    }

    /// The node at `position` on level `height` of the tree as it was at `count` leaves, given
    /// that snapshot's [`MerkleTree::frontier`].
    fn node(
        &self,
        frontier: &[B256; TREE_DEPTH + 1],
        count: u32,
        height: usize,
        position: u64,
    ) -> B256 {
        let complete = u64::from(count) >> height;
        if position < complete {
            self.levels[height][position as usize]
        } else if position == complete {
            frontier[height]
        } else {
            zero_hashes()[height]
        }
    }

    /// For the tree as it was at `count` leaves: at each height, the first node that is not
    /// complete (partly filled, or empty and so a zero hash). At height 32 that is the root.
    fn frontier(&self, count: u32) -> [B256; TREE_DEPTH + 1] {
        let zeros = zero_hashes();
        let count = u64::from(count);
        let mut frontier = *zeros;
        for height in 0..TREE_DEPTH {
            // The frontier node at height + 1 has children 2c and 2c + 1; the frontier node at
            // `height` is whichever of them is not complete.
            let parent = count >> (height + 1);
            let complete = count >> height;
            let frontier_empty = count & ((1 << height) - 1) == 0;
            frontier[height + 1] = if complete == 2 * parent + 1 {
                hash_pair(self.levels[height][2 * parent as usize], frontier[height])
            } else if frontier_empty {
                zeros[height + 1]
            } else {
                hash_pair(frontier[height], zeros[height])
            };
        }
        frontier
    }
}

fn hash_pair(left: B256, right: B256) -> B256 {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(left.as_slice());
    preimage[32..].copy_from_slice(right.as_slice());
    keccak256(preimage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::b256;
    use proptest::prelude::*;

    /// The root by building every level in full, padding odd levels with the zero hash.
    pub(super) fn naive_root(leaves: &[B256]) -> B256 {
        let mut level = leaves.to_vec();
        for height in 0..TREE_DEPTH {
            if level.len() % 2 == 1 {
                level.push(zero_hashes()[height]);
            }
            level = level
                .chunks(2)
                .map(|pair| hash_pair(pair[0], pair[1]))
                .collect();
        }
        level.first().copied().unwrap_or(zero_hashes()[TREE_DEPTH])
    }

    pub(super) fn tree_of(leaves: &[B256]) -> MerkleTree {
        let mut tree = MerkleTree::new();
        for leaf in leaves {
            tree.insert(*leaf).expect("tree has room");
        }
        tree
    }

    pub(super) fn leaves_strategy(max: usize) -> impl Strategy<Value = Vec<B256>> {
        prop::collection::vec(any::<[u8; 32]>().prop_map(B256::from), 0..max)
    }

    #[test]
    fn empty_root_is_the_top_zero_hash() {
        let root = b256!("0x27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757");
        assert_eq!(zero_hashes()[TREE_DEPTH], root);
        assert_eq!(MerkleTree::new().root(), root);
        assert_eq!(naive_root(&[]), root);
    }

    #[test]
    fn out_of_range_requests_are_refused() {
        let tree = tree_of(&[B256::repeat_byte(1), B256::repeat_byte(2)]);
        assert_eq!(
            tree.proof(2),
            Err(MerkleError::IndexOutOfRange { index: 2, count: 2 })
        );
        assert_eq!(
            tree.proof_at(1, 1),
            Err(MerkleError::IndexOutOfRange { index: 1, count: 1 })
        );
        assert_eq!(
            tree.root_at(3),
            Err(MerkleError::CountOutOfRange {
                requested: 3,
                count: 2
            })
        );
    }

    #[test]
    fn large_tree_proves_without_materializing_padding() {
        let leaves: Vec<B256> = (0u32..100_000)
            .map(|i| keccak256(i.to_be_bytes()))
            .collect();
        let tree = tree_of(&leaves);
        let root = tree.root();
        for index in [0, 1, 65_535, 65_536, 99_998, 99_999] {
            let proof = tree.proof(index).expect("index in range");
            assert_eq!(proof.leaf, leaves[index as usize]);
            assert_eq!(proof.root(), root);
        }
        let earlier = tree.proof_at(40_000, 50_001).expect("in range");
        assert_eq!(Ok(earlier.root()), tree.root_at(50_001));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn incremental_root_matches_full_recomputation(
            leaves in leaves_strategy(300),
            cut in any::<prop::sample::Index>(),
        ) {
            let tree = tree_of(&leaves);
            prop_assert_eq!(tree.leaves(), &leaves[..]);
            prop_assert_eq!(tree.count() as usize, leaves.len());
            prop_assert_eq!(tree.root(), naive_root(&leaves));
            let count = cut.index(leaves.len() + 1);
            prop_assert_eq!(tree.root_at(count as u32), Ok(naive_root(&leaves[..count])));
        }

        #[test]
        fn proofs_round_trip(
            leaves in leaves_strategy(300).prop_filter("need a leaf", |l| !l.is_empty()),
            at in any::<prop::sample::Index>(),
            pick in any::<prop::sample::Index>(),
        ) {
            let tree = tree_of(&leaves);
            let count = at.index(leaves.len()) + 1;
            let index = pick.index(count);
            let proof = tree.proof_at(index as u32, count as u32).expect("in range");
            let root = naive_root(&leaves[..count]);
            prop_assert_eq!(proof.leaf, leaves[index]);
            prop_assert_eq!(proof.root(), root);
            prop_assert_eq!(branch_root(proof.leaf, &proof.path, proof.index), root);
            // The path is bound to the index: a neighbour's index does not verify (unless the
            // leaf and its sibling are equal, which makes the two orders hash alike).
            if proof.path[0] != proof.leaf {
                prop_assert_ne!(branch_root(proof.leaf, &proof.path, proof.index ^ 1), root);
            }
        }
    }
}
