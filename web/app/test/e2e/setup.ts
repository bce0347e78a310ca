// Global setup of the web app's end-to-end tests: a devnet and its indexer (the SDK's launcher), and the built
// app served for them (scripts/serve.mjs), all stopped when the tests end.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { launchDevnet } from "../../../sdk/test/e2e/launch.js";
// @ts-expect-error: a plain ES module script without types.
import { serve } from "../../scripts/serve.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    /** The app's URL. */
    appUrl: string;
    /** The devnet's manifest. */
    manifestPath: string;
    /** The indexer's status API. */
    indexerUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const index = fileURLToPath(new URL("../../dist/index.html", import.meta.url));
  if (!existsSync(index)) throw new Error(`${index} is missing: build the app first (npm run build)`);
  const devnet = await launchDevnet("nxtp-app-e2e-");
  const app = (await serve({ manifestPath: devnet.manifestPath, indexerUrl: devnet.indexerUrl })) as {
    url: string;
    close(): Promise<void>;
  };
  project.provide("appUrl", app.url);
  project.provide("manifestPath", devnet.manifestPath);
  project.provide("indexerUrl", devnet.indexerUrl);
  return async () => {
    await app.close();
    await devnet.stop();
  };
}
