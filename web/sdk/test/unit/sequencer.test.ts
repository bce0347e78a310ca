// The sequencer's answers as the SDK reads them, from a local HTTP server standing in for it: quotes, auction
// states, unknown transfers, refusals, answers that are not the API's, and a sequencer that is not there.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createNxtpClient,
  getAuction,
  getRelayerFeeQuote,
  NoSequencerError,
  type NxtpClient,
  SequencerError,
} from "@nxtp/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const known = `0x${"11".repeat(32)}`;
const unknown = `0x${"22".repeat(32)}` as const;
const failing = `0x${"33".repeat(32)}` as const;

let server: Server;
let client: NxtpClient;

function clientAt(sequencerUrl: string | undefined): NxtpClient {
  return createNxtpClient({
    chains: [
      {
        domain: 1000,
        chainId: 31337,
        rpcUrl: "http://127.0.0.1:1",
        connext: "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853",
        fromBlock: 0n,
        assets: {},
      },
    ],
    sequencerUrl,
  });
}

beforeAll(async () => {
  server = createServer((request, response) => {
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const url = request.url ?? "";
    if (url === "/v1/quote?origin=1000&destination=2000") {
      json(200, { origin: 1000, destination: 2000, relayer_fee: "1000000000000000" });
    } else if (url.startsWith("/v1/quote")) {
      json(404, { error: "unknown_domain", message: "domain 3000 is not served" });
    } else if (url === `/v1/transfers/${known}`) {
      json(200, {
        transfer_id: known,
        origin: 1000,
        destination: 2000,
        state: { kind: "awaiting_fee", paid: "5", quote: "1000000000000000" },
        reason: "the relayer fee paid (5 wei) is below the quote",
        bids: [],
        selected: null,
        relayer_job: null,
      });
    } else if (url === `/v1/transfers/${unknown}`) {
      json(404, { error: "unknown_transfer", message: "no such transfer" });
    } else if (url === `/v1/transfers/${failing}`) {
      json(503, { error: "unavailable", message: "the database is busy" });
    } else {
      response.writeHead(502, { "content-type": "text/html" });
      response.end("<html>bad gateway</html>");
    }
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  client = clientAt(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
});

describe("the sequencer client", () => {
  it("reads a quote as wei", async () => {
    expect(await getRelayerFeeQuote(client, 1000, 2000)).toBe(10n ** 15n);
  });

  it("reads an auction's state and reason, and an unknown transfer as undefined", async () => {
    const view = await getAuction(client, known as `0x${string}`);
    expect(view?.state).toEqual({ kind: "awaiting_fee", paid: 5n, quote: 10n ** 15n });
    expect(view?.reason).toMatch(/below the quote/);
    expect(view?.selected).toBeUndefined();
    expect(await getAuction(client, unknown)).toBeUndefined();
  });

  it("turns refusals, foreign answers and silence into SequencerErrors", async () => {
    await expect(getRelayerFeeQuote(client, 1000, 3000)).rejects.toMatchObject({
      constructor: SequencerError,
      status: 404,
      apiCode: "unknown_domain",
    });
    await expect(getAuction(client, failing)).rejects.toMatchObject({ status: 503, apiCode: "unavailable" });
    await expect(getAuction(client, `0x${"44".repeat(32)}`)).rejects.toThrow(/unexpected answer \(502\)/);
    const gone = clientAt("http://127.0.0.1:1");
    await expect(getRelayerFeeQuote(gone, 1000, 2000)).rejects.toThrow(/unreachable/);
    await expect(getRelayerFeeQuote(clientAt(undefined), 1000, 2000)).rejects.toThrow(NoSequencerError);
  });
});
