/**
 * The EIP-712 statements nxtp keys sign (docs/signatures.md): each bound to the one contract that acts on it
 * (its name, chain id and address). Digests here match the contracts and the Rust agents byte for byte; a
 * signature is checked with the contracts' rules (65 bytes, `v` 27 or 28, `s` in the lower half of the curve).
 */

import {
  type Address,
  type Hex,
  hashDomain,
  hashStruct,
  hashTypedData,
  hexToBigInt,
  recoverAddress,
  size,
  slice,
  type TypedDataDomain,
} from "viem";

/** The version of every nxtp signing domain. */
export const SIGNING_VERSION = "1";
/** The domain name `Connext` signs under (router bids, sequencer selections). */
export const CONNEXT_SIGNING_NAME = "nxtp Connext";
/** The domain name a `Home` signs under (updates). */
export const HOME_SIGNING_NAME = "nxtp Home";
/** The domain name a `ConnectionManager` signs under (watcher notices). */
export const MANAGER_SIGNING_NAME = "nxtp ConnectionManager";

/** The typed-data types of the four statements. */
export const signingTypes = {
  RouterBid: [
    { name: "transferId", type: "bytes32" },
    { name: "pathLength", type: "uint256" },
  ],
  RouterSelection: [
    { name: "transferId", type: "bytes32" },
    { name: "routers", type: "address[]" },
  ],
  Update: [
    { name: "homeDomain", type: "uint32" },
    { name: "oldRoot", type: "bytes32" },
    { name: "newRoot", type: "bytes32" },
  ],
  WatcherNotice: [
    { name: "homeDomain", type: "uint32" },
    { name: "updater", type: "address" },
    { name: "replica", type: "address" },
  ],
} as const;

const EIP712_DOMAIN = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
] as const;

/** A signing domain: the contract's name, and the chain and address it runs at. */
export interface SigningDomain extends TypedDataDomain {
  readonly name: string;
  readonly version: string;
  readonly chainId: bigint;
  readonly verifyingContract: Address;
}

/** A signing domain: the contract's name, and the chain and address it runs at. */
export function signingDomain(
  name: string,
  chainId: number | bigint,
  verifyingContract: Address,
): SigningDomain {
  return { name, version: SIGNING_VERSION, chainId: BigInt(chainId), verifyingContract };
}

/** A domain's separator, as the contract computes it. */
export function domainSeparator(domain: SigningDomain): Hex {
  return hashDomain({ domain: { ...domain }, types: { EIP712Domain: EIP712_DOMAIN } });
}

/** `hashStruct(RouterBid(transferId, pathLength))`. */
export function routerBidStructHash(transferId: Hex, pathLength: number | bigint): Hex {
  return hashStruct({
    data: { transferId, pathLength: BigInt(pathLength) },
    primaryType: "RouterBid",
    types: signingTypes,
  });
}

/** The digest a router signs to front a share of `transferId` as one of `pathLength` routers. */
export function routerBidDigest(domain: SigningDomain, transferId: Hex, pathLength: number | bigint): Hex {
  return hashTypedData({
    domain,
    types: signingTypes,
    primaryType: "RouterBid",
    message: { transferId, pathLength: BigInt(pathLength) },
  });
}

/** `hashStruct(RouterSelection(transferId, routers))`. */
export function routerSelectionStructHash(transferId: Hex, routers: readonly Address[]): Hex {
  return hashStruct({ data: { transferId, routers }, primaryType: "RouterSelection", types: signingTypes });
}

/** The digest the sequencer signs to name, in order, the routers that front `transferId`. */
export function routerSelectionDigest(
  domain: SigningDomain,
  transferId: Hex,
  routers: readonly Address[],
): Hex {
  return hashTypedData({
    domain,
    types: signingTypes,
    primaryType: "RouterSelection",
    message: { transferId, routers },
  });
}

/** `hashStruct(Update(homeDomain, oldRoot, newRoot))`. */
export function updateStructHash(homeDomain: number, oldRoot: Hex, newRoot: Hex): Hex {
  return hashStruct({ data: { homeDomain, oldRoot, newRoot }, primaryType: "Update", types: signingTypes });
}

/** The digest an updater signs to move the Home of `homeDomain` from `oldRoot` to `newRoot`. */
export function updateDigest(domain: SigningDomain, homeDomain: number, oldRoot: Hex, newRoot: Hex): Hex {
  return hashTypedData({
    domain,
    types: signingTypes,
    primaryType: "Update",
    message: { homeDomain, oldRoot, newRoot },
  });
}

/** `hashStruct(WatcherNotice(homeDomain, updater, replica))`. */
export function watcherNoticeStructHash(homeDomain: number, updater: Address, replica: Address): Hex {
  return hashStruct({
    data: { homeDomain, updater, replica },
    primaryType: "WatcherNotice",
    types: signingTypes,
  });
}

/** The digest a watcher signs to have a connection manager halt `replica` for `updater`'s fraud. */
export function watcherNoticeDigest(
  domain: SigningDomain,
  homeDomain: number,
  updater: Address,
  replica: Address,
): Hex {
  return hashTypedData({
    domain,
    types: signingTypes,
    primaryType: "WatcherNotice",
    message: { homeDomain, updater, replica },
  });
}

/** Half the secp256k1 order: the largest `s` the contracts accept. */
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/**
 * The address that signed `digest`, under the contracts' rules (`SignatureVerifier.recover`): 65 bytes
 * `r || s || v`, `v` 27 or 28, `s` in the lower half. `undefined` for a signature they would refuse.
 */
export async function recoverSigner(digest: Hex, signature: Hex): Promise<Address | undefined> {
  if (size(signature) !== 65) return undefined;
  const s = hexToBigInt(slice(signature, 32, 64));
  const v = Number.parseInt(slice(signature, 64, 65).slice(2), 16);
  if ((v !== 27 && v !== 28) || s === 0n || s > HALF_ORDER) return undefined;
  try {
    return await recoverAddress({ hash: digest, signature });
  } catch {
    return undefined;
  }
}
