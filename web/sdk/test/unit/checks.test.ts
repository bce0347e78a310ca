// The checks that need no chain: addresses, stages, the client's configuration, and error messages.

import {
  ConfigError,
  checkAddress,
  connextAbi,
  createNxtpClient,
  InsufficientBalanceError,
  InvalidAddressError,
  type Manifest,
  NxtpError,
  SlippageBelowFeeError,
  stageOf,
  stageReaches,
  UnknownAssetError,
  UnknownDomainError,
} from "@nxtp/sdk";
import { describe, expect, it } from "vitest";

describe("checkAddress", () => {
  const checksummed = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

  it("accepts checksummed, all-lowercase and all-uppercase hex", () => {
    expect(checkAddress("to", checksummed)).toBe(checksummed);
    expect(checkAddress("to", checksummed.toLowerCase())).toBe(checksummed);
    expect(checkAddress("to", `0x${checksummed.slice(2).toUpperCase()}`)).toBe(checksummed);
    expect(checkAddress("to", `  ${checksummed} `)).toBe(checksummed);
  });

  it("refuses a typo in a checksummed address, naming the checksummed form", () => {
    const typo = "0x70997970C51812dc3A010C7d01b50e0d17dc79C9";
    const error = (() => {
      try {
        checkAddress("to", typo);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(InvalidAddressError);
    expect(error).toMatchObject({ reason: "checksum", field: "to", code: "InvalidAddress" });
    expect((error as InvalidAddressError).expected?.toLowerCase()).toBe(typo.toLowerCase());
  });

  it("refuses what is not an address, without echoing long input whole", () => {
    for (const bad of [
      "0x12",
      "70997970C51812dc3A010C7d01b50e0d17dc79C8",
      "0xZZ997970C51812dc3A010C7d01b50e0d17dc79C8",
      "",
    ]) {
      expect(() => checkAddress("to", bad)).toThrow(InvalidAddressError);
    }
    const key = `0x${"ab".repeat(32)}`;
    expect(() => checkAddress("to", key)).toThrow(/… \(66 characters\)/);
    expect(() => checkAddress("to", key)).not.toThrow(key);
  });
});

describe("stages", () => {
  it("follow both paths", () => {
    const router = ["0x0000000000000000000000000000000000000001"] as const;
    expect(stageOf(0, [])).toBe("XCalled");
    expect(stageOf(2, router)).toBe("Executed");
    expect(stageOf(1, [])).toBe("Reconciled");
    expect(stageOf(3, router)).toBe("CompletedFast");
    expect(stageOf(3, [])).toBe("CompletedSlow");
    expect(() => stageOf(4, [])).toThrow(RangeError);

    expect(stageReaches("CompletedSlow", "Executed") && stageReaches("CompletedFast", "Reconciled")).toBe(
      true,
    );
    expect(stageReaches("Reconciled", "Executed") || stageReaches("Executed", "Reconciled")).toBe(false);
    expect(stageReaches("CompletedSlow", "CompletedFast")).toBe(false);
    expect(stageReaches("CompletedSlow", "Completed") && stageReaches("CompletedFast", "Completed")).toBe(
      true,
    );
    expect(stageReaches("Executed", "Completed")).toBe(false);
    expect(stageReaches("XCalled", "XCalled")).toBe(true);
  });
});

const manifest: Manifest = {
  optimistic_seconds: 5,
  domains: {
    "1000": {
      chain_id: 31337,
      rpc_url: "http://127.0.0.1:1",
      deploy_block: 1,
      liquidity: {
        connext: "0xa513e6e4b8f2a923d98304ec87f64353c4d5c853",
        assets: {
          DEMO: {
            local: "0x8a791620dd6260079bf849dc5567adc3f2fdc318",
            canonical_domain: 1000,
            canonical_id: "0x0000000000000000000000008a791620dd6260079bf849dc5567adc3f2fdc318",
            decimals: 18,
          },
        },
      },
    },
    "2000": { chain_id: 31338, rpc_url: "http://127.0.0.1:2", deploy_block: 1 },
  },
  services: { sequencer_url: "http://127.0.0.1:3" },
};

describe("createNxtpClient", () => {
  it("takes the domains with a liquidity layer from a manifest, and its sequencer", () => {
    const client = createNxtpClient({ manifest });
    expect(client.domains).toEqual([1000]);
    expect(client.sequencerUrl).toBe("http://127.0.0.1:3");
    expect(client.optimisticSeconds).toBe(5);
    expect(client.settings(1000).connext).toBe("0xa513E6E4b8f2a923D98304ec87F64353C4D5C853");
    expect(client.settings(1000).assets.DEMO?.decimals).toBe(18);
    expect(client.chain(1000).id).toBe(31337);
    expect(createNxtpClient({ manifest, sequencerUrl: "http://seq" }).sequencerUrl).toBe("http://seq");
  });

  it("refuses an unknown domain with the known ones", () => {
    const client = createNxtpClient({ manifest });
    expect(() => client.settings(2000)).toThrow(UnknownDomainError);
    expect(() => client.settings(2000)).toThrow("unknown domain 2000 (known: 1000)");
  });

  it("refuses unusable settings", () => {
    const chain = {
      domain: 1000,
      chainId: 31337,
      rpcUrl: "http://127.0.0.1:1",
      connext: "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853" as const,
      fromBlock: 0n,
      assets: {},
    };
    expect(() => createNxtpClient({ chains: [] })).toThrow(ConfigError);
    expect(() => createNxtpClient({ chains: [chain, chain] })).toThrow(/configured twice/);
    expect(() => createNxtpClient({ chains: [{ ...chain, rpcUrl: "not a url" }] })).toThrow(/rpcUrl/);
    expect(() =>
      createNxtpClient({ chains: [{ ...chain, connext: "0xa513E6E4b8f2a923D98304ec87F64353C4D5C854" }] }),
    ).toThrow(InvalidAddressError);
    expect(() =>
      createNxtpClient({ manifest: { domains: { "2000": manifest.domains["2000"] } } as Manifest }),
    ).toThrow(/no domain with a liquidity layer/);
  });
});

describe("errors", () => {
  it("read as one line, amounts in tokens, and are NxtpErrors with a code", () => {
    const one = 10n ** 18n;
    const zero = "0x0000000000000000000000000000000000000000";
    const errors: NxtpError[] = [
      new UnknownAssetError(1000, "USDC", []),
      new InsufficientBalanceError(zero, zero, one / 2n, 3n * one, 18),
      new SlippageBelowFeeError(1, 5, 2000),
    ];
    expect(errors[0]?.message).toBe("unknown asset USDC on domain 1000 (known: none)");
    expect(errors[1]?.message).toBe(`insufficient balance: ${zero} holds 0.5 of ${zero}, needs 3`);
    for (const error of errors) {
      expect(error).toBeInstanceOf(NxtpError);
      expect(error.message).not.toContain("\n");
      expect(error.name).toBe(error.constructor.name);
    }
    expect(errors.map((error) => error.code)).toEqual([
      "UnknownAsset",
      "InsufficientBalance",
      "SlippageBelowFee",
    ]);
  });
});

describe("generated ABIs", () => {
  it("come from forge's Connext artifact", () => {
    const names = new Set<string>(connextAbi.map((entry) => ("name" in entry ? entry.name : entry.type)));
    for (const name of [
      "xcall",
      "xcallIntoLocal",
      "bumpTransfer",
      "XCalled",
      "transferStatus",
      "SlippageNotRaised",
    ]) {
      expect(names.has(name)).toBe(true);
    }
  });
});
