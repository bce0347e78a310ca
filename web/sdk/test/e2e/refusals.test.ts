// Every refusal of a transfer, on a real devnet: each is its own error class, raised before anything is sent
// (the sender's nonce does not move).

import {
  AssetNotRegisteredError,
  createNxtpClient,
  getAllowance,
  getQuote,
  getTokenBalance,
  getTransfer,
  InsufficientAllowanceError,
  InsufficientBalanceError,
  InsufficientNativeBalanceError,
  InvalidAddressError,
  InvalidSlippageError,
  NoSequencerError,
  RelayerFeeBelowQuoteError,
  SameDomainError,
  SlippageBelowFeeError,
  TransferNotFoundError,
  UnknownAssetError,
  UnknownDomainError,
  type XcallParams,
  xcall,
  ZeroAmountError,
  ZeroRecipientError,
  ZeroRelayerFeeError,
} from "@nxtp/sdk";
import { parseUnits } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSET, DESTINATION, devnet, ORIGIN } from "./fixture.js";

const net = devnet();
const { client } = net;
const user = net.address("user");
const wallet = net.wallet("user", ORIGIN);
const recipient = "0x000000000000000000000000000000000000bEEF";
const base: XcallParams = {
  origin: ORIGIN,
  destination: DESTINATION,
  asset: ASSET,
  amount: parseUnits("1", 18),
  to: recipient,
};

let nonceBefore: number;
beforeAll(async () => {
  nonceBefore = await (await client.publicClient(ORIGIN)).getTransactionCount({ address: user });
});
afterAll(async () => {
  const nonceAfter = await (await client.publicClient(ORIGIN)).getTransactionCount({ address: user });
  expect(nonceAfter, "no refusal sent anything").toBe(nonceBefore);
});

describe("xcall refuses, before sending anything", () => {
  const refused = (params: Partial<XcallParams>) => xcall(client, { ...base, ...params, wallet });

  it("an unknown domain", async () => {
    await expect(refused({ destination: 9999 })).rejects.toThrow(UnknownDomainError);
    await expect(refused({ origin: 9999 })).rejects.toThrow("unknown domain 9999 (known: 1000, 2000)");
  });

  it("the same domain twice", async () => {
    await expect(refused({ destination: ORIGIN })).rejects.toThrow(SameDomainError);
  });

  it("a malformed or badly checksummed address, and the zero recipient", async () => {
    await expect(refused({ to: "0x1234" })).rejects.toMatchObject({ reason: "malformed", field: "to" });
    const typo = "0x70997970C51812dc3A010C7d01b50e0d17dc79C9";
    await expect(refused({ to: typo })).rejects.toMatchObject({ reason: "checksum", field: "to" });
    await expect(refused({ delegate: typo })).rejects.toThrow(InvalidAddressError);
    await expect(refused({ asset: "0x8A791620dd6260079BF849Dc5567aDC3F2FdC319" })).rejects.toThrow(
      InvalidAddressError,
    );
    await expect(refused({ to: "0x0000000000000000000000000000000000000000" })).rejects.toThrow(
      ZeroRecipientError,
    );
  });

  it("an unknown symbol and an unregistered token", async () => {
    await expect(refused({ asset: "USDC" })).rejects.toThrow(UnknownAssetError);
    // A contract the devnet deploys that Connext never registered.
    const unregistered = net.manifest.domains[String(ORIGIN)] as unknown as {
      contracts: Record<string, string>;
    };
    const token = unregistered.contracts.DemoReceiver ?? "";
    await expect(refused({ asset: token })).rejects.toThrow(AssetNotRegisteredError);
  });

  it("a zero amount, and slippage out of range or below the destination's fee", async () => {
    await expect(refused({ amount: 0n })).rejects.toThrow(ZeroAmountError);
    await expect(refused({ slippageBps: 10_001 })).rejects.toThrow(InvalidSlippageError);
    await expect(refused({ slippageBps: 4 })).rejects.toThrow(SlippageBelowFeeError);
  });

  it("a relayer fee of zero or below the quote, unless allowed", async () => {
    await expect(refused({ relayerFee: 0n })).rejects.toThrow(ZeroRelayerFeeError);
    await expect(refused({ relayerFee: 1n })).rejects.toThrow(RelayerFeeBelowQuoteError);
    await expect(refused({ relayerFee: 1n })).rejects.toMatchObject({ fee: 1n, quote: 10n ** 15n });
    const withoutSequencer = createNxtpClient({ manifest: { ...net.manifest, services: {} } });
    await expect(xcall(withoutSequencer, { ...base, wallet })).rejects.toThrow(NoSequencerError);
  });

  it("a balance short of the amount", async () => {
    const balance = await getTokenBalance(client, { domain: ORIGIN, holder: user, asset: ASSET });
    await expect(refused({ amount: balance + 1n })).rejects.toMatchObject({
      constructor: InsufficientBalanceError,
      balance,
      needed: balance + 1n,
    });
  });

  it("an allowance short of the amount, unless asked to approve", async () => {
    const allowance = await getAllowance(client, { domain: ORIGIN, owner: user, asset: ASSET });
    await expect(refused({ amount: allowance + 1n })).rejects.toMatchObject({
      constructor: InsufficientAllowanceError,
      allowance,
      spender: client.settings(ORIGIN).connext,
    });
  });

  it("a native balance short of the relayer fee", async () => {
    // A fresh account: no tokens and no ether; a calldata-only transfer needs no tokens.
    const stranger = privateKeyToAccount(generatePrivateKey());
    const poor = { ...wallet, account: stranger } as typeof wallet;
    await expect(xcall(client, { ...base, amount: 0n, callData: "0x01", wallet: poor })).rejects.toThrow(
      InsufficientNativeBalanceError,
    );
  });
});

describe("reads refuse too", () => {
  it("a quote for an unknown domain or asset", async () => {
    await expect(getQuote(client, { ...base, destination: 3000 })).rejects.toThrow(UnknownDomainError);
    await expect(getQuote(client, { ...base, asset: "USDC" })).rejects.toThrow(UnknownAssetError);
  });

  it("a transfer nobody sent", async () => {
    await expect(getTransfer(client, { transferId: `0x${"ab".repeat(32)}` })).rejects.toThrow(
      TransferNotFoundError,
    );
  });
});
