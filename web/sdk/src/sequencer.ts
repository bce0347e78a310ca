/**
 * The sequencer's HTTP API, as far as users need it (docs/liquidity-agents.md): the relayer fee a transfer must
 * pay (`GET /v1/quote`) and where its auction stands (`GET /v1/transfers/<id>`). Amounts are decimal strings.
 */

import type { Address, Hex } from "viem";
import type { NxtpClient } from "./client.js";
import { NoSequencerError, SequencerError } from "./errors.js";
import type { Domain } from "./types.js";

/** Where a transfer's auction stands, as the sequencer reports it. */
export type AuctionState =
  | { readonly kind: "awaiting_xcall" }
  | { readonly kind: "awaiting_fee"; readonly paid: bigint; readonly quote: bigint }
  | { readonly kind: "auction"; readonly closesAt: number }
  | { readonly kind: "awaiting_liquidity" }
  | { readonly kind: "sent"; readonly routers: readonly Address[]; readonly jobId: Hex }
  | { readonly kind: "executed"; readonly txHash: Hex }
  | { readonly kind: "execute_failed"; readonly reason: string }
  | { readonly kind: "slow_path"; readonly reason: string }
  | { readonly kind: "unknown"; readonly raw: unknown };

/** What the sequencer knows of a transfer. */
export interface AuctionView {
  readonly state: AuctionState;
  /** A sentence saying why it waits (or what happened), for people. */
  readonly reason: string;
  /** The routers chosen, once decided. */
  readonly selected: readonly Address[] | undefined;
}

const REQUEST_TIMEOUT_MS = 10_000;

async function request(client: NxtpClient, path: string): Promise<{ status: number; body: unknown }> {
  if (!client.sequencerUrl) throw new NoSequencerError();
  const url = `${client.sequencerUrl.replace(/\/+$/, "")}/${path}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (cause) {
    throw new SequencerError(`unreachable at ${client.sequencerUrl}`, undefined, undefined, { cause });
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new SequencerError(
      `unexpected answer (${response.status}): ${text.slice(0, 200)}`,
      response.status,
    );
  }
  return { status: response.status, body };
}

function refusal(status: number, body: unknown): SequencerError {
  const error = body as { error?: unknown; message?: unknown };
  const code = typeof error?.error === "string" ? error.error : undefined;
  const message = typeof error?.message === "string" ? error.message : JSON.stringify(body).slice(0, 200);
  return new SequencerError(`${status}${code ? ` ${code}` : ""}: ${message}`, status, code);
}

/** The native relayer fee (wei) the sequencer asks of a transfer from `origin` to `destination`. */
export async function getRelayerFeeQuote(
  client: NxtpClient,
  origin: Domain,
  destination: Domain,
): Promise<bigint> {
  const { status, body } = await request(client, `v1/quote?origin=${origin}&destination=${destination}`);
  if (status !== 200) throw refusal(status, body);
  const fee = (body as { relayer_fee?: unknown }).relayer_fee;
  if (typeof fee !== "string" || !/^\d+$/.test(fee)) {
    throw new SequencerError(
      `a quote without a decimal relayer_fee: ${JSON.stringify(body).slice(0, 200)}`,
      status,
    );
  }
  return BigInt(fee);
}

/** What the sequencer knows of `transferId`; `undefined` when it knows nothing of it. */
export async function getAuction(client: NxtpClient, transferId: Hex): Promise<AuctionView | undefined> {
  const { status, body } = await request(client, `v1/transfers/${transferId}`);
  if (status === 404 && (body as { error?: unknown }).error === "unknown_transfer") return undefined;
  if (status !== 200) throw refusal(status, body);
  const view = body as { state?: Record<string, unknown>; reason?: unknown; selected?: unknown };
  return {
    state: parseState(view.state),
    reason: typeof view.reason === "string" ? view.reason : "",
    selected: Array.isArray(view.selected) ? (view.selected as Address[]) : undefined,
  };
}

function parseState(raw: Record<string, unknown> | undefined): AuctionState {
  switch (raw?.kind) {
    case "awaiting_xcall":
    case "awaiting_liquidity":
      return { kind: raw.kind };
    case "awaiting_fee":
      return { kind: "awaiting_fee", paid: BigInt(String(raw.paid)), quote: BigInt(String(raw.quote)) };
    case "auction":
      return { kind: "auction", closesAt: Number(raw.closes_at) };
    case "sent":
      return { kind: "sent", routers: raw.routers as Address[], jobId: raw.job_id as Hex };
    case "executed":
      return { kind: "executed", txHash: raw.tx_hash as Hex };
    case "execute_failed":
    case "slow_path":
      return { kind: raw.kind, reason: String(raw.reason) };
    default:
      return { kind: "unknown", raw };
  }
}
