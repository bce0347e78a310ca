// What the browser tests share: headless Chromium from Debian's package, a page on the app, screenshots kept as
// test artifacts (test-results/screenshots/, gitignored), and the devnet's chains for checking what was sent.

import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { type Address, createPublicClient, http } from "viem";
import { inject } from "vitest";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];
export const RESULTS = fileURLToPath(new URL("../../test-results/", import.meta.url));
const SHOTS = `${RESULTS}screenshots/`;

/** Headless Chromium. */
export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}

/** Uncaught errors of the pages opened by {@link open}: a test ends by checking there are none. */
export const pageErrors: string[] = [];

/** A page on the app at `hash` (`#/bridge`, ...), its uncaught errors collected in {@link pageErrors}. */
export async function open(browser: Browser, hash = "#/"): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`${inject("appUrl")}/${hash}`);
  return page;
}

/** Saves a full-page screenshot as `name`.png among the test artifacts. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

/** Connects the devnet's development account `name` on the bridge page. */
export async function connectDev(page: Page, name = "user"): Promise<void> {
  await page.selectOption("[data-testid=dev-account]", name);
  await page.click("[data-testid=connect-dev]");
  await page.waitForSelector("[data-testid=account]");
}

interface DevManifest {
  domains: Record<string, { rpc_url: string }>;
}

/** How many transactions `account` has sent on `domain`'s chain (its nonce). */
export async function nonceOf(domain: number, account: Address): Promise<number> {
  const manifest = JSON.parse(readFileSync(inject("manifestPath"), "utf8")) as DevManifest;
  const rpc = manifest.domains[String(domain)]?.rpc_url;
  if (!rpc) throw new Error(`no domain ${domain} in the manifest`);
  return createPublicClient({ transport: http(rpc) }).getTransactionCount({ address: account });
}

/** Fills the bridge form (route 1000 → 2000, DEMO). */
export async function fillTransfer(page: Page, amount: string, recipient = ""): Promise<void> {
  await page.selectOption("[data-testid=origin]", "1000");
  await page.selectOption("[data-testid=destination]", "2000");
  await page.fill("[data-testid=recipient]", recipient);
  await page.fill("[data-testid=amount]", amount);
}

/** The transfer id the bridge page links to once its xcall is mined. */
export async function sentTransferId(page: Page): Promise<`0x${string}`> {
  const link = await page.waitForSelector("[data-progress=XCalled] a", { timeout: 60_000 });
  const href = (await link.getAttribute("href")) ?? "";
  const id = href.split("/").at(-1) ?? "";
  if (!/^0x[0-9a-f]{64}$/.test(id)) throw new Error(`no transfer id in ${href}`);
  return id as `0x${string}`;
}
