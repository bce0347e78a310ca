/** What a transfer costs and delivers, whether routers can front it now, and how long it should take. */

import { type Address, type Hex, hexToBigInt } from "viem";
import { type AssetInfo, getApprovedAsset } from "./asset.js";
import type { NxtpClient } from "./client.js";
import {
  AssetNotOnDestinationError,
  DestinationNotEnrolledError,
  NotFrontableError,
  SameDomainError,
  ZeroAmountError,
} from "./errors.js";
import { frontedAmount, shareNeeded } from "./fees.js";
import { connextAbi } from "./generated/abis.js";
import { getRelayerFeeQuote } from "./sequencer.js";
import { failure } from "./tx.js";
import type { Domain } from "./types.js";

/** The checked path of a transfer: asset approved on the origin, destination enrolled, asset registered there. */
export interface Route {
  readonly origin: Domain;
  readonly destination: Domain;
  readonly asset: AssetInfo;
  /** The token delivered on the destination (its local asset for the same canonical asset). */
  readonly destinationAsset: Address;
  /** The destination's fast-path liquidity fee, in basis points. */
  readonly liquidityFeeBps: number;
}

/** Whether approved routers on the destination hold enough now to front a transfer. */
export interface RouterCoverage {
  /** Whether some path of routers (1, 2, 4, ... up to the destination's maximum) covers it. */
  readonly covered: boolean;
  /** The fewest routers that cover it, when covered. */
  readonly pathLength: number | undefined;
  /** The largest balance one approved router holds in the destination asset, base units. */
  readonly largestBalance: bigint;
}

/** A transfer's costs, what its recipient gets, and what to expect. */
export interface Quote {
  readonly route: Route;
  /** The amount sent, in the origin asset's base units. */
  readonly amount: bigint;
  /** The native relayer fee (wei) the sequencer asks; `undefined` without a sequencer. */
  readonly relayerFee: bigint | undefined;
  /** What the recipient receives if routers front the transfer (the fast path), in base units. */
  readonly amountReceived: bigint;
  /** The destination's liquidity fee, basis points. */
  readonly liquidityFeeBps: number;
  /** Whether routers can front it now. */
  readonly routers: RouterCoverage;
  /** The path it is expected to take: fast when routers cover it now, slow otherwise. */
  readonly expectedPath: "fast" | "slow";
  /** Seconds until the recipient has the funds, estimated from the chains' recent block times. */
  readonly expectedSeconds: number;
}

/**
 * Checks a route as `xcall` does: distinct configured domains, asset approved on the origin, destination
 * enrolled there, and the asset registered on the destination.
 */
export async function getRoute(
  client: NxtpClient,
  origin: Domain,
  destination: Domain,
  asset: string,
): Promise<Route> {
  const originSettings = client.settings(origin);
  const destinationSettings = client.settings(destination);
  if (origin === destination) throw new SameDomainError(origin);
  const info = await getApprovedAsset(client, origin, asset);
  const here = await client.publicClient(origin);
  // Connext keeps remotes as bytes32 words; zero: not enrolled.
  let remote: Hex;
  try {
    remote = await here.readContract({
      address: originSettings.connext,
      abi: connextAbi,
      functionName: "remoteConnext",
      args: [destination],
    });
  } catch (error) {
    throw failure(origin, "Connext.remoteConnext", error);
  }
  if (hexToBigInt(remote) === 0n) throw new DestinationNotEnrolledError(origin, destination);
  const there = await client.publicClient(destination);
  let destinationAsset: Address;
  let liquidityFeeBps: number;
  try {
    [destinationAsset, liquidityFeeBps] = await Promise.all([
      there.readContract({
        address: destinationSettings.connext,
        abi: connextAbi,
        functionName: "localAsset",
        args: [info.canonicalDomain, info.canonicalId],
      }),
      there.readContract({
        address: destinationSettings.connext,
        abi: connextAbi,
        functionName: "liquidityFeeBps",
      }),
    ]);
  } catch (error) {
    throw failure(destination, "Connext.localAsset", error);
  }
  if (hexToBigInt(destinationAsset) === 0n) {
    throw new AssetNotOnDestinationError(destination, info.canonicalDomain, info.canonicalId);
  }
  return { origin, destination, asset: info, destinationAsset, liquidityFeeBps };
}

/**
 * Whether the destination's approved routers hold enough of `asset` to front `toFront` now: the fewest of them
 * (a power of two, at most the destination's `maxRoutersPerTransfer`) that each hold their share, as the
 * sequencer's auction picks them.
 */
export async function getRouterCoverage(
  client: NxtpClient,
  destination: Domain,
  asset: Address,
  toFront: bigint,
): Promise<RouterCoverage> {
  const connext = client.settings(destination).connext;
  const reader = await client.publicClient(destination);
  try {
    const [count, maxPath] = await Promise.all([
      reader.readContract({ address: connext, abi: connextAbi, functionName: "routerCount" }),
      reader.readContract({ address: connext, abi: connextAbi, functionName: "maxRoutersPerTransfer" }),
    ]);
    const routers = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        reader.readContract({
          address: connext,
          abi: connextAbi,
          functionName: "routerAtIndex",
          args: [index],
        }),
      ),
    );
    const balances = await Promise.all(
      routers.map(async (router) => {
        const [approved] = await reader.readContract({
          address: connext,
          abi: connextAbi,
          functionName: "routerInfo",
          args: [router],
        });
        if (!approved) return 0n;
        return reader.readContract({
          address: connext,
          abi: connextAbi,
          functionName: "routerBalance",
          args: [router, asset],
        });
      }),
    );
    const sorted = [...balances].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
    for (let pathLength = 1; pathLength <= Math.max(maxPath, 1); pathLength *= 2) {
      const weakest = sorted[pathLength - 1];
      if (weakest !== undefined && weakest >= shareNeeded(toFront, pathLength)) {
        return { covered: true, pathLength, largestBalance: sorted[0] ?? 0n };
      }
    }
    return { covered: false, pathLength: undefined, largestBalance: sorted[0] ?? 0n };
  } catch (error) {
    throw failure(destination, "read router liquidity", error);
  }
}

/** The average seconds between a chain's last blocks (1 when it cannot tell: a new chain, or blocks on demand). */
async function blockSeconds(client: NxtpClient, domain: Domain): Promise<number> {
  const reader = await client.publicClient(domain);
  const latest = await reader.getBlock();
  const span = latest.number < 20n ? latest.number : 20n;
  if (span === 0n) return 1;
  const earlier = await reader.getBlock({ blockNumber: latest.number - span });
  const seconds = Number(latest.timestamp - earlier.timestamp) / Number(span);
  return seconds > 0 ? seconds : 1;
}

/**
 * Quotes sending `amount` (base units) of `asset` from `origin` to `destination`: the relayer fee (from the
 * sequencer, if configured), what the recipient receives on the fast path, whether routers can cover it now,
 * and the expected time. Checks the route as `xcall` would, so a quote that succeeds names a transfer that can
 * be sent.
 */
export async function getQuote(
  client: NxtpClient,
  params: { origin: Domain; destination: Domain; asset: string; amount: bigint },
): Promise<Quote> {
  if (params.amount <= 0n) throw new ZeroAmountError();
  const route = await getRoute(client, params.origin, params.destination, params.asset);
  const amountReceived = frontedAmount(params.amount, route.liquidityFeeBps);
  if (amountReceived === undefined) throw new NotFrontableError(params.amount, route.liquidityFeeBps);
  const [relayerFee, routers, originBlock, destinationBlock] = await Promise.all([
    client.sequencerUrl ? getRelayerFeeQuote(client, params.origin, params.destination) : undefined,
    getRouterCoverage(client, params.destination, route.destinationAsset, amountReceived),
    blockSeconds(client, params.origin).catch(() => 1),
    blockSeconds(client, params.destination).catch(() => 1),
  ]);
  // Fast: the xcall mined and confirmed on the origin, a one-second auction, the execute mined. Slow: the
  // message's root signed once final, then the Replica's optimistic window, then the slow-path execute.
  const fast = Math.ceil(originBlock * 3 + 1 + destinationBlock * 2);
  const slow = Math.ceil(fast + originBlock * 4 + (client.optimisticSeconds ?? 1800) + destinationBlock * 3);
  return {
    route,
    amount: params.amount,
    relayerFee,
    amountReceived,
    liquidityFeeBps: route.liquidityFeeBps,
    routers,
    expectedPath: routers.covered ? "fast" : "slow",
    expectedSeconds: routers.covered ? fast : slow,
  };
}
