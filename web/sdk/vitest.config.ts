import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests import the package by its name, as apps and the README's examples do, resolved to the sources.
const alias = { "@nxtp/sdk": fileURLToPath(new URL("./src/index.ts", import.meta.url)) };

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node" },
      },
      {
        resolve: { alias },
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          // One devnet for every end-to-end file, started before them and stopped after.
          globalSetup: ["test/e2e/devnet.ts"],
          // The files share the devnet's accounts (nonces, balances): one at a time.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
