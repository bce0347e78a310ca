// The pure parts of the app: where a search goes, and when the page may offer a manifest's development keys.

import { describe, expect, it } from "vitest";
import type { AppManifest } from "../../src/config.js";
import { isDevnet } from "../../src/config.js";
import { searchTarget } from "../../src/explorer.js";
import { devAccounts } from "../../src/wallet.js";

// anvil's first and tenth development keys (public: the `test test … junk` mnemonic), and a key of no dev account.
const DEPLOYER = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const USER = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";
const OTHER = `0x${"42".repeat(32)}` as const;

const devnet = (
  overrides: Partial<AppManifest> = {},
  rpc = "http://127.0.0.1:8545",
  chainId = 31337,
): AppManifest => ({
  domains: { "1000": { chain_id: chainId, rpc_url: rpc, deploy_block: 1 } },
  dev_keys: { deployer: DEPLOYER, user: USER, stranger: OTHER },
  ...overrides,
});

describe("the search", () => {
  it("sends a 32-byte hash to the transfer page and an address to the address page", () => {
    const id = `0x${"Ab".repeat(32)}`;
    expect(searchTarget(` ${id} `)).toEqual({ route: `#/transfer/${id.toLowerCase()}` });
    expect(searchTarget("0xa0ee7a142d267c1f36714e4a8f75612f20a79720")).toEqual({
      route: "#/address/0xa0Ee7A142d267C1f36714E4a8F75612F20a79720",
    });
  });

  it("refuses a badly checksummed address with its right spelling, and anything else", () => {
    const refused = searchTarget("0xA0Ee7A142d267C1f36714E4a8F75612F20a79720");
    expect("error" in refused && refused.error).toMatch(
      /checksum.*0xa0Ee7A142d267C1f36714E4a8F75612F20a79720/,
    );
    expect(searchTarget("0x1234")).toEqual({ error: expect.stringContaining("64 hex digits") });
  });
});

describe("development accounts", () => {
  it("are offered on a devnet, only anvil's well-known ones", () => {
    expect(isDevnet(devnet())).toBe(true);
    expect(devAccounts(devnet()).map((account) => [account.name, account.address])).toEqual([
      ["deployer", "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"],
      ["user", "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"],
    ]);
  });

  it("are never offered for a manifest that is not a devnet's", () => {
    for (const manifest of [
      devnet({ network: "mainnet" }),
      devnet({}, "https://rpc.example.org"),
      devnet({}, "http://127.0.0.1:8545", 1),
      devnet({ dev_keys: undefined }),
    ]) {
      expect(isDevnet(manifest)).toBe(false);
      expect(devAccounts(manifest)).toEqual([]);
    }
    expect(isDevnet(devnet({ network: "devnet" }, "https://rpc.example.org"))).toBe(true);
  });
});
