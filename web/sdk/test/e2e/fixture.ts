// What the end-to-end tests share: the devnet's manifest, a client over it, and wallets of its dev accounts.

import { readFileSync } from "node:fs";
import { createNxtpClient, type Domain, type Manifest, type NxtpClient } from "@nxtp/sdk";
import { type Address, createWalletClient, type Hex, http, type WalletClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { inject } from "vitest";

export const ORIGIN: Domain = 1000;
export const DESTINATION: Domain = 2000;
export const ASSET = "DEMO";

export interface Devnet {
  readonly manifest: Manifest & { dev_keys: Record<string, Hex> };
  readonly client: NxtpClient;
  /** A wallet of the dev account `name` (`user`, `router_a`, ...) on `domain`'s chain. */
  wallet(name: string, domain: Domain): WalletClient;
  address(name: string): Address;
}

export function devnet(): Devnet {
  const manifest = JSON.parse(readFileSync(inject("manifestPath"), "utf8")) as Devnet["manifest"];
  // Reads poll fast: the devnet mines every half second.
  const client = createNxtpClient({ manifest, pollingIntervalMs: 250 });
  const key = (name: string): Hex => {
    const found = manifest.dev_keys[name];
    if (!found) throw new Error(`the manifest has no dev key ${name}`);
    return found;
  };
  return {
    manifest,
    client,
    wallet: (name, domain) =>
      createWalletClient({
        account: privateKeyToAccount(key(name)),
        chain: client.chain(domain),
        transport: http(client.settings(domain).rpcUrl),
      }),
    address: (name) => privateKeyToAccount(key(name)).address,
  };
}

/** Polls `read` until `done` holds for what it returns (every 250 ms, up to `timeoutMs`), and returns that. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last: ${String(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
