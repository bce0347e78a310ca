// Measures what @nxtp/sdk adds to a browser app that uses `xcall` and `waitForTransfer` (bench/app.ts): the app
// is bundled for browsers with esbuild (minified, tree-shaken) once with viem left out, which is the SDK's part
// (plus the app's few lines), and once whole. Gzipped sizes (level 9) go to bench/results/sdk-ts.json.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const resultPath = join(packageDir, "../../bench/results/sdk-ts.json");
const GOAL_GZIP_BYTES = 30 * 1024;

async function bundle(external) {
  const result = await build({
    entryPoints: [join(packageDir, "bench/app.ts")],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    external,
    tsconfig: join(packageDir, "tsconfig.json"),
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  const inputs = Object.values(result.metafile.outputs)[0].inputs;
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length, inputs };
}

function version(name) {
  const path = join(packageDir, "../node_modules", name, "package.json");
  return JSON.parse(readFileSync(path, "utf8")).version;
}

const sdk = await bundle(["viem", "viem/*"]);
const whole = await bundle([]);
// The SDK's own modules by minified bytes in the whole bundle, largest first.
const modules = Object.entries(whole.inputs)
  .filter(([path]) => path.startsWith("src/"))
  .map(([path, { bytesInOutput }]) => [path.slice(path.indexOf("src/")), bytesInOutput])
  .sort((a, b) => b[1] - a[1]);
const result = {
  app: "bench/app.ts: createNxtpClient + xcall + waitForTransfer from an injected wallet",
  bundler: `esbuild ${version("esbuild")}, minified, ESM, browser, es2022; gzip level 9`,
  viem: version("viem"),
  sdk_minified_bytes: sdk.minified,
  sdk_gzip_bytes: sdk.gzip,
  goal_sdk_gzip_bytes: GOAL_GZIP_BYTES,
  within_goal: sdk.gzip <= GOAL_GZIP_BYTES,
  app_with_viem_minified_bytes: whole.minified,
  app_with_viem_gzip_bytes: whole.gzip,
  sdk_modules_minified_bytes: Object.fromEntries(modules),
};
mkdirSync(dirname(resultPath), { recursive: true });
// Other figures in the file (the web app's, web/app/scripts/first-load-size.mjs) are kept.
const previous = existsSync(resultPath) ? JSON.parse(readFileSync(resultPath, "utf8")) : {};
writeFileSync(resultPath, `${JSON.stringify({ ...previous, ...result }, null, 2)}\n`);
console.log(
  `@nxtp/sdk in an xcall + waitForTransfer app: ${(sdk.gzip / 1024).toFixed(1)} kB gzipped ` +
    `(${(sdk.minified / 1024).toFixed(1)} kB minified; goal ${GOAL_GZIP_BYTES / 1024} kB); ` +
    `with viem ${(whole.gzip / 1024).toFixed(1)} kB gzipped -> ${resultPath}`,
);
if (!result.within_goal) process.exitCode = 1;
