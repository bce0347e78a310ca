// Quotes, transfers sent through a wallet and through the unsigned-transaction mode, and following them, on a
// real devnet with its agents: every transfer here is fronted by the devnet's routers.

import {
  frontedAmount,
  getQuote,
  getTokenBalance,
  getTransfer,
  getTransfers,
  getTransferTimeline,
  prepareXcall,
  waitForTransfer,
  type XcallProgress,
  xcall,
} from "@nxtp/sdk";
import { parseUnits } from "viem";
import { describe, expect, it } from "vitest";
import { ASSET, DESTINATION, devnet, ORIGIN } from "./fixture.js";

const net = devnet();
const { client } = net;
const user = net.address("user");
const recipient = "0x000000000000000000000000000000000000bEEF";

describe("getQuote", () => {
  it("quotes the sequencer's relayer fee, the fast-path amount, router cover and time", async () => {
    const amount = parseUnits("10", 18);
    const quote = await getQuote(client, { origin: ORIGIN, destination: DESTINATION, asset: ASSET, amount });
    expect(quote.relayerFee).toBe(10n ** 15n);
    expect(quote.liquidityFeeBps).toBe(5);
    expect(quote.amountReceived).toBe(frontedAmount(amount, 5));
    expect(quote.route.asset.canonicalDomain).toBe(ORIGIN);
    expect(quote.routers.covered).toBe(true);
    expect(quote.routers.pathLength).toBe(1);
    expect(quote.expectedPath).toBe("fast");
    expect(quote.expectedSeconds).toBeGreaterThan(0);
    expect(quote.expectedSeconds).toBeLessThan(60);

    const huge = await getQuote(client, {
      origin: ORIGIN,
      destination: DESTINATION,
      asset: ASSET,
      amount: quote.routers.largestBalance * 4n,
    });
    expect(huge.routers.covered).toBe(false);
    expect(huge.expectedPath).toBe("slow");
    expect(huge.expectedSeconds).toBeGreaterThan(quote.expectedSeconds);
  });
});

describe("xcall", () => {
  it("approves, sends and follows a transfer to its fast completion, reporting each step", async () => {
    const amount = parseUnits("3", 18);
    const before = await getTokenBalance(client, { domain: DESTINATION, holder: recipient, asset: ASSET });
    const steps: XcallProgress[] = [];
    const sent = await xcall(client, {
      origin: ORIGIN,
      destination: DESTINATION,
      asset: ASSET,
      amount,
      to: recipient,
      approve: true,
      wallet: net.wallet("user", ORIGIN),
      until: "Completed",
      onProgress: (step) => steps.push(step),
    });
    const names = steps.map((step) => step.step).filter((step) => step !== "waiting");
    expect(names.slice(0, 4)).toEqual(["approving", "approved", "sent", "XCalled"]);
    expect(names).toContain("Executed");
    expect(names.at(-1)).toBe("Completed");
    expect(steps.at(-1)).toMatchObject({ step: "Completed", path: "fast", transferId: sent.transferId });
    const elapsed = steps.map((step) => step.elapsedMs);
    expect([...elapsed].sort((a, b) => a - b)).toEqual(elapsed);

    expect(sent.params.originSender).toBe(user);
    expect(sent.params.bridgedAmt).toBe(amount);
    expect(sent.relayerFee).toBe(10n ** 15n);
    expect(sent.approval?.action).toBe("approve");
    expect(sent.report?.stage).toBe("CompletedFast");
    expect(sent.report?.routers.length).toBe(1);
    const after = await getTokenBalance(client, { domain: DESTINATION, holder: recipient, asset: ASSET });
    expect(after - before).toBe(frontedAmount(amount, 5));

    const timeline = await getTransferTimeline(client, { transferId: sent.transferId });
    expect(timeline.xcalled).toMatchObject({
      domain: ORIGIN,
      txHash: sent.transaction.hash,
      afterSeconds: 0,
    });
    expect(timeline.executed).toMatchObject({ domain: DESTINATION, amount: frontedAmount(amount, 5) });
    expect(timeline.executed?.routers).toEqual(sent.report?.routers);
    expect(timeline.reconciled?.domain).toBe(DESTINATION);
    expect(timeline.executed?.afterSeconds).toBeGreaterThanOrEqual(0);
    expect(timeline.reconciled?.afterSeconds).toBeGreaterThanOrEqual(timeline.executed?.afterSeconds ?? 0);

    const report = await getTransfer(client, { transferId: sent.transferId });
    expect(report).toMatchObject({
      stage: "CompletedFast",
      origin: ORIGIN,
      destination: DESTINATION,
      amount,
    });
    expect(report.originTx).toBe(sent.transaction.hash);
    const mine = await getTransfers(client, { sender: user, to: recipient });
    expect(mine.map((transfer) => transfer.transferId)).toContain(sent.transferId);
    expect(await getTransfers(client, { sender: recipient })).toEqual([]);
  });

  it("returns unsigned transactions an app sends through its own wallet stack", async () => {
    const amount = parseUnits("2", 18);
    const prepared = await prepareXcall(client, {
      origin: ORIGIN,
      destination: DESTINATION,
      asset: ASSET,
      amount,
      to: recipient,
      approve: true,
      account: user,
    });
    expect(prepared.approval).toMatchObject({ action: "approve", from: user, value: 0n, chainId: 31337 });
    expect(prepared.transaction).toMatchObject({
      action: "xcall",
      to: client.settings(ORIGIN).connext,
      value: 10n ** 15n,
      domain: ORIGIN,
    });

    // The app's own stack: here a plain viem wallet client, sending exactly what was prepared.
    const wallet = net.wallet("user", ORIGIN);
    const reader = await client.publicClient(ORIGIN);
    for (const tx of [prepared.approval, prepared.transaction]) {
      if (!tx) continue;
      const hash = await wallet.sendTransaction({
        account: wallet.account ?? user,
        chain: wallet.chain,
        to: tx.to,
        data: tx.data,
        value: tx.value,
      });
      expect((await reader.waitForTransactionReceipt({ hash })).status).toBe("success");
    }
    const transfers = await getTransfers(client, { sender: user, origins: [ORIGIN] });
    const last = transfers.at(-1);
    expect(last?.amount).toBe(amount);
    const seen: string[] = [];
    const done = await waitForTransfer(client, {
      transferId: last?.transferId ?? "0x",
      onProgress: (progress) => seen.push(progress.stage),
    });
    expect(done.stage).toBe("CompletedFast");
    expect(seen.at(-1)).toBe("CompletedFast");
  });
});
