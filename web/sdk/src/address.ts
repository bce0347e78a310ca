/**
 * Reading addresses people type, as the Rust side does (`nxtp_primitives::parse_checked_address`): a
 * mixed-case address must carry a valid EIP-55 checksum, so a one-character typo in a checksummed address is
 * refused instead of sending funds to it. All-lowercase and all-uppercase hex carry no checksum.
 */

import { type Address, getAddress } from "viem";
import { InvalidAddressError } from "./errors.js";

/** The longest input quoted back in an error, so an error never echoes a long value (a pasted key) whole. */
const QUOTED_MAX = 42;

function quoted(input: string): string {
  return input.length <= QUOTED_MAX ? input : `${input.slice(0, 10)}… (${input.length} characters)`;
}

/**
 * `input` as an address, checksummed; refuses anything but `0x` and 40 hex digits, and mixed case whose EIP-55
 * checksum fails ({@link InvalidAddressError}). `field` names the input in the error.
 */
export function checkAddress(field: string, input: string): Address {
  const text = typeof input === "string" ? input.trim() : String(input);
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) {
    throw new InvalidAddressError(field, quoted(text), "malformed");
  }
  const digits = text.slice(2);
  const checksummed = getAddress(text.toLowerCase());
  const mixed = /[a-f]/.test(digits) && /[A-F]/.test(digits);
  if (mixed && checksummed !== text) {
    throw new InvalidAddressError(field, text, "checksum", checksummed);
  }
  return checksummed;
}

/** Whether an address is zero. */
export function isZeroAddress(address: string): boolean {
  return /^0x0{40}$/i.test(address);
}

/** The zero address. */
export const ZERO_ADDRESS: Address = "0x0000000000000000000000000000000000000000";
