/**
 * The bridge page: connect a wallet, pick the route, asset and amount, see the quote and the time expected, send,
 * and follow the transfer through its stages; then the account's transfers, each with its remedy while one
 * waits (bump the relayer fee, raise the slippage). Every refusal (amount over the balance, a malformed or badly
 * checksummed address, ...) is the SDK's typed error, raised before any transaction and shown in words.
 */

import {
  bumpTransfer,
  checkAddress,
  type Domain,
  forceUpdateSlippage,
  getAuction,
  getIndexedTransfer,
  getIndexedTransfers,
  getQuote,
  getTokenBalance,
  isFinalStage,
  parseAmount,
  type XcallProgress,
  xcall,
} from "@nxtp/sdk";
import { type Hex, parseEther } from "viem";
import type { Deployment } from "./config.js";
import { append, h, replace } from "./dom.js";
import type { View } from "./explorer.js";
import { amount, duration, errorWords, reasonWords, short, stageWords } from "./format.js";
import { every } from "./poll.js";
import { auctionWords } from "./timeline.js";
import { type Connection, connectDev, connectInjected, devAccounts, hasInjected } from "./wallet.js";

/** What the page measured of its last send, for the benchmark: milliseconds from the click. */
export interface SendTimings {
  xcalledMs?: number;
  executedMs?: number;
  completedMs?: number;
  path?: "fast" | "slow";
}

declare global {
  interface Window {
    /** The last send's timings (read by the end-to-end tests and `make bench-web`). */
    nxtpTimings?: SendTimings;
  }
}

let connection: Connection | undefined;

function select(
  name: string,
  options: readonly (string | number)[],
  chosen?: string | number,
): HTMLSelectElement {
  const element = h("select", { name, "aria-label": name, "data-testid": name });
  for (const option of options) element.append(h("option", { value: String(option) }, String(option)));
  if (chosen !== undefined) element.value = String(chosen);
  return element;
}

/** The bridge page. */
export function bridgeView(deployment: Deployment): View {
  const { client, manifest } = deployment;
  const domains = client.domains;

  // The wallet.
  const walletBox = h("div", { class: "wallet", "data-testid": "wallet" });
  const history = h("div", { "data-testid": "history" }, "Connect a wallet to see its transfers.");
  const connected = (made: Connection) => {
    connection = made;
    renderWallet();
    refreshQuote();
    watchHistory();
  };
  const renderWallet = () => {
    if (connection) {
      const current = connection;
      replace(
        walletBox,
        "Connected: ",
        h("span", { class: "mono", "data-testid": "account" }, current.address),
        ` (${current.label}) `,
        h("span", { "data-testid": "balance" }),
        " ",
        h(
          "button",
          {
            type: "button",
            onclick: () => {
              connection = undefined;
              stopHistory();
              replace(history, "Connect a wallet to see its transfers.");
              renderWallet();
            },
          },
          "Disconnect",
        ),
      );
      void showBalance();
      return;
    }
    const accounts = devAccounts(manifest);
    const picker = select(
      "dev-account",
      accounts.map((account) => account.name),
      accounts.find((account) => account.name === "user")?.name,
    );
    replace(
      walletBox,
      hasInjected()
        ? h(
            "button",
            {
              type: "button",
              "data-testid": "connect-injected",
              onclick: () =>
                connectInjected(client).then(connected, (error: unknown) =>
                  append(walletBox, h("p", { class: "error" }, errorWords(error))),
                ),
            },
            "Connect wallet",
          )
        : h("span", { class: "muted" }, "No injected wallet in this browser. "),
      accounts.length > 0
        ? h(
            "span",
            {},
            " Devnet: use development account ",
            picker,
            h(
              "button",
              {
                type: "button",
                "data-testid": "connect-dev",
                onclick: () => {
                  const account = accounts.find((candidate) => candidate.name === picker.value);
                  if (account) connected(connectDev(client, account));
                },
              },
              "Connect",
            ),
          )
        : null,
    );
  };

  // The form.
  const origin = select("origin", domains, domains[0]);
  const destination = select("destination", domains, domains[1] ?? domains[0]);
  const asset = select("asset", []);
  const amountInput = h("input", {
    name: "amount",
    "data-testid": "amount",
    inputmode: "decimal",
    placeholder: "0.0",
  });
  const recipient = h("input", {
    name: "recipient",
    "data-testid": "recipient",
    placeholder: "0x… (default: your account)",
    size: 46,
  });
  const relayerFee = h("input", {
    name: "relayer-fee",
    "data-testid": "relayer-fee",
    placeholder: "the sequencer's quote",
    size: 18,
  });
  const belowQuote = h("input", { type: "checkbox", "data-testid": "below-quote" });
  const quoteBox = h("div", { class: "quote", "data-testid": "quote" }, "Enter an amount for a quote.");
  const sendError = h("p", { class: "error", "data-testid": "send-error" });
  const progress = h("ol", { class: "progress", "data-testid": "progress" });
  const sendButton = h("button", { type: "submit", "data-testid": "send" }, "Send");

  const originDomain = (): Domain => Number(origin.value);
  const decimalsOf = (symbol: string): number =>
    client.settings(originDomain()).assets[symbol]?.decimals ?? 18;
  const fillAssets = () => {
    const symbols = Object.keys(client.settings(originDomain()).assets);
    const previous = asset.value;
    replace(asset, ...symbols.map((symbol) => h("option", { value: symbol }, symbol)));
    if (symbols.includes(previous)) asset.value = previous;
  };
  fillAssets();

  const showBalance = async () => {
    const current = connection;
    const target = walletBox.querySelector("[data-testid=balance]");
    if (!current || !target || !asset.value) return;
    try {
      const balance = await getTokenBalance(client, {
        domain: originDomain(),
        holder: current.address,
        asset: asset.value,
      });
      target.textContent = `balance on ${originDomain()}: ${amount(balance, decimalsOf(asset.value))} ${asset.value}`;
    } catch (error) {
      target.textContent = errorWords(error);
    }
  };

  let quoteSerial = 0;
  const refreshQuote = async () => {
    const serial = ++quoteSerial;
    if (!amountInput.value.trim()) {
      replace(quoteBox, "Enter an amount for a quote.");
      return;
    }
    try {
      const value = parseAmount(amountInput.value, decimalsOf(asset.value));
      const quote = await getQuote(client, {
        origin: originDomain(),
        destination: Number(destination.value),
        asset: asset.value,
        amount: value,
      });
      if (serial !== quoteSerial) return;
      replace(
        quoteBox,
        h(
          "div",
          {},
          "You receive ",
          h(
            "strong",
            { "data-testid": "receive" },
            `${amount(quote.amountReceived, decimalsOf(asset.value))} ${asset.value}`,
          ),
          " on the fast path",
        ),
        h(
          "div",
          {},
          `Relayer fee: ${quote.relayerFee === undefined ? "no sequencer to quote it" : `${amount(quote.relayerFee)} ETH`}`,
        ),
        h(
          "div",
          {},
          "Expected: ",
          h("strong", { "data-testid": "expected-path" }, `${quote.expectedPath} path`),
          `, about ${duration(quote.expectedSeconds)}`,
          quote.routers.covered ? "" : " (routers cannot cover it now; the slow path delivers it)",
        ),
      );
    } catch (error) {
      if (serial === quoteSerial) replace(quoteBox, h("span", { class: "error" }, errorWords(error)));
    }
  };
  for (const input of [amountInput, destination, asset])
    input.addEventListener("input", () => void refreshQuote());
  origin.addEventListener("input", () => {
    fillAssets();
    void refreshQuote();
    void showBalance();
  });
  asset.addEventListener("input", () => void showBalance());

  const step = (text: string, key: string, link?: string) =>
    progress.append(h("li", { dataset: { progress: key } }, link ? h("a", { href: link }, text) : text));

  const send = async () => {
    replace(sendError);
    replace(progress);
    const current = connection;
    if (!current) {
      replace(sendError, "Connect a wallet first.");
      return;
    }
    const clickedAt = performance.now();
    const timings: SendTimings = {};
    window.nxtpTimings = timings;
    const since = () => Math.round(performance.now() - clickedAt);
    sendButton.disabled = true;
    try {
      const from = originDomain();
      const decimals = decimalsOf(asset.value);
      let value: bigint;
      try {
        value = parseAmount(amountInput.value, decimals);
      } catch {
        throw new Error(`\`${amountInput.value}\` is not an amount`);
      }
      const to = recipient.value.trim() ? recipient.value.trim() : current.address;
      // The recipient is checked here too (the SDK checks it again): a typo never reaches the wallet.
      checkAddress("recipient", to);
      const fee = relayerFee.value.trim() ? parseEther(relayerFee.value.trim()) : undefined;
      const wallet = await current.wallet(from);
      const result = await xcall(client, {
        origin: from,
        destination: Number(destination.value),
        asset: asset.value,
        amount: value,
        to,
        delegate: current.address,
        approve: true,
        relayerFee: fee,
        allowRelayerFeeBelowQuote: belowQuote.checked,
        wallet,
        until: "Completed",
        timeoutMs: 15 * 60_000,
        onProgress: (event: XcallProgress) => onProgress(event),
      });
      void showBalance();
      return result;
    } catch (error) {
      replace(sendError, errorWords(error));
    } finally {
      sendButton.disabled = false;
    }

    function onProgress(event: XcallProgress) {
      switch (event.step) {
        case "approving":
          step("Approving the token…", "approving");
          break;
        case "approved":
          step(`Approved (tx ${short(event.transaction.hash)})`, "approved");
          break;
        case "sent":
          step(`Sent, tx ${short(event.txHash)}: waiting for it to be mined…`, "sent");
          break;
        case "XCalled":
          timings.xcalledMs = since();
          step(
            `XCalled: transfer ${short(event.transferId)} (follow it in the explorer)`,
            "XCalled",
            `#/transfer/${event.transferId}`,
          );
          break;
        case "Executed":
          timings.executedMs = since();
          step(stageWords("Executed"), "Executed");
          break;
        case "Reconciled":
          step(stageWords("Reconciled"), "Reconciled");
          break;
        case "Completed":
          timings.completedMs = since();
          timings.path = event.path;
          step(
            `Completed by the ${event.path} path after ${duration(timings.completedMs / 1000)}`,
            "Completed",
          );
          break;
        case "waiting":
          step(`Waiting: ${event.reason}`, "waiting");
          break;
      }
      void refreshHistory();
    }
  };

  // The account's transfers, with their remedies.
  let refreshHistory: () => Promise<void> = async () => undefined;
  let stopHistory: () => void = () => undefined;
  const watchHistory = () => {
    // One watcher at a time: a new connection replaces the previous one's.
    stopHistory();
    refreshHistory = async () => {
      const current = connection;
      if (!current) return;
      const page = await getIndexedTransfers(client, { sender: current.address, limit: 20 });
      const rows = await Promise.all(
        page.transfers.map((transfer) => historyRow(transfer.transferId, current)),
      );
      replace(
        history,
        rows.length === 0
          ? h("p", { class: "muted" }, "No transfer sent from this account yet.")
          : h("ul", { class: "history" }, ...rows),
      );
    };
    stopHistory = every(2000, async () => {
      await refreshHistory();
      return false;
    });
  };

  const historyRow = async (transferId: Hex, current: Connection): Promise<HTMLElement> => {
    const transfer = await getIndexedTransfer(client, transferId);
    const row = h(
      "li",
      { dataset: { transfer: transferId, stage: transfer?.stage ?? "unknown" } },
      h("a", { href: `#/transfer/${transferId}`, class: "mono" }, short(transferId)),
      ` ${transfer?.origin ?? "?"} → ${transfer?.destination ?? "?"} `,
      `${amount(transfer?.amount)} `,
      h("strong", { class: "stage" }, transfer ? stageWords(transfer.stage) : "not indexed yet"),
    );
    if (!transfer || isFinalStage(transfer.stage) || transfer.stage === "Executed") return row;
    const auction = client.sequencerUrl
      ? await getAuction(client, transferId).catch(() => undefined)
      : undefined;
    const words = auctionWords(auction);
    const waitingText =
      words?.reason ??
      (transfer.waiting ? `${reasonWords(transfer.waiting.reason)}: ${transfer.waiting.remedy}` : undefined);
    if (waitingText) append(row, h("div", { class: "waiting" }, waitingText));
    // What the fee lacks: the sequencer's own figures, or (when the page cannot reach the sequencer) the wei
    // the indexer's remedy names for a fee reason.
    const indexerSaysFee = /fee/i.test(transfer.waiting?.reason ?? "");
    const missing =
      auction?.state.kind === "awaiting_fee"
        ? auction.state.quote - auction.state.paid
        : !auction && indexerSaysFee
          ? BigInt(/(\d+) wei/.exec(transfer.waiting?.remedy ?? "")?.[1] ?? "0")
          : undefined;
    if (missing !== undefined && missing > 0n && transfer.origin !== undefined) {
      const origin = transfer.origin;
      const button = h(
        "button",
        { type: "button", "data-testid": "bump" },
        `Bump the fee by ${amount(missing)} ETH`,
      );
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await bumpTransfer(client, {
            origin,
            transferId,
            amount: missing,
            wallet: await current.wallet(origin),
          });
          append(row, h("div", { "data-testid": "bumped" }, "Bumped: the sequencer runs its auction now."));
        } catch (error) {
          append(row, h("div", { class: "error" }, errorWords(error)));
          button.disabled = false;
        }
      });
      append(row, h("div", { class: "remedy" }, words?.remedy ?? "", " ", button));
    }
    const slippageStuck =
      /slippage/i.test(waitingText ?? "") || /slippage/i.test(transfer.waiting?.remedy ?? "");
    if (slippageStuck && transfer.destination !== undefined && transfer.delegate === current.address) {
      const bps = h("input", {
        "data-testid": "slippage-bps",
        value: String(Number(transfer.slippage ?? 30n) * 2),
        size: 6,
      });
      const destinationDomain = transfer.destination;
      const button = h(
        "button",
        { type: "button", "data-testid": "raise-slippage" },
        "Raise the slippage (bps)",
      );
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await forceUpdateSlippage(client, {
            transfer: transferId,
            slippageBps: Number(bps.value),
            wallet: await current.wallet(destinationDomain),
          });
          append(row, h("div", {}, "Slippage raised."));
        } catch (error) {
          append(row, h("div", { class: "error" }, errorWords(error)));
          button.disabled = false;
        }
      });
      append(row, h("div", { class: "remedy" }, bps, " ", button));
    }
    return row;
  };

  const form = h(
    "form",
    {
      class: "bridge-form",
      onsubmit: (event: Event) => {
        event.preventDefault();
        void send();
      },
    },
    h("label", {}, "From ", origin),
    h("label", {}, "To ", destination),
    h("label", {}, "Asset ", asset),
    h("label", {}, "Amount ", amountInput),
    h("label", {}, "Recipient ", recipient),
    h(
      "details",
      {},
      h("summary", {}, "Relayer fee"),
      h("label", {}, "Relayer fee (ETH) ", relayerFee),
      h(
        "label",
        {},
        belowQuote,
        " accept a fee below the quote (the transfer then waits until it is bumped)",
      ),
    ),
    quoteBox,
    sendButton,
    sendError,
    progress,
  );
  renderWallet();
  if (connection) watchHistory();
  return {
    element: h(
      "div",
      { class: "bridge" },
      h("h2", {}, "Bridge"),
      walletBox,
      form,
      h("h3", {}, "Your transfers"),
      history,
    ),
    dispose: () => stopHistory(),
  };
}
