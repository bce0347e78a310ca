/**
 * The connected account: any injected EIP-1193 provider (`window.ethereum`), or on a devnet one of the
 * manifest's development accounts, signed in the page. Only keys whose address is one of anvil's well-known
 * development accounts are offered, and only when the manifest is a devnet's (config.ts `isDevnet`).
 */

import type { Domain, NxtpClient } from "@nxtp/sdk";
import {
  type Address,
  createWalletClient,
  custom,
  type EIP1193Provider,
  http,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { type AppManifest, isDevnet } from "./config.js";

/** anvil's default development accounts (the `test test … junk` mnemonic), the only keys the page will use. */
const ANVIL_ACCOUNTS = new Set(
  [
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
    "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
    "0x976EA74026E726554dB657fA54763abd0C3a0aa9",
    "0x14dC79964da2C08b23698B3D3cc7Ca32193d9955",
    "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f",
    "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
    "0xBcd4042DE499D14e55001CcbB24a551F3b954096",
    "0x71bE63f3384f5fb98995898A86B02Fb2426c5788",
  ].map((address) => address.toLowerCase()),
);

/** A development account the page may sign with. */
export interface DevAccount {
  readonly name: string;
  readonly address: Address;
  readonly key: `0x${string}`;
}

/** The manifest's development accounts that are anvil's well-known ones, when it is a devnet's. */
export function devAccounts(manifest: AppManifest): DevAccount[] {
  if (!isDevnet(manifest)) return [];
  return Object.entries(manifest.dev_keys ?? {}).flatMap(([name, key]) => {
    try {
      const address = privateKeyToAccount(key).address;
      return ANVIL_ACCOUNTS.has(address.toLowerCase()) ? [{ name, address, key }] : [];
    } catch {
      return [];
    }
  });
}

/** A connected account: its address and a wallet client on any configured domain's chain. */
export interface Connection {
  readonly address: Address;
  /** How it is connected, for the page (`injected`, `dev account user`). */
  readonly label: string;
  /** A wallet client on `domain`'s chain (an injected wallet is asked to switch to it first). */
  wallet(domain: Domain): Promise<WalletClient>;
}

/** Connects a development account. */
export function connectDev(client: NxtpClient, account: DevAccount): Connection {
  const signer = privateKeyToAccount(account.key);
  return {
    address: signer.address,
    label: `dev account ${account.name}`,
    wallet: async (domain) =>
      createWalletClient({
        account: signer,
        chain: client.chain(domain),
        transport: http(client.settings(domain).rpcUrl),
      }),
  };
}

declare global {
  interface Window {
    ethereum?: EIP1193Provider;
  }
}

/** Whether the page has an injected provider. */
export function hasInjected(): boolean {
  return typeof window !== "undefined" && window.ethereum !== undefined;
}

/** Connects the injected provider's first account. */
export async function connectInjected(client: NxtpClient): Promise<Connection> {
  const provider = window.ethereum;
  if (!provider) throw new Error("no injected wallet (EIP-1193 provider) in this browser");
  const probe = createWalletClient({ transport: custom(provider) });
  const [address] = await probe.requestAddresses();
  if (!address) throw new Error("the wallet shared no account");
  return {
    address,
    label: "injected wallet",
    wallet: async (domain) => {
      const chain = client.chain(domain);
      const wallet = createWalletClient({ account: address, chain, transport: custom(provider) });
      if ((await wallet.getChainId()) !== chain.id) {
        try {
          await wallet.switchChain({ id: chain.id });
        } catch {
          await wallet.addChain({ chain });
          await wallet.switchChain({ id: chain.id });
        }
      }
      return wallet;
    },
  };
}
