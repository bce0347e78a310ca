import { defineConfig } from "vitest/config";

// The end-to-end tests: headless Chromium (Debian's `chromium`) driven by playwright-core through the built app
// (dist/, `npm run build` first), served with scripts/serve.mjs, on a real devnet and indexer (test/setup.ts).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/setup.ts"],
    // The files share the devnet's accounts and one browser page each: one at a time.
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 360_000,
  },
});
