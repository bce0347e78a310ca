// The indexer's status API as the SDK reads it, from a local HTTP server standing in for it with answers shaped
// as the real one's (captured from `nxtp indexer` on a devnet): a transfer with every step and messaging
// sub-stage, a waiting one, unknown ones, pages followed through their cursor, refusals with their codes,
// answers that are not the API's, and an indexer that is not there.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createNxtpClient,
  getIndexedTransfer,
  getIndexedTransfers,
  IndexerError,
  InvalidAddressError,
  type NxtpClient,
} from "@nxtp/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const completed = "0xa092cfc5631589ab31978adbda5634f38138a37b859f438e6d44cead084026e5";
const waiting = `0x${"44".repeat(32)}` as const;
const unknown = `0x${"22".repeat(32)}` as const;
const failing = `0x${"33".repeat(32)}` as const;
const garbled = `0x${"55".repeat(32)}` as const;
const sender = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

const step = (domain: number, tx: string, block: number, timestamp: number) => ({
  domain,
  tx_hash: `0x${tx.repeat(64 / tx.length)}`,
  block,
  timestamp,
});

const completedJson = {
  transfer_id: completed,
  stage: "CompletedSlow",
  path: "slow",
  origin: 1000,
  destination: 2000,
  sender,
  to: "0xa0ee7a142d267c1f36714e4a8f75612f20a79720",
  delegate: sender,
  asset: "0x8a791620dd6260079bf849dc5567adc3f2fdc318",
  amount: "10000000000000000000000",
  bridged_amount: "10000000000000000000000",
  delivered_amount: "9995000000000000000000",
  liquidity_fee: null,
  relayer_fees: [{ asset: "0x0000000000000000000000000000000000000000", amount: "1000000000000000" }],
  slippage: "30",
  receive_local: false,
  routers: [],
  xcalled: step(1000, "a1", 9, 1796646101),
  executed: step(2000, "e1", 29, 1796646111),
  reconciled: step(2000, "c1", 27, 1796646110),
  calldata: { success: false, return_data: "0x08c379a0" },
  messaging: {
    message_hash: `0x${"2f".repeat(32)}`,
    leaf_index: 1,
    dispatched: step(1000, "a1", 9, 1796646101),
    checkpointed: { ...step(1000, "50", 9, 1796646101), root: `0x${"1e".repeat(32)}` },
    signed: { ...step(1000, "c3", 12, 1796646103), root: `0x${"1e".repeat(32)}` },
    root_relayed: { ...step(2000, "45", 12, 1796646103), root: `0x${"1e".repeat(32)}` },
    acceptable_at: 1796646108,
    processed: step(2000, "c1", 27, 1796646110),
    process_failed: { ...step(2000, "ff", 20, 1796646105), reason: "0xdeadbeef" },
  },
  eta: null,
  waiting: null,
};

const waitingJson = {
  ...completedJson,
  transfer_id: waiting,
  stage: "XCalled",
  path: null,
  delivered_amount: null,
  executed: null,
  reconciled: null,
  calldata: null,
  messaging: {
    message_hash: null,
    leaf_index: null,
    dispatched: null,
    checkpointed: null,
    signed: null,
    root_relayed: null,
    acceptable_at: null,
    processed: null,
    process_failed: null,
  },
  eta: 1796646200,
  waiting: { reason: "AwaitingCheckpoint", remedy: "nothing: the updater checkpoints the Home" },
};

const summary = (n: number) => ({
  transfer_id: `0x${n.toString(16).padStart(64, "0")}`,
  stage: n % 2 ? "CompletedFast" : "XCalled",
  path: n % 2 ? "fast" : null,
  origin: 1000,
  destination: 2000,
  sender,
  to: sender,
  bridged_amount: String(n * 1000),
  routers: n % 2 ? ["0x14dc79964da2c08b23698b3d3cc7ca32193d9955"] : [],
  xcalled: step(1000, "ab", n, 1796646000 + n),
  updated_at: 1796646000 + n,
});

let server: Server;
let client: NxtpClient;
/** The list queries the stand-in received, in order. */
const listQueries: string[] = [];

function clientAt(indexerUrl: string | undefined): NxtpClient {
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
    indexerUrl,
  });
}

beforeAll(async () => {
  server = createServer((request, response) => {
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" });
      response.end(JSON.stringify(body));
    };
    const url = new URL(request.url ?? "/", "http://stand-in");
    if (url.pathname === `/transfers/${completed}`) json(200, completedJson);
    else if (url.pathname === `/transfers/${waiting}`) json(200, waitingJson);
    else if (url.pathname === `/transfers/${unknown}`)
      json(404, { error: "not_found", message: "no transfer" });
    else if (url.pathname === `/transfers/${failing}`)
      json(503, { error: "unavailable", message: "the database cannot answer now; retry later" });
    else if (url.pathname === `/transfers/${garbled}`) json(200, { ...completedJson, stage: "Done" });
    else if (url.pathname === "/transfers") {
      listQueries.push(url.search);
      const cursor = url.searchParams.get("cursor");
      if (url.searchParams.get("origin") === "5")
        json(400, { error: "invalid_filter", message: "origin: domain 5 is not indexed here" });
      else if (cursor === null) json(200, { transfers: [summary(3), summary(2)], next_cursor: "t2" });
      else if (cursor === "t2") json(200, { transfers: [summary(1)], next_cursor: null });
      else json(400, { error: "invalid_cursor", message: "cursor: not one this API handed out" });
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

describe("a transfer from the indexer", () => {
  it("reads every step, amount and messaging sub-stage", async () => {
    const transfer = await getIndexedTransfer(client, completed);
    expect(transfer).toMatchObject({
      transferId: completed,
      stage: "CompletedSlow",
      path: "slow",
      origin: 1000,
      destination: 2000,
      sender: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
      delegate: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
      asset: "0x8A791620dd6260079BF849Dc5567aDC3F2FdC318",
      amount: 10n ** 22n,
      deliveredAmount: 9995n * 10n ** 18n,
      liquidityFee: undefined,
      relayerFees: [{ asset: "0x0000000000000000000000000000000000000000", amount: 10n ** 15n }],
      slippage: 30n,
      receiveLocal: false,
      routers: [],
      xcalled: { domain: 1000, txHash: `0x${"a1".repeat(32)}`, blockNumber: 9n, timestamp: 1796646101n },
      executed: { domain: 2000, blockNumber: 29n },
      reconciled: { domain: 2000, blockNumber: 27n },
      calldata: { success: false, returnData: "0x08c379a0" },
      eta: undefined,
      waiting: undefined,
    });
    expect(transfer?.messaging).toMatchObject({
      leafIndex: 1,
      checkpointed: { root: `0x${"1e".repeat(32)}`, blockNumber: 9n },
      signed: { domain: 1000, blockNumber: 12n },
      rootRelayed: { domain: 2000, blockNumber: 12n },
      acceptableAt: 1796646108n,
      processed: { blockNumber: 27n },
      processFailed: { reason: "0xdeadbeef", blockNumber: 20n },
    });
  });

  it("reads why a transfer waits and when it should complete", async () => {
    const transfer = await getIndexedTransfer(client, waiting);
    expect(transfer).toMatchObject({
      stage: "XCalled",
      path: undefined,
      executed: undefined,
      eta: 1796646200n,
      waiting: { reason: "AwaitingCheckpoint", remedy: "nothing: the updater checkpoints the Home" },
    });
    expect(transfer?.messaging.dispatched).toBeUndefined();
  });

  it("answers undefined for a transfer it does not know", async () => {
    expect(await getIndexedTransfer(client, unknown)).toBeUndefined();
  });

  it("turns refusals, foreign answers and absence into IndexerError", async () => {
    const unavailable = await getIndexedTransfer(client, failing).catch((error: unknown) => error);
    expect(unavailable).toBeInstanceOf(IndexerError);
    expect(unavailable).toMatchObject({ status: 503, apiCode: "unavailable", code: "Indexer" });
    await expect(getIndexedTransfer(client, garbled)).rejects.toThrow(/unknown stage `Done`/);
    await expect(getIndexedTransfer(client, `0x${"66".repeat(32)}`)).rejects.toThrow(
      /unexpected answer \(502\)/,
    );
    await expect(getIndexedTransfer(clientAt(undefined), completed)).rejects.toThrow(/no indexerUrl/);
    await expect(getIndexedTransfer(clientAt("http://127.0.0.1:1"), completed)).rejects.toThrow(
      /unreachable/,
    );
  });
});

describe("pages of transfers from the indexer", () => {
  it("sends the filter and follows the cursor to the last page", async () => {
    listQueries.length = 0;
    const first = await getIndexedTransfers(client, {
      sender: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
      stage: "XCalled",
      destination: 2000,
      limit: 2,
    });
    expect(first.transfers.map((transfer) => transfer.bridgedAmount)).toEqual([3000n, 2000n]);
    expect(first.transfers[0]).toMatchObject({
      stage: "CompletedFast",
      path: "fast",
      routers: ["0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"],
      xcalled: { blockNumber: 3n },
      updatedAt: 1796646003n,
    });
    expect(first.nextCursor).toBe("t2");
    const last = await getIndexedTransfers(client, { cursor: first.nextCursor });
    expect(last.transfers).toHaveLength(1);
    expect(last.nextCursor).toBeUndefined();
    // Addresses go out in lower case, as the API compares them.
    expect(listQueries).toEqual([`?sender=${sender}&stage=XCalled&destination=2000&limit=2`, "?cursor=t2"]);
  });

  it("refuses a badly checksummed address before asking", async () => {
    listQueries.length = 0;
    await expect(
      getIndexedTransfers(client, { to: "0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266" }),
    ).rejects.toBeInstanceOf(InvalidAddressError);
    expect(listQueries).toEqual([]);
  });

  it("names the API's code when it refuses a filter or a cursor", async () => {
    await expect(getIndexedTransfers(client, { origin: 5 })).rejects.toMatchObject({
      apiCode: "invalid_filter",
      status: 400,
    });
    await expect(getIndexedTransfers(client, { cursor: "nope" })).rejects.toMatchObject({
      apiCode: "invalid_cursor",
    });
  });
});
