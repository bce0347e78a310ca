// The bridge page with an injected EIP-1193 wallet (`window.ethereum`) instead of a development key: a stand-in
// provider forwards every request to the chain it is switched to, where anvil signs for its unlocked accounts
// (as a browser wallet would sign for its user). The page connects it, asks it to switch to the origin's chain,
// and sends a transfer that completes.

import { readFileSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { fillTransfer, launch, pageErrors, sentTransferId, shot } from "./browser.js";

const USER = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
let browser: Browser;
let page: Page;
/** Every method the page asked the wallet, in order. */
let asked: string[] = [];

beforeAll(async () => {
  const manifest = JSON.parse(readFileSync(inject("manifestPath"), "utf8")) as {
    domains: Record<string, { chain_id: number; rpc_url: string }>;
  };
  const rpcByChain = Object.fromEntries(
    Object.values(manifest.domains).map((domain) => [`0x${domain.chain_id.toString(16)}`, domain.rpc_url]),
  );
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.exposeFunction("walletAsked", (method: string) => {
    asked.push(method);
  });
  await context.addInitScript(
    ({ account, rpcs }) => {
      // Starts on the last chain, so the page has to ask for a switch.
      let chainId = Object.keys(rpcs).at(-1) as string;
      let id = 0;
      const walletAsked = (window as unknown as { walletAsked: (method: string) => void }).walletAsked;
      (window as unknown as { ethereum: unknown }).ethereum = {
        async request({ method, params }: { method: string; params?: unknown[] }) {
          walletAsked(method);
          switch (method) {
            case "eth_requestAccounts":
            case "eth_accounts":
              return [account];
            case "eth_chainId":
              return chainId;
            case "wallet_switchEthereumChain": {
              const wanted = (params?.[0] as { chainId?: string } | undefined)?.chainId ?? "";
              if (!rpcs[wanted]) throw Object.assign(new Error("unknown chain"), { code: 4902 });
              chainId = wanted;
              return null;
            }
            default: {
              const response = await fetch(rpcs[chainId] as string, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params: params ?? [] }),
              });
              const body = await response.json();
              if (body.error) throw Object.assign(new Error(body.error.message), body.error);
              return body.result;
            }
          }
        },
        on() {},
        removeListener() {},
      };
    },
    { account: USER, rpcs: rpcByChain },
  );
  page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  await page.goto(`${inject("appUrl")}/#/bridge`);
});

afterAll(async () => {
  await browser?.close();
});

describe("an injected wallet", () => {
  it("connects, is switched to the origin's chain, and sends a transfer that completes", async () => {
    asked = [];
    await page.click("[data-testid=connect-injected]");
    await page.waitForSelector(`[data-testid=account]:has-text("${USER}")`);
    expect(await page.textContent("[data-testid=wallet]")).toContain("injected wallet");
    await fillTransfer(page, "1");
    await page.waitForSelector('[data-testid=expected-path]:has-text("fast path")');
    await page.click("[data-testid=send]");
    const id = await sentTransferId(page);
    await page.waitForSelector("[data-progress=Completed]", { timeout: 120_000 });
    await shot(page, "bridge-injected-completed");
    expect(asked).toContain("eth_requestAccounts");
    expect(asked).toContain("wallet_switchEthereumChain");
    expect(asked).toContain("eth_sendTransaction");
    expect(id).toMatch(/^0x[0-9a-f]{64}$/);
    expect(pageErrors).toEqual([]);
  });
});
