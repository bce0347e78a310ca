// The fee arithmetic, case for case as nxtp_primitives::fees is tested (crates/base/primitives/src/fees.rs), so
// a quote here, a bid from a router and the contract never disagree.

import { BPS, frontedAmount, routerDebits, shareNeeded } from "@nxtp/sdk";
import { describe, expect, it } from "vitest";

const MAX = (1n << 256n) - 1n;

describe("frontedAmount", () => {
  it("rounds down like the contract", () => {
    expect(frontedAmount(1_000_000n, 5)).toBe(999_500n);
    expect(frontedAmount(10_000n, 5)).toBe(9_995n);
    expect(frontedAmount(1_999n, 5)).toBe(1_998n);
    expect(frontedAmount(1n, 5)).toBe(0n);
    expect(frontedAmount(77n, 0)).toBe(77n);
    expect(frontedAmount(7n, 10_000)).toBe(0n);
  });

  it("is undefined where the contract reverts", () => {
    expect(frontedAmount(7n, 10_001)).toBeUndefined();
    for (const fee of [0, 5, 100, 9_998]) {
      const keep = BPS - BigInt(fee);
      const largest = MAX / keep;
      expect(frontedAmount(largest, fee)).toBe((largest * keep) / BPS);
      expect(frontedAmount(largest + 1n, fee)).toBeUndefined();
    }
    expect(frontedAmount(MAX, 0)).toBeUndefined();
    expect(frontedAmount(MAX, 5)).toBeUndefined();
    expect(frontedAmount(MAX, 10_000)).toBe(0n);
  });
});

describe("routerDebits", () => {
  it("adds up, the last router paying the dust", () => {
    expect(routerDebits(100n, 0)).toEqual([]);
    expect(routerDebits(101n, 1)).toEqual([101n]);
    expect(routerDebits(101n, 4)).toEqual([25n, 25n, 25n, 26n]);
    for (const toFront of [0n, 3n, 1_000_003n, MAX]) {
      for (const count of [1, 2, 3, 4, 8, 16]) {
        const debits = routerDebits(toFront, count);
        expect(debits.length).toBe(count);
        expect(debits.reduce((sum, debit) => sum + debit, 0n)).toBe(toFront);
      }
    }
  });
});

describe("shareNeeded", () => {
  it("covers every debit", () => {
    expect(shareNeeded(101n, 4)).toBe(28n);
    expect(shareNeeded(100n, 1)).toBe(100n);
    expect(shareNeeded(5n, 0)).toBe(5n);
    for (const toFront of [0n, 1n, 2n, 3n, 7n, 10n, 99n, 1_000_003n, MAX - 1n, MAX]) {
      for (const count of [1, 2, 4, 8, 16]) {
        const needed = shareNeeded(toFront, count);
        for (const debit of routerDebits(toFront, count)) expect(needed >= debit).toBe(true);
      }
    }
    expect(shareNeeded(MAX, 1)).toBe(MAX);
  });
});
