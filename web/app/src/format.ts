/** How values read in the page: amounts, times, hashes, stages, wait reasons and errors in plain words. */

import { formatAmount, NxtpError, type Stage } from "@nxtp/sdk";

/** `0x1234…abcd`. */
export function short(hex: string | undefined): string {
  if (!hex) return "—";
  return hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : hex;
}

/** An amount in base units with its decimals, trimmed. */
export function amount(value: bigint | undefined, decimals = 18): string {
  return value === undefined ? "—" : formatAmount(value, decimals);
}

/** A unix time as local date and time. */
export function time(seconds: bigint | number | undefined): string {
  if (seconds === undefined) return "—";
  return new Date(Number(seconds) * 1000).toLocaleString();
}

/** `12 s`, `3 min 4 s`. */
export function duration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole} s`;
  const minutes = Math.floor(whole / 60);
  return whole % 60 ? `${minutes} min ${whole % 60} s` : `${minutes} min`;
}

/** A stage in words. */
export function stageWords(stage: Stage): string {
  switch (stage) {
    case "XCalled":
      return "Sent, on its way";
    case "Executed":
      return "Delivered (fronted by routers)";
    case "Reconciled":
      return "Message arrived, delivery pending";
    case "CompletedFast":
      return "Completed (fast path)";
    case "CompletedSlow":
      return "Completed (slow path)";
  }
}

/** The indexer's typed wait reasons, in plain words; a reason this app does not know is shown as its code. */
const REASONS: Record<string, string> = {
  AwaitingRouters: "Waiting for a router to front the transfer (usually seconds)",
  AwaitingCheckpoint: "Waiting for the origin to checkpoint the transfer's message",
  AwaitingRootRelay: "Waiting for the message's root to be signed and copied to the destination",
  InFraudWindow: "The message's root is on the destination, in its fraud window",
  AwaitingProcess: "The message can be delivered now; waiting for the processor",
  ProcessReverted: "Delivering the message reverted; it is retried",
  AwaitingSlowExecute: "The message arrived; waiting for the slow path's delivery",
  ReplicaHalted: "Messaging from the origin is halted on the destination (a watcher stopped it)",
  HomeFailed: "The origin's messaging failed (fraud was proven); its messages need a recovery",
  AwaitingOriginIndex: "The origin's side is not indexed yet",
};

/** A wait reason code in words. */
export function reasonWords(code: string): string {
  return REASONS[code] ?? code.replace(/([a-z])([A-Z])/g, "$1 $2");
}

/** Short titles of the SDK's refusals, by code; the error's own message gives the facts. */
const TITLES: Record<string, string> = {
  InvalidAddress: "That address is not valid",
  InsufficientBalance: "The amount is more than your balance",
  InsufficientNativeBalance: "Not enough native currency for the relayer fee",
  InsufficientAllowance: "The allowance is too small",
  UnknownDomain: "Unknown chain",
  SameDomain: "Origin and destination are the same chain",
  UnknownAsset: "Unknown asset",
  AssetNotApproved: "This asset is not bridgeable here",
  ZeroAmount: "Enter an amount above zero",
  ZeroRecipient: "The recipient cannot be the zero address",
  RelayerFeeBelowQuote: "The relayer fee is below the quote",
  ZeroRelayerFee: "A relayer fee is needed",
  InvalidSlippage: "The slippage tolerance is out of range",
  NotDelegate: "Only the transfer's delegate can do that",
  WalletMismatch: "The wallet is on another account or chain",
};

/** An error as one line a person can act on. */
export function errorWords(error: unknown): string {
  if (error instanceof NxtpError) {
    const title = TITLES[error.code];
    return title ? `${title}: ${error.message}` : error.message;
  }
  if (error instanceof Error) return error.message.split("\n")[0] ?? String(error);
  return String(error);
}
