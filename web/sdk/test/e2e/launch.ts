// Starts a real devnet (`nxtp devnet`: anvil chains, both layers deployed, every agent supervised) on free ports
// in a temporary folder, and the indexer's status API on it, for the end-to-end tests of the SDK and of the web
// app. The indexer is the devnet's own when its manifest names one (`services.indexer_url`); otherwise one is
// started here (`nxtp indexer`) from a config written for the manifest. The binary is the workspace's debug
// build (`cargo build -p nxtp`) unless NXTP_BIN names another.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root. */
export const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../../..");
const READY = "Running. Press Ctrl-C to stop.";
// Generous: on a loaded machine, deploying both layers on two chains can take minutes.
const START_TIMEOUT_MS = 300_000;
const INDEXER_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

/** A running devnet. */
export interface LaunchedDevnet {
  /** Its manifest (RPC URLs, contracts, the sequencer, dev keys). */
  readonly manifestPath: string;
  /** The indexer's status API. */
  readonly indexerUrl: string;
  /** The folder holding its run directory and logs. */
  readonly folder: string;
  /** Stops the indexer started here and the devnet, and removes the folder. */
  stop(): Promise<void>;
}

interface ManifestShape {
  domains: Record<
    string,
    {
      chain_id: number;
      rpc_url: string;
      deploy_block?: number;
      home?: string;
      replicas?: Record<string, string>;
      liquidity?: { connext: string };
    }
  >;
  services?: { indexer_url?: string };
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once("exit", () => done());
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([
    exited(child).then(() => true),
    new Promise<boolean>((done) => {
      timer = setTimeout(() => done(false), STOP_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!stopped) {
    child.kill("SIGKILL");
    await exited(child);
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
}

/** A TCP port free on 127.0.0.1 now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** The indexer's config (docs/indexer.md) for every domain of `manifest` with a Connext. */
export function indexerConfig(manifest: ManifestShape, database: string, api: number, ops: number): string {
  const lines = [
    `database = ${JSON.stringify(database)}`,
    `api_listen = "127.0.0.1:${api}"`,
    "",
    "[telemetry]",
    `listen = "127.0.0.1:${ops}"`,
  ];
  for (const [domain, deployment] of Object.entries(manifest.domains)) {
    if (!deployment.liquidity || !deployment.home) continue;
    const replicas = Object.entries(deployment.replicas ?? {})
      .filter(([origin]) => manifest.domains[origin]?.liquidity)
      .map(([origin, replica]) => `${origin} = ${JSON.stringify(replica)}`);
    lines.push(
      "",
      `[domains.${domain}]`,
      `connext = ${JSON.stringify(deployment.liquidity.connext)}`,
      `home = ${JSON.stringify(deployment.home)}`,
      `replicas = { ${replicas.join(", ")} }`,
      `start_block = ${deployment.deploy_block ?? 0}`,
      `[domains.${domain}.chain]`,
      `rpc_url = ${JSON.stringify(deployment.rpc_url)}`,
      `chain_id = ${deployment.chain_id}`,
      "confirmations = 1",
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Waits until `url` answers 200, polling every 200 ms. */
async function healthy(url: string, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer in ${timeoutMs / 1000} s:\n${log()}`);
    await new Promise((wake) => setTimeout(wake, 200));
  }
}

/** Spawns `binary args`, resolving once its output holds `ready`. */
function startUntil(binary: string, args: string[], ready: string | undefined) {
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const started = new Promise<void>((done, fail) => {
    const timer = setTimeout(
      () =>
        fail(new Error(`${args[0]} was not ready in ${START_TIMEOUT_MS / 1000} s:\n${output.slice(-3000)}`)),
      START_TIMEOUT_MS,
    );
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      // Keep the tail only: agents log for as long as they run.
      if (output.length > 100_000) output = output.slice(-20_000);
      if (ready === undefined || output.includes(ready)) {
        clearTimeout(timer);
        done();
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`${args[0]} exited (${code ?? signal}) before it was ready:\n${output.slice(-3000)}`));
    });
  });
  return { child, started, output: () => output.slice(-3000) };
}

/** Starts a devnet of two chains without demo transfers, and an indexer on it if the devnet runs none. */
export async function launchDevnet(prefix: string): Promise<LaunchedDevnet> {
  const binary = process.env.NXTP_BIN ?? join(ROOT, "target/debug/nxtp");
  if (!existsSync(binary)) throw new Error(`${binary} is missing: build it with \`cargo build -p nxtp\``);
  const folder = mkdtempSync(join(tmpdir(), prefix));
  const runDir = join(folder, "run");
  const devnet = startUntil(
    binary,
    ["devnet", "--no-demo", "--chains", "2", "--block-time", "0.5", "--run-dir", runDir, "--root", ROOT],
    READY,
  );
  const children: ChildProcess[] = [devnet.child];
  const stop = async () => {
    for (const child of children.reverse()) await stopChild(child);
    rmSync(folder, { recursive: true, force: true });
  };
  try {
    await devnet.started;
    const manifestPath = join(runDir, "manifest.json");
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as ManifestShape;
    let indexerUrl = manifest.services?.indexer_url;
    if (!indexerUrl) {
      const [api, ops] = [await freePort(), await freePort()];
      const config = join(folder, "indexer.toml");
      writeFileSync(config, indexerConfig(manifest, join(folder, "indexer.sqlite"), api, ops));
      const indexer = startUntil(binary, ["indexer", "--config", config], undefined);
      children.push(indexer.child);
      indexerUrl = `http://127.0.0.1:${api}`;
      await healthy(`${indexerUrl}/health`, INDEXER_TIMEOUT_MS, indexer.output);
    }
    return { manifestPath, indexerUrl, folder, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
