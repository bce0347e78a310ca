/**
 * The fast path's arithmetic, as Connext computes it (`Connext._front`, `Connext._creditRouters`) and as the
 * Rust side does (`nxtp_primitives::fees`): what the routers of a transfer front together, and what each of
 * them is debited. Quotes use it, so a quote never disagrees with the chain.
 */

/** Basis points in one (`ConnextBase.BPS`). */
export const BPS = 10_000n;

/** The largest uint256. */
const UINT256_MAX = (1n << 256n) - 1n;

/**
 * What the routers of a transfer front together: `bridgedAmt * (BPS - feeBps) / BPS` in Solidity's checked
 * arithmetic. `undefined` where the contract reverts instead (a fee above {@link BPS}, or a product above
 * 2^256 - 1): no router can front such a transfer.
 */
export function frontedAmount(bridged: bigint, feeBps: number | bigint): bigint | undefined {
  const keep = BPS - BigInt(feeBps);
  if (keep < 0n || bridged < 0n) return undefined;
  const product = bridged * keep;
  if (product > UINT256_MAX) return undefined;
  return product / BPS;
}

/**
 * What Connext debits each of `count` routers fronting `toFront`, in path order: `toFront / count` each, the
 * last also the rounding dust. Empty for no routers.
 */
export function routerDebits(toFront: bigint, count: number): bigint[] {
  if (count <= 0) return [];
  const share = toFront / BigInt(count);
  const last = toFront - share * BigInt(count - 1);
  return [...Array.from({ length: count - 1 }, () => share), last];
}

/**
 * What each router of a path of `count` must hold to front its part of `toFront` wherever the sequencer puts
 * it in the path: `toFront / count + (count - 1)`, at least every {@link routerDebits} entry. Saturates at
 * 2^256 - 1; a `count` of zero is read as one.
 */
export function shareNeeded(toFront: bigint, count: number): bigint {
  const n = BigInt(Math.max(count, 1));
  const needed = toFront / n + (n - 1n);
  return needed > UINT256_MAX ? UINT256_MAX : needed;
}
