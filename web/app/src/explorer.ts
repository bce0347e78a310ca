/**
 * The explorer: search by transfer id, xcall transaction hash or address; a transfer's timeline, updated live;
 * an address's transfers; the recent transfers; the routers (`GET /routers`, shown as unavailable when the
 * indexer has no such endpoint).
 */

import {
  checkAddress,
  getAuction,
  getIndexedTransfer,
  getIndexedTransfers,
  getTransfer,
  getTransferTimeline,
  type IndexedTransferSummary,
  InvalidAddressError,
  isFinalStage,
} from "@nxtp/sdk";
import type { Hex } from "viem";
import type { Deployment } from "./config.js";
import { h, replace } from "./dom.js";
import { amount, errorWords, short, stageWords, time } from "./format.js";
import { every } from "./poll.js";
import { facts, timeline } from "./timeline.js";

/** A view: its element and what stops its updates. */
export interface View {
  readonly element: HTMLElement;
  dispose(): void;
}

const HASH = /^0x[0-9a-fA-F]{64}$/;

/** Where a search goes: a transfer (id or xcall transaction), an address, or a refusal in words. */
export function searchTarget(text: string): { route: string } | { error: string } {
  const query = text.trim();
  if (HASH.test(query)) return { route: `#/transfer/${query.toLowerCase()}` };
  try {
    return { route: `#/address/${checkAddress("search", query)}` };
  } catch (error) {
    if (error instanceof InvalidAddressError && error.reason === "checksum")
      return { error: errorWords(error) };
    return {
      error: "Enter a transfer id or transaction hash (0x and 64 hex digits) or an address (0x and 40)",
    };
  }
}

function searchBox(): HTMLElement {
  const input = h("input", {
    type: "search",
    placeholder: "Transfer id, transaction hash or address",
    "aria-label": "Search",
    "data-testid": "search",
    size: 70,
  });
  const error = h("p", { class: "error", "data-testid": "search-error" });
  const form = h(
    "form",
    {
      class: "search",
      onsubmit: (event: Event) => {
        event.preventDefault();
        const target = searchTarget(input.value);
        if ("route" in target) location.hash = target.route;
        else replace(error, target.error);
      },
    },
    input,
    h("button", { type: "submit" }, "Search"),
    error,
  );
  return form;
}

/** A table of transfer summaries, each linking to its timeline. */
export function transferTable(transfers: readonly IndexedTransferSummary[], empty: string): HTMLElement {
  if (transfers.length === 0) return h("p", { class: "muted" }, empty);
  return h(
    "table",
    { class: "transfers" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Transfer", "Route", "Sender", "Recipient", "Amount", "Stage", "Sent"].map((t) => h("th", {}, t)),
      ),
    ),
    h(
      "tbody",
      {},
      ...transfers.map((transfer) =>
        h(
          "tr",
          { dataset: { transfer: transfer.transferId, stage: transfer.stage } },
          h(
            "td",
            {},
            h("a", { href: `#/transfer/${transfer.transferId}`, class: "mono" }, short(transfer.transferId)),
          ),
          h("td", {}, `${transfer.origin ?? "?"} → ${transfer.destination ?? "?"}`),
          h("td", { class: "mono" }, short(transfer.sender)),
          h("td", { class: "mono" }, short(transfer.to)),
          h("td", {}, amount(transfer.bridgedAmount)),
          h("td", { class: `stage ${transfer.stage}` }, stageWords(transfer.stage)),
          h("td", {}, time(transfer.xcalled?.timestamp)),
        ),
      ),
    ),
  );
}

type Json = Record<string, unknown>;

const BIDDING: Record<string, string> = {
  live: "live",
  stopped: "stopped bidding",
  idle: "idle (nothing to bid on)",
  unknown: "unknown (no sequencer)",
};

const decimal = (value: unknown): string =>
  typeof value === "string" && /^\d+$/.test(value)
    ? amount(BigInt(value))
    : value === undefined
      ? "—"
      : String(value);

/**
 * The routers' table from `GET /routers` (`{ routers: [{ router, liquidity: [{ domain, asset, available,
 * fronted, ... }], bidding, live, last_bid_at, last_fronted_at }], sequencer }`), read tolerantly so a field
 * this page does not know, or one missing, never breaks it.
 */
export function routersTable(body: unknown): HTMLElement {
  const json = body as Json | undefined;
  const list = (Array.isArray(body) ? body : (json?.routers ?? [])) as Json[];
  if (!Array.isArray(list) || list.length === 0)
    return h("p", { class: "muted" }, "No router has liquidity yet.");
  const liquidity = (router: Json): HTMLElement => {
    const entries = Array.isArray(router.liquidity) ? (router.liquidity as Json[]) : [];
    if (entries.length === 0) return h("span", { class: "muted" }, "—");
    return h(
      "ul",
      { class: "plain" },
      ...entries.map((entry) =>
        h(
          "li",
          {},
          `domain ${String(entry.domain ?? "?")} ${entry.asset ? short(String(entry.asset)) : ""}: `,
          h("strong", {}, decimal(entry.available ?? entry.amount)),
          entry.fronted !== undefined
            ? ` (fronted ${decimal(entry.fronted)} in ${String(entry.transfers_fronted ?? "?")} transfers)`
            : "",
        ),
      ),
    );
  };
  const sequencer = json?.sequencer as Json | undefined;
  return h(
    "div",
    {},
    h(
      "table",
      { class: "routers", "data-testid": "routers" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["Router", "Liquidity available", "Bidding", "Last bid", "Last fronted"].map((t) =>
            h("th", {}, t),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        ...list.map((router) => {
          const bidding = typeof router.bidding === "string" ? router.bidding : undefined;
          const live = router.live === true || bidding === "live";
          const stopped = router.live === false || bidding === "stopped";
          return h(
            "tr",
            { dataset: { router: String(router.router ?? "") } },
            h("td", { class: "mono" }, String(router.router ?? router.address ?? "?")),
            h("td", {}, liquidity(router)),
            h(
              "td",
              { class: live ? "live" : stopped ? "stale" : "muted" },
              bidding ? (BIDDING[bidding] ?? bidding) : live ? "live" : stopped ? "stopped bidding" : "—",
            ),
            h("td", {}, typeof router.last_bid_at === "number" ? time(router.last_bid_at) : "—"),
            h("td", {}, typeof router.last_fronted_at === "number" ? time(router.last_fronted_at) : "—"),
          );
        }),
      ),
    ),
    sequencer?.error ? h("p", { class: "muted" }, `Bids unknown: ${String(sequencer.error)}`) : null,
  );
}

/** The explorer's home: search, recent transfers and routers, updated live. */
export function explorerHome(deployment: Deployment): View {
  const recent = h("div", { "data-testid": "recent" }, "Loading…");
  const routers = h("div", { "data-testid": "routers-box" }, "Loading…");
  const stopRecent = every(2000, async () => {
    try {
      const page = await getIndexedTransfers(deployment.client, { limit: 20 });
      replace(recent, transferTable(page.transfers, "No transfer yet."));
    } catch (error) {
      replace(
        recent,
        h("p", { class: "error" }, `The indexer cannot list transfers now: ${errorWords(error)}`),
      );
    }
    return false;
  });
  const stopRouters = every(5000, async () => {
    try {
      const response = await fetch(`${deployment.indexerUrl}/routers`, {
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status === 404) {
        replace(
          routers,
          h(
            "p",
            { class: "muted", "data-testid": "routers-unavailable" },
            "Routers: unavailable (this indexer has no /routers).",
          ),
        );
        return true;
      }
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      replace(routers, routersTable(await response.json()));
    } catch (error) {
      replace(
        routers,
        h(
          "p",
          { class: "muted", "data-testid": "routers-unavailable" },
          `Routers: unavailable (${errorWords(error)}).`,
        ),
      );
    }
    return false;
  });
  const element = h(
    "div",
    { class: "explorer" },
    h("h2", {}, "Explorer"),
    searchBox(),
    h("h3", {}, "Recent transfers"),
    recent,
    h("h3", {}, "Routers"),
    routers,
  );
  return {
    element,
    dispose: () => {
      stopRecent();
      stopRouters();
    },
  };
}

/** One transfer, by id or xcall transaction, its timeline updated until it completes. */
export function transferView(deployment: Deployment, idOrTx: Hex): View {
  const body = h("div", {}, "Looking it up…");
  const stop = every(1000, async () => {
    let transfer: Awaited<ReturnType<typeof getIndexedTransfer>>;
    try {
      transfer = await getIndexedTransfer(deployment.client, idOrTx);
    } catch (error) {
      // The chains answer instead, with less detail: the indexer is the richer view, never the only one.
      replace(
        body,
        h("p", { class: "error" }, `The indexer cannot answer now (${errorWords(error)}); from the chains:`),
        await fromChains(deployment, idOrTx),
      );
      return false;
    }
    if (!transfer) {
      replace(
        body,
        h(
          "p",
          { class: "muted", "data-testid": "not-found" },
          "No transfer with this id or xcall transaction yet (the indexer sees events at each chain's confirmation depth). This page updates by itself.",
        ),
      );
      return false;
    }
    let auction: Awaited<ReturnType<typeof getAuction>>;
    if ((transfer.stage === "XCalled" || transfer.stage === "Reconciled") && deployment.client.sequencerUrl) {
      auction = await getAuction(deployment.client, transfer.transferId).catch(() => undefined);
    }
    replace(body, timeline(transfer, auction), facts(transfer));
    return isFinalStage(transfer.stage);
  });
  return {
    element: h(
      "div",
      { class: "transfer" },
      h("p", {}, h("a", { href: "#/" }, "← Explorer")),
      searchBox(),
      h("h2", {}, "Transfer"),
      body,
    ),
    dispose: stop,
  };
}

/** What the chains (and the sequencer) say of a transfer id, for when the indexer cannot answer. */
async function fromChains(deployment: Deployment, transferId: Hex): Promise<HTMLElement> {
  try {
    const [report, history] = await Promise.all([
      getTransfer(deployment.client, { transferId }),
      getTransferTimeline(deployment.client, { transferId }),
    ]);
    const step = (
      label: string,
      at: { timestamp: bigint; txHash: Hex; domain: number; afterSeconds: number } | undefined,
    ) =>
      h(
        "li",
        { class: at ? "done" : "pending" },
        h("span", { class: "mark" }, at ? "●" : "○"),
        h("span", { class: "label" }, label),
        h("span", { class: "when" }, at ? `${time(at.timestamp)} +${at.afterSeconds} s` : "pending"),
        at
          ? h("span", { class: "tx", title: at.txHash }, `domain ${at.domain} · tx ${short(at.txHash)}`)
          : null,
      );
    return h(
      "section",
      { class: "timeline", "data-testid": "chain-timeline", dataset: { stage: report.stage } },
      h("h3", {}, stageWords(report.stage)),
      report.waiting
        ? h("div", { class: "waiting" }, h("strong", {}, "Why it waits: "), report.waiting)
        : null,
      h(
        "ol",
        { class: "steps" },
        step("Sent (xcall) on the origin", history.xcalled),
        step(report.routers.length > 0 ? "Delivered: fronted by routers" : "Delivered", history.executed),
        step("Message arrived on the destination", history.reconciled),
      ),
    );
  } catch (error) {
    return h("p", { class: "error" }, errorWords(error));
  }
}

/** An address's transfers, as sender and as recipient, updated live. */
export function addressView(deployment: Deployment, address: string): View {
  const sent = h("div", {}, "Loading…");
  const received = h("div", {}, "Loading…");
  const stop = every(3000, async () => {
    try {
      const [bySender, byRecipient] = await Promise.all([
        getIndexedTransfers(deployment.client, { sender: address, limit: 50 }),
        getIndexedTransfers(deployment.client, { to: address, limit: 50 }),
      ]);
      replace(sent, transferTable(bySender.transfers, "None sent."));
      replace(received, transferTable(byRecipient.transfers, "None received."));
    } catch (error) {
      replace(sent, h("p", { class: "error" }, errorWords(error)));
    }
    return false;
  });
  return {
    element: h(
      "div",
      {},
      h("p", {}, h("a", { href: "#/" }, "← Explorer")),
      searchBox(),
      h("h2", {}, "Address ", h("span", { class: "mono" }, address)),
      h("h3", {}, "Sent"),
      sent,
      h("h3", {}, "Received"),
      received,
    ),
    dispose: stop,
  };
}
