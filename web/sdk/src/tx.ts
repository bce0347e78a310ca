/** Sending what the SDK prepared: simulate first (a revert is decoded, nothing is sent), send, wait for the receipt. */

import {
  type Abi,
  type Address,
  BaseError,
  decodeErrorResult,
  type Hex,
  type Log,
  parseEventLogs,
  type TransactionReceipt,
  type WalletClient,
} from "viem";
import type { NxtpClient } from "./client.js";
import {
  ChainError,
  ContractRevertError,
  TransactionFailedError,
  UnexpectedReceiptError,
  WalletMismatchError,
} from "./errors.js";
import { connextAbi, erc20Abi } from "./generated/abis.js";
import type { Domain, SentTransaction, UnsignedTransaction } from "./types.js";

const ERROR_ABI: Abi = [...connextAbi, ...erc20Abi].filter((entry) => entry.type === "error") as Abi;

/** The revert data inside a viem error, if there is any. */
function revertData(error: unknown): Hex | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const found = error.walk((inner) => typeof (inner as { data?: unknown }).data === "string");
  const data = (found as { data?: unknown } | null)?.data;
  return typeof data === "string" && data.startsWith("0x") ? (data as Hex) : undefined;
}

/** Whether a viem error is an execution revert (as opposed to a transport failure). */
function isRevert(error: unknown): boolean {
  if (!(error instanceof BaseError)) return false;
  return (
    error.walk((inner) => {
      const name = (inner as { name?: string }).name;
      return (
        name === "ExecutionRevertedError" ||
        name === "RawContractError" ||
        name === "ContractFunctionRevertedError"
      );
    }) !== null || /revert/i.test(error.message)
  );
}

/** A failed simulation or read: the contract's decoded custom error, or a chain failure. */
export function failure(domain: Domain, action: string, error: unknown): Error {
  const data = revertData(error);
  if (data && data !== "0x") {
    try {
      const decoded = decodeErrorResult({ abi: ERROR_ABI, data });
      return new ContractRevertError(domain, action, decoded.errorName, decoded.args ?? [], { cause: error });
    } catch {
      return new ContractRevertError(domain, action, `unknown error ${data.slice(0, 10)}`, [], {
        cause: error,
      });
    }
  }
  if (isRevert(error)) return new ContractRevertError(domain, action, undefined, [], { cause: error });
  return new ChainError(domain, action, { cause: error });
}

/** Runs `tx` as a call from its sender; throws the decoded revert if it would fail. */
export async function simulate(client: NxtpClient, tx: UnsignedTransaction): Promise<void> {
  const reader = await client.publicClient(tx.domain);
  try {
    await reader.call({ account: tx.from, to: tx.to, data: tx.data, value: tx.value });
  } catch (error) {
    throw failure(tx.domain, tx.action, error);
  }
}

/** The wallet's account, refusing a wallet without one or with another than `expected`. */
export function walletAccount(wallet: WalletClient, expected?: Address): Address {
  const account = wallet.account?.address;
  if (!account) throw new WalletMismatchError("the wallet client has no account: create it with one");
  if (expected && account.toLowerCase() !== expected.toLowerCase()) {
    throw new WalletMismatchError(`the wallet's account ${account} is not ${expected}`);
  }
  return account;
}

/**
 * Sends `tx` with `wallet` once simulated, and waits for it to be mined: a revert found in simulation is a
 * {@link ContractRevertError} and nothing is sent; a mined revert is a {@link TransactionFailedError}.
 * `onSent` is told the hash as soon as the wallet returns it.
 */
export async function send(
  client: NxtpClient,
  wallet: WalletClient,
  tx: UnsignedTransaction,
  onSent?: (hash: Hex) => void,
): Promise<{ sent: SentTransaction; receipt: TransactionReceipt }> {
  const account = walletAccount(wallet, tx.from);
  const walletChain = await wallet.getChainId();
  if (walletChain !== tx.chainId) {
    throw new WalletMismatchError(
      `the wallet is on chain ${walletChain}; ${tx.action} is for domain ${tx.domain} (chain ${tx.chainId}): switch chains first`,
    );
  }
  await simulate(client, tx);
  const reader = await client.publicClient(tx.domain);
  let hash: Hex;
  try {
    hash = await wallet.sendTransaction({
      account: wallet.account ?? account,
      chain: client.chain(tx.domain),
      to: tx.to,
      data: tx.data,
      value: tx.value,
    });
  } catch (error) {
    throw failure(tx.domain, tx.action, error);
  }
  onSent?.(hash);
  let receipt: TransactionReceipt;
  try {
    receipt = await reader.waitForTransactionReceipt({
      hash,
      timeout: client.receiptTimeoutMs,
      pollingInterval: Math.min(client.pollingIntervalMs, 500),
    });
  } catch (cause) {
    throw new ChainError(tx.domain, `wait for ${tx.action} ${hash}`, { cause });
  }
  if (receipt.status !== "success") throw new TransactionFailedError(tx.domain, tx.action, hash);
  return {
    sent: {
      action: tx.action,
      domain: tx.domain,
      hash,
      blockNumber: receipt.blockNumber,
      gasUsed: receipt.gasUsed,
    },
    receipt,
  };
}

/** Refuses a receipt in which `emitter` logged no `eventName` (the action did not do what it must). */
export function requireEvent(
  receipt: TransactionReceipt,
  emitter: Address,
  eventName: string,
  domain: Domain,
  action: string,
): void {
  const logs = parseEventLogs({
    abi: connextAbi,
    logs: receipt.logs.filter((log: Log) => log.address.toLowerCase() === emitter.toLowerCase()),
  });
  if (!logs.some((log) => log.eventName === eventName)) {
    throw new UnexpectedReceiptError(domain, action, receipt.transactionHash, `no ${eventName} event`);
  }
}
