import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      // What needs no browser: reading a deployment, the search, the development accounts' guard.
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" } },
      {
        // Headless Chromium (Debian's `chromium`) driven by playwright-core through the built app (dist/, `npm
        // run build` first), served with scripts/serve.mjs, on a real devnet and indexer (test/e2e/setup.ts).
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/e2e/setup.ts"],
          // The files share the devnet's accounts: one at a time.
          fileParallelism: false,
          testTimeout: 240_000,
          hookTimeout: 360_000,
        },
      },
    ],
  },
});
