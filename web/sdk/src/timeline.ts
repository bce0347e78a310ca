/**
 * A transfer's history with timings: when it was sent on its origin, fronted (or executed by the slow path) on
 * its destination and reconciled there, each with its transaction and its block's time, and what was delivered.
 */

import type { Address, Hex } from "viem";
import type { NxtpClient } from "./client.js";
import { connextAbi } from "./generated/abis.js";
import { findTransfer } from "./status.js";
import { failure } from "./tx.js";
import type { Domain } from "./types.js";

/** One step of a transfer on a chain. */
export interface TransferStep {
  readonly domain: Domain;
  readonly txHash: Hex;
  readonly blockNumber: bigint;
  /** The block's time, unix seconds. */
  readonly timestamp: bigint;
  /** Seconds after the `xcall`'s block (zero for the `xcall` itself). */
  readonly afterSeconds: number;
}

/** What a transfer went through so far. */
export interface TransferTimeline {
  readonly transferId: Hex;
  readonly xcalled: TransferStep;
  /** The destination's `execute`: the recipient got `amount` of `local` (fronted by `routers`, or none: slow path). */
  readonly executed:
    | (TransferStep & {
        readonly amount: bigint;
        readonly local: Address;
        readonly routers: readonly Address[];
      })
    | undefined;
  /** The message's arrival on the destination (`handle`). */
  readonly reconciled: TransferStep | undefined;
}

type StepLog = { transactionHash: Hex | null; blockNumber: bigint | null };

/** The history of `transferId` (its origin searched first when given), read from the chains. */
export async function getTransferTimeline(
  client: NxtpClient,
  params: { transferId: Hex; origin?: Domain },
): Promise<TransferTimeline> {
  const sent = await findTransfer(client, params.transferId, params.origin);
  const origin = sent.params.originDomain;
  const destination = sent.params.destinationDomain;
  const [here, there] = await Promise.all([client.publicClient(origin), client.publicClient(destination)]);
  const settings = client.settings(destination);
  const query = {
    address: settings.connext,
    abi: connextAbi,
    fromBlock: settings.fromBlock,
    toBlock: "latest",
  } as const;
  let xcalledAt: bigint;
  let executedLogs: Awaited<ReturnType<typeof there.getContractEvents<typeof connextAbi, "Executed">>>;
  let reconciledLogs: Awaited<ReturnType<typeof there.getContractEvents<typeof connextAbi, "Reconciled">>>;
  try {
    [xcalledAt, executedLogs, reconciledLogs] = await Promise.all([
      here.getBlock({ blockNumber: sent.originBlock }).then((block) => block.timestamp),
      there.getContractEvents({ ...query, eventName: "Executed", args: { transferId: params.transferId } }),
      there.getContractEvents({ ...query, eventName: "Reconciled", args: { transferId: params.transferId } }),
    ]);
  } catch (error) {
    throw failure(destination, "read the transfer's events", error);
  }
  const step = async (log: StepLog): Promise<TransferStep> => {
    const blockNumber = log.blockNumber ?? 0n;
    const { timestamp } = await there.getBlock({ blockNumber });
    return {
      domain: destination,
      txHash: log.transactionHash ?? "0x",
      blockNumber,
      timestamp,
      afterSeconds: Number(timestamp - xcalledAt),
    };
  };
  const [executedLog] = executedLogs;
  const [reconciledLog] = reconciledLogs;
  return {
    transferId: params.transferId,
    xcalled: {
      domain: origin,
      txHash: sent.originTx,
      blockNumber: sent.originBlock,
      timestamp: xcalledAt,
      afterSeconds: 0,
    },
    executed: executedLog
      ? {
          ...(await step(executedLog)),
          amount: executedLog.args.amount ?? 0n,
          local: executedLog.args.local ?? "0x",
          routers: executedLog.args.routers ?? [],
        }
      : undefined,
    reconciled: reconciledLog ? await step(reconciledLog) : undefined,
  };
}
