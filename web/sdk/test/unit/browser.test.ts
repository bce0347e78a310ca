// The package runs in browsers: bundled for the browser platform, nothing of Node's is needed, and an app that
// uses only xcall and waitForTransfer leaves the other actions out.

import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("../../", import.meta.url));

async function bundle(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [`${packageDir}${entry}`],
    bundle: true,
    minify: false,
    format: "esm",
    platform: "browser",
    write: false,
    external: ["viem", "viem/*"],
    tsconfig: `${packageDir}tsconfig.json`,
    logLevel: "silent",
  });
  return result.outputFiles[0]?.text ?? "";
}

it("bundles for browsers without Node's modules", async () => {
  const code = await bundle("src/index.ts");
  expect(code).not.toMatch(/from "node:|require\("(fs|path|child_process)"\)/);
});

it("tree-shakes the actions an app does not import", async () => {
  const code = await bundle("bench/app.ts");
  expect(code).toContain("XCalled");
  for (const unused of [
    "removeRouterLiquidity",
    "forceReceiveLocal",
    "prepareBumpTransfer",
    "routerBidDigest",
  ]) {
    expect(code, unused).not.toContain(`function ${unused}`);
  }
});
