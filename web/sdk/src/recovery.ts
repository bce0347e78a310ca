/** After sending: raising the relayer fee on the origin, and the delegate's overrides on the destination. */

import { encodeFunctionData, type Hex, type WalletClient } from "viem";
import { checkAddress, ZERO_ADDRESS } from "./address.js";
import type { NxtpClient } from "./client.js";
import {
  ChainError,
  InsufficientNativeBalanceError,
  InvalidSlippageError,
  NotDelegateError,
  ZeroAmountError,
} from "./errors.js";
import { connextAbi } from "./generated/abis.js";
import { findTransfer } from "./status.js";
import { computeTransferId } from "./transfer.js";
import { requireEvent, send, simulate, walletAccount } from "./tx.js";
import type { Domain, SentTransaction, TransferInfo, UnsignedTransaction } from "./types.js";

/** A transfer named by its id (looked up on the chains) or by its params. */
export type TransferRef = Hex | TransferInfo;

async function paramsOf(client: NxtpClient, transfer: TransferRef): Promise<TransferInfo> {
  return typeof transfer === "string" ? (await findTransfer(client, transfer)).params : transfer;
}

/**
 * Checks adding `amount` wei of native relayer fee to a transfer sent from `origin` (`bumpTransfer`), for a
 * sequencer that wants more than was paid, and returns the unsigned transaction. Refuses a zero amount, a
 * transfer `origin` never sent, and an account that cannot pay.
 */
export async function prepareBumpTransfer(
  client: NxtpClient,
  params: { origin: Domain; transferId: Hex; amount: bigint; account: string },
): Promise<UnsignedTransaction> {
  const account = checkAddress("account", params.account);
  if (params.amount <= 0n) throw new ZeroAmountError();
  const settings = client.settings(params.origin);
  await findTransfer(client, params.transferId, params.origin);
  const reader = await client.publicClient(params.origin);
  const native = await reader.getBalance({ address: account }).catch((cause: unknown) => {
    throw new ChainError(params.origin, "read native balance", { cause });
  });
  if (native < params.amount) throw new InsufficientNativeBalanceError(account, native, params.amount);
  const tx: UnsignedTransaction = {
    action: "bumpTransfer",
    domain: params.origin,
    chainId: settings.chainId,
    from: account,
    to: settings.connext,
    data: encodeFunctionData({
      abi: connextAbi,
      functionName: "bumpTransfer",
      args: [params.transferId, ZERO_ADDRESS, 0n],
    }),
    value: params.amount,
  };
  await simulate(client, tx);
  return tx;
}

/** {@link prepareBumpTransfer}, sent with `wallet`. */
export async function bumpTransfer(
  client: NxtpClient,
  params: { origin: Domain; transferId: Hex; amount: bigint; wallet: WalletClient },
): Promise<SentTransaction> {
  const tx = await prepareBumpTransfer(client, { ...params, account: walletAccount(params.wallet) });
  const { sent, receipt } = await send(client, params.wallet, tx);
  requireEvent(receipt, tx.to, "TransferRelayerFeesIncreased", tx.domain, tx.action);
  return sent;
}

/** The destination's unsigned call by the transfer's delegate, once `account` is checked to be it. */
async function asDelegate(
  client: NxtpClient,
  transfer: TransferRef,
  account: string,
  action: "forceUpdateSlippage" | "forceReceiveLocal",
  encode: (info: TransferInfo) => Hex,
): Promise<UnsignedTransaction> {
  const from = checkAddress("account", account);
  const info = await paramsOf(client, transfer);
  const settings = client.settings(info.destinationDomain);
  if (from.toLowerCase() !== info.delegate.toLowerCase()) {
    throw new NotDelegateError(computeTransferId(info), from, info.delegate);
  }
  const tx: UnsignedTransaction = {
    action,
    domain: info.destinationDomain,
    chainId: settings.chainId,
    from,
    to: settings.connext,
    data: encode(info),
    value: 0n,
  };
  await simulate(client, tx);
  return tx;
}

/**
 * Checks, as the transfer's delegate, raising its slippage tolerance (basis points) on the destination for a
 * transfer not yet delivered; returns the unsigned transaction. Refuses slippage outside 0..10000 and an account
 * that is not the delegate; the contract's own refusals (not raised, already delivered) come decoded.
 */
export async function prepareForceUpdateSlippage(
  client: NxtpClient,
  params: { transfer: TransferRef; slippageBps: number; account: string },
): Promise<UnsignedTransaction> {
  const { slippageBps } = params;
  if (!Number.isInteger(slippageBps) || slippageBps < 0 || slippageBps > 10_000) {
    throw new InvalidSlippageError(slippageBps);
  }
  return asDelegate(client, params.transfer, params.account, "forceUpdateSlippage", (info) =>
    encodeFunctionData({
      abi: connextAbi,
      functionName: "forceUpdateSlippage",
      args: [info, BigInt(slippageBps)],
    }),
  );
}

/** {@link prepareForceUpdateSlippage}, sent with `wallet`. */
export async function forceUpdateSlippage(
  client: NxtpClient,
  params: { transfer: TransferRef; slippageBps: number; wallet: WalletClient },
): Promise<SentTransaction> {
  const tx = await prepareForceUpdateSlippage(client, { ...params, account: walletAccount(params.wallet) });
  const { sent, receipt } = await send(client, params.wallet, tx);
  requireEvent(receipt, tx.to, "SlippageUpdated", tx.domain, tx.action);
  return sent;
}

/** Checks, as the transfer's delegate, asking for delivery in the destination's local asset; returns the unsigned transaction. */
export async function prepareForceReceiveLocal(
  client: NxtpClient,
  params: { transfer: TransferRef; account: string },
): Promise<UnsignedTransaction> {
  return asDelegate(client, params.transfer, params.account, "forceReceiveLocal", (info) =>
    encodeFunctionData({ abi: connextAbi, functionName: "forceReceiveLocal", args: [info] }),
  );
}

/** {@link prepareForceReceiveLocal}, sent with `wallet`. */
export async function forceReceiveLocal(
  client: NxtpClient,
  params: { transfer: TransferRef; wallet: WalletClient },
): Promise<SentTransaction> {
  const tx = await prepareForceReceiveLocal(client, { ...params, account: walletAccount(params.wallet) });
  const { sent, receipt } = await send(client, params.wallet, tx);
  requireEvent(receipt, tx.to, "ForceReceiveLocal", tx.domain, tx.action);
  return sent;
}
