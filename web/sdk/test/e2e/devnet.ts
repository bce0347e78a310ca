// Vitest global setup of the end-to-end tests: a real devnet (`nxtp devnet`: anvil chains, both layers deployed,
// every agent supervised) on free ports in a temporary folder, stopped when the tests end. The binary is the
// workspace's debug build (`cargo build -p nxtp`) unless NXTP_BIN names another.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** The running devnet's manifest (RPC URLs, contracts, the sequencer, dev keys). */
    manifestPath: string;
  }
}

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../../..");
const READY = "Running. Press Ctrl-C to stop.";
// Generous: on a loaded machine, deploying both layers on two chains can take minutes.
const START_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 30_000;

function exited(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once("exit", () => done());
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binary = process.env.NXTP_BIN ?? join(root, "target/debug/nxtp");
  if (!existsSync(binary)) throw new Error(`${binary} is missing: build it with \`cargo build -p nxtp\``);
  const folder = mkdtempSync(join(tmpdir(), "nxtp-sdk-e2e-"));
  const runDir = join(folder, "run");
  const child = spawn(
    binary,
    ["devnet", "--no-demo", "--chains", "2", "--block-time", "0.5", "--run-dir", runDir, "--root", root],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(
      () =>
        fail(new Error(`the devnet was not ready in ${START_TIMEOUT_MS / 1000} s:\n${output.slice(-3000)}`)),
      START_TIMEOUT_MS,
    );
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(READY)) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`the devnet exited (${code ?? signal}) before it was ready:\n${output.slice(-3000)}`));
    });
  });
  project.provide("manifestPath", join(runDir, "manifest.json"));

  return async () => {
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
    rmSync(folder, { recursive: true, force: true });
  };
}
