// A user sends a fast and a slow transfer from the bridge page and sees both complete in the explorer (found by
// id, by the xcall's transaction and by address); a transfer sent with a fee below the quote shows the bump
// remedy, is bumped from the page, and completes. The fast transfer's times from the send click to XCalled and
// to CompletedFast are kept for `make bench-web` (test-results/timings.json).

import { mkdirSync, writeFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectDev,
  fillTransfer,
  launch,
  open,
  pageErrors,
  RESULTS,
  sentTransferId,
  shot,
} from "./browser.js";

const USER = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
let browser: Browser;
let bridge: Page;
let explorer: Page;

beforeAll(async () => {
  browser = await launch();
  bridge = await open(browser, "#/bridge");
  await connectDev(bridge);
  explorer = await open(browser, "#/");
});

afterAll(async () => {
  await browser?.close();
});

/** Sends `amount` DEMO from the bridge page once the quote expects `path`; returns the transfer's id. */
async function send(amount: string, path: "fast" | "slow"): Promise<`0x${string}`> {
  await fillTransfer(bridge, amount);
  await bridge.waitForSelector(`[data-testid=expected-path]:has-text("${path} path")`, { timeout: 30_000 });
  await bridge.click("[data-testid=send]");
  return sentTransferId(bridge);
}

/** Opens the transfer in the explorer and waits for its timeline to reach `stage`. */
async function explorerShows(idOrTx: string, stage: string): Promise<void> {
  await explorer.goto(`${new URL(explorer.url()).origin}/#/transfer/${idOrTx}`);
  await explorer.waitForSelector(`[data-testid=timeline][data-stage=${stage}]`, { timeout: 180_000 });
}

describe("transfers from the bridge page", () => {
  it("sends a fast transfer and sees it complete in the explorer", async () => {
    // The routers: a table once the indexer serves GET /routers, "unavailable" before.
    await explorer.waitForSelector("[data-testid=routers] tbody tr, [data-testid=routers-unavailable]");
    await shot(explorer, "explorer-home");
    const id = await send("2", "fast");
    await shot(bridge, "bridge-fast-sent");
    await bridge.waitForSelector("[data-progress=Completed]", { timeout: 120_000 });
    const timings = await bridge.evaluate(() => window.nxtpTimings);
    expect(timings?.path).toBe("fast");
    expect(timings?.xcalledMs).toBeGreaterThan(0);
    expect(timings?.completedMs).toBeGreaterThanOrEqual(timings?.xcalledMs ?? 0);
    mkdirSync(RESULTS, { recursive: true });
    const binary = process.env.NXTP_BIN ?? "target/debug/nxtp";
    writeFileSync(
      `${RESULTS}timings.json`,
      `${JSON.stringify({ fast: timings, measured_with: binary }, null, 2)}\n`,
    );
    await shot(bridge, "bridge-fast-completed");

    // The routers fronted it at once; CompletedFast waits for their reimbursement through the messaging layer.
    await explorerShows(id, "CompletedFast");
    for (const step of [
      "xcalled",
      "executed",
      "reconciled",
      "dispatched",
      "checkpointed",
      "signed",
      "root_relayed",
      "processed",
    ])
      expect(await explorer.locator(`[data-step=${step}].done`).count(), step).toBe(1);
    expect(await explorer.textContent("[data-step=executed]")).toMatch(/fronted 1\.999/);
    await shot(explorer, "explorer-fast-completed");

    // Found by its xcall's transaction too, and listed under the sender's address.
    const tx = (await explorer.getAttribute("[data-step=xcalled] .tx", "title")) ?? "";
    await explorer.fill("[data-testid=search]", tx);
    await explorer.press("[data-testid=search]", "Enter");
    await explorer.waitForSelector(`[data-testid=timeline][data-stage=CompletedFast]`);
    expect(await explorer.textContent(".facts")).toContain(id);
    await explorer.fill("[data-testid=search]", USER);
    await explorer.press("[data-testid=search]", "Enter");
    await explorer.waitForSelector(`tr[data-transfer="${id}"]`);
    await shot(explorer, "explorer-address");

    // With the indexer unreachable, the transfer's page reads the chains instead and says so.
    const cut = await open(browser, "#/");
    await cut.route("**/indexer/transfers/**", (route) => route.abort());
    await cut.goto(`${new URL(cut.url()).origin}/#/transfer/${id}`);
    await cut.waitForSelector("[data-testid=chain-timeline][data-stage=CompletedFast]");
    expect(await cut.textContent("main")).toContain("The indexer cannot answer now");
    await shot(cut, "explorer-indexer-down");
    await cut.close();
  });

  it("sends a slow transfer (more than the routers hold together) and sees it complete by the slow path", async () => {
    const id = await send("2500", "slow");
    await explorerShows(id, "XCalled");
    // While it waits, the explorer says why in words, and what to do.
    await explorer.waitForSelector("[data-testid=waiting] [data-testid=remedy]");
    await shot(explorer, "explorer-slow-waiting");
    await bridge.waitForSelector("[data-progress=Completed]", { timeout: 180_000 });
    expect(await bridge.textContent("[data-progress=Completed]")).toContain("slow path");
    await explorerShows(id, "CompletedSlow");
    for (const step of ["checkpointed", "signed", "root_relayed", "acceptable", "processed", "executed"])
      expect(await explorer.locator(`[data-step=${step}].done`).count(), step).toBe(1);
    expect(await explorer.locator("[data-testid=waiting]").count()).toBe(0);
    await shot(explorer, "explorer-slow-completed");
  });

  it("shows the bump remedy for a fee below the quote, bumps it from the page, and completes", async () => {
    await bridge.click("details summary");
    await bridge.fill("[data-testid=relayer-fee]", "0.0001");
    await bridge.check("[data-testid=below-quote]");
    const id = await send("1", "fast");
    const bump = bridge.locator(`li[data-transfer="${id}"] [data-testid=bump]`);
    await bump.waitFor({ timeout: 60_000 });
    expect(await bump.textContent()).toContain("0.0009");
    await shot(bridge, "bridge-bump-remedy");
    await explorerShows(id, "XCalled");
    await explorer.waitForSelector("[data-testid=remedy]:has-text('Bump the relayer fee')");
    await shot(explorer, "explorer-fee-below-quote");

    await bump.click();
    await bridge.waitForSelector(`li[data-transfer="${id}"][data-stage=CompletedFast]`, { timeout: 120_000 });
    await bridge.waitForSelector("[data-progress=Completed]");
    await shot(bridge, "bridge-bumped-completed");
    await explorerShows(id, "CompletedFast");
    expect(await explorer.textContent(".facts")).toContain("0.001 ETH");
    expect(pageErrors).toEqual([]);
  });
});
