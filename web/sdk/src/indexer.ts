/**
 * The indexer's status API (docs/indexer.md): a transfer's stage with every step and messaging sub-stage, its
 * amounts, and a typed reason with its remedy while it waits (`GET /transfers/{id}`), and pages of transfers,
 * newest first, filtered by sender, recipient, router, stage or route (`GET /transfers`). `getTransfer`,
 * `getTransfers` and `waitForTransfer` read through it when the client has an `indexerUrl`, and fall back to the
 * chains when it fails or does not know a transfer.
 */

import { type Address, getAddress, type Hex } from "viem";
import { checkAddress } from "./address.js";
import type { NxtpClient } from "./client.js";
import { IndexerError } from "./errors.js";
import { type Domain, STAGES, type Stage } from "./types.js";

/** Where and when a step happened. */
export interface IndexedStep {
  readonly domain: Domain;
  readonly txHash: Hex;
  readonly blockNumber: bigint;
  /** The block's time, unix seconds. */
  readonly timestamp: bigint;
}

/** A step that concerns a Merkle root (checkpointed, signed, relayed). */
export interface IndexedRootStep extends IndexedStep {
  readonly root: Hex;
}

/** A delivery of the transfer's message that reverted. */
export interface IndexedProcessFailure extends IndexedStep {
  /** The revert data. */
  readonly reason: Hex;
}

/** A transfer as the indexer reports it. */
export interface IndexedTransfer {
  readonly transferId: Hex;
  readonly stage: Stage;
  /** `fast` once routers fronted it, `slow` once its message arrived first. */
  readonly path: "fast" | "slow" | undefined;
  readonly origin: Domain | undefined;
  readonly destination: Domain | undefined;
  readonly sender: Address | undefined;
  readonly to: Address | undefined;
  /** Who may update it on the destination (raise the slippage, receive the local asset). */
  readonly delegate: Address | undefined;
  /** The asset the sender supplied on the origin, and how much of it. */
  readonly asset: Address | undefined;
  readonly amount: bigint | undefined;
  readonly bridgedAmount: bigint | undefined;
  readonly deliveredAmount: bigint | undefined;
  readonly liquidityFee: bigint | undefined;
  /** Relayer fees paid, per asset (zero address: native), bumps included. */
  readonly relayerFees: readonly { readonly asset: Address; readonly amount: bigint }[];
  /** The slippage tolerance in force, basis points (the latest update). */
  readonly slippage: bigint | undefined;
  /** Whether it is delivered in the destination's local asset. */
  readonly receiveLocal: boolean | undefined;
  /** Each router that fronted it and its share. */
  readonly routers: readonly { readonly router: Address; readonly amount: bigint }[];
  readonly xcalled: IndexedStep | undefined;
  readonly executed: IndexedStep | undefined;
  readonly reconciled: IndexedStep | undefined;
  /** The recipient's `xReceive` outcome, for a transfer with calldata. */
  readonly calldata: { readonly success: boolean; readonly returnData: Hex } | undefined;
  /** The message's way through the messaging layer. */
  readonly messaging: {
    readonly messageHash: Hex | undefined;
    readonly leafIndex: number | undefined;
    readonly dispatched: IndexedStep | undefined;
    readonly checkpointed: IndexedRootStep | undefined;
    readonly signed: IndexedRootStep | undefined;
    readonly rootRelayed: IndexedRootStep | undefined;
    /** When the relayed root becomes acceptable (unix seconds). */
    readonly acceptableAt: bigint | undefined;
    readonly processed: IndexedStep | undefined;
    /** The last delivery that reverted, if it has not been delivered since. */
    readonly processFailed: IndexedProcessFailure | undefined;
  };
  /** On the slow path, once known: when the root becomes acceptable (unix seconds). */
  readonly eta: bigint | undefined;
  /** While it waits: a typed reason (`AwaitingRouters`, `InFraudWindow`, ...) and what to do about it. */
  readonly waiting: { readonly reason: string; readonly remedy: string } | undefined;
}

/** A transfer as the indexer lists it. */
export interface IndexedTransferSummary {
  readonly transferId: Hex;
  readonly stage: Stage;
  readonly path: "fast" | "slow" | undefined;
  readonly origin: Domain | undefined;
  readonly destination: Domain | undefined;
  readonly sender: Address | undefined;
  readonly to: Address | undefined;
  readonly bridgedAmount: bigint | undefined;
  /** The routers that fronted it. */
  readonly routers: readonly Address[];
  readonly xcalled: IndexedStep | undefined;
  /** The newest step's block time (unix seconds). */
  readonly updatedAt: bigint | undefined;
}

/** Which transfers to list; every field narrows the list. */
export interface IndexedTransferFilter {
  readonly sender?: string;
  readonly to?: string;
  readonly router?: string;
  readonly stage?: Stage;
  readonly origin?: Domain;
  readonly destination?: Domain;
  /** The previous page's `nextCursor`, for the next (older) page. */
  readonly cursor?: string;
  /** Transfers per page, 1 to 500 (the indexer's default: 50). */
  readonly limit?: number;
}

/** One page of transfers, newest first. */
export interface IndexedTransferPage {
  readonly transfers: readonly IndexedTransferSummary[];
  /** Pass as `cursor` for the next (older) page; `undefined` on the last page. */
  readonly nextCursor: string | undefined;
}

const REQUEST_TIMEOUT_MS = 10_000;

type Json = Record<string, unknown>;

const big = (value: unknown): bigint | undefined =>
  typeof value === "string" || typeof value === "number" ? BigInt(value) : undefined;
const address = (value: unknown): Address | undefined =>
  typeof value === "string" ? getAddress(value) : undefined;
const num = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);
const hex = (value: unknown): Hex | undefined => (typeof value === "string" ? (value as Hex) : undefined);
const path = (value: unknown): "fast" | "slow" | undefined =>
  value === "fast" || value === "slow" ? value : undefined;

function stageOf(value: unknown): Stage {
  if (!STAGES.includes(value as Stage)) throw new IndexerError(`an unknown stage \`${String(value)}\``);
  return value as Stage;
}

function step(raw: unknown): IndexedStep | undefined {
  if (!raw || typeof raw !== "object") return undefined;
  const json = raw as Json;
  if (typeof json.tx_hash !== "string" || typeof json.block !== "number")
    throw new IndexerError(`a step without its transaction or block: ${JSON.stringify(raw).slice(0, 200)}`);
  return {
    domain: Number(json.domain),
    txHash: json.tx_hash as Hex,
    blockNumber: BigInt(json.block),
    timestamp: BigInt(json.timestamp as number),
  };
}

function rootStep(raw: unknown): IndexedRootStep | undefined {
  const base = step(raw);
  return base && { ...base, root: (raw as Json).root as Hex };
}

function processFailure(raw: unknown): IndexedProcessFailure | undefined {
  const base = step(raw);
  return base && { ...base, reason: ((raw as Json).reason as Hex | undefined) ?? "0x" };
}

/** Parses a `GET /transfers/{id}` answer. */
function parseTransfer(json: Json): IndexedTransfer {
  const messaging = (json.messaging ?? {}) as Json;
  const waiting = json.waiting as Json | null | undefined;
  const calldata = json.calldata as Json | null | undefined;
  return {
    transferId: json.transfer_id as Hex,
    stage: stageOf(json.stage),
    path: path(json.path),
    origin: num(json.origin),
    destination: num(json.destination),
    sender: address(json.sender),
    to: address(json.to),
    delegate: address(json.delegate),
    asset: address(json.asset),
    amount: big(json.amount),
    bridgedAmount: big(json.bridged_amount),
    deliveredAmount: big(json.delivered_amount),
    liquidityFee: big(json.liquidity_fee),
    relayerFees: ((json.relayer_fees ?? []) as Json[]).map((fee) => ({
      asset: getAddress(fee.asset as string),
      amount: BigInt(fee.amount as string),
    })),
    slippage: big(json.slippage),
    receiveLocal: typeof json.receive_local === "boolean" ? json.receive_local : undefined,
    routers: ((json.routers ?? []) as Json[]).map((share) => ({
      router: getAddress(share.router as string),
      amount: BigInt(share.amount as string),
    })),
    xcalled: step(json.xcalled),
    executed: step(json.executed),
    reconciled: step(json.reconciled),
    calldata: calldata
      ? { success: calldata.success === true, returnData: (hex(calldata.return_data) ?? "0x") as Hex }
      : undefined,
    messaging: {
      messageHash: hex(messaging.message_hash),
      leafIndex: num(messaging.leaf_index),
      dispatched: step(messaging.dispatched),
      checkpointed: rootStep(messaging.checkpointed),
      signed: rootStep(messaging.signed),
      rootRelayed: rootStep(messaging.root_relayed),
      acceptableAt: big(messaging.acceptable_at),
      processed: step(messaging.processed),
      processFailed: processFailure(messaging.process_failed),
    },
    eta: big(json.eta),
    waiting: waiting ? { reason: String(waiting.reason), remedy: String(waiting.remedy) } : undefined,
  };
}

/** Parses one entry of a `GET /transfers` page. */
function parseSummary(json: Json): IndexedTransferSummary {
  return {
    transferId: json.transfer_id as Hex,
    stage: stageOf(json.stage),
    path: path(json.path),
    origin: num(json.origin),
    destination: num(json.destination),
    sender: address(json.sender),
    to: address(json.to),
    bridgedAmount: big(json.bridged_amount),
    routers: ((json.routers ?? []) as unknown[]).map((router) => getAddress(String(router))),
    xcalled: step(json.xcalled),
    updatedAt: big(json.updated_at),
  };
}

/**
 * GETs `path` of the indexer's API: `undefined` on a 404 `not_found`, the JSON body on a 200, an
 * {@link IndexerError} for everything else (no `indexerUrl`, unreachable, a refusal, an answer not the API's).
 */
async function request(client: NxtpClient, path: string): Promise<Json | undefined> {
  if (!client.indexerUrl) throw new IndexerError("no indexerUrl is configured");
  const url = `${client.indexerUrl.replace(/\/+$/, "")}/${path}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (cause) {
    throw new IndexerError(`unreachable at ${client.indexerUrl}`, { cause });
  }
  const text = await response.text();
  let body: Json;
  try {
    body = JSON.parse(text) as Json;
  } catch {
    throw new IndexerError(`unexpected answer (${response.status}): ${text.slice(0, 200)}`);
  }
  if (response.status === 404 && body.error === "not_found") return undefined;
  if (response.status !== 200) {
    throw new IndexerError(`${response.status} ${String(body.error)}: ${String(body.message)}`, {
      status: response.status,
      code: typeof body.error === "string" ? body.error : undefined,
    });
  }
  return body;
}

/** Runs `parse` on an answer, turning anything unexpected into an {@link IndexerError}. */
function parsed<T>(text: Json, parse: (json: Json) => T): T {
  try {
    return parse(text);
  } catch (cause) {
    if (cause instanceof IndexerError) throw cause;
    throw new IndexerError(`an answer it could not read: ${JSON.stringify(text).slice(0, 200)}`, { cause });
  }
}

/**
 * The indexer's view of a transfer, by its id or by the hash of the transaction that xcalled it; `undefined`
 * when the indexer does not know it (yet). Throws {@link IndexerError} without an `indexerUrl`, or when the
 * indexer cannot be reached or answers with something else than its API.
 */
export async function getIndexedTransfer(
  client: NxtpClient,
  idOrTxHash: Hex,
): Promise<IndexedTransfer | undefined> {
  const body = await request(client, `transfers/${idOrTxHash}`);
  return body && parsed(body, parseTransfer);
}

/**
 * One page of the transfers the indexer knows, newest first, narrowed by `filter` (addresses are checked here
 * first: a badly checksummed one is an `InvalidAddressError`). Pass the page's `nextCursor` as `cursor` for the
 * next one. Throws {@link IndexerError} as {@link getIndexedTransfer} does, and for a filter the indexer refuses
 * (a domain it does not index, a cursor it did not hand out).
 */
export async function getIndexedTransfers(
  client: NxtpClient,
  filter: IndexedTransferFilter = {},
): Promise<IndexedTransferPage> {
  const query = new URLSearchParams();
  for (const field of ["sender", "to", "router"] as const) {
    const value = filter[field];
    if (value !== undefined) query.set(field, checkAddress(field, value).toLowerCase());
  }
  if (filter.stage !== undefined) query.set("stage", filter.stage);
  if (filter.origin !== undefined) query.set("origin", String(filter.origin));
  if (filter.destination !== undefined) query.set("destination", String(filter.destination));
  if (filter.cursor !== undefined) query.set("cursor", filter.cursor);
  if (filter.limit !== undefined) query.set("limit", String(filter.limit));
  const text = query.toString();
  const body = await request(client, text ? `transfers?${text}` : "transfers");
  if (!body) throw new IndexerError("the transfer list is missing (404): is this the indexer's status API?");
  return parsed(body, (json) => {
    if (!Array.isArray(json.transfers)) throw new IndexerError("a page without `transfers`");
    return {
      transfers: (json.transfers as Json[]).map(parseSummary),
      nextCursor: typeof json.next_cursor === "string" ? json.next_cursor : undefined,
    };
  });
}
