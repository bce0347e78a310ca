// The refusals that follow governance and configuration: an asset no longer approved, a destination not
// enrolled (each set by the devnet's owner for the test and restored after), a chain serving another chain id,
// and a wallet on the wrong chain.

import {
  AssetNotApprovedError,
  ChainError,
  connextAbi,
  createNxtpClient,
  DestinationNotEnrolledError,
  getQuote,
  WalletMismatchError,
  xcall,
} from "@nxtp/sdk";
import { type Abi, parseUnits } from "viem";
import { describe, expect, it } from "vitest";
import { ASSET, DESTINATION, devnet, ORIGIN } from "./fixture.js";

const net = devnet();
const { client } = net;
const request = { origin: ORIGIN, destination: DESTINATION, asset: ASSET, amount: parseUnits("1", 18) };

/** Sends an owner-only Connext call on the origin as the devnet's deployer, and waits for it. */
async function asOwner(functionName: string, args: readonly unknown[]): Promise<void> {
  const wallet = net.wallet("deployer", ORIGIN);
  const hash = await wallet.writeContract({
    address: client.settings(ORIGIN).connext,
    abi: connextAbi as Abi,
    functionName,
    args,
    account: wallet.account ?? null,
    chain: wallet.chain,
  });
  const receipt = await (await client.publicClient(ORIGIN)).waitForTransactionReceipt({
    hash,
    pollingInterval: 250,
  });
  expect(receipt.status).toBe("success");
}

describe("governance", () => {
  it("an asset governance stopped is refused, on quotes and transfers", async () => {
    const local = client.settings(ORIGIN).assets[ASSET]?.local;
    await asOwner("setAssetApproval", [local, false]);
    try {
      await expect(getQuote(client, request)).rejects.toThrow(AssetNotApprovedError);
      await expect(
        xcall(client, { ...request, to: net.address("user"), wallet: net.wallet("user", ORIGIN) }),
      ).rejects.toThrow(AssetNotApprovedError);
    } finally {
      await asOwner("setAssetApproval", [local, true]);
    }
    await expect(getQuote(client, request)).resolves.toMatchObject({ amount: request.amount });
  });

  it("a destination the origin does not enroll is refused", async () => {
    const reader = await client.publicClient(ORIGIN);
    const remote = await reader.readContract({
      address: client.settings(ORIGIN).connext,
      abi: connextAbi,
      functionName: "remoteConnext",
      args: [DESTINATION],
    });
    await asOwner("setRemoteConnext", [DESTINATION, `0x${"00".repeat(32)}`]);
    try {
      await expect(getQuote(client, request)).rejects.toThrow(DestinationNotEnrolledError);
    } finally {
      await asOwner("setRemoteConnext", [DESTINATION, remote]);
    }
    await expect(getQuote(client, request)).resolves.toMatchObject({ amount: request.amount });
  });
});

describe("configuration", () => {
  it("an endpoint serving another chain id than configured is refused before use", async () => {
    const chains = client.domains.map((domain) => ({ ...client.settings(domain), chainId: 1 }));
    const wrong = createNxtpClient({ chains, sequencerUrl: client.sequencerUrl });
    await expect(getQuote(wrong, request)).rejects.toThrow(ChainError);
    await expect(getQuote(wrong, request)).rejects.toThrow(/serves chain id 31337, not 1/);
  });

  it("a wallet on another chain than the transfer's origin is refused before sending", async () => {
    await expect(
      xcall(client, {
        ...request,
        to: net.address("user"),
        approve: true,
        wallet: net.wallet("user", DESTINATION),
      }),
    ).rejects.toThrow(WalletMismatchError);
  });
});
