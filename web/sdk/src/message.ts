/**
 * The messaging layer's bytes: a message as `Home.dispatch` encodes it, its leaf, and the depth-32 Merkle tree
 * the Home appends leaves to (roots and single-leaf proofs), as the contracts compute them.
 */

import { concat, encodePacked, type Hex, keccak256 } from "viem";

/** A message between domains. `sender` and `recipient` are 32-byte words (an address left-padded). */
export interface Message {
  readonly origin: number;
  readonly sender: Hex;
  readonly nonce: number;
  readonly destination: number;
  readonly recipient: Hex;
  readonly body: Hex;
}

/** `abi.encodePacked(uint32 origin, bytes32 sender, uint32 nonce, uint32 destination, bytes32 recipient, body)`. */
export function encodeMessage(message: Message): Hex {
  return encodePacked(
    ["uint32", "bytes32", "uint32", "uint32", "bytes32", "bytes"],
    [message.origin, message.sender, message.nonce, message.destination, message.recipient, message.body],
  );
}

/** The leaf a Home appends for a message: `keccak256(encoded message)`. */
export function messageLeaf(message: Message): Hex {
  return keccak256(encodeMessage(message));
}

/** The depth of every Home's tree. */
export const TREE_DEPTH = 32;

const ZERO_WORD: Hex = `0x${"00".repeat(32)}`;

/** The root of an all-zero subtree of each height: `zeroHashes[0]` is the zero leaf. */
function zeroHashes(): Hex[] {
  const zeros: Hex[] = [ZERO_WORD];
  for (let height = 1; height <= TREE_DEPTH; height++) {
    const below = zeros[height - 1] as Hex;
    zeros.push(keccak256(concat([below, below])));
  }
  return zeros;
}

/** The root of a depth-32 tree holding `leaves` (in insertion order), the rest of it zero leaves. */
export function merkleRoot(leaves: readonly Hex[]): Hex {
  const zeros = zeroHashes();
  let level: Hex[] = [...leaves];
  for (let height = 0; height < TREE_DEPTH; height++) {
    const next: Hex[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i] as Hex;
      const right = level[i + 1] ?? (zeros[height] as Hex);
      next.push(keccak256(concat([left, right])));
    }
    level = next.length > 0 ? next : [zeros[height + 1] as Hex];
  }
  return level[0] as Hex;
}

/** The root a leaf at `index` proves with its 32 sibling hashes `path` (leaf level first). */
export function branchRoot(leaf: Hex, path: readonly Hex[], index: number): Hex {
  if (path.length !== TREE_DEPTH)
    throw new RangeError(`a proof has ${TREE_DEPTH} hashes, not ${path.length}`);
  let node = leaf;
  for (let height = 0; height < TREE_DEPTH; height++) {
    const sibling = path[height] as Hex;
    const isRight = Math.floor(index / 2 ** height) % 2 === 1;
    node = keccak256(isRight ? concat([sibling, node]) : concat([node, sibling]));
  }
  return node;
}
