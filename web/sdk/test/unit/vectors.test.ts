// Parity with the shared vectors the Solidity tests write (contracts/test/vectors/*.json), which the Rust
// crates check too (crates/base/primitives/tests): every encoding, id, hash and signature byte for byte.

import { readFileSync } from "node:fs";
import {
  branchRoot,
  computeAssetKey,
  computeTransferId,
  domainSeparator,
  encodeMessage,
  encodeTransferInfo,
  encodeTransferMessageBody,
  merkleRoot,
  messageLeaf,
  recoverSigner,
  routerBidDigest,
  routerBidStructHash,
  routerSelectionDigest,
  routerSelectionStructHash,
  signingDomain,
  type TransferInfo,
  updateDigest,
  updateStructHash,
  watcherNoticeDigest,
  watcherNoticeStructHash,
} from "@nxtp/sdk";
import type { Address, Hex } from "viem";
import { describe, expect, it } from "vitest";

function vectors<T>(name: string): T {
  const path = new URL(`../../../../contracts/test/vectors/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

interface TransferVectors {
  signingDomain: {
    name: string;
    version: string;
    chainId: number;
    verifyingContract: Address;
    separator: Hex;
  };
  routers: Address[];
  sequencer: Address;
  transfers: {
    params: Record<string, string | number | boolean>;
    encoded: Hex;
    transferId: Hex;
    messageBody: Hex;
    assetKey: Hex;
    routerBids: { pathLength: number; structHash: Hex; digest: Hex; signer: Address; signature: Hex }[];
    sequencerSignatures: { routerCount: number; structHash: Hex; digest: Hex; signature: Hex }[];
  }[];
}

interface MessagingVectors {
  messages: {
    origin: number;
    sender: Hex;
    nonce: number;
    destination: number;
    recipient: Hex;
    body: Hex;
    encoded: Hex;
    leaf: Hex;
  }[];
  tree: {
    emptyRoot: Hex;
    leaves: Hex[];
    roots: Hex[];
    proofs: { index: number; leaf: Hex; path: Hex[]; root: Hex }[];
  };
  signing: Record<string, string | number>;
}

function transferInfo(params: Record<string, string | number | boolean>): TransferInfo {
  return {
    originDomain: Number(params.originDomain),
    destinationDomain: Number(params.destinationDomain),
    canonicalDomain: Number(params.canonicalDomain),
    to: params.to as Address,
    delegate: params.delegate as Address,
    receiveLocal: params.receiveLocal as boolean,
    callData: params.callData as Hex,
    slippage: BigInt(params.slippage as string),
    originSender: params.originSender as Address,
    bridgedAmt: BigInt(params.bridgedAmt as string),
    normalizedIn: BigInt(params.normalizedIn as string),
    nonce: BigInt(params.nonce as string),
    canonicalId: params.canonicalId as Hex,
  };
}

describe("transfer vectors", () => {
  const file = vectors<TransferVectors>("transfers");

  it("holds transfers", () => {
    expect(file.transfers.length).toBeGreaterThan(0);
  });

  it.each(file.transfers.map((transfer, i) => [i, transfer] as const))(
    "transfer %i: encoding, id, message body and asset key match Solidity",
    (_, transfer) => {
      const info = transferInfo(transfer.params);
      expect(encodeTransferInfo(info)).toBe(transfer.encoded.toLowerCase());
      expect(computeTransferId(info)).toBe(transfer.transferId);
      expect(encodeTransferMessageBody(info)).toBe(transfer.messageBody);
      expect(computeAssetKey(info.canonicalId, info.canonicalDomain)).toBe(transfer.assetKey);
    },
  );

  it("the Connext signing domain's separator matches", () => {
    const { name, chainId, verifyingContract, separator, version } = file.signingDomain;
    expect(version).toBe("1");
    expect(domainSeparator(signingDomain(name, chainId, verifyingContract))).toBe(separator);
  });

  it("router bids and sequencer selections hash, digest and recover like Solidity", async () => {
    const { name, chainId, verifyingContract } = file.signingDomain;
    const domain = signingDomain(name, chainId, verifyingContract);
    for (const transfer of file.transfers) {
      for (const bid of transfer.routerBids) {
        expect(routerBidStructHash(transfer.transferId, bid.pathLength)).toBe(bid.structHash);
        const digest = routerBidDigest(domain, transfer.transferId, bid.pathLength);
        expect(digest).toBe(bid.digest);
        expect(await recoverSigner(digest, bid.signature)).toBe(bid.signer);
      }
      for (const signed of transfer.sequencerSignatures) {
        const routers = file.routers.slice(0, signed.routerCount);
        expect(routerSelectionStructHash(transfer.transferId, routers)).toBe(signed.structHash);
        const digest = routerSelectionDigest(domain, transfer.transferId, routers);
        expect(digest).toBe(signed.digest);
        expect(await recoverSigner(digest, signed.signature)).toBe(file.sequencer);
      }
    }
  });

  it("refuses signatures the contracts refuse: a malleated twin, a bad v, a wrong length", async () => {
    const transfer = file.transfers[0];
    const bid = transfer?.routerBids[0];
    if (!bid) throw new Error("the vectors hold a bid");
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const r = bid.signature.slice(2, 66);
    const s = BigInt(`0x${bid.signature.slice(66, 130)}`);
    const v = Number.parseInt(bid.signature.slice(130, 132), 16);
    const twin = `0x${r}${(n - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}` as Hex;
    expect(await recoverSigner(bid.digest, twin)).toBeUndefined();
    expect(await recoverSigner(bid.digest, `${bid.signature.slice(0, 130)}01` as Hex)).toBeUndefined();
    expect(await recoverSigner(bid.digest, bid.signature.slice(0, 128) as Hex)).toBeUndefined();
  });
});

describe("messaging vectors", () => {
  const file = vectors<MessagingVectors>("messaging");

  it("messages encode and hash like Solidity", () => {
    expect(file.messages.length).toBeGreaterThan(0);
    for (const message of file.messages) {
      expect(encodeMessage(message)).toBe(message.encoded);
      expect(messageLeaf(message)).toBe(message.leaf);
    }
  });

  it("tree roots, one per leaf, and single-leaf proofs match", () => {
    const { tree } = file;
    expect(merkleRoot([])).toBe(tree.emptyRoot);
    expect(tree.roots.length).toBe(tree.leaves.length);
    tree.roots.forEach((root, i) => {
      expect(merkleRoot(tree.leaves.slice(0, i + 1))).toBe(root);
    });
    for (const proof of tree.proofs) {
      expect(branchRoot(proof.leaf, proof.path, proof.index)).toBe(proof.root);
    }
  });

  it("updater updates and watcher notices hash, digest and recover like Solidity", async () => {
    const v = file.signing as Record<string, string> & {
      domain: number;
      homeChainId: number;
      watcherChainId: number;
    };
    const home = signingDomain("nxtp Home", v.homeChainId, v.home as Address);
    expect(domainSeparator(home)).toBe(v.homeSeparator);
    expect(updateStructHash(v.domain, v.oldRoot as Hex, v.newRoot as Hex)).toBe(v.updateStructHash);
    const update = updateDigest(home, v.domain, v.oldRoot as Hex, v.newRoot as Hex);
    expect(update).toBe(v.updateDigest);
    expect((await recoverSigner(update, v.signature as Hex))?.toLowerCase()).toBe(v.signer);

    const manager = signingDomain("nxtp ConnectionManager", v.watcherChainId, v.watcherManager as Address);
    expect(domainSeparator(manager)).toBe(v.managerSeparator);
    const [updater, replica] = [v.watcherUpdater as Address, v.watcherReplica as Address];
    expect(watcherNoticeStructHash(v.domain, updater, replica)).toBe(v.watcherNoticeStructHash);
    const notice = watcherNoticeDigest(manager, v.domain, updater, replica);
    expect(notice).toBe(v.watcherNoticeDigest);
    expect((await recoverSigner(notice, v.watcherSignature as Hex))?.toLowerCase()).toBe(v.watcher);
  });
});
