// Bad input in the bridge form is refused before any transaction, with the SDK's typed error in words: an amount
// over the balance, an address that is not one, and a badly checksummed address. The account's nonce on the
// origin does not move.

import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDev, fillTransfer, launch, nonceOf, open, pageErrors, shot } from "./browser.js";

const USER = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720";
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launch();
  page = await open(browser, "#/bridge");
  await connectDev(page);
});

afterAll(async () => {
  await browser?.close();
});

async function refused(expected: RegExp): Promise<string> {
  await page.click("[data-testid=send]");
  const error = page.locator("[data-testid=send-error]");
  await error.filter({ hasText: expected }).waitFor({ timeout: 30_000 });
  return (await error.textContent()) ?? "";
}

describe("the bridge form", () => {
  it("refuses bad input before any transaction, saying why", async () => {
    const nonce = await nonceOf(1000, USER);
    await page.waitForSelector("[data-testid=balance]:has-text('DEMO')");

    await fillTransfer(page, "5000000");
    expect(await refused(/more than your balance/)).toMatch(
      /holds [0-9.]+ of 0x[0-9a-fA-F]{40}, needs 5000000/,
    );
    await shot(page, "refused-over-balance");

    await fillTransfer(page, "1", "0x1234");
    expect(await refused(/not valid/)).toContain("is not an address");
    await shot(page, "refused-unknown-address");

    // USER with one letter's case flipped: same digits, a failing EIP-55 checksum.
    await fillTransfer(page, "1", USER.replace("a0Ee", "a0EE"));
    expect(await refused(/checksum/)).toContain(USER);
    await shot(page, "refused-bad-checksum");

    expect(await page.locator("[data-progress]").count()).toBe(0);
    expect(await nonceOf(1000, USER)).toBe(nonce);
    expect(pageErrors).toEqual([]);
  });
});
