// The built package (dist/) as Node 20 loads it by its name: every export there, and the first shared transfer
// vector's id computed by it.

import { readFileSync } from "node:fs";
import * as sdk from "@nxtp/sdk";

const vectors = JSON.parse(
  readFileSync(new URL("../../../contracts/test/vectors/transfers.json", import.meta.url)),
);
const [first] = vectors.transfers;
const p = first.params;
const id = sdk.computeTransferId({
  ...p,
  slippage: BigInt(p.slippage),
  bridgedAmt: BigInt(p.bridgedAmt),
  normalizedIn: BigInt(p.normalizedIn),
  nonce: BigInt(p.nonce),
});
if (id !== first.transferId) throw new Error(`dist computes ${id}, the vector says ${first.transferId}`);
const exported = new Map(Object.entries(sdk));
for (const name of [
  "createNxtpClient",
  "getQuote",
  "xcall",
  "prepareXcall",
  "waitForTransfer",
  "NxtpError",
]) {
  if (typeof exported.get(name) !== "function") throw new Error(`dist does not export ${name}`);
}
console.log(`@nxtp/sdk loads in Node ${process.versions.node}: ${Object.keys(sdk).length} exports`);
