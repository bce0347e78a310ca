/** The shared vocabulary of the SDK: domains, transfers as the contracts define them, stages. */

import type { AbiParameterToPrimitiveType, Address, Hex } from "viem";
import { connextAbi } from "./generated/abis.js";

/** A domain id (`1000`, `2000`, ...): nxtp's name for a chain, independent of its EIP-155 chain id. */
export type Domain = number;

type XCalledEvent = Extract<(typeof connextAbi)[number], { type: "event"; name: "XCalled" }>;
type TransferInfoParameter = Extract<XCalledEvent["inputs"][number], { name: "params" }>;

/**
 * Everything that defines a transfer (Solidity's `TransferInfo`, typed from the generated ABI); its id is
 * `keccak256(abi.encode(info))`, so no field can change without changing the id.
 */
export type TransferInfo = AbiParameterToPrimitiveType<TransferInfoParameter>;

/** The ABI parameter of `TransferInfo`, taken from the generated ABI so the encoding follows the contract. */
export const transferInfoParameter: TransferInfoParameter = (() => {
  const event = connextAbi.find(
    (entry) => entry.type === "event" && entry.name === "XCalled",
  ) as XCalledEvent;
  return event.inputs.find((input) => input.name === "params") as TransferInfoParameter;
})();

/**
 * A transfer's progress on its destination. The fast path goes XCalled, Executed, CompletedFast; the slow
 * path XCalled, Reconciled, CompletedSlow.
 */
export type Stage = "XCalled" | "Executed" | "Reconciled" | "CompletedFast" | "CompletedSlow";

/** What a wait can aim for: a stage, or `"Completed"` for either completion. */
export type StageTarget = Stage | "Completed";

/** Every stage, in the order a transfer can pass them. */
export const STAGES: readonly Stage[] = [
  "XCalled",
  "Executed",
  "Reconciled",
  "CompletedFast",
  "CompletedSlow",
];

/** Whether a transfer can go no further. */
export function isFinalStage(stage: Stage): boolean {
  return stage === "CompletedFast" || stage === "CompletedSlow";
}

/**
 * Whether a transfer at `stage` has passed `target`: the recipient has the funds once it is Executed or
 * completed either way; the message has arrived once it is Reconciled or completed.
 */
export function stageReaches(stage: Stage, target: StageTarget): boolean {
  switch (target) {
    case "XCalled":
      return true;
    case "Executed":
      return stage === "Executed" || isFinalStage(stage);
    case "Reconciled":
      return stage === "Reconciled" || isFinalStage(stage);
    case "Completed":
      return isFinalStage(stage);
    default:
      return stage === target;
  }
}

/** The contract's `TransferStatus` enum (`None, Reconciled, Executed, Completed`) and its routers, as a stage. */
export function stageOf(status: number, routers: readonly Address[]): Stage {
  switch (status) {
    case 0:
      return "XCalled";
    case 1:
      return "Reconciled";
    case 2:
      return "Executed";
    case 3:
      return routers.length > 0 ? "CompletedFast" : "CompletedSlow";
    default:
      throw new RangeError(`${status} is not a transfer status`);
  }
}

/** A transaction an app can sign and send through its own wallet stack (viem's `sendTransaction` takes it). */
export interface UnsignedTransaction {
  /** What it does: `approve`, `xcall`, `bumpTransfer`, ... */
  readonly action: string;
  /** The domain whose chain it is for. */
  readonly domain: Domain;
  /** That chain's EIP-155 id. */
  readonly chainId: number;
  /** The sender it was checked for. */
  readonly from: Address;
  readonly to: Address;
  readonly data: Hex;
  /** Native value, wei. */
  readonly value: bigint;
}

/** A mined transaction the SDK sent. */
export interface SentTransaction {
  readonly action: string;
  readonly domain: Domain;
  readonly hash: Hex;
  readonly blockNumber: bigint;
  readonly gasUsed: bigint;
}
