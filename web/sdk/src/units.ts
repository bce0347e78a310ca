/** Amounts in base units and as people write them. */

import { formatUnits, parseUnits } from "viem";

/** `value` base units as a decimal number of tokens with `decimals` decimals (`1500000000000000000n, 18` is `"1.5"`). */
export function formatAmount(value: bigint, decimals: number): string {
  return formatUnits(value, decimals);
}

/** A decimal number of tokens (`"12.5"`) in base units of a token with `decimals` decimals. */
export function parseAmount(text: string, decimals: number): bigint {
  return parseUnits(text.trim(), decimals);
}
