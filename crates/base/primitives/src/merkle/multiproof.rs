//! Multiproofs: several leaves proven under one root with each shared sibling sent once, as
//! `Replica` checks a batch of messages in one call (`MerkleTree.multiRoot` in the contracts).
//!
//! Both sides walk the tree level by level from the bottom, keeping the known nodes sorted by
//! position. Two known nodes that are siblings combine; any other known node takes the next
//! proof element as its sibling. The proof is therefore ordered level by level from the
//! bottom, left to right within a level.

use super::{hash_pair, MerkleError, MerkleTree, MAX_LEAVES, TREE_DEPTH};
use alloy::primitives::B256;

/// Leaves at `indices` and the siblings that prove them under one root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultiProof {
    /// The proven leaves, in index order.
    pub leaves: Vec<B256>,
    /// Their positions, strictly increasing.
    pub indices: Vec<u32>,
    /// The siblings not computable from the leaves, in the order the walk consumes them.
    pub proof: Vec<B256>,
}

impl MultiProof {
    /// The root the proof implies, refusing what the contracts' `multiRoot` refuses: no leaves,
    /// indices that are not one per leaf and strictly increasing, or a proof of the wrong
    /// length.
    pub fn root(&self) -> Result<B256, MerkleError> {
        check_indices(&self.indices)?;
        if self.indices.len() != self.leaves.len() {
            return Err(MerkleError::InvalidMultiproofIndices);
        }
        let mut nodes: Vec<(u64, B256)> = self
            .indices
            .iter()
            .map(|&index| u64::from(index))
            .zip(self.leaves.iter().copied())
            .collect();
        let mut siblings = self.proof.iter().copied();
        for _ in 0..TREE_DEPTH {
            let mut parents = Vec::with_capacity(nodes.len());
            let mut i = 0;
            while let Some(&(position, node)) = nodes.get(i) {
                let parent = match nodes.get(i + 1) {
                    Some(&(next, right)) if position % 2 == 0 && next == position + 1 => {
                        i += 1;
                        hash_pair(node, right)
                    }
                    _ => {
                        let sibling = siblings
                            .next()
                            .ok_or(MerkleError::InvalidMultiproofLength)?;
                        if position % 2 == 0 {
                            hash_pair(node, sibling)
                        } else {
                            hash_pair(sibling, node)
                        }
                    }
                };
                parents.push((position >> 1, parent));
                i += 1;
            }
            nodes = parents;
        }
        if siblings.next().is_some() {
            return Err(MerkleError::InvalidMultiproofLength);
        }
        // Thirty-two halvings merge distinct positions below 2^32 into the single root node.
        nodes
            .first()
            .map(|&(_, root)| root)
            .ok_or(MerkleError::InvalidMultiproofIndices)
    }
}

impl MerkleTree {
    /// A multiproof of the leaves at `indices` (strictly increasing) under
    /// [`MerkleTree::root_at`]`(count)`.
    pub fn multiproof_at(&self, indices: &[u32], count: u32) -> Result<MultiProof, MerkleError> {
        self.check_count(count)?;
        check_indices(indices)?;
        if let Some(&index) = indices.iter().find(|&&index| index >= count) {
            return Err(MerkleError::IndexOutOfRange { index, count });
        }
        let frontier = self.frontier(count);
        let mut positions: Vec<u64> = indices.iter().map(|&index| u64::from(index)).collect();
        let mut proof = Vec::new();
        for height in 0..TREE_DEPTH {
            let mut i = 0;
            while let Some(&position) = positions.get(i) {
                let paired = position % 2 == 0 && positions.get(i + 1) == Some(&(position + 1));
                if paired {
                    i += 1;
                } else {
                    proof.push(self.node(&frontier, count, height, position ^ 1));
                }
                i += 1;
            }
            positions = positions.iter().map(|position| position >> 1).collect();
            positions.dedup();
        }
        Ok(MultiProof {
            leaves: indices
                .iter()
                .map(|&index| self.levels[0][index as usize])
                .collect(),
            indices: indices.to_vec(),
            proof,
        })
    }
}

fn check_indices(indices: &[u32]) -> Result<(), MerkleError> {
    let increasing = indices.windows(2).all(|pair| pair[0] < pair[1]);
    if indices.is_empty() || !increasing || indices.contains(&MAX_LEAVES) {
        return Err(MerkleError::InvalidMultiproofIndices);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::{leaves_strategy, naive_root, tree_of};
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn malformed_multiproofs_are_refused() {
        let leaves: Vec<B256> = (0u8..5).map(B256::repeat_byte).collect();
        let tree = tree_of(&leaves);
        let good = tree.multiproof_at(&[1, 3], 5).expect("in range");
        assert_eq!(good.root(), Ok(tree.root()));

        let mut short = good.clone();
        short.proof.pop();
        assert_eq!(short.root(), Err(MerkleError::InvalidMultiproofLength));
        let mut long = good.clone();
        long.proof.push(B256::ZERO);
        assert_eq!(long.root(), Err(MerkleError::InvalidMultiproofLength));
        let mut unordered = good.clone();
        unordered.indices.reverse();
        assert_eq!(unordered.root(), Err(MerkleError::InvalidMultiproofIndices));
        let mut uneven = good;
        uneven.leaves.pop();
        assert_eq!(uneven.root(), Err(MerkleError::InvalidMultiproofIndices));

        assert_eq!(
            tree.multiproof_at(&[], 5),
            Err(MerkleError::InvalidMultiproofIndices)
        );
        assert_eq!(
            tree.multiproof_at(&[2, 2], 5),
            Err(MerkleError::InvalidMultiproofIndices)
        );
        assert_eq!(
            tree.multiproof_at(&[1, 4], 4),
            Err(MerkleError::IndexOutOfRange { index: 4, count: 4 })
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn multiproofs_round_trip(
            leaves in leaves_strategy(200).prop_filter("need a leaf", |l| !l.is_empty()),
            at in any::<prop::sample::Index>(),
            chosen in prop::collection::vec(any::<prop::sample::Index>(), 1..20),
        ) {
            let tree = tree_of(&leaves);
            let count = at.index(leaves.len()) + 1;
            let mut indices: Vec<u32> = chosen.iter().map(|i| i.index(count) as u32).collect();
            indices.sort_unstable();
            indices.dedup();
            let multi = tree.multiproof_at(&indices, count as u32).expect("in range");
            prop_assert_eq!(multi.root(), Ok(naive_root(&leaves[..count])));
            // Shared siblings are sent once: never more than separate proofs would send.
            prop_assert!(multi.proof.len() <= indices.len() * TREE_DEPTH);
            if let [index] = indices[..] {
                let single = tree.proof_at(index, count as u32).expect("in range");
                prop_assert_eq!(&multi.proof[..], &single.path[..]);
            }
        }
    }
}
