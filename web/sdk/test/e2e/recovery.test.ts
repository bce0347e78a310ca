// A transfer that waits for its relayer fee, and what its sender and delegate can do about it: follow it (with
// the sequencer's reason), raise its slippage, ask for the local asset, and bump its fee until it completes.

import {
  bumpTransfer,
  ContractRevertError,
  forceReceiveLocal,
  forceUpdateSlippage,
  getTransfer,
  NotDelegateError,
  prepareBumpTransfer,
  type TransferProgress,
  WaitTimeoutError,
  waitForTransfer,
  type XcallResult,
  xcall,
} from "@nxtp/sdk";
import { parseUnits } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { ASSET, DESTINATION, devnet, eventually, ORIGIN } from "./fixture.js";

const net = devnet();
const { client } = net;
const user = net.address("user");

let stuck: XcallResult;
beforeAll(async () => {
  // No relayer fee: the sequencer does not auction it and slow-path executors skip it until it is bumped.
  stuck = await xcall(client, {
    origin: ORIGIN,
    destination: DESTINATION,
    asset: ASSET,
    amount: parseUnits("1", 18),
    to: "0x000000000000000000000000000000000000dEaD",
    delegate: user,
    relayerFee: 0n,
    allowZeroRelayerFee: true,
    allowRelayerFeeBelowQuote: true,
    approve: true,
    wallet: net.wallet("user", ORIGIN),
  });
});

describe("a transfer waiting for its fee", () => {
  it("says why it waits, and a wait for it runs out of time", async () => {
    // The sequencer knows it once its XCalled is confirmed, and says the fee is short.
    const report = await eventually(
      () => getTransfer(client, { transferId: stuck.transferId }),
      (report) => report.auction !== undefined,
    );
    expect(report.auction?.state).toMatchObject({ kind: "awaiting_fee", paid: 0n, quote: 10n ** 15n });
    expect(report.waiting).toMatch(/below the quote/);
    expect(report.stage === "XCalled" || report.stage === "Reconciled").toBe(true);
    const progress: TransferProgress[] = [];
    await expect(
      waitForTransfer(client, {
        transferId: stuck.transferId,
        until: "Executed",
        timeoutMs: 1_500,
        onProgress: (change) => progress.push(change),
      }),
    ).rejects.toThrow(WaitTimeoutError);
    expect(progress[0]?.waiting).toMatch(/below the quote/);
  });

  it("only its delegate raises its slippage; a lower one is the contract's refusal, decoded", async () => {
    await expect(
      forceUpdateSlippage(client, {
        transfer: stuck.transferId,
        slippageBps: 100,
        wallet: net.wallet("router_a", DESTINATION),
      }),
    ).rejects.toThrow(NotDelegateError);
    await expect(
      forceUpdateSlippage(client, {
        transfer: stuck.params,
        slippageBps: 10,
        wallet: net.wallet("user", DESTINATION),
      }),
    ).rejects.toMatchObject({ constructor: ContractRevertError, errorName: "SlippageNotRaised" });
    const raised = await forceUpdateSlippage(client, {
      transfer: stuck.params,
      slippageBps: 100,
      wallet: net.wallet("user", DESTINATION),
    });
    expect(raised).toMatchObject({ action: "forceUpdateSlippage", domain: DESTINATION });
  });

  it("its delegate asks for the local asset", async () => {
    const local = await forceReceiveLocal(client, {
      transfer: stuck.transferId,
      wallet: net.wallet("user", DESTINATION),
    });
    expect(local).toMatchObject({ action: "forceReceiveLocal", domain: DESTINATION });
  });

  it("a bump of its fee gets it delivered", async () => {
    const unsigned = await prepareBumpTransfer(client, {
      origin: ORIGIN,
      transferId: stuck.transferId,
      amount: 10n ** 15n,
      account: user,
    });
    expect(unsigned).toMatchObject({ action: "bumpTransfer", value: 10n ** 15n, from: user });
    await bumpTransfer(client, {
      origin: ORIGIN,
      transferId: stuck.transferId,
      amount: 10n ** 15n,
      wallet: net.wallet("user", ORIGIN),
    });
    const done = await waitForTransfer(client, { transferId: stuck.transferId, timeoutMs: 120_000 });
    expect(done.stage === "CompletedFast" || done.stage === "CompletedSlow").toBe(true);
  });
});
