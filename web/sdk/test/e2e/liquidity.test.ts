// Router liquidity on a real devnet: anyone adds for an approved router, only its owner removes, and the
// refusals on the way.

import {
  addRouterLiquidity,
  getRouterBalance,
  InsufficientLiquidityError,
  NotRouterOwnerError,
  prepareAddRouterLiquidity,
  RouterNotApprovedError,
  removeRouterLiquidity,
  ZeroAmountError,
} from "@nxtp/sdk";
import { parseUnits } from "viem";
import { describe, expect, it } from "vitest";
import { ASSET, devnet, ORIGIN } from "./fixture.js";

const net = devnet();
const { client } = net;
const router = net.address("router_a");
const amount = parseUnits("5", 18);

describe("router liquidity", () => {
  it("is added by anyone for an approved router, approving first", async () => {
    const before = await getRouterBalance(client, { domain: ORIGIN, router, asset: ASSET });
    const added = await addRouterLiquidity(client, {
      domain: ORIGIN,
      router,
      asset: ASSET,
      amount,
      wallet: net.wallet("user", ORIGIN),
    });
    expect(added.approval?.action).toBe("approve");
    expect(added.balance).toBe(before + amount);
  });

  it("is removed only by the router's owner, and no more than it holds", async () => {
    const balance = await getRouterBalance(client, { domain: ORIGIN, router, asset: ASSET });
    const to = net.address("router_a");
    await expect(
      removeRouterLiquidity(client, {
        domain: ORIGIN,
        router,
        asset: ASSET,
        amount,
        to,
        wallet: net.wallet("user", ORIGIN),
      }),
    ).rejects.toThrow(NotRouterOwnerError);
    const owner = net.wallet("router_a", ORIGIN);
    await expect(
      removeRouterLiquidity(client, {
        domain: ORIGIN,
        router,
        asset: ASSET,
        amount: balance + 1n,
        to,
        wallet: owner,
      }),
    ).rejects.toThrow(InsufficientLiquidityError);
    const removed = await removeRouterLiquidity(client, {
      domain: ORIGIN,
      router,
      asset: ASSET,
      amount,
      to,
      wallet: owner,
    });
    expect(removed.balance).toBe(balance - amount);
  });

  it("refuses an unapproved router and a zero amount", async () => {
    const account = net.address("user");
    const stranger = "0x000000000000000000000000000000000000c0de";
    await expect(
      prepareAddRouterLiquidity(client, { domain: ORIGIN, router: stranger, asset: ASSET, amount, account }),
    ).rejects.toThrow(RouterNotApprovedError);
    await expect(
      prepareAddRouterLiquidity(client, { domain: ORIGIN, router, asset: ASSET, amount: 0n, account }),
    ).rejects.toThrow(ZeroAmountError);
  });
});
