/**
 * Where transfers stand: found by their `XCalled` on the origin (its id recomputed from its params), judged by
 * the indexer's status API when the client has one (falling back to the destination's `transferStatus` and
 * `transferRouters` when it fails or does not know the transfer yet), and (with a sequencer, while nothing is
 * delivered) why they wait.
 */

import type { Address, Hex } from "viem";
import { checkAddress } from "./address.js";
import type { NxtpClient } from "./client.js";
import {
  ConfigError,
  IndexerError,
  NxtpError,
  TransferNotFoundError,
  UnknownDomainError,
  WaitTimeoutError,
} from "./errors.js";
import { connextAbi } from "./generated/abis.js";
import { getIndexedTransfer, getIndexedTransfers, type IndexedTransfer } from "./indexer.js";
import { type AuctionView, getAuction } from "./sequencer.js";
import { computeTransferId } from "./transfer.js";
import { failure } from "./tx.js";
import {
  type Domain,
  isFinalStage,
  type Stage,
  type StageTarget,
  stageOf,
  stageReaches,
  type TransferInfo,
} from "./types.js";

/** A transfer as found on its origin. */
export interface SentTransfer {
  readonly transferId: Hex;
  /** Everything hashed into its id. */
  readonly params: TransferInfo;
  /** The asset the sender supplied, and how much of it (base units). */
  readonly asset: Address;
  readonly amount: bigint;
  /** The `xcall` transaction and its block. */
  readonly originTx: Hex;
  readonly originBlock: bigint;
}

/** Where a transfer stands. */
export interface TransferReport extends SentTransfer {
  readonly origin: Domain;
  readonly destination: Domain;
  readonly stage: Stage;
  /** The routers that fronted it, in path order (empty unless fronted). */
  readonly routers: readonly Address[];
  /** The sequencer's view while nothing is delivered (XCalled or Reconciled; when a sequencer is configured and knows it). */
  readonly auction: AuctionView | undefined;
  /** Why it waits, in a sentence, while nothing is delivered. */
  readonly waiting: string | undefined;
  /** Where the stage was read: the indexer's status API, or the destination's chain (no indexer, or it failed). */
  readonly source: "indexer" | "chain";
  /** The indexer's fuller view (amounts, messaging sub-stages, a typed reason), when it was read. */
  readonly indexed: IndexedTransfer | undefined;
}

/** One observed change of a followed transfer. */
export interface TransferProgress {
  readonly transferId: Hex;
  readonly stage: Stage;
  readonly waiting: string | undefined;
  /** Milliseconds since the wait began. */
  readonly elapsedMs: number;
  readonly report: TransferReport;
}

type XCalledLog = {
  args: { transferId?: Hex; params?: TransferInfo; asset?: Address; amount?: bigint };
  transactionHash: Hex | null;
  blockNumber: bigint | null;
};

/** A checked `XCalled` log: its id is the hash of its params, which leave the domain it was read on. */
function sentFrom(domain: Domain, log: XCalledLog): SentTransfer | undefined {
  const { transferId, params, asset, amount } = log.args;
  if (!transferId || !params || !asset || amount === undefined) return undefined;
  if (computeTransferId(params) !== transferId || params.originDomain !== domain) return undefined;
  return {
    transferId,
    params,
    asset,
    amount,
    originTx: log.transactionHash ?? "0x",
    originBlock: log.blockNumber ?? 0n,
  };
}

async function xcalledLogs(
  client: NxtpClient,
  domain: Domain,
  transferId?: Hex,
  fromBlock?: bigint,
): Promise<SentTransfer[]> {
  const settings = client.settings(domain);
  const reader = await client.publicClient(domain);
  try {
    const logs = await reader.getContractEvents({
      address: settings.connext,
      abi: connextAbi,
      eventName: "XCalled",
      args: transferId ? { transferId } : undefined,
      fromBlock: fromBlock !== undefined && fromBlock > settings.fromBlock ? fromBlock : settings.fromBlock,
      toBlock: "latest",
    });
    return logs.flatMap((log) => sentFrom(domain, log as unknown as XCalledLog) ?? []);
  } catch (error) {
    throw failure(domain, "search XCalled logs", error);
  }
}

/** Finds a transfer by its `XCalled` on `origin`, or on whichever configured domain sent it. */
export async function findTransfer(
  client: NxtpClient,
  transferId: Hex,
  origin?: Domain,
): Promise<SentTransfer> {
  for (const domain of origin === undefined ? client.domains : [origin]) {
    const [found] = await xcalledLogs(client, domain, transferId);
    if (found) return found;
  }
  throw new TransferNotFoundError(transferId);
}

/** The indexer's view of the transfer, when one is configured and knows it; a failing indexer is skipped. */
async function indexedOrNothing(client: NxtpClient, transferId: Hex): Promise<IndexedTransfer | undefined> {
  if (!client.indexerUrl) return undefined;
  try {
    return await getIndexedTransfer(client, transferId);
  } catch {
    // The chains answer instead: the indexer is a faster, richer view, never the only one.
    return undefined;
  }
}

/** The destination's record of the transfer, read from its chain: the stage and the routers that fronted it. */
async function chainStage(
  client: NxtpClient,
  sent: SentTransfer,
): Promise<{ stage: Stage; routers: readonly Address[] }> {
  const destination = sent.params.destinationDomain;
  const connext = client.settings(destination).connext;
  const reader = await client.publicClient(destination);
  try {
    const [status, routers] = await Promise.all([
      reader.readContract({
        address: connext,
        abi: connextAbi,
        functionName: "transferStatus",
        args: [sent.transferId],
      }),
      reader.readContract({
        address: connext,
        abi: connextAbi,
        functionName: "transferRouters",
        args: [sent.transferId],
      }),
    ]);
    return { stage: stageOf(status, routers), routers };
  } catch (error) {
    throw failure(destination, "Connext.transferStatus", error);
  }
}

async function reportOf(client: NxtpClient, sent: SentTransfer): Promise<TransferReport> {
  const destination = sent.params.destinationDomain;
  const indexed = await indexedOrNothing(client, sent.transferId);
  const { stage, routers } = indexed
    ? { stage: indexed.stage, routers: indexed.routers.map((share) => share.router) }
    : await chainStage(client, sent);
  let auction: AuctionView | undefined;
  let waiting: string | undefined;
  // Nothing is delivered yet (not even reconciled and waiting for the slow path): the sequencer says why.
  if ((stage === "XCalled" || stage === "Reconciled") && client.sequencerUrl) {
    try {
      auction = await getAuction(client, sent.transferId);
      waiting = auction?.reason;
    } catch (error) {
      waiting = `the sequencer did not answer: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  if (waiting === undefined && indexed?.waiting)
    waiting = `${indexed.waiting.reason}: ${indexed.waiting.remedy}`;
  return {
    ...sent,
    origin: sent.params.originDomain,
    destination,
    stage,
    routers,
    auction,
    waiting,
    source: indexed ? "indexer" : "chain",
    indexed,
  };
}

/** Where a transfer stands (its origin searched first when given). */
export async function getTransfer(
  client: NxtpClient,
  params: { transferId: Hex; origin?: Domain },
): Promise<TransferReport> {
  return reportOf(client, await findTransfer(client, params.transferId, params.origin));
}

/**
 * Transfers sent from the configured domains (or `origins`), oldest first per origin, optionally only those
 * sent by `sender` or to `to`, or in blocks from `fromBlock` on, each with where it stands. With an indexer,
 * the list is read from its status API (every page of `GET /transfers`, through its cursor) and each transfer's
 * params from its own `XCalled` log; without one, or when it fails, from every `XCalled` log of the origins.
 */
export async function getTransfers(
  client: NxtpClient,
  filter: { sender?: string; to?: string; origins?: readonly Domain[]; fromBlock?: bigint } = {},
): Promise<TransferReport[]> {
  const sender = filter.sender === undefined ? undefined : checkAddress("sender", filter.sender);
  const to = filter.to === undefined ? undefined : checkAddress("to", filter.to);
  const origins = filter.origins ?? client.domains;
  for (const origin of origins) client.settings(origin);
  let found: SentTransfer[] | undefined;
  if (client.indexerUrl) {
    try {
      found = await indexedSentTransfers(client, { sender, to, origins, fromBlock: filter.fromBlock });
    } catch (error) {
      // The chains answer instead, as for a single transfer.
      if (!(error instanceof IndexerError)) throw error;
    }
  }
  if (!found) {
    const same = (a: string, b: string | undefined) => b === undefined || a.toLowerCase() === b.toLowerCase();
    found = [];
    for (const domain of origins) {
      const logs = await xcalledLogs(client, domain, undefined, filter.fromBlock);
      found.push(
        ...logs.filter((sent) => same(sent.params.originSender, sender) && same(sent.params.to, to)),
      );
    }
  }
  return Promise.all(found.map((sent) => reportOf(client, sent)));
}

/** How many transfer ids one `XCalled` log query asks for (topics OR-ed together). */
const IDS_PER_LOG_QUERY = 100;

/**
 * The transfers the indexer lists for `filter`, each checked against its own `XCalled` log (which gives the
 * params the id is hashed from): one log query per origin and hundred transfers, over the blocks that hold them.
 */
async function indexedSentTransfers(
  client: NxtpClient,
  filter: { sender?: Address; to?: Address; origins: readonly Domain[]; fromBlock?: bigint },
): Promise<SentTransfer[]> {
  const wanted = new Map<Domain, { ids: Hex[]; from: bigint; to: bigint }>();
  let cursor: string | undefined;
  do {
    const page = await getIndexedTransfers(client, {
      sender: filter.sender,
      to: filter.to,
      cursor,
      limit: 500,
    });
    for (const summary of page.transfers) {
      const xcalled = summary.xcalled;
      // Only the destination's side is indexed yet: the params are not known, the chains' path finds it.
      if (!xcalled || summary.origin === undefined || !filter.origins.includes(summary.origin)) continue;
      if (filter.fromBlock !== undefined && xcalled.blockNumber < filter.fromBlock) continue;
      const range = wanted.get(summary.origin) ?? {
        ids: [],
        from: xcalled.blockNumber,
        to: xcalled.blockNumber,
      };
      range.ids.push(summary.transferId);
      if (xcalled.blockNumber < range.from) range.from = xcalled.blockNumber;
      if (xcalled.blockNumber > range.to) range.to = xcalled.blockNumber;
      wanted.set(summary.origin, range);
    }
    cursor = page.nextCursor;
  } while (cursor);
  const found: SentTransfer[] = [];
  for (const origin of filter.origins) {
    const range = wanted.get(origin);
    if (!range) continue;
    const settings = client.settings(origin);
    const reader = await client.publicClient(origin);
    const sent: SentTransfer[] = [];
    for (let start = 0; start < range.ids.length; start += IDS_PER_LOG_QUERY) {
      const ids = range.ids.slice(start, start + IDS_PER_LOG_QUERY);
      try {
        const logs = await reader.getContractEvents({
          address: settings.connext,
          abi: connextAbi,
          eventName: "XCalled",
          args: { transferId: ids },
          fromBlock: range.from,
          toBlock: range.to,
        });
        sent.push(...logs.flatMap((log) => sentFrom(origin, log as unknown as XCalledLog) ?? []));
      } catch (error) {
        throw failure(origin, "search XCalled logs", error);
      }
    }
    sent.sort((a, b) => (a.originBlock < b.originBlock ? -1 : a.originBlock > b.originBlock ? 1 : 0));
    found.push(...sent);
  }
  return found;
}

/**
 * Follows a transfer until it reaches `until` (default `"Completed"`, either path) or can go no further,
 * calling `onProgress` with every change of stage or of the sequencer's explanation. A transfer not found yet
 * (its `xcall` just sent) or a failed read is retried until `timeoutMs` (default 10 minutes).
 */
export async function waitForTransfer(
  client: NxtpClient,
  params: {
    transferId: Hex;
    origin?: Domain;
    until?: StageTarget;
    timeoutMs?: number;
    onProgress?: (progress: TransferProgress) => void;
    signal?: AbortSignal;
  },
): Promise<TransferReport> {
  const until = params.until ?? "Completed";
  const timeoutMs = params.timeoutMs ?? 600_000;
  const started = Date.now();
  let sent: SentTransfer | undefined;
  let last: TransferReport | undefined;
  let lastError: unknown;
  for (;;) {
    params.signal?.throwIfAborted();
    try {
      sent ??= await findTransfer(client, params.transferId, params.origin);
      const report = await reportOf(client, sent);
      if (!last || last.stage !== report.stage || last.waiting !== report.waiting) {
        params.onProgress?.({
          transferId: params.transferId,
          stage: report.stage,
          waiting: report.waiting,
          elapsedMs: Date.now() - started,
          report,
        });
      }
      last = report;
      if (stageReaches(report.stage, until) || isFinalStage(report.stage)) return report;
    } catch (error) {
      // A configuration mistake will not heal by waiting; everything else (not found yet, a read) may.
      if (error instanceof UnknownDomainError || error instanceof ConfigError) throw error;
      lastError = error;
    }
    const waited = Date.now() - started;
    if (waited >= timeoutMs) {
      if (!last && lastError instanceof NxtpError && !(lastError instanceof TransferNotFoundError))
        throw lastError;
      throw new WaitTimeoutError(params.transferId, until, last?.stage, waited);
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(client.pollingIntervalMs, timeoutMs - waited)),
    );
  }
}
