/**
 * A transfer's timeline as the indexer reports it: each stage with its time, its transaction and seconds after
 * the xcall; the slow path's messaging sub-stages (which, on the fast path, reimburse the routers); and while
 * it waits, why and what to do, in plain words (with the sequencer's explanation, such as a fee below its quote).
 */

import type { AuctionView, IndexedStep, IndexedTransfer } from "@nxtp/sdk";
import { h } from "./dom.js";
import { amount, duration, reasonWords, short, stageWords, time } from "./format.js";

interface Row {
  readonly key: string;
  readonly label: string;
  readonly step: IndexedStep | undefined;
  readonly note?: string;
  /** A point in time rather than a transaction (the root's acceptable time). */
  readonly at?: bigint;
}

function after(start: IndexedStep | undefined, at: bigint | undefined): string {
  if (!start || at === undefined) return "";
  return `+${duration(Number(at - start.timestamp))}`;
}

function row(start: IndexedStep | undefined, item: Row, sub = false): HTMLLIElement {
  const at = item.step?.timestamp ?? item.at;
  const done = item.step !== undefined || (item.at !== undefined && Number(item.at) * 1000 <= Date.now());
  return h(
    "li",
    { class: `${done ? "done" : "pending"}${sub ? " sub" : ""}`, dataset: { step: item.key } },
    h("span", { class: "mark" }, done ? "●" : "○"),
    h("span", { class: "label" }, item.label),
    h("span", { class: "when" }, at === undefined ? "pending" : `${time(at)} ${after(start, at)}`),
    item.step
      ? h(
          "span",
          { class: "tx", title: item.step.txHash },
          `domain ${item.step.domain} · tx ${short(item.step.txHash)}`,
        )
      : null,
    item.note ? h("span", { class: "note" }, item.note) : null,
  );
}

/** The sequencer's view in words, with the remedy it implies (bump the fee by what is missing). */
export function auctionWords(
  auction: AuctionView | undefined,
): { reason: string; remedy?: string } | undefined {
  if (!auction) return undefined;
  const state = auction.state;
  if (state.kind === "awaiting_fee") {
    const missing = state.quote - state.paid;
    return {
      reason: `The relayer fee paid (${amount(state.paid)} ETH) is below the sequencer's quote (${amount(state.quote)} ETH)`,
      remedy: `Bump the relayer fee by ${amount(missing > 0n ? missing : 0n)} ETH (the sender, on the origin)`,
    };
  }
  if (state.kind === "execute_failed" && /slippage/i.test(state.reason)) {
    return {
      reason: `Delivery failed: ${state.reason}`,
      remedy: "Raise the slippage tolerance (the transfer's delegate, on the destination)",
    };
  }
  if (state.kind === "awaiting_liquidity" || state.kind === "slow_path") {
    return {
      reason: auction.reason || "No router can front it now",
      remedy: "nothing: it completes by the slow path once its message arrives (no liquidity needed)",
    };
  }
  return auction.reason ? { reason: auction.reason } : undefined;
}

/** The transfer's timeline and waiting reason. */
export function timeline(transfer: IndexedTransfer, auction?: AuctionView): HTMLElement {
  const start = transfer.xcalled;
  const m = transfer.messaging;
  const fronted = transfer.routers.length > 0;
  // Before either path shows, the rows say what comes next on both.
  const undecided: Row[] = [
    {
      key: "executed",
      label: "Delivered (by routers, or by the slow path)",
      step: undefined,
    },
    { key: "reconciled", label: "Message arrived on the destination", step: transfer.reconciled },
  ];
  const mainRows: Row[] = [
    { key: "xcalled", label: "Sent (xcall) on the origin", step: transfer.xcalled },
    ...(transfer.path === undefined && !fronted ? undecided : decided()),
  ];
  function decided(): Row[] {
    return [
      fronted || transfer.path === "fast"
        ? {
            key: "executed",
            label: "Delivered: fronted by routers",
            step: transfer.executed,
            note: transfer.routers
              .map((share) => `${short(share.router)} fronted ${amount(share.amount)}`)
              .join(", "),
          }
        : {
            key: "reconciled",
            label: "Message arrived on the destination",
            step: transfer.reconciled,
          },
      fronted || transfer.path === "fast"
        ? { key: "reconciled", label: "Routers reimbursed (message arrived)", step: transfer.reconciled }
        : { key: "executed", label: "Delivered by the slow path", step: transfer.executed },
    ];
  }
  const messagingRows: Row[] = [
    { key: "dispatched", label: "Message dispatched", step: m.dispatched },
    { key: "checkpointed", label: "Checkpointed in a root", step: m.checkpointed },
    { key: "signed", label: "Root signed by the updater", step: m.signed },
    { key: "root_relayed", label: "Root relayed to the destination", step: m.rootRelayed },
    { key: "acceptable", label: "Fraud window over", step: undefined, at: m.acceptableAt },
    { key: "processed", label: "Message processed", step: m.processed },
  ];
  const waits = auctionWords(auction);
  const waitingBox =
    transfer.waiting || waits
      ? h(
          "div",
          { class: "waiting", "data-testid": "waiting" },
          h("strong", {}, "Why it waits: "),
          waits?.reason ?? (transfer.waiting ? reasonWords(transfer.waiting.reason) : ""),
          transfer.waiting && waits ? h("div", {}, reasonWords(transfer.waiting.reason)) : null,
          h(
            "div",
            { class: "remedy", "data-testid": "remedy" },
            h("strong", {}, "What to do: "),
            waits?.remedy ?? transfer.waiting?.remedy ?? "nothing: it proceeds on its own",
          ),
          transfer.eta !== undefined ? h("div", {}, `Expected by ${time(transfer.eta)}`) : null,
        )
      : null;
  return h(
    "section",
    { class: "timeline", "data-testid": "timeline", dataset: { stage: transfer.stage } },
    h(
      "h3",
      {},
      h("span", { "data-testid": "stage" }, stageWords(transfer.stage)),
      transfer.path ? h("span", { class: "badge" }, `${transfer.path} path`) : null,
    ),
    waitingBox,
    h("ol", { class: "steps" }, ...mainRows.map((item) => row(start, item))),
    h("h4", {}, "Messaging (the slow path; on the fast path it reimburses the routers)"),
    h("ol", { class: "steps" }, ...messagingRows.map((item) => row(start, item, true))),
    m.processFailed
      ? h(
          "p",
          { class: "error" },
          `A delivery reverted at ${time(m.processFailed.timestamp)}: ${m.processFailed.reason}`,
        )
      : null,
  );
}

/** The transfer's facts: route, parties, amounts and fees. */
export function facts(transfer: IndexedTransfer): HTMLElement {
  const pairs: [string, string][] = [
    ["Transfer id", transfer.transferId],
    ["Route", `${transfer.origin ?? "?"} → ${transfer.destination ?? "?"}`],
    ["Sender", transfer.sender ?? "—"],
    ["Recipient", transfer.to ?? "—"],
    ["Delegate", transfer.delegate ?? "—"],
    ["Asset", transfer.asset ?? "—"],
    ["Amount sent", amount(transfer.amount)],
    ["Amount delivered", amount(transfer.deliveredAmount)],
    ["Liquidity fee", amount(transfer.liquidityFee)],
    [
      "Relayer fees",
      transfer.relayerFees
        .map((fee) => `${amount(fee.amount)} ${/^0x0+$/.test(fee.asset) ? "ETH" : short(fee.asset)}`)
        .join(", ") || "—",
    ],
    ["Slippage tolerance", transfer.slippage === undefined ? "—" : `${transfer.slippage} bps`],
  ];
  return h(
    "dl",
    { class: "facts" },
    ...pairs.flatMap(([name, value]) => [h("dt", {}, name), h("dd", { class: "mono" }, value)]),
  );
}
