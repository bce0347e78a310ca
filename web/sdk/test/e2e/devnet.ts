// Vitest global setup of the end-to-end tests: a real devnet and the indexer's status API on it (launch.ts),
// stopped when the tests end.

import type { TestProject } from "vitest/node";
import { launchDevnet } from "./launch.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The running devnet's manifest (RPC URLs, contracts, the sequencer, dev keys). */
    manifestPath: string;
    /** The indexer's status API on it. */
    indexerUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const devnet = await launchDevnet("nxtp-sdk-e2e-");
  project.provide("manifestPath", devnet.manifestPath);
  project.provide("indexerUrl", devnet.indexerUrl);
  return devnet.stop;
}
