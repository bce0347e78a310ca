// The status API read through the SDK on a real devnet and indexer: a fast transfer followed by waitForTransfer
// through the indexer (every step and sub-stage it shows), found again by its xcall's transaction, listed by
// getTransfers through the API's pages as the chains list it, and the chains answering when the indexer is down.

import {
  createNxtpClient,
  getIndexedTransfer,
  getIndexedTransfers,
  getTransfer,
  getTransfers,
  waitForTransfer,
  xcall,
} from "@nxtp/sdk";
import { parseUnits } from "viem";
import { describe, expect, inject, it } from "vitest";
import { ASSET, DESTINATION, devnet, eventually, ORIGIN } from "./fixture.js";

const net = devnet();
const chainsOnly = net.client;
const indexed = createNxtpClient({
  manifest: net.manifest,
  indexerUrl: inject("indexerUrl"),
  pollingIntervalMs: 250,
});
const user = net.address("user");
const recipient = "0x000000000000000000000000000000000000dEaD";

describe("the status API through the SDK", () => {
  it("follows a fast transfer through the indexer, lists it page by page, and falls back to the chains", async () => {
    const sent = await xcall(indexed, {
      origin: ORIGIN,
      destination: DESTINATION,
      asset: ASSET,
      amount: parseUnits("2", 18),
      to: recipient,
      approve: true,
      wallet: net.wallet("user", ORIGIN),
    });
    const stages: string[] = [];
    const done = await waitForTransfer(indexed, {
      transferId: sent.transferId,
      until: "CompletedFast",
      timeoutMs: 120_000,
      onProgress: (progress) => stages.push(`${progress.stage}/${progress.report.source}`),
    });
    expect(done.stage).toBe("CompletedFast");
    expect(done.source).toBe("indexer");
    expect(stages.at(-1)).toBe("CompletedFast/indexer");
    expect(done.indexed).toMatchObject({
      transferId: sent.transferId,
      path: "fast",
      origin: ORIGIN,
      destination: DESTINATION,
      sender: user,
      to: recipient,
      amount: parseUnits("2", 18),
      xcalled: { domain: ORIGIN, txHash: sent.transaction.hash, blockNumber: sent.transaction.blockNumber },
      executed: { domain: DESTINATION },
      reconciled: { domain: DESTINATION },
      waiting: undefined,
    });
    expect(done.routers).toEqual(done.indexed?.routers.map((share) => share.router));
    expect(done.indexed?.relayerFees[0]?.amount).toBe(sent.relayerFee);
    // The slow path's messaging sub-stages carried the routers' reimbursement.
    const messaging = done.indexed?.messaging;
    expect(messaging?.dispatched?.txHash).toBe(sent.transaction.hash);
    for (const sub of [
      messaging?.checkpointed,
      messaging?.signed,
      messaging?.rootRelayed,
      messaging?.processed,
    ])
      expect(sub?.blockNumber).toBeGreaterThan(0n);
    expect(messaging?.acceptableAt).toBeGreaterThan(0n);

    // By the xcall's transaction too, and the chains agree on the stage.
    const byTx = await getIndexedTransfer(indexed, sent.transaction.hash);
    expect(byTx?.transferId).toBe(sent.transferId);
    expect((await getTransfer(chainsOnly, { transferId: sent.transferId })).stage).toBe("CompletedFast");

    // The user's transfers through the list's pages (one per page, to walk the cursor), as the chains list them.
    const pages = await getIndexedTransfers(indexed, { sender: user, limit: 1 });
    expect(pages.transfers).toHaveLength(1);
    expect(pages.transfers[0]?.transferId).toBe(sent.transferId);
    const fromChains = await getTransfers(chainsOnly, { sender: user });
    const fromIndexer = await eventually(
      () => getTransfers(indexed, { sender: user }),
      (list) => list.length === fromChains.length,
    );
    expect(fromIndexer.map((report) => report.transferId)).toEqual(
      fromChains.map((report) => report.transferId),
    );
    expect(fromIndexer.map((report) => report.stage)).toEqual(fromChains.map((report) => report.stage));
    expect(fromIndexer.every((report) => report.source === "indexer")).toBe(true);
    expect(await getTransfers(indexed, { sender: user, to: recipient })).toHaveLength(1);

    // An indexer that is down: the chains answer, and say so.
    const down = createNxtpClient({ manifest: net.manifest, indexerUrl: "http://127.0.0.1:1" });
    const report = await getTransfer(down, { transferId: sent.transferId });
    expect(report).toMatchObject({ stage: "CompletedFast", source: "chain", indexed: undefined });
    const listed = await getTransfers(down, { sender: user, to: recipient });
    expect(listed.map((transfer) => [transfer.transferId, transfer.source])).toEqual([
      [sent.transferId, "chain"],
    ]);
  });
});
