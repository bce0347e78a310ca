/** Naming an asset (by symbol or address) and what a domain's Connext has registered about it. */

import type { Address, Hex } from "viem";
import { checkAddress } from "./address.js";
import type { NxtpClient } from "./client.js";
import { AssetNotApprovedError, AssetNotRegisteredError, UnknownAssetError } from "./errors.js";
import { connextAbi, erc20Abi } from "./generated/abis.js";
import { failure } from "./tx.js";
import type { Domain } from "./types.js";

/** An asset as registered with one domain's Connext. */
export interface AssetInfo {
  readonly domain: Domain;
  /** The token Connext takes and holds on this domain (canonical token or representation). */
  readonly local: Address;
  /** The symbol the settings know it by, if any. */
  readonly symbol: string | undefined;
  /** The asset's home domain: there Connext escrows it (so senders approve); elsewhere it burns it. */
  readonly canonicalDomain: Domain;
  readonly canonicalId: Hex;
  readonly decimals: number;
  /** Whether new transfers and liquidity may use it. */
  readonly approved: boolean;
}

/** Whether a string names an asset by address rather than by symbol. */
function looksLikeAddress(asset: string): boolean {
  return /^0x/i.test(asset.trim());
}

/**
 * What `domain`'s Connext has registered about `asset` (a symbol the client knows, or a token address).
 * Refuses an unknown symbol, a malformed or badly checksummed address, and a token Connext never registered.
 */
export async function getAsset(client: NxtpClient, domain: Domain, asset: string): Promise<AssetInfo> {
  const settings = client.settings(domain);
  let local: Address;
  let symbol: string | undefined;
  if (looksLikeAddress(asset)) {
    local = checkAddress("asset", asset);
    symbol = Object.entries(settings.assets).find(
      ([, known]) => known.local.toLowerCase() === local.toLowerCase(),
    )?.[0];
  } else {
    const known = settings.assets[asset.trim()];
    if (!known) throw new UnknownAssetError(domain, asset, Object.keys(settings.assets));
    local = known.local;
    symbol = asset.trim();
  }
  const reader = await client.publicClient(domain);
  let info: readonly [number, Hex, number, boolean, bigint, bigint];
  try {
    info = await reader.readContract({
      address: settings.connext,
      abi: connextAbi,
      functionName: "assetInfo",
      args: [local],
    });
  } catch (error) {
    throw failure(domain, "Connext.assetInfo", error);
  }
  const [canonicalDomain, canonicalId, decimals, approved] = info;
  if (canonicalDomain === 0) throw new AssetNotRegisteredError(domain, local);
  return { domain, local, symbol, canonicalDomain, canonicalId, decimals, approved };
}

/** {@link getAsset}, also refusing an asset governance no longer approves. */
export async function getApprovedAsset(
  client: NxtpClient,
  domain: Domain,
  asset: string,
): Promise<AssetInfo> {
  const info = await getAsset(client, domain, asset);
  if (!info.approved) throw new AssetNotApprovedError(domain, info.local);
  return info;
}

/** What `holder` holds of the token `token` on `domain`, in base units. */
export async function tokenBalance(
  client: NxtpClient,
  domain: Domain,
  token: Address,
  holder: Address,
): Promise<bigint> {
  const reader = await client.publicClient(domain);
  try {
    return await reader.readContract({
      address: token,
      abi: erc20Abi,
      functionName: "balanceOf",
      args: [holder],
    });
  } catch (error) {
    throw failure(domain, "read token balance", error);
  }
}

/** How much of `token` the domain's Connext may pull from `owner`, in base units. */
export async function tokenAllowance(
  client: NxtpClient,
  domain: Domain,
  token: Address,
  owner: Address,
): Promise<bigint> {
  const reader = await client.publicClient(domain);
  try {
    return await reader.readContract({
      address: token,
      abi: erc20Abi,
      functionName: "allowance",
      args: [owner, client.settings(domain).connext],
    });
  } catch (error) {
    throw failure(domain, "read token allowance", error);
  }
}

/** What `holder` holds of `asset` (a symbol or token address) on `domain`, in base units. */
export async function getTokenBalance(
  client: NxtpClient,
  params: { domain: Domain; holder: string; asset: string },
): Promise<bigint> {
  const holder = checkAddress("holder", params.holder);
  const info = await getAsset(client, params.domain, params.asset);
  return tokenBalance(client, params.domain, info.local, holder);
}

/** How much of `asset` the domain's Connext may pull from `owner`, in base units. */
export async function getAllowance(
  client: NxtpClient,
  params: { domain: Domain; owner: string; asset: string },
): Promise<bigint> {
  const owner = checkAddress("owner", params.owner);
  const info = await getAsset(client, params.domain, params.asset);
  return tokenAllowance(client, params.domain, info.local, owner);
}
