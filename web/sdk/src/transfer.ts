/** A transfer's identity and the bytes the contracts derive from it, byte for byte as Solidity computes them. */

import { encodeAbiParameters, encodePacked, type Hex, keccak256 } from "viem";
import { type TransferInfo, transferInfoParameter } from "./types.js";

/**
 * `abi.encode(info)`: Solidity's encoding of the struct as one value. The struct is dynamic (`callData`), so the
 * encoding starts with a 0x20 offset word.
 */
export function encodeTransferInfo(info: TransferInfo): Hex {
  return encodeAbiParameters([transferInfoParameter], [info]);
}

/** A transfer's id: `keccak256(abi.encode(info))`, recomputed by the destination on every call. */
export function computeTransferId(info: TransferInfo): Hex {
  return keccak256(encodeTransferInfo(info));
}

/**
 * The body of the message a transfer sends through the messaging layer (it reconciles the transfer on the
 * destination): `abi.encodePacked(uint32 canonicalDomain, bytes32 canonicalId, uint256 bridgedAmt, bytes32 transferId)`.
 */
export function encodeTransferMessageBody(info: TransferInfo): Hex {
  return encodePacked(
    ["uint32", "bytes32", "uint256", "bytes32"],
    [info.canonicalDomain, info.canonicalId, info.bridgedAmt, computeTransferId(info)],
  );
}

/** The key Connext files an asset under: `keccak256(abi.encode(canonicalId, canonicalDomain))`. */
export function computeAssetKey(canonicalId: Hex, canonicalDomain: number): Hex {
  return keccak256(
    encodeAbiParameters([{ type: "bytes32" }, { type: "uint32" }], [canonicalId, canonicalDomain]),
  );
}
