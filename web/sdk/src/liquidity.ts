/** Router liquidity: what a router holds inside a domain's Connext, adding to it and removing it. */

import { type Address, encodeFunctionData, type WalletClient } from "viem";
import { checkAddress, isZeroAddress } from "./address.js";
import { getApprovedAsset, getAsset, tokenAllowance, tokenBalance } from "./asset.js";
import type { NxtpClient } from "./client.js";
import {
  InsufficientAllowanceError,
  InsufficientBalanceError,
  InsufficientLiquidityError,
  NotRouterOwnerError,
  RouterNotApprovedError,
  ZeroAmountError,
  ZeroRecipientError,
} from "./errors.js";
import { connextAbi, erc20Abi } from "./generated/abis.js";
import { failure, requireEvent, send, simulate, walletAccount } from "./tx.js";
import type { Domain, SentTransaction, UnsignedTransaction } from "./types.js";

type RouterInfo = readonly [boolean, Address, Address, number, Address, bigint];

async function routerInfo(client: NxtpClient, domain: Domain, router: Address): Promise<RouterInfo> {
  const reader = await client.publicClient(domain);
  try {
    return await reader.readContract({
      address: client.settings(domain).connext,
      abi: connextAbi,
      functionName: "routerInfo",
      args: [router],
    });
  } catch (error) {
    throw failure(domain, "Connext.routerInfo", error);
  }
}

/** `router`'s liquidity in `asset` (a symbol or token address) on `domain`, in base units. */
export async function getRouterBalance(
  client: NxtpClient,
  params: { domain: Domain; router: string; asset: string },
): Promise<bigint> {
  const router = checkAddress("router", params.router);
  const info = await getAsset(client, params.domain, params.asset);
  const reader = await client.publicClient(params.domain);
  try {
    return await reader.readContract({
      address: client.settings(params.domain).connext,
      abi: connextAbi,
      functionName: "routerBalance",
      args: [router, info.local],
    });
  } catch (error) {
    throw failure(params.domain, "Connext.routerBalance", error);
  }
}

/** Adding liquidity, checked and ready to sign: the approval it needs first (if any), then the deposit. */
export interface PreparedLiquidity {
  readonly approval: UnsignedTransaction | undefined;
  readonly transaction: UnsignedTransaction;
}

/**
 * Checks adding `amount` (base units) of `account`'s `asset` to `router`'s liquidity on `domain` and returns
 * the unsigned transactions (anyone may add for an approved router). Refuses a zero amount, an asset not
 * approved, a router not approved, too small a balance, and too small an allowance unless `approve`
 * (default `true`).
 */
export async function prepareAddRouterLiquidity(
  client: NxtpClient,
  params: {
    domain: Domain;
    router: string;
    asset: string;
    amount: bigint;
    account: string;
    approve?: boolean;
  },
): Promise<PreparedLiquidity> {
  const account = checkAddress("account", params.account);
  const router = checkAddress("router", params.router);
  if (params.amount <= 0n) throw new ZeroAmountError();
  const { domain } = params;
  const settings = client.settings(domain);
  const info = await getApprovedAsset(client, domain, params.asset);
  const [approved] = await routerInfo(client, domain, router);
  if (!approved) throw new RouterNotApprovedError(domain, router);
  const balance = await tokenBalance(client, domain, info.local, account);
  if (balance < params.amount) {
    throw new InsufficientBalanceError(info.local, account, balance, params.amount, info.decimals);
  }
  let approval: UnsignedTransaction | undefined;
  const allowance = await tokenAllowance(client, domain, info.local, account);
  if (allowance < params.amount) {
    if (params.approve === false) {
      throw new InsufficientAllowanceError(
        info.local,
        account,
        settings.connext,
        allowance,
        params.amount,
        info.decimals,
      );
    }
    approval = {
      action: "approve",
      domain,
      chainId: settings.chainId,
      from: account,
      to: info.local,
      data: encodeFunctionData({
        abi: erc20Abi,
        functionName: "approve",
        args: [settings.connext, params.amount],
      }),
      value: 0n,
    };
  }
  const transaction: UnsignedTransaction = {
    action: "addRouterLiquidity",
    domain,
    chainId: settings.chainId,
    from: account,
    to: settings.connext,
    data: encodeFunctionData({
      abi: connextAbi,
      functionName: "addRouterLiquidity",
      args: [router, info.local, params.amount],
    }),
    value: 0n,
  };
  if (!approval) await simulate(client, transaction);
  return { approval, transaction };
}

/** A mined liquidity change and the router's balance after it. */
export interface LiquidityResult {
  readonly transaction: SentTransaction;
  readonly approval: SentTransaction | undefined;
  readonly balance: bigint;
}

/** {@link prepareAddRouterLiquidity}, sent with `wallet` (approving first when needed). */
export async function addRouterLiquidity(
  client: NxtpClient,
  params: {
    domain: Domain;
    router: string;
    asset: string;
    amount: bigint;
    wallet: WalletClient;
    approve?: boolean;
  },
): Promise<LiquidityResult> {
  const prepared = await prepareAddRouterLiquidity(client, {
    ...params,
    account: walletAccount(params.wallet),
  });
  const approval = prepared.approval
    ? (await send(client, params.wallet, prepared.approval)).sent
    : undefined;
  const { sent, receipt } = await send(client, params.wallet, prepared.transaction);
  requireEvent(receipt, prepared.transaction.to, "RouterLiquidityAdded", params.domain, "addRouterLiquidity");
  return { transaction: sent, approval, balance: await getRouterBalance(client, params) };
}

/**
 * Checks, as `router`'s owner, removing `amount` (base units) of its `asset` liquidity on `domain`, sent to `to`
 * (which must be the router's recipient if it has one), and returns the unsigned transaction. Refuses a zero
 * amount or recipient, an account that is not the owner, and more than the router holds. Works for delisted
 * assets too: a router's capital is never trapped.
 */
export async function prepareRemoveRouterLiquidity(
  client: NxtpClient,
  params: { domain: Domain; router: string; asset: string; amount: bigint; to: string; account: string },
): Promise<UnsignedTransaction> {
  const account = checkAddress("account", params.account);
  const router = checkAddress("router", params.router);
  const to = checkAddress("to", params.to);
  if (params.amount <= 0n) throw new ZeroAmountError();
  if (isZeroAddress(to)) throw new ZeroRecipientError();
  const { domain } = params;
  const settings = client.settings(domain);
  const info = await getAsset(client, domain, params.asset);
  const [, owner] = await routerInfo(client, domain, router);
  if (owner.toLowerCase() !== account.toLowerCase())
    throw new NotRouterOwnerError(domain, router, owner, account);
  const available = await getRouterBalance(client, { domain, router, asset: info.local });
  if (available < params.amount) {
    throw new InsufficientLiquidityError(domain, router, info.local, available, params.amount, info.decimals);
  }
  const tx: UnsignedTransaction = {
    action: "removeRouterLiquidity",
    domain,
    chainId: settings.chainId,
    from: account,
    to: settings.connext,
    data: encodeFunctionData({
      abi: connextAbi,
      functionName: "removeRouterLiquidity",
      args: [router, info.local, params.amount, to],
    }),
    value: 0n,
  };
  await simulate(client, tx);
  return tx;
}

/** {@link prepareRemoveRouterLiquidity}, sent with `wallet`. */
export async function removeRouterLiquidity(
  client: NxtpClient,
  params: { domain: Domain; router: string; asset: string; amount: bigint; to: string; wallet: WalletClient },
): Promise<LiquidityResult> {
  const tx = await prepareRemoveRouterLiquidity(client, { ...params, account: walletAccount(params.wallet) });
  const { sent, receipt } = await send(client, params.wallet, tx);
  requireEvent(receipt, tx.to, "RouterLiquidityRemoved", params.domain, "removeRouterLiquidity");
  return { transaction: sent, approval: undefined, balance: await getRouterBalance(client, params) };
}
