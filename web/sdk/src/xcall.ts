/**
 * Sending a transfer: every check first (route, asset, slippage, relayer fee, balances, allowance), each refusal
 * a typed error raised before anything is sent; then the approval if asked, the `xcall`, and its progress.
 */

import { type Address, encodeFunctionData, type Hex, parseEventLogs, type WalletClient } from "viem";
import { checkAddress, isZeroAddress, ZERO_ADDRESS } from "./address.js";
import { tokenAllowance, tokenBalance } from "./asset.js";
import type { NxtpClient } from "./client.js";
import {
  ChainError,
  InsufficientAllowanceError,
  InsufficientBalanceError,
  InsufficientNativeBalanceError,
  InvalidSlippageError,
  NoSequencerError,
  RelayerFeeBelowQuoteError,
  SlippageBelowFeeError,
  UnexpectedReceiptError,
  ZeroAmountError,
  ZeroRecipientError,
  ZeroRelayerFeeError,
} from "./errors.js";
import { connextAbi, erc20Abi } from "./generated/abis.js";
import { getRoute, type Route } from "./quote.js";
import { getRelayerFeeQuote } from "./sequencer.js";
import { type TransferReport, waitForTransfer } from "./status.js";
import { computeTransferId } from "./transfer.js";
import { send, simulate, walletAccount } from "./tx.js";
import type {
  Domain,
  SentTransaction,
  Stage,
  StageTarget,
  TransferInfo,
  UnsignedTransaction,
} from "./types.js";

/** The slippage tolerance a transfer starts with: room for the default 5 bps liquidity fee and some rounding. */
export const DEFAULT_SLIPPAGE_BPS = 30;

/** A transfer to send. */
export interface XcallParams {
  readonly origin: Domain;
  readonly destination: Domain;
  /** The asset on the origin: a symbol the client knows (`"DEMO"`) or a token address. */
  readonly asset: string;
  /** The amount, in the asset's base units (zero only with `callData`). */
  readonly amount: bigint;
  /** The recipient on the destination (and the `IXReceiver` called when `callData` is set). */
  readonly to: string;
  /** Who may recover the transfer on the destination (default: nobody). */
  readonly delegate?: string;
  /** The largest loss the recipient accepts, basis points (default 30); at least the destination's fee. */
  readonly slippageBps?: number;
  /** Calldata for `xReceive` on `to` (default: none, a plain transfer). */
  readonly callData?: Hex;
  /** The native relayer fee, wei (default: the sequencer's quote). */
  readonly relayerFee?: bigint;
  /** Accept an explicit relayer fee of zero (refused otherwise: nobody would be paid to deliver it). */
  readonly allowZeroRelayerFee?: boolean;
  /** Accept an explicit relayer fee below the sequencer's quote (it waits for a `bumpTransfer`). */
  readonly allowRelayerFeeBelowQuote?: boolean;
  /** Deliver the destination's local asset rather than a swap into an adopted one (`xcallIntoLocal`). */
  readonly receiveLocal?: boolean;
  /** When the allowance falls short, approve exactly the amount first instead of refusing. */
  readonly approve?: boolean;
}

/** A checked transfer, ready to sign: the approval it needs first (if any), then the `xcall`. */
export interface PreparedXcall {
  readonly route: Route;
  readonly relayerFee: bigint;
  /** The sequencer's quote, when one is configured. */
  readonly quotedRelayerFee: bigint | undefined;
  /** The ERC-20 approval to send first, when the allowance falls short and `approve` was asked. */
  readonly approval: UnsignedTransaction | undefined;
  /** The `xcall` (or `xcallIntoLocal`), with the relayer fee as its value. */
  readonly transaction: UnsignedTransaction;
}

const MAX_SLIPPAGE_BPS = 10_000;

/** The checks that need no chain; returns the addresses, checked. */
function validate(params: XcallParams): {
  to: Address;
  delegate: Address;
  slippageBps: number;
  callData: Hex;
} {
  const to = checkAddress("to", params.to);
  if (isZeroAddress(to)) throw new ZeroRecipientError();
  const delegate = params.delegate === undefined ? ZERO_ADDRESS : checkAddress("delegate", params.delegate);
  const slippageBps = params.slippageBps ?? DEFAULT_SLIPPAGE_BPS;
  if (!Number.isInteger(slippageBps) || slippageBps < 0 || slippageBps > MAX_SLIPPAGE_BPS) {
    throw new InvalidSlippageError(slippageBps);
  }
  const callData = params.callData ?? "0x";
  if (params.amount < 0n || (params.amount === 0n && callData === "0x")) throw new ZeroAmountError();
  if (params.relayerFee === 0n && !params.allowZeroRelayerFee) throw new ZeroRelayerFeeError();
  if (params.relayerFee !== undefined && params.relayerFee < 0n) throw new ZeroRelayerFeeError();
  return { to, delegate, slippageBps, callData };
}

/**
 * Checks a transfer for `account` and returns the unsigned transactions that send it, for apps that sign
 * through their own wallet stack. Refuses (typed errors, nothing sent): an unknown domain, a bad or badly
 * checksummed address, an asset unknown, unregistered or unapproved on the origin or missing on the
 * destination, a destination not enrolled, slippage outside 0..10000 or below the destination's fee, a zero
 * amount, a relayer fee of zero or below the quote (unless allowed), too small a token or native balance, and
 * too small an allowance (unless `approve`). The `xcall` is simulated when no approval must come first.
 */
export async function prepareXcall(
  client: NxtpClient,
  params: XcallParams & { readonly account: string },
): Promise<PreparedXcall> {
  const account = checkAddress("account", params.account);
  const { to, delegate, slippageBps, callData } = validate(params);
  const route = await getRoute(client, params.origin, params.destination, params.asset);
  if (params.amount > 0n && slippageBps < route.liquidityFeeBps) {
    throw new SlippageBelowFeeError(slippageBps, route.liquidityFeeBps, params.destination);
  }
  let quotedRelayerFee: bigint | undefined;
  if (client.sequencerUrl) {
    quotedRelayerFee = await getRelayerFeeQuote(client, params.origin, params.destination);
  } else if (params.relayerFee === undefined) {
    throw new NoSequencerError();
  }
  const relayerFee = params.relayerFee ?? (quotedRelayerFee as bigint);
  if (quotedRelayerFee !== undefined && relayerFee < quotedRelayerFee && !params.allowRelayerFeeBelowQuote) {
    throw new RelayerFeeBelowQuoteError(relayerFee, quotedRelayerFee);
  }

  const { asset } = route;
  const origin = params.origin;
  const settings = client.settings(origin);
  const reader = await client.publicClient(origin);
  const [balance, native] = await Promise.all([
    tokenBalance(client, origin, asset.local, account),
    reader.getBalance({ address: account }).catch((cause: unknown) => {
      throw new ChainError(origin, "read native balance", { cause });
    }),
  ]);
  if (balance < params.amount) {
    throw new InsufficientBalanceError(asset.local, account, balance, params.amount, asset.decimals);
  }
  if (native < relayerFee) throw new InsufficientNativeBalanceError(account, native, relayerFee);

  // A canonical token is pulled (so it needs an allowance); a representation is burned (so it does not).
  let approval: UnsignedTransaction | undefined;
  if (asset.canonicalDomain === origin && params.amount > 0n) {
    const allowance = await tokenAllowance(client, origin, asset.local, account);
    if (allowance < params.amount) {
      if (!params.approve) {
        throw new InsufficientAllowanceError(
          asset.local,
          account,
          settings.connext,
          allowance,
          params.amount,
          asset.decimals,
        );
      }
      approval = {
        action: "approve",
        domain: origin,
        chainId: settings.chainId,
        from: account,
        to: asset.local,
        data: encodeFunctionData({
          abi: erc20Abi,
          functionName: "approve",
          args: [settings.connext, params.amount],
        }),
        value: 0n,
      };
    }
  }

  const args = [
    params.destination,
    to,
    asset.local,
    delegate,
    params.amount,
    BigInt(slippageBps),
    callData,
    0n,
  ] as const;
  const functionName = params.receiveLocal ? "xcallIntoLocal" : "xcall";
  const transaction: UnsignedTransaction = {
    action: functionName,
    domain: origin,
    chainId: settings.chainId,
    from: account,
    to: settings.connext,
    data: encodeFunctionData({ abi: connextAbi, functionName, args }),
    value: relayerFee,
  };
  if (!approval) await simulate(client, transaction);
  return { route, relayerFee, quotedRelayerFee, approval, transaction };
}

/** A step of {@link xcall}, as `onProgress` reports it. */
export type XcallProgress = { readonly elapsedMs: number } & (
  | { readonly step: "approving"; readonly transaction: UnsignedTransaction }
  | { readonly step: "approved"; readonly transaction: SentTransaction }
  | { readonly step: "sent"; readonly txHash: Hex }
  | { readonly step: "XCalled"; readonly transferId: Hex; readonly transaction: SentTransaction }
  | { readonly step: "Executed" | "Reconciled"; readonly transferId: Hex; readonly report: TransferReport }
  | {
      readonly step: "Completed";
      readonly path: "fast" | "slow";
      readonly transferId: Hex;
      readonly report: TransferReport;
    }
  | { readonly step: "waiting"; readonly transferId: Hex; readonly reason: string }
);

/** A sent transfer. */
export interface XcallResult {
  readonly transferId: Hex;
  /** Everything hashed into the id, as `XCalled` reported it. */
  readonly params: TransferInfo;
  readonly transaction: SentTransaction;
  readonly approval: SentTransaction | undefined;
  readonly relayerFee: bigint;
  /** Where the transfer stood when `xcall` returned, when it was asked to wait (`until`). */
  readonly report: TransferReport | undefined;
}

/**
 * Checks and sends a transfer with `wallet` (see {@link prepareXcall} for every refusal), approving first when
 * asked, and reports each step through `onProgress`: `approving`, `approved`, `sent`, `XCalled`, then, when
 * `until` asks to follow it (`"Executed"`, `"Completed"`, ...), the destination's stages up to `Completed`.
 */
export async function xcall(
  client: NxtpClient,
  params: XcallParams & {
    readonly wallet: WalletClient;
    readonly onProgress?: (progress: XcallProgress) => void;
    /** Follow the transfer until this stage before returning (default: return once `XCalled`). */
    readonly until?: StageTarget;
    /** How long to follow it, ms (default 10 minutes). */
    readonly timeoutMs?: number;
  },
): Promise<XcallResult> {
  const started = Date.now();
  const elapsedMs = () => Date.now() - started;
  const report = (progress: XcallProgress) => params.onProgress?.(progress);
  const account = walletAccount(params.wallet);
  const prepared = await prepareXcall(client, { ...params, account });

  let approval: SentTransaction | undefined;
  if (prepared.approval) {
    report({ step: "approving", transaction: prepared.approval, elapsedMs: elapsedMs() });
    approval = (await send(client, params.wallet, prepared.approval)).sent;
    report({ step: "approved", transaction: approval, elapsedMs: elapsedMs() });
  }
  const { sent, receipt } = await send(client, params.wallet, prepared.transaction, (txHash) =>
    report({ step: "sent", txHash, elapsedMs: elapsedMs() }),
  );
  const connext = client.settings(params.origin).connext;
  const [event] = parseEventLogs({
    abi: connextAbi,
    eventName: "XCalled",
    logs: receipt.logs.filter((log) => log.address.toLowerCase() === connext.toLowerCase()),
  });
  if (!event) throw new UnexpectedReceiptError(params.origin, "xcall", sent.hash, "no XCalled event");
  const { transferId, params: info } = event.args;
  if (computeTransferId(info) !== transferId || info.originDomain !== params.origin) {
    throw new UnexpectedReceiptError(
      params.origin,
      "xcall",
      sent.hash,
      "its XCalled does not hash its params",
    );
  }
  report({ step: "XCalled", transferId, transaction: sent, elapsedMs: elapsedMs() });

  let final: TransferReport | undefined;
  let lastStage: Stage = "XCalled";
  if (params.until && params.until !== "XCalled") {
    final = await waitForTransfer(client, {
      transferId,
      origin: params.origin,
      until: params.until,
      timeoutMs: params.timeoutMs,
      onProgress: (progress) => {
        const { stage, report: now } = progress;
        const moved = stage !== lastStage;
        lastStage = stage;
        if (stage === "XCalled" || !moved) {
          // Same stage, new explanation from the sequencer (why it waits).
          if (progress.waiting)
            report({ step: "waiting", transferId, reason: progress.waiting, elapsedMs: elapsedMs() });
        } else if (stage === "Executed" || stage === "Reconciled") {
          report({ step: stage, transferId, report: now, elapsedMs: elapsedMs() });
        } else {
          const path = stage === "CompletedFast" ? "fast" : "slow";
          report({ step: "Completed", path, transferId, report: now, elapsedMs: elapsedMs() });
        }
      },
    });
  }
  return {
    transferId,
    params: info,
    transaction: sent,
    approval,
    relayerFee: prepared.relayerFee,
    report: final,
  };
}
